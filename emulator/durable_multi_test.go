package emulator

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// startMultiDurable starts an account of regions A and B that both take writes, on dir.
func startMultiDurable(t *testing.T, dir string, snapshotBytes int64, path string) *Account {
	t.Helper()
	a, err := StartAccount(context.Background(), Config{}, RegionsConfig{
		Regions: []string{"A", "B"}, MultiRegionWrites: true, DataDir: dir,
		SnapshotBytes: snapshotBytes, ConflictResolutionPath: path})
	require.NoError(t, err)
	return a
}

// reopenedClients are containers of a restarted account, reading in A and in B.
func reopenedClients(t *testing.T, a *Account) (inA, inB *azcosmos.ContainerClient) {
	t.Helper()
	inA, err := regionClient(t, a, "A", "B").NewContainer("db", "c")
	require.NoError(t, err)
	inB, err = regionClient(t, a, "B", "A").NewContainer("db", "c")
	require.NoError(t, err)
	return inA, inB
}

// requireEverywhere checks that both regions hold want (-1: deleted) for every id.
func requireEverywhere(t *testing.T, want map[string]int, inA, inB *azcosmos.ContainerClient) {
	t.Helper()
	for id, n := range want {
		require.Equal(t, n, readN(t, inA, id, nil), "%s read in A", id)
		require.Equal(t, n, readN(t, inB, id, nil), "%s read in B", id)
	}
}

// TestDurableMultiRegionWritesRestart writes in both regions (a workload in each, conflicting
// writes and deletes of the same documents, writes still unreplicated at shutdown), then
// restarts the account on its data dir: both regions hold the last writer's version of
// every document, whether recovery replays the log alone or a merged snapshot first.
func TestDurableMultiRegionWritesRestart(t *testing.T) {
	for _, tc := range []struct {
		name          string
		snapshotBytes int64
		// snapshotMidway takes a snapshot while conflicting writes are unreplicated.
		snapshotMidway bool
	}{
		{"log only", -1, false},
		{"snapshot with writes unreplicated", -1, true},
		{"small snapshots", 4 << 10, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := startMultiDurable(t, dir, tc.snapshotBytes, "")
			inA, inB := multiClients(t, a)
			want := durableWorkload(t, inA, 40)
			require.Eventually(t, func() bool { return a.replicatedEverywhere(a.repl.current()) },
				5*time.Second, 5*time.Millisecond)
			pk := azcosmos.NewPartitionKeyString("p")
			ctx := testCtx(t)
			// B then writes some of the same documents, and new ones.
			for i := range 40 {
				id := "d" + strconv.Itoa(i)
				switch {
				case i%3 == 0:
					_, err := inB.UpsertItem(ctx, pk, docJSON(id, 1000+i), nil)
					require.NoError(t, err)
					want[id] = 1000 + i
				case i%5 == 1 && want[id] != -1:
					_, err := inB.DeleteItem(ctx, pk, id, nil)
					require.NoError(t, err)
					want[id] = -1
				}
				_, err := inB.CreateItem(ctx, pk, docJSON("b"+id, i), nil)
				require.NoError(t, err)
				want["b"+id] = i
			}

			holdReplication(a)
			upsert := func(c *azcosmos.ContainerClient, id string, n int) {
				_, err := c.UpsertItem(ctx, pk, docJSON(id, n), nil)
				require.NoError(t, err)
			}
			upsert(inA, "x", 1)
			upsert(inB, "x", 2) // later: wins
			upsert(inB, "y", 3)
			_, err := inA.DeleteItem(ctx, pk, "d0", nil) // d0 was written in B last
			require.NoError(t, err)
			want["x"], want["d0"] = 2, -1
			if tc.snapshotMidway {
				a.durable.snapshotNow(nil)
			}
			upsert(inA, "only-a", 4)
			upsert(inB, "only-b", 5)
			_, err = inB.DeleteItem(ctx, pk, "y", nil)
			require.NoError(t, err)
			want["only-a"], want["only-b"], want["y"] = 4, 5, -1
			require.NoError(t, a.Close()) // with writes of both regions unreplicated

			a = startMultiDurable(t, dir, tc.snapshotBytes, "")
			t.Cleanup(func() { _ = a.Close() })
			inA, inB = reopenedClients(t, a)
			requireEverywhere(t, want, inA, inB)
			if tc.snapshotBytes > 0 || tc.snapshotMidway {
				snaps, _, err := listGenerations(dir)
				require.NoError(t, err)
				require.NotEmpty(t, snaps)
			}

			// Both regions keep taking writes, and they replicate.
			upsert(inB, "after", 6)
			require.Eventually(t, func() bool { return readN(t, inA, "after", nil) == 6 },
				5*time.Second, 10*time.Millisecond)
		})
	}
}

// TestDurableMultiRegionSnapshotKeepsTombstones checks that a delete captured by a snapshot
// still beats an older write replayed from a later log segment. With /n as the conflict
// resolution path, a replace in B with a small n, logged after the snapshot, loses to A's
// earlier delete (a delete's value is its commit time in seconds).
func TestDurableMultiRegionSnapshotKeepsTombstones(t *testing.T) {
	dir := t.TempDir()
	a := startMultiDurable(t, dir, -1, "/n")
	inA, inB := multiClients(t, a)
	pk := azcosmos.NewPartitionKeyString("p")
	ctx := testCtx(t)
	_, err := inA.CreateItem(ctx, pk, docJSON("t", 1), nil)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return readN(t, inB, "t", nil) == 1 },
		5*time.Second, 10*time.Millisecond)

	holdReplication(a)
	_, err = inA.DeleteItem(ctx, pk, "t", nil)
	require.NoError(t, err)
	a.durable.snapshotNow(nil)
	_, err = inB.ReplaceItem(ctx, pk, "t", docJSON("t", 2), nil)
	require.NoError(t, err)
	require.NoError(t, a.Close())

	a = startMultiDurable(t, dir, -1, "/n")
	t.Cleanup(func() { _ = a.Close() })
	inA, inB = reopenedClients(t, a)
	requireEverywhere(t, map[string]int{"t": -1}, inA, inB)
	coll, err := a.regions[0].srv.store.container("db", "c")
	require.NoError(t, err)
	for _, g := range a.regions {
		_, ok := g.tombs.get(tombKey(coll.rid, itemKey(newPartitionKey([]any{"p"}), "t")))
		require.True(t, ok, "region %s remembers the delete", g.name)
	}
}

// TestDurableSwitchingMultiRegionWrites restarts one data dir with multi-region writes
// turned off, then on again: each start replays the log the way it was written, then
// snapshots, and no write is lost either way.
func TestDurableSwitchingMultiRegionWrites(t *testing.T) {
	dir := t.TempDir()
	a := startMultiDurable(t, dir, -1, "")
	inA, inB := multiClients(t, a)
	want := durableWorkload(t, inB, 30)
	holdReplication(a)
	_, err := inB.UpsertItem(testCtx(t), azcosmos.NewPartitionKeyString("p"),
		docJSON("pending", 7), nil)
	require.NoError(t, err)
	want["pending"] = 7
	_ = inA
	require.NoError(t, a.Close())
	recorded, ok := loadTopology(dir)
	require.True(t, ok)
	require.True(t, recorded.MultiRegionWrites)

	single, err := StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A", "B"}, DataDir: dir})
	require.NoError(t, err)
	c, err := regionClient(t, single, "A").NewContainer("db", "c")
	require.NoError(t, err)
	for id, n := range want {
		require.Equal(t, n, readN(t, c, id, nil), id)
	}
	_, err = c.UpsertItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), docJSON("single", 8),
		nil)
	require.NoError(t, err)
	want["single"] = 8
	require.NoError(t, single.Close())
	recorded, _ = loadTopology(dir)
	require.False(t, recorded.MultiRegionWrites)
	snaps, _, err := listGenerations(dir)
	require.NoError(t, err)
	require.NotEmpty(t, snaps, "the switch took a snapshot")

	a = startMultiDurable(t, dir, -1, "")
	t.Cleanup(func() { _ = a.Close() })
	inA, inB = reopenedClients(t, a)
	requireEverywhere(t, want, inA, inB)
}

// TestDurableOpensDataDirOfEarlierBuild checks that a data dir without a recorded topology
// (earlier builds wrote none until a failover) replays as a single write region's, and is
// recorded from then on.
func TestDurableOpensDataDirOfEarlierBuild(t *testing.T) {
	dir := t.TempDir()
	a := startDurable(t, dir, -1)
	want := durableWorkload(t, regionContainer(t, regionClient(t, a)), 20)
	require.NoError(t, a.Close())
	require.NoError(t, os.Remove(filepath.Join(dir, topologyFile)))

	a = startDurable(t, dir, -1)
	t.Cleanup(func() { _ = a.Close() })
	c, err := regionClient(t, a).NewContainer("db", "c")
	require.NoError(t, err)
	for id, n := range want {
		require.Equal(t, n, readN(t, c, id, nil), id)
	}
	recorded, ok := loadTopology(dir)
	require.True(t, ok)
	require.Equal(t, topology{WriteRegion: "A"}, recorded)
}

// TestDurableMultiRegionReplaysNextWrites checks that recovery applies a region's next
// write of a document whatever its conflict resolution value, as replication does.
func TestDurableMultiRegionReplaysNextWrites(t *testing.T) {
	dir := t.TempDir()
	a := startMultiDurable(t, dir, -1, "/n")
	inA, _ := multiClients(t, a)
	holdReplication(a)
	want := sequentialWrites(t, inA)
	require.NoError(t, a.Close())

	a = startMultiDurable(t, dir, -1, "/n")
	t.Cleanup(func() { _ = a.Close() })
	inA, inB := reopenedClients(t, a)
	requireEverywhere(t, want, inA, inB)
}
