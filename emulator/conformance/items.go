package conformance

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

func init() {
	register("Item/CRUD", testItemCRUD)
	register("Item/ConflictOnlyWithinPartitionKey", testItemConflict)
	register("Item/ConditionalWrites", testItemConditional)
	register("Item/ReturnMinimal", testItemMinimal)
	register("Item/BadInput", testItemBadInput)
	register("Item/PartitionKeyKinds", testItemPartitionKeyKinds)
	register("Item/IDsNeedingEscapes", testItemIDEscapes)
	register("Item/ResponseHeaders", testItemHeaders)
	register("Item/TimeToLive", testItemTTL)
}

// testItemTTL waits for real expiry (TTL has one-second granularity), about two seconds.
func testItemTTL(t *testing.T, e *env) {
	ctx := testContext(t)
	ttl := int32(1)
	c := e.container(t, azcosmos.ContainerProperties{DefaultTimeToLive: &ttl})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(`{"id":"short","pk":"a"}`), nil)
	require.NoError(t, err)
	_, err = c.CreateItem(ctx, pk, []byte(`{"id":"kept","pk":"a","ttl":-1}`), nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := c.ReadItem(ctx, pk, "short", nil)
		return statusOf(err) == http.StatusNotFound
	}, 10*time.Second, 100*time.Millisecond)
	_, err = c.ReadItem(ctx, pk, "kept", nil)
	require.NoError(t, err)
	rows, _ := queryAll(t, c, "SELECT VALUE c.id FROM c", pk, nil)
	require.Len(t, rows, 1, "expired items vanish from queries at once")
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func testItemCRUD(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	on := &azcosmos.ItemOptions{EnableContentResponseOnWrite: true}

	created, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a","n":1}`), on)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.RawResponse.StatusCode)
	doc := decode(t, created.Value)
	for _, sys := range []string{"_rid", "_self", "_etag", "_ts", "_attachments"} {
		require.Contains(t, doc, sys)
	}
	require.Equal(t, string(created.ETag), doc["_etag"])
	ts, ok := doc["_ts"].(float64)
	require.True(t, ok && ts == float64(int64(ts)), "_ts must be an integer, got %v", doc["_ts"])

	read, err := c.ReadItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	require.Equal(t, created.Value, read.Value)

	// Replacing with the system properties a read returned keeps one copy of each.
	doc["n"] = 2
	body, _ := json.Marshal(doc)
	replaced, err := c.ReplaceItem(ctx, pk, "1", body, on)
	require.NoError(t, err)
	require.Equal(t, float64(2), decode(t, replaced.Value)["n"])
	require.Equal(t, 1, strings.Count(string(replaced.Value), `"_rid"`))
	require.NotEqual(t, created.ETag, replaced.ETag)

	upserted, err := c.UpsertItem(ctx, pk, []byte(`{"id":"1","pk":"a","n":3}`), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, upserted.RawResponse.StatusCode)
	upNew, err := c.UpsertItem(ctx, pk, []byte(`{"id":"2","pk":"a"}`), nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, upNew.RawResponse.StatusCode)

	deleted, err := c.DeleteItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusNoContent, deleted.RawResponse.StatusCode)
	_, err = c.ReadItem(ctx, pk, "1", nil)
	requireStatus(t, err, http.StatusNotFound)
	_, err = c.DeleteItem(ctx, pk, "1", nil)
	requireStatus(t, err, http.StatusNotFound)
	_, err = c.ReplaceItem(ctx, pk, "1", []byte(`{"id":"1","pk":"a"}`), nil)
	requireStatus(t, err, http.StatusNotFound)
}

func testItemConflict(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"), []byte(`{"id":"x","pk":"a"}`), nil)
	require.NoError(t, err)
	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString("a"), []byte(`{"id":"x","pk":"a"}`), nil)
	requireStatus(t, err, http.StatusConflict)
	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString("b"), []byte(`{"id":"x","pk":"b"}`), nil)
	require.NoError(t, err)
}

func testItemConditional(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	created, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), nil)
	require.NoError(t, err)
	stale := azcore.ETag(`"00000000-0000-0000-0000-000000000bad"`)
	tests := []struct {
		name string
		call func(*azcosmos.ItemOptions) error
	}{
		{"replace", func(o *azcosmos.ItemOptions) error {
			_, err := c.ReplaceItem(ctx, pk, "1", []byte(`{"id":"1","pk":"a"}`), o)
			return err
		}},
		{"upsert", func(o *azcosmos.ItemOptions) error {
			_, err := c.UpsertItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), o)
			return err
		}},
		{"patch", func(o *azcosmos.ItemOptions) error {
			ops := azcosmos.PatchOperations{}
			ops.AppendSet("/x", 1)
			_, err := c.PatchItem(ctx, pk, "1", ops, o)
			return err
		}},
		{"delete", func(o *azcosmos.ItemOptions) error {
			_, err := c.DeleteItem(ctx, pk, "1", o)
			return err
		}},
	}
	etag := created.ETag
	for _, tt := range tests {
		err := tt.call(&azcosmos.ItemOptions{IfMatchEtag: &stale})
		require.Equal(t, http.StatusPreconditionFailed, statusOf(err), "%s with a stale etag", tt.name)
		require.NoError(t, tt.call(&azcosmos.ItemOptions{IfMatchEtag: &etag}), tt.name)
		if tt.name != "delete" {
			read, err := c.ReadItem(ctx, pk, "1", nil)
			require.NoError(t, err)
			etag = read.ETag
		}
	}
}

func testItemMinimal(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	minimal, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), nil)
	require.NoError(t, err)
	require.Empty(t, minimal.Value)
	require.NotEmpty(t, minimal.ETag)
	require.NotNil(t, minimal.SessionToken)
	full, err := c.CreateItem(ctx, pk, []byte(`{"id":"2","pk":"a"}`),
		&azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	require.NoError(t, err)
	require.NotEmpty(t, full.Value)
}

func testItemBadInput(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	tests := []struct {
		name string
		body string
		want int
	}{
		{"malformed JSON", `{"id":"1","pk":"a"`, http.StatusBadRequest},
		{"not an object", `["id"]`, http.StatusBadRequest},
		{"missing id", `{"pk":"a"}`, http.StatusBadRequest},
		{"numeric id", `{"id":1,"pk":"a"}`, http.StatusBadRequest},
		{"id with slash", `{"id":"a/b","pk":"a"}`, http.StatusBadRequest},
		{"id with hash", `{"id":"a#b","pk":"a"}`, http.StatusBadRequest},
		{"id over 1023 bytes", `{"id":"` + strings.Repeat("x", 1024) + `","pk":"a"}`, http.StatusBadRequest},
		{"key differs from header", `{"id":"1","pk":"b"}`, http.StatusBadRequest},
		{"object as key", `{"id":"1","pk":{"a":1}}`, http.StatusBadRequest},
		{"bad ttl", `{"id":"1","pk":"a","ttl":0}`, http.StatusBadRequest},
		{"over 2 MB", `{"id":"big","pk":"a","blob":"` + strings.Repeat("x", 2<<20) + `"}`,
			http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		_, err := c.CreateItem(ctx, pk, []byte(tt.body), nil)
		require.Equal(t, tt.want, statusOf(err), "%s: got %v", tt.name, err)
	}
}

func testItemPartitionKeyKinds(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	tests := []struct {
		name string
		pk   azcosmos.PartitionKey
		body string
	}{
		{"number", azcosmos.NewPartitionKeyNumber(1.5), `{"id":"n","pk":1.5}`},
		{"bool", azcosmos.NewPartitionKeyBool(true), `{"id":"b","pk":true}`},
		{"null", azcosmos.NullPartitionKey, `{"id":"z","pk":null}`},
		{"emoji", azcosmos.NewPartitionKeyString("😀é\x01"), `{"id":"e","pk":"😀é\u0001"}`},
		{"large number", azcosmos.NewPartitionKeyNumber(1e21), `{"id":"l","pk":1e21}`},
	}
	for _, tt := range tests {
		_, err := c.CreateItem(ctx, tt.pk, []byte(tt.body), nil)
		require.NoError(t, err, tt.name)
		id := decode(t, []byte(tt.body))["id"].(string)
		_, err = c.ReadItem(ctx, tt.pk, id, nil)
		require.NoError(t, err, tt.name)
	}
}

func testItemIDEscapes(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	for _, id := range []string{"a b", "a+b", "50%", "ünï", "x=y:z@w$&"} {
		body, _ := json.Marshal(map[string]string{"id": id, "pk": "a"})
		_, err := c.CreateItem(ctx, pk, body, nil)
		require.NoError(t, err, id)
		read, err := c.ReadItem(ctx, pk, id, nil)
		require.NoError(t, err, id)
		require.Equal(t, id, decode(t, read.Value)["id"])
	}
}

func testItemHeaders(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	created, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a"}`), nil)
	require.NoError(t, err)
	require.Positive(t, created.RequestCharge)
	require.NotEmpty(t, created.ActivityID)
	require.NotNil(t, created.SessionToken)
	_, err = c.ReadItem(ctx, pk, "nope", nil)
	requireStatus(t, err, http.StatusNotFound)
}
