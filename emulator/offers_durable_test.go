package emulator

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// startDurableThroughput starts a one-region durable account with throughput enforcement
// and returns it with a client.
func startDurableThroughput(t *testing.T, dir string) (*Account, *azcosmos.Client) {
	t.Helper()
	a, err := StartAccount(context.Background(), Config{Throughput: &ThroughputConfig{}},
		RegionsConfig{Regions: []string{"A"}, DataDir: dir, SnapshotBytes: -1})
	require.NoError(t, err)
	cred, err := azcosmos.NewKeyCredential(a.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(a.Endpoint(), cred, nil)
	require.NoError(t, err)
	return a, client
}

func TestOffers_ReplacedOfferSurvivesRestart(t *testing.T) {
	// TODO(#4): the replaced offer reaches the store's metadata and the log's metadata
	// frame, but replaying a later frame keeps the containers and databases an earlier
	// frame restored without taking their offer (restoreContainer/restoreImage); remove
	// this skip once they copy it.
	t.Skip("durable replay does not yet update the offer of a restored container")
	dir := t.TempDir()
	ctx := context.Background()
	a, client := startDurableThroughput(t, dir)
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, _ := client.NewDatabase("db")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}},
		&azcosmos.CreateContainerOptions{
			ThroughputProperties: ptr(azcosmos.NewManualThroughputProperties(400))})
	require.NoError(t, err)
	c, _ := db.NewContainer("c")
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewAutoscaleThroughputProperties(5_000), nil)
	require.NoError(t, err)
	require.NoError(t, a.Close())

	a, client = startDurableThroughput(t, dir)
	t.Cleanup(func() { _ = a.Close() })
	c, err = client.NewContainer("db", "c")
	require.NoError(t, err)
	read, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	tmax, ok := read.ThroughputProperties.AutoscaleMaxThroughput()
	require.True(t, ok, "the replaced offer, not the creation one")
	require.Equal(t, int32(5_000), tmax)
}
