package conformance

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

func init() {
	register("Patch/EveryOperation", testPatchOperations)
	register("Patch/Condition", testPatchCondition)
	register("Patch/Errors", testPatchErrors)
	register("Batch/Success", testBatchSuccess)
	register("Batch/FailureIsAtomic", testBatchAtomic)
	register("Batch/Limits", testBatchLimits)
}

func testPatchOperations(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(
		`{"id":"1","pk":"a","n":1,"f":1.5,"tags":["x","z"],"obj":{"k":"v"},"gone":true,"old":7}`), nil)
	require.NoError(t, err)
	ops := azcosmos.PatchOperations{}
	ops.AppendAdd("/tags/1", "y")
	ops.AppendAdd("/added", "new")
	ops.AppendSet("/obj/k", "v2")
	ops.AppendSet("/nothing", nil)
	ops.AppendReplace("/f", 2.5)
	ops.AppendRemove("/gone")
	ops.AppendIncrement("/n", 41)
	ops.AppendIncrement("/counter", 3)
	ops.AppendAdd("/tags/-", "end")
	res, err := c.PatchItem(ctx, pk, "1", ops, &azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.RawResponse.StatusCode)
	got := decode(t, res.Value)
	require.Equal(t, []any{"x", "y", "z", "end"}, got["tags"])
	require.Equal(t, "new", got["added"])
	require.Equal(t, map[string]any{"k": "v2"}, got["obj"])
	require.Contains(t, got, "nothing")
	require.Nil(t, got["nothing"])
	require.Equal(t, 2.5, got["f"])
	require.NotContains(t, got, "gone")
	require.Equal(t, float64(42), got["n"])
	require.Equal(t, float64(3), got["counter"])
	require.Equal(t, float64(7), got["old"])
}

func testPatchCondition(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a","status":"open"}`), nil)
	require.NoError(t, err)
	ops := azcosmos.PatchOperations{}
	ops.SetCondition("from c where c.status = 'closed'")
	ops.AppendSet("/status", "reopened")
	_, err = c.PatchItem(ctx, pk, "1", ops, nil)
	requireStatus(t, err, http.StatusPreconditionFailed)

	ops = azcosmos.PatchOperations{}
	ops.SetCondition("from c where c.status = 'open'")
	ops.AppendSet("/status", "closed")
	_, err = c.PatchItem(ctx, pk, "1", ops, nil)
	require.NoError(t, err)
	read, err := c.ReadItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	require.Equal(t, "closed", decode(t, read.Value)["status"])
}

func testPatchErrors(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(`{"id":"1","pk":"a","s":"text","arr":[1]}`), nil)
	require.NoError(t, err)
	tests := []struct {
		name  string
		build func(*azcosmos.PatchOperations)
		id    string
		want  int
	}{
		{"remove missing", func(o *azcosmos.PatchOperations) { o.AppendRemove("/missing") }, "1", 400},
		{"replace missing", func(o *azcosmos.PatchOperations) { o.AppendReplace("/missing", 1) }, "1", 400},
		{"incr a string", func(o *azcosmos.PatchOperations) { o.AppendIncrement("/s", 1) }, "1", 400},
		{"patch id", func(o *azcosmos.PatchOperations) { o.AppendSet("/id", "2") }, "1", 400},
		{"patch key", func(o *azcosmos.PatchOperations) { o.AppendSet("/pk", "b") }, "1", 400},
		{"index out of range", func(o *azcosmos.PatchOperations) { o.AppendSet("/arr/5", 1) }, "1", 400},
		{"missing parent", func(o *azcosmos.PatchOperations) { o.AppendSet("/a/b", 1) }, "1", 400},
		{"eleven operations", func(o *azcosmos.PatchOperations) {
			for i := range 11 {
				o.AppendSet(fmt.Sprintf("/f%d", i), i)
			}
		}, "1", 400},
		{"missing document", func(o *azcosmos.PatchOperations) { o.AppendSet("/x", 1) }, "2", 404},
	}
	for _, tt := range tests {
		ops := azcosmos.PatchOperations{}
		tt.build(&ops)
		_, err := c.PatchItem(ctx, pk, tt.id, ops, nil)
		require.Equal(t, tt.want, statusOf(err), "%s: %v", tt.name, err)
	}
	read, err := c.ReadItem(ctx, pk, "1", nil)
	require.NoError(t, err)
	require.Equal(t, "text", decode(t, read.Value)["s"], "failed patches change nothing")
}

func testBatchSuccess(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(`{"id":"old","pk":"a","n":1}`), nil)
	require.NoError(t, err)
	b := c.NewTransactionalBatch(pk)
	b.CreateItem([]byte(`{"id":"1","pk":"a"}`), nil)
	b.UpsertItem([]byte(`{"id":"2","pk":"a"}`), nil)
	b.ReplaceItem("1", []byte(`{"id":"1","pk":"a","v":2}`), nil)
	ops := azcosmos.PatchOperations{}
	ops.AppendIncrement("/n", 1)
	b.PatchItem("old", ops, nil)
	b.ReadItem("old", nil)
	b.DeleteItem("2", nil)
	res, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	require.NoError(t, err)
	require.True(t, res.Success)
	require.Len(t, res.OperationResults, 6)
	want := []int32{201, 201, 200, 200, 200, 204}
	for i, r := range res.OperationResults {
		require.Equal(t, want[i], r.StatusCode, "operation %d", i)
	}
	require.Equal(t, float64(2), decode(t, res.OperationResults[4].ResourceBody)["n"])
	require.NotNil(t, res.SessionToken)
}

func testBatchAtomic(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk, []byte(`{"id":"dup","pk":"a"}`), nil)
	require.NoError(t, err)
	b := c.NewTransactionalBatch(pk)
	b.CreateItem([]byte(`{"id":"new","pk":"a"}`), nil)
	b.CreateItem([]byte(`{"id":"dup","pk":"a"}`), nil)
	b.DeleteItem("dup", nil)
	res, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	require.NoError(t, err)
	require.False(t, res.Success)
	require.Equal(t, http.StatusMultiStatus, res.RawResponse.StatusCode)
	got := []int32{}
	for _, r := range res.OperationResults {
		got = append(got, r.StatusCode)
	}
	require.Equal(t, []int32{424, 409, 424}, got)
	_, err = c.ReadItem(ctx, pk, "new", nil)
	requireStatus(t, err, http.StatusNotFound)
	_, err = c.ReadItem(ctx, pk, "dup", nil)
	require.NoError(t, err)
}

func testBatchLimits(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	b := c.NewTransactionalBatch(pk)
	for i := range 101 {
		b.CreateItem([]byte(fmt.Sprintf(`{"id":"%d","pk":"a"}`, i)), nil)
	}
	_, err := c.ExecuteTransactionalBatch(ctx, b, nil)
	requireStatus(t, err, http.StatusBadRequest)

	big := make([]byte, 700<<10)
	for i := range big {
		big[i] = 'x'
	}
	b = c.NewTransactionalBatch(pk)
	for i := range 3 {
		b.CreateItem([]byte(fmt.Sprintf(`{"id":"%d","pk":"a","blob":"%s"}`, i, big)), nil)
	}
	_, err = c.ExecuteTransactionalBatch(ctx, b, nil)
	requireStatus(t, err, http.StatusRequestEntityTooLarge)
}

func init() {
	register("Patch/KeepsPropertyOrder", testPatchOrder)
}

func testPatchOrder(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	pk := azcosmos.NewPartitionKeyString("a")
	_, err := c.CreateItem(ctx, pk,
		[]byte(`{"id":"1","pk":"a","z":1,"m":{"y":1,"b":2},"a":12345678901234567}`), nil)
	require.NoError(t, err)
	ops := azcosmos.PatchOperations{}
	ops.AppendSet("/m/c", 3)
	ops.AppendSet("/new", true)
	res, err := c.PatchItem(ctx, pk, "1", ops, &azcosmos.ItemOptions{EnableContentResponseOnWrite: true})
	require.NoError(t, err)
	body := string(res.Value)
	require.Contains(t, body,
		`{"id":"1","pk":"a","z":1,"m":{"y":1,"b":2,"c":3},"a":12345678901234567,"new":true,`)
}
