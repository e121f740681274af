package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// splitConfig makes splits wait 10 s of the injected clock and leaves maintenance to the
// test (the loop's interval is far beyond any test).
func splitConfig() ThroughputConfig {
	return ThroughputConfig{SplitDelay: 10 * time.Second, MaintenanceInterval: time.Hour}
}

func (f *tpFixture) createDocs(c *azcosmos.ContainerClient, prefix string, n int) []string {
	f.t.Helper()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		_, err := c.CreateItem(context.Background(), azcosmos.NewPartitionKeyString(ids[i]),
			doc(ids[i], ids[i]), nil)
		require.NoError(f.t, err)
	}
	return ids
}

// idsOf reads the ids of JSON documents.
func idsOf(t *testing.T, items [][]byte) []string {
	t.Helper()
	out := make([]string, len(items))
	for i, b := range items {
		var d struct{ ID string }
		require.NoError(t, json.Unmarshal(b, &d))
		out[i] = d.ID
	}
	return out
}

// drainChangeFeed reads the change feed from token (the whole container when empty) until
// a pass returns nothing, and returns the ids read and the token to continue from.
func drainChangeFeed(t *testing.T, c *azcosmos.ContainerClient, token string) ([]string, string) {
	t.Helper()
	ctx := context.Background()
	opts := &azcosmos.ChangeFeedOptions{MaxItemCount: 40}
	if token == "" {
		ranges, err := c.ReadFeedRanges(ctx, nil)
		require.NoError(t, err)
		require.Len(t, ranges, 1, "start from the single range of a new container")
		opts.FeedRange = &ranges[0]
	} else {
		opts.Continuation = &token
	}
	var ids []string
	for range 1000 {
		resp, err := c.ReadChangeFeed(ctx, opts)
		require.NoError(t, err)
		token = resp.ContinuationToken
		opts.FeedRange, opts.Continuation = nil, &token
		if resp.Count == 0 {
			return ids, token
		}
		ids = append(ids, idsOf(t, resp.Items)...)
	}
	t.Fatal("change feed never drained")
	return nil, ""
}

// partitionCount is the number of live physical partitions of container id. (The SDK
// caches partition key ranges until a 410 tells it they changed, so it cannot say.)
func (s *Server) partitionCount(t *testing.T, id string) int {
	t.Helper()
	c, err := s.store.container("db", id)
	require.NoError(t, err)
	return len(c.partitions())
}

func requireUnique(t *testing.T, ids []string, want int) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, id := range ids {
		require.False(t, seen[id], "%q read twice", id)
		seen[id] = true
	}
	require.Len(t, seen, want)
	return seen
}

func TestSplit_RaiseSplitsAfterDelayAndKeepsEverything(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	c := f.container("c", azcosmos.NewAutoscaleThroughputProperties(10_000))
	ctx := context.Background()
	before := f.createDocs(c, "old", 150)
	seenFeed, feedToken := drainChangeFeed(t, c, "")
	requireUnique(t, seenFeed, 150)

	pager := c.NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(),
		&azcosmos.QueryOptions{PageSizeHint: 40})
	page, err := pager.NextPage(ctx)
	require.NoError(t, err)
	queried := idsOf(t, page.Items)

	resp, err := c.ReplaceThroughput(ctx, azcosmos.NewAutoscaleThroughputProperties(30_000), nil)
	require.NoError(t, err)
	require.True(t, resp.IsReplacePending, "30,000 RU/s need 3 partitions, the container has 1")
	_, err = c.ReplaceThroughput(ctx, azcosmos.NewAutoscaleThroughputProperties(20_000), nil)
	require.Equal(t, http.StatusLocked, status(err), "a change while one is pending: %v", err)
	f.srv.maintainThroughput(f.clock.now())
	require.Equal(t, 1, f.srv.partitionCount(t, "c"), "the split takes its delay")
	info, err := c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	require.True(t, info.IsReplacePending)

	f.clock.add(10 * time.Second)
	f.srv.maintainThroughput(f.clock.now())
	require.Equal(t, 3, f.srv.partitionCount(t, "c"))
	info, err = c.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	require.False(t, info.IsReplacePending)
	tmax, _ := info.ThroughputProperties.AutoscaleMaxThroughput()
	require.Equal(t, int32(30_000), tmax)

	var identities []azcosmos.ItemIdentity
	for _, id := range before {
		_, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString(id), id, nil)
		require.NoError(t, err, "document %q after the split", id)
		identities = append(identities,
			azcosmos.ItemIdentity{ID: id, PartitionKey: azcosmos.NewPartitionKeyString(id)})
	}
	many, err := c.ReadManyItems(ctx, identities, nil)
	require.NoError(t, err, "ReadMany with the ranges cached before the split")
	require.Equal(t, len(before), len(many.Items))
	for pager.More() {
		page, err := pager.NextPage(ctx)
		require.NoError(t, err)
		queried = append(queried, idsOf(t, page.Items)...)
	}
	requireUnique(t, queried, 150)

	after := f.createDocs(c, "new", 60)
	fresh, _ := drainChangeFeed(t, c, feedToken)
	got := requireUnique(t, fresh, len(after))
	for _, id := range after {
		require.True(t, got[id], "change feed missed %q", id)
	}
	s := f.second("c", f.clock.now())
	require.Equal(t, 3, s.PartitionCount)
}

func TestSplit_PKRangesListParentsAndCoverTheKeySpace(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	f.container("c", azcosmos.NewManualThroughputProperties(400))
	c, err := f.srv.store.container("db", "c")
	require.NoError(t, err)
	f.srv.splitInto(c, 3)
	parts := c.partitions()
	require.Len(t, parts, 3)
	require.Equal(t, "", parts[0].min)
	for i := 1; i < len(parts); i++ {
		require.Equal(t, parts[i-1].max, parts[i].min, "ranges are contiguous")
	}
	require.Equal(t, "FF", parts[2].max)
	require.Equal(t, []string{"0", "1"}, parts[0].parents, "ancestors, nearest last")
	require.Equal(t, []string{"0", "1"}, parts[1].parents)
	require.Equal(t, []string{"0"}, parts[2].parents)
	require.Equal(t, []string{"3", "4", "2"}, rangeIDs(c))
}

func TestSplit_StoragePastThePartitionLimitSplits(t *testing.T) {
	cfg := splitConfig()
	cfg.PartitionMaxBytes = 16 << 10
	f := newTPFixture(t, cfg)
	c := f.container("c", azcosmos.NewAutoscaleThroughputProperties(10_000))
	ids := f.createDocs(c, "d", 80) // about 20 KB

	f.srv.maintainThroughput(f.clock.now())
	f.clock.add(10 * time.Second)
	f.srv.maintainThroughput(f.clock.now())
	require.Equal(t, 2, f.srv.partitionCount(t, "c"))
	for _, id := range ids {
		_, err := c.ReadItem(context.Background(), azcosmos.NewPartitionKeyString(id), id, nil)
		require.NoError(t, err)
	}
	s := f.second("c", f.clock.now())
	require.Positive(t, s.StorageBytes)
}

// TestSplit_WriteBlockedBySplitReroutes holds a partition's lock while a write waits for
// it, splits the partition, and checks the write lands in the child that owns its key.
func TestSplit_WriteBlockedBySplitReroutes(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	cc := f.container("c", azcosmos.NewAutoscaleThroughputProperties(10_000))
	c, err := f.srv.store.container("db", "c")
	require.NoError(t, err)
	parent := c.partitions()[0]

	parent.mu.Lock()
	done := make(chan error, 1)
	go func() {
		_, err := cc.CreateItem(context.Background(), azcosmos.NewPartitionKeyString("k"),
			doc("blocked", "k"), nil)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // the write routes to parent and waits for its lock
	_, err = c.splitLocked(parent)
	require.NoError(t, err)
	parent.mu.Unlock()
	require.NoError(t, <-done)

	_, err = cc.ReadItem(context.Background(), azcosmos.NewPartitionKeyString("k"), "blocked", nil)
	require.NoError(t, err, "the write went to the split-away parent")
	require.Empty(t, parent.items, "the frozen parent took no write")
}

// TestSplit_WritesRacingSplitsAreNotLost splits repeatedly under concurrent writes: every
// acknowledged write must be readable afterwards.
func TestSplit_WritesRacingSplitsAreNotLost(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	cc := f.container("c", azcosmos.NewAutoscaleThroughputProperties(100_000))
	c, err := f.srv.store.container("db", "c")
	require.NoError(t, err)

	var wg sync.WaitGroup
	acked := make([][]string, 4)
	for w := range acked {
		wg.Go(func() {
			for i := range 60 {
				id := fmt.Sprintf("w%d-%d", w, i)
				_, err := cc.UpsertItem(context.Background(), azcosmos.NewPartitionKeyString(id),
					doc(id, id), nil)
				if err == nil {
					acked[w] = append(acked[w], id)
				}
			}
		})
	}
	for n := 2; n <= 8; n++ {
		f.srv.splitInto(c, n)
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
	total := 0
	for _, ids := range acked {
		for _, id := range ids {
			_, err := cc.ReadItem(context.Background(), azcosmos.NewPartitionKeyString(id), id, nil)
			require.NoError(t, err, "acknowledged write %q lost", id)
			total++
		}
	}
	require.Equal(t, 240, total)
}

func TestLogicalPartitionLimit(t *testing.T) {
	cfg := splitConfig()
	cfg.LogicalPartitionMaxBytes = 4 << 10
	f := newTPFixture(t, cfg)
	c := f.container("c", azcosmos.NewAutoscaleThroughputProperties(10_000))
	ctx := context.Background()
	big := azcosmos.NewPartitionKeyString("big")
	for i := range 14 { // about 3.7 KB under one key
		_, err := c.CreateItem(ctx, big, doc(fmt.Sprint("b", i), "big"), nil)
		require.NoError(t, err)
	}
	f.srv.maintainThroughput(f.clock.now())

	_, err := c.CreateItem(ctx, big, doc("over", "big"), nil)
	require.Equal(t, http.StatusForbidden, statusCode(err))
	require.Equal(t, "1014", substatusOf(err))
	require.ErrorContains(t, err, "Partition key reached maximum size")

	batch := c.NewTransactionalBatch(big)
	batch.CreateItem(doc("in-batch", "big"), nil)
	_, err = c.ExecuteTransactionalBatch(ctx, batch, nil)
	require.Equal(t, http.StatusForbidden, statusCode(err))

	_, err = c.DeleteItem(ctx, big, "b0", nil)
	require.NoError(t, err, "deletes are allowed")
	_, err = c.CreateItem(ctx, azcosmos.NewPartitionKeyString("small"), doc("s", "small"), nil)
	require.NoError(t, err, "other keys are not limited")
}

func substatusOf(err error) string {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.RawResponse.Header.Get("x-ms-substatus")
	}
	return ""
}

func TestSplit_SharedDatabaseRaiseGrowsEachContainer(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	ctx := context.Background()
	db := f.sharedDatabase("shared", 800, "a", "b")
	resp, err := db.ReplaceThroughput(ctx, azcosmos.NewManualThroughputProperties(40_000), nil)
	require.NoError(t, err)
	require.True(t, resp.IsReplacePending, "two partitions serve 20,000 RU/s")

	f.srv.maintainThroughput(f.clock.now())
	f.clock.add(10 * time.Second)
	f.srv.maintainThroughput(f.clock.now())
	for _, id := range []string{"a", "b"} {
		c, err := f.srv.store.container("shared", id)
		require.NoError(t, err)
		require.Len(t, c.partitions(), 2, "container %s", id)
	}
	read, err := db.ReadThroughput(ctx, nil)
	require.NoError(t, err)
	require.False(t, read.IsReplacePending)
	ru, _ := read.ThroughputProperties.ManualThroughput()
	require.Equal(t, int32(40_000), ru)
}

// TestEPK_SDKRoutingAgreesAcrossPartitions reads documents spread over several physical
// partitions with ReadManyItems, which the SDK routes itself by hashing each key to a
// partition key range: every document is found only if the emulator placed it by the
// same hash, for V1, V2 and hierarchical keys.
func TestEPK_SDKRoutingAgreesAcrossPartitions(t *testing.T) {
	defs := []struct {
		name string
		def  azcosmos.PartitionKeyDefinition
		key  func(i int) azcosmos.PartitionKey
		body func(id string, i int) []byte
	}{
		{"V1", azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}, Version: 1},
			func(i int) azcosmos.PartitionKey { return azcosmos.NewPartitionKeyString(fmt.Sprint("k", i)) },
			func(id string, i int) []byte { return fmt.Appendf(nil, `{"id":%q,"pk":"k%d"}`, id, i) }},
		{"V2", azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}, Version: 2},
			func(i int) azcosmos.PartitionKey { return azcosmos.NewPartitionKeyNumber(float64(i)) },
			func(id string, i int) []byte { return fmt.Appendf(nil, `{"id":%q,"pk":%d}`, id, i) }},
		{"MultiHash", azcosmos.PartitionKeyDefinition{Paths: []string{"/t", "/u"},
			Kind: azcosmos.PartitionKeyKindMultiHash, Version: 2},
			func(i int) azcosmos.PartitionKey {
				return azcosmos.NewPartitionKeyString(fmt.Sprint("t", i%3)).AppendString(fmt.Sprint("u", i))
			},
			func(id string, i int) []byte {
				return fmt.Appendf(nil, `{"id":%q,"t":"t%d","u":"u%d"}`, id, i%3, i)
			}},
	}
	for _, d := range defs {
		t.Run(d.name, func(t *testing.T) {
			f := newTPFixture(t, splitConfig())
			ctx := context.Background()
			tp := azcosmos.NewManualThroughputProperties(40_000) // 7 partitions
			_, err := f.db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
				PartitionKeyDefinition: d.def},
				&azcosmos.CreateContainerOptions{ThroughputProperties: &tp})
			require.NoError(t, err)
			c, _ := f.db.NewContainer("c")
			require.Equal(t, 7, f.srv.partitionCount(t, "c"))
			var ids []azcosmos.ItemIdentity
			for i := range 120 {
				id := fmt.Sprint("d", i)
				_, err := c.CreateItem(ctx, d.key(i), d.body(id, i), nil)
				require.NoError(t, err)
				ids = append(ids, azcosmos.ItemIdentity{ID: id, PartitionKey: d.key(i)})
			}
			resp, err := c.ReadManyItems(ctx, ids, nil)
			require.NoError(t, err)
			require.Equal(t, len(ids), len(resp.Items), "documents ReadMany found")
		})
	}
}

func TestSplit_NotifiesSubscribersOutsideLocks(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	var mu sync.Mutex
	var got []string
	f.srv.OnPartitionsChanged(func(db, container string) {
		// Reading the store's metadata here must not deadlock: no lock is held.
		c, err := f.srv.store.container(db, container)
		require.NoError(t, err)
		mu.Lock()
		got = append(got, fmt.Sprintf("%s/%s:%d", db, container, len(c.partitions())))
		mu.Unlock()
	})
	f.container("big", azcosmos.NewManualThroughputProperties(12_100)) // starts with 3
	mu.Lock()
	require.Equal(t, []string{"db/big:3"}, got, "one notice per container and pass")
	mu.Unlock()
}

func TestSplit_AdoptLayoutRepartitionsLikeTheSplit(t *testing.T) {
	f := newTPFixture(t, splitConfig())
	cc := f.container("x", azcosmos.NewAutoscaleThroughputProperties(10_000))
	f.container("y", azcosmos.NewAutoscaleThroughputProperties(10_000))
	ids := f.createDocs(cc, "d", 60)
	x, err := f.srv.store.container("db", "x")
	require.NoError(t, err)
	y, err := f.srv.store.container("db", "y")
	require.NoError(t, err)
	lsn := x.partitions()[0].lsn

	f.srv.splitInto(y, 3)
	var layout []partImage
	for _, p := range y.partitions() {
		layout = append(layout, partImage{RangeID: p.rangeID, Min: p.min, Max: p.max,
			Parents: p.parents})
	}
	x.adoptLayout(layout)
	require.Equal(t, rangeIDs(y), rangeIDs(x))
	total := 0
	for _, p := range x.partitions() {
		require.Equal(t, lsn, p.lsn, "range %s continues the old LSN", p.rangeID)
		total += len(p.items)
		for _, s := range p.items {
			require.Same(t, p, x.partitionFor(s.cur.pk), "document %s misplaced", s.cur.id)
		}
	}
	require.Equal(t, len(ids), total)
	for _, id := range ids {
		_, err := cc.ReadItem(context.Background(), azcosmos.NewPartitionKeyString(id), id, nil)
		require.NoError(t, err)
	}
	before := x.rangesVersion.Load()
	x.adoptLayout(layout)
	require.Equal(t, before, x.rangesVersion.Load(), "the same layout changes nothing")
}
