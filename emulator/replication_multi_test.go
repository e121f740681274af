package emulator

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// holdReplication makes queued and future writes wait (as if the regions were far apart).
func holdReplication(a *Account) {
	for _, g := range a.regions {
		g.in.mu.Lock()
		g.in.lag = newLagSource(Lag{Min: time.Hour}, 0)
		g.in.mu.Unlock()
	}
}

// releaseReplication lets every queued write be applied now.
func releaseReplication(t *testing.T, a *Account) {
	t.Helper()
	now := time.Now()
	for _, g := range a.regions {
		g.in.mu.Lock()
		g.in.lag = newLagSource(Lag{}, 0)
		for i := range g.in.entries {
			g.in.entries[i].due = now
		}
		g.in.lastDue = now
		g.in.mu.Unlock()
		g.in.signal()
	}
	require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
		5*time.Second, 5*time.Millisecond)
}

// multiClients returns containers of an account whose documents are written in A and in B.
func multiClients(t *testing.T, a *Account) (inA, inB *azcosmos.ContainerClient) {
	t.Helper()
	inA = regionContainer(t, regionClient(t, a, "A", "B"))
	inB, err := regionClient(t, a, "B", "A").NewContainer("db", "c")
	require.NoError(t, err)
	return inA, inB
}

func TestMultiRegionWritesConvergeLastWriterWins(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, MultiRegionWrites: true})
	inA, inB := multiClients(t, a)
	doc := accountDocument(t, a)
	require.Equal(t, []string{"A", "B"}, names(doc.Writable))
	for _, st := range a.Regions() {
		require.True(t, st.Writes, "region %s takes writes", st.Name)
	}
	pk := azcosmos.NewPartitionKeyString("p")

	// A write in B reaches A.
	_, err := inB.CreateItem(testCtx(t), pk, docJSON("from-b", 2), nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return readN(t, inA, "from-b", nil) == 2 },
		5*time.Second, 10*time.Millisecond)
	require.Empty(t, a.Report().Conflicts)

	// Concurrent writes of one document: the later one wins everywhere.
	holdReplication(a)
	_, err = inA.UpsertItem(testCtx(t), pk, docJSON("x", 1), nil)
	require.NoError(t, err)
	_, err = inB.UpsertItem(testCtx(t), pk, docJSON("x", 2), nil)
	require.NoError(t, err)
	releaseReplication(t, a)
	require.Equal(t, 2, readN(t, inA, "x", nil))
	require.Equal(t, 2, readN(t, inB, "x", nil))
	conflicts := a.Report().Conflicts
	require.Len(t, conflicts, 1)
	require.Equal(t, "x", conflicts[0].ID)
	require.Equal(t, "A", conflicts[0].Loser)
	require.Equal(t, "B", conflicts[0].Winner)
	require.Equal(t, "B", conflicts[0].ResolvedIn, "where the losing write arrived")

	// A concurrent delete that comes later wins, and the tombstone keeps the document gone.
	holdReplication(a)
	_, err = inB.ReplaceItem(testCtx(t), pk, "x", docJSON("x", 3), nil)
	require.NoError(t, err)
	_, err = inA.DeleteItem(testCtx(t), pk, "x", nil)
	require.NoError(t, err)
	releaseReplication(t, a)
	require.Equal(t, -1, readN(t, inA, "x", nil))
	require.Equal(t, -1, readN(t, inB, "x", nil))
}

func TestMultiRegionWritesCustomResolutionPath(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, MultiRegionWrites: true,
		ConflictResolutionPath: "/n"})
	inA, inB := multiClients(t, a)
	pk := azcosmos.NewPartitionKeyString("p")
	holdReplication(a)
	_, err := inA.UpsertItem(testCtx(t), pk, docJSON("v", 10), nil)
	require.NoError(t, err)
	_, err = inB.UpsertItem(testCtx(t), pk, docJSON("v", 5), nil) // later, but lower
	require.NoError(t, err)
	releaseReplication(t, a)
	require.Equal(t, 10, readN(t, inA, "v", nil))
	require.Equal(t, 10, readN(t, inB, "v", nil))
	require.Equal(t, "B", a.Report().Conflicts[0].Loser)
}

func TestRestampRewritesTheBodyEtag(t *testing.T) {
	it := &item{body: []byte(`{"id":"a","_etag":"\"00000000-0000-0000-0000-000000000005\"",` +
		`"_ts":1}`), lsn: 5}
	got := restamp(it, 0x1f)
	require.Equal(t, int64(0x1f), got.lsn)
	require.Contains(t, string(got.body), `"_etag":"\"00000000-0000-0000-0000-00000000001f\""`)
	require.Contains(t, string(it.body), `000000000005`, "the original is untouched")
}

func TestMultiRegionWritesRejectStrong(t *testing.T) {
	err := RegionsConfig{Regions: []string{"A", "B"}, MultiRegionWrites: true,
		Consistency: Strong}.Validate()
	require.ErrorContains(t, err, "cannot be combined with multi-region writes")
}

// TestReplicaAppliesTransactionalBatchWhole checks that a replica never shows part of a
// transactional batch: with only some of the batch's writes due, none is applied.
func TestReplicaAppliesTransactionalBatchWhole(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"},
		Consistency: ConsistentPrefix})
	c := regionContainer(t, regionClient(t, a, "A"))
	holdReplication(a)
	pk := azcosmos.NewPartitionKeyString("p")
	batch := c.NewTransactionalBatch(pk)
	for _, id := range []string{"t1", "t2", "t3"} {
		batch.CreateItem(docJSON(id, 1), nil)
	}
	resp, err := c.ExecuteTransactionalBatch(testCtx(t), batch, nil)
	require.NoError(t, err)
	require.True(t, resp.Success)

	b := a.regions[1]
	b.in.mu.Lock()
	pending := b.in.pending()
	require.Len(t, pending, 3)
	more := []bool{pending[0].rec.more, pending[1].rec.more, pending[2].rec.more}
	pending[0].due, pending[1].due = time.Now(), time.Now() // the last write is not due
	b.in.mu.Unlock()
	require.Equal(t, []bool{true, true, false}, more)
	b.applyDue(time.Now())
	inB, err := regionClient(t, a, "B").NewContainer("db", "c")
	require.NoError(t, err)
	for _, id := range []string{"t1", "t2", "t3"} {
		require.Equal(t, -1, readN(t, inB, id, nil), "%s visible before the batch is whole", id)
	}
	releaseReplication(t, a)
	for _, id := range []string{"t1", "t2", "t3"} {
		require.Equal(t, 1, readN(t, inB, id, nil), id)
	}
}

// sequentialWrites writes, in one region, documents whose later versions have lower
// conflict resolution values (/n): v goes 10 then 5, r is created at 10, deleted, then
// created again at 1. It returns what each must hold.
func sequentialWrites(t *testing.T, c *azcosmos.ContainerClient) map[string]int {
	t.Helper()
	ctx := testCtx(t)
	pk := azcosmos.NewPartitionKeyString("p")
	for _, w := range []struct {
		id string
		n  int // -1: delete
	}{{"v", 10}, {"v", 5}, {"r", 10}, {"r", -1}, {"r", 1}} {
		var err error
		if w.n < 0 {
			_, err = c.DeleteItem(ctx, pk, w.id, nil)
		} else {
			_, err = c.UpsertItem(ctx, pk, docJSON(w.id, w.n), nil)
		}
		require.NoError(t, err)
	}
	return map[string]int{"v": 5, "r": 1}
}

// TestMultiRegionWritesSequentialWritesAreNotConflicts checks that a region's next write of
// a document replaces it everywhere, even when its conflict resolution value is lower:
// only concurrent writes are conflicts.
func TestMultiRegionWritesSequentialWritesAreNotConflicts(t *testing.T) {
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, MultiRegionWrites: true,
		ConflictResolutionPath: "/n"})
	inA, inB := multiClients(t, a)
	holdReplication(a)
	want := sequentialWrites(t, inA)
	releaseReplication(t, a)
	for id, n := range want {
		require.Equal(t, n, readN(t, inA, id, nil), id)
		require.Equal(t, n, readN(t, inB, id, nil), id)
	}
	require.Empty(t, a.Report().Conflicts)
}
