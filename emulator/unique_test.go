package emulator

import (
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// TestUniqueKeysWithinTransactionalBatch checks a unique key (/email) inside one
// transactional batch through azcosmos: operations see the versions the batch's earlier
// operations wrote, so two new documents with one value conflict (and nothing is
// committed), while a value the batch freed by replacing or deleting its holder is free.
func TestUniqueKeysWithinTransactionalBatch(t *testing.T) {
	person := func(id, email string) []byte {
		return []byte(`{"id":"` + id + `","pk":"p","email":"` + email + `"}`)
	}
	tests := []struct {
		name       string
		build      func(b *azcosmos.TransactionalBatch)
		wantFailed int // index of the operation answering 409; -1 when the batch commits
	}{
		{"two creates, one value", func(b *azcosmos.TransactionalBatch) {
			b.CreateItem(person("b", "new@x"), nil)
			b.CreateItem(person("c", "new@x"), nil)
		}, 1},
		{"create, then upsert another to the value", func(b *azcosmos.TransactionalBatch) {
			b.CreateItem(person("b", "new@x"), nil)
			b.UpsertItem(person("a", "new@x"), nil)
		}, 1},
		{"committed value, new document", func(b *azcosmos.TransactionalBatch) {
			b.CreateItem(person("b", "old@x"), nil)
		}, 0},
		{"holder replaced first", func(b *azcosmos.TransactionalBatch) {
			b.ReplaceItem("a", person("a", "moved@x"), nil)
			b.CreateItem(person("b", "old@x"), nil)
		}, -1},
		{"holder deleted first", func(b *azcosmos.TransactionalBatch) {
			b.DeleteItem("a", nil)
			b.CreateItem(person("b", "old@x"), nil)
		}, -1},
		{"batch document rewritten", func(b *azcosmos.TransactionalBatch) {
			b.CreateItem(person("b", "new@x"), nil)
			b.ReplaceItem("b", person("b", "other@x"), nil)
			b.CreateItem(person("c", "new@x"), nil)
		}, -1},
		{"one document written twice", func(b *azcosmos.TransactionalBatch) {
			b.UpsertItem(person("b", "new@x"), nil)
			b.UpsertItem(person("b", "new@x"), nil)
		}, -1},
	}
	client := regionClient(t, startRegions(t, RegionsConfig{Regions: []string{"A"}}))
	ctx := testCtx(t)
	_, err := client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	pk := azcosmos.NewPartitionKeyString("p")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "c" + string(rune('a'+i))
			_, err := db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: id,
				PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}},
				UniqueKeyPolicy: &azcosmos.UniqueKeyPolicy{UniqueKeys: []azcosmos.UniqueKey{
					{Paths: []string{"/email"}}}}}, nil)
			require.NoError(t, err)
			c, err := db.NewContainer(id)
			require.NoError(t, err)
			_, err = c.CreateItem(ctx, pk, person("a", "old@x"), nil)
			require.NoError(t, err)

			batch := c.NewTransactionalBatch(pk)
			tt.build(&batch)
			resp, err := c.ExecuteTransactionalBatch(ctx, batch, nil)
			require.NoError(t, err)
			require.Equal(t, tt.wantFailed < 0, resp.Success)
			if tt.wantFailed >= 0 {
				require.Equal(t, int32(http.StatusConflict),
					resp.OperationResults[tt.wantFailed].StatusCode)
				_, err = c.ReadItem(ctx, pk, "b", nil)
				require.Equal(t, http.StatusNotFound, status(err), "nothing committed")
			}
		})
	}
}
