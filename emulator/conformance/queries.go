package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

func init() {
	register("Query/SinglePartition", testQuerySinglePartition)
	register("Query/CrossPartitionPaging", testQueryCrossPartitionPaging)
	register("Query/PagingWhileWriting", testQueryPagingWhileWriting)
	register("Query/OrderByAndAggregates", testQueryOrderAggregates)
	register("Query/UnsupportedIs400", testQueryErrors)
	register("ReadMany", testReadMany)
	register("ChangeFeed/Incremental", testChangeFeed)
	register("ChangeFeed/PartitionKeyAndStart", testChangeFeedFilters)
}

// seed creates n documents {"id":"<i>","pk":"p<i%keys>","n":i}.
func seed(t *testing.T, c *azcosmos.ContainerClient, n, keys int) {
	t.Helper()
	ctx := testContext(t)
	for i := range n {
		pk := fmt.Sprintf("p%d", i%keys)
		body := fmt.Sprintf(`{"id":"%d","pk":"%s","n":%d}`, i, pk, i)
		_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString(pk), []byte(body), nil)
		require.NoError(t, err)
	}
}

// queryAll pages through a query and returns every row.
func queryAll(t *testing.T, c *azcosmos.ContainerClient, q string, pk azcosmos.PartitionKey,
	o *azcosmos.QueryOptions,
) ([]json.RawMessage, int) {
	t.Helper()
	pager := c.NewQueryItemsPager(q, pk, o)
	var rows []json.RawMessage
	pages := 0
	for pager.More() {
		page, err := pager.NextPage(testContext(t))
		require.NoError(t, err)
		require.Positive(t, page.RequestCharge)
		pages++
		for _, item := range page.Items {
			rows = append(rows, item)
		}
	}
	return rows, pages
}

func testQuerySinglePartition(t *testing.T, e *env) {
	c := e.container(t, azcosmos.ContainerProperties{})
	seed(t, c, 30, 3)
	rows, _ := queryAll(t, c, "SELECT VALUE c.n FROM c WHERE c.n >= @min",
		azcosmos.NewPartitionKeyString("p1"), &azcosmos.QueryOptions{
			QueryParameters: []azcosmos.QueryParameter{{Name: "@min", Value: 10}},
		})
	var got []int
	for _, r := range rows {
		var n int
		require.NoError(t, json.Unmarshal(r, &n))
		got = append(got, n)
	}
	require.ElementsMatch(t, []int{10, 13, 16, 19, 22, 25, 28}, got)
}

func testQueryCrossPartitionPaging(t *testing.T, e *env) {
	c := e.container(t, azcosmos.ContainerProperties{})
	seed(t, c, 95, 7)
	size := int32(10)
	rows, pages := queryAll(t, c, "SELECT * FROM c", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{PageSizeHint: size})
	require.Len(t, rows, 95)
	require.GreaterOrEqual(t, pages, 10)
	seen := map[string]bool{}
	for _, r := range rows {
		id := decode(t, r)["id"].(string)
		require.False(t, seen[id], "row %s repeated", id)
		seen[id] = true
	}
}

// testQueryPagingWhileWriting pages a cross-partition query while other callers insert,
// update and delete: every document that exists throughout appears exactly once.
func testQueryPagingWhileWriting(t *testing.T, e *env) {
	c := e.container(t, azcosmos.ContainerProperties{})
	seed(t, c, 200, 5)
	ctx, cancel := context.WithCancel(testContext(t))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil && i < 400; i++ {
			pk := azcosmos.NewPartitionKeyString(fmt.Sprintf("p%d", i%5))
			_, _ = c.CreateItem(ctx, pk, []byte(fmt.Sprintf(`{"id":"new%d","pk":"p%d"}`, i, i%5)), nil)
			// Updates of documents that exist throughout must not move them in the order.
			_, _ = c.UpsertItem(ctx, azcosmos.NewPartitionKeyString(fmt.Sprintf("p%d", i%5)),
				[]byte(fmt.Sprintf(`{"id":"%d","pk":"p%d","n":%d,"u":true}`, i%200, i%5, i%200)), nil)
			if i%3 == 0 {
				_, _ = c.DeleteItem(ctx, pk, fmt.Sprintf("new%d", i-3), nil)
			}
		}
	}()
	rows, _ := queryAll(t, c, "SELECT c.id FROM c", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{PageSizeHint: 7})
	cancel()
	wg.Wait()
	counts := map[string]int{}
	for _, r := range rows {
		counts[decode(t, r)["id"].(string)]++
	}
	for i := range 200 {
		require.Equal(t, 1, counts[fmt.Sprint(i)], "document %d", i)
	}
	for id, n := range counts {
		require.Equal(t, 1, n, "document %s repeated", id)
	}
}

func testQueryOrderAggregates(t *testing.T, e *env) {
	c := e.container(t, azcosmos.ContainerProperties{})
	seed(t, c, 50, 4)
	rows, pages := queryAll(t, c, "SELECT VALUE c.n FROM c ORDER BY c.n DESC",
		azcosmos.NewPartitionKey(), &azcosmos.QueryOptions{PageSizeHint: 20})
	require.Len(t, rows, 50)
	require.Equal(t, 3, pages)
	require.JSONEq(t, "49", string(rows[0]))
	require.JSONEq(t, "0", string(rows[49]))

	rows, _ = queryAll(t, c, "SELECT VALUE COUNT(1) FROM c", azcosmos.NewPartitionKey(), nil)
	require.Len(t, rows, 1)
	require.JSONEq(t, "50", string(rows[0]))

	rows, _ = queryAll(t, c, "SELECT c.pk, COUNT(1) AS n FROM c GROUP BY c.pk",
		azcosmos.NewPartitionKey(), nil)
	require.Len(t, rows, 4)

	rows, _ = queryAll(t, c, "SELECT TOP 5 * FROM c", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{PageSizeHint: 2})
	require.Len(t, rows, 5)
}

func testQueryErrors(t *testing.T, e *env) {
	c := e.container(t, azcosmos.ContainerProperties{})
	off := false
	pager := c.NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{EnableCrossPartitionQuery: &off})
	_, err := pager.NextPage(testContext(t))
	requireStatus(t, err, http.StatusBadRequest)
	for _, q := range []string{"SELECT * FROM", "SELECT * FROM c WHERE udf.f(c.x)", "DELETE FROM c"} {
		pager := c.NewQueryItemsPager(q, azcosmos.NewPartitionKey(), nil)
		_, err := pager.NextPage(testContext(t))
		require.Equal(t, http.StatusBadRequest, statusOf(err), "%q: %v", q, err)
	}
}

func testReadMany(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	seed(t, c, 20, 4)
	ids := []azcosmos.ItemIdentity{
		{ID: "1", PartitionKey: azcosmos.NewPartitionKeyString("p1")},
		{ID: "2", PartitionKey: azcosmos.NewPartitionKeyString("p2")},
		{ID: "6", PartitionKey: azcosmos.NewPartitionKeyString("p2")},
		{ID: "3", PartitionKey: azcosmos.NewPartitionKeyString("p0")}, // wrong key: absent
	}
	res, err := c.ReadManyItems(ctx, ids, nil)
	require.NoError(t, err)
	var got []string
	for _, item := range res.Items {
		got = append(got, decode(t, item)["id"].(string))
	}
	require.ElementsMatch(t, []string{"1", "2", "6"}, got)
}

func readAllChanges(t *testing.T, c *azcosmos.ContainerClient, opts azcosmos.ChangeFeedOptions) (
	[]string, string,
) {
	t.Helper()
	var ids []string
	for range 100 {
		res, err := c.ReadChangeFeed(testContext(t), &opts)
		require.NoError(t, err)
		for _, item := range res.Items {
			ids = append(ids, decode(t, item)["id"].(string))
		}
		token := res.ContinuationToken
		opts.Continuation = &token
		if len(res.Items) == 0 {
			return ids, token
		}
	}
	t.Fatal("the change feed never ran dry")
	return nil, ""
}

func testChangeFeed(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	ranges, err := c.ReadFeedRanges(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, ranges)
	seed(t, c, 12, 3)

	ids, token := readAllChanges(t, c, azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], MaxItemCount: 5})
	require.Len(t, ids, 12)

	// Updates appear once, as their latest version; deletes do not appear.
	pk := azcosmos.NewPartitionKeyString("p0")
	_, err = c.UpsertItem(ctx, pk, []byte(`{"id":"0","pk":"p0","n":100}`), nil)
	require.NoError(t, err)
	_, err = c.UpsertItem(ctx, pk, []byte(`{"id":"0","pk":"p0","n":101}`), nil)
	require.NoError(t, err)
	_, err = c.DeleteItem(ctx, pk, "3", nil)
	require.NoError(t, err)
	ids, _ = readAllChanges(t, c, azcosmos.ChangeFeedOptions{Continuation: &token})
	require.Equal(t, []string{"0"}, ids)
}

func testChangeFeedFilters(t *testing.T, e *env) {
	ctx := testContext(t)
	c := e.container(t, azcosmos.ContainerProperties{})
	ranges, err := c.ReadFeedRanges(ctx, nil)
	require.NoError(t, err)
	seed(t, c, 9, 3)
	pk := azcosmos.NewPartitionKeyString("p1")
	ids, _ := readAllChanges(t, c, azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], PartitionKey: &pk})
	require.ElementsMatch(t, []string{"1", "4", "7"}, ids)

	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	ids, _ = readAllChanges(t, c, azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], StartFrom: &past})
	require.Len(t, ids, 9)
	ids, _ = readAllChanges(t, c, azcosmos.ChangeFeedOptions{FeedRange: &ranges[0], StartFrom: &future})
	require.Empty(t, ids)
}
