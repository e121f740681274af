package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
)

// newClient starts an emulator and returns a client for a fresh container with /pk.
func newContainer(t *testing.T) (*emulator.Server, *azcosmos.ContainerClient) {
	t.Helper()
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{
		ID:                     "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}},
	}, nil)
	require.NoError(t, err)
	c, err := db.NewContainer("c")
	require.NoError(t, err)
	return srv, c
}

func statusOf(err error) int {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	return 0
}

func TestItemCRUD(t *testing.T) {
	_, c := newContainer(t)
	ctx := context.Background()
	pk := azcosmos.NewPartitionKeyString("a")
	doc := []byte(`{"id":"1","pk":"a","n":1}`)

	created, err := c.CreateItem(ctx, pk, doc, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.RawResponse.StatusCode)
	require.Empty(t, created.Value)
	require.NotEmpty(t, created.ETag)

	_, err = c.CreateItem(ctx, pk, doc, nil)
	require.Equal(t, http.StatusConflict, statusOf(err))

	other := azcosmos.NewPartitionKeyString("b")
	_, err = c.CreateItem(ctx, other, []byte(`{"id":"1","pk":"b"}`), nil)
	require.NoError(t, err, "same id under another partition key is no conflict")

	read, err := c.ReadItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(read.Value, &got))
	require.Equal(t, float64(1), got["n"])
	require.Equal(t, string(created.ETag), got["_etag"])

	_, err = c.ReplaceItem(ctx, pk, "1", []byte(`{"id":"1","pk":"a","n":2}`),
		&azcosmos.ItemOptions{IfMatchEtag: &created.ETag})
	require.NoError(t, err)
	_, err = c.ReplaceItem(ctx, pk, "1", []byte(`{"id":"1","pk":"a","n":3}`),
		&azcosmos.ItemOptions{IfMatchEtag: &created.ETag})
	require.Equal(t, http.StatusPreconditionFailed, statusOf(err))

	up, err := c.UpsertItem(ctx, pk, []byte(`{"id":"2","pk":"a"}`),
		&azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, up.RawResponse.StatusCode)
	require.NotEmpty(t, up.Value)

	_, err = c.DeleteItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	_, err = c.ReadItem(ctx, pk, "1", nil)
	require.Equal(t, http.StatusNotFound, statusOf(err))
}
