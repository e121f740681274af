package emulator_test

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/emulator"
)

// Start an emulator in-process and use it through the unmodified SDK.
func ExampleStart() {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	cred, _ := azcosmos.NewKeyCredential(srv.Key())
	client, _ := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	defer client.Close()
	if _, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "shop"}, nil); err != nil {
		fmt.Println(err)
		return
	}
	db, _ := client.NewDatabase("shop")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{
		ID:                     "orders",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/customer"}},
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	orders, _ := db.NewContainer("orders")
	pk := azcosmos.NewPartitionKeyString("ada")
	_, _ = orders.CreateItem(ctx, pk, []byte(`{"id":"1","customer":"ada","total":12.5}`), nil)
	read, err := orders.ReadItem(ctx, pk, "1", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(read.RawResponse.StatusCode, read.RequestCharge)
	// Output: 200 1
}
