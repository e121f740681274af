package emulator

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestDurableSplitThenRestartKeepsEveryDocument splits a container of a durable account,
// writes to both new partitions, restarts from the data dir (log only, and with a snapshot
// taken after the split) and reads every document back from the ranges it was written to.
func TestDurableSplitThenRestartKeepsEveryDocument(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snapshot bool
	}{{"log only", false}, {"snapshot after split", true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ctx := testCtx(t)
			a, client := startDurableThroughput(t, dir)
			c := regionContainer(t, client)
			write := func(prefix string) {
				for i := range 50 {
					id := prefix + strconv.Itoa(i)
					_, err := c.CreateItem(ctx, azcosmos.NewPartitionKeyString("k"+id),
						[]byte(`{"id":"`+id+`","pk":"k`+id+`"}`), nil)
					require.NoError(t, err)
				}
			}
			write("before")
			src, err := a.regions[0].srv.store.container("db", "c")
			require.NoError(t, err)
			_, err = src.splitPartition(src.partitions()[0])
			require.NoError(t, err)
			write("after")
			if tc.snapshot {
				a.durable.snapshotNow(a.regions[0].srv.store)
				write("late")
			}
			require.NoError(t, a.Close())

			a, client = startDurableThroughput(t, dir)
			t.Cleanup(func() { _ = a.Close() })
			restored, err := a.regions[0].srv.store.container("db", "c")
			require.NoError(t, err)
			require.Len(t, restored.partitions(), 2, "the split layout")
			c, err = client.NewContainer("db", "c")
			require.NoError(t, err)
			prefixes := []string{"before", "after"}
			if tc.snapshot {
				prefixes = append(prefixes, "late")
			}
			missing := 0
			for _, prefix := range prefixes {
				for i := range 50 {
					id := prefix + strconv.Itoa(i)
					_, err := c.ReadItem(ctx, azcosmos.NewPartitionKeyString("k"+id), id, nil)
					if err != nil {
						missing++
					}
				}
			}
			require.Zero(t, missing, "documents missing after restart")
		})
	}
}

// TestStoredBytesFollowSplitsAndRecovery checks the stored bytes each partition keeps
// (storage metrics and splits read them instead of walking documents) against its
// documents after a split, a snapshot recovery, a log replay and a resynchronising copy.
func TestStoredBytesFollowSplitsAndRecovery(t *testing.T) {
	requireStored := func(t *testing.T, c *container, wantParts int) {
		t.Helper()
		require.Len(t, c.partitions(), wantParts)
		for _, p := range c.partitions() {
			var walked int64
			for _, sl := range p.items {
				if sl.cur != nil {
					walked += int64(len(sl.cur.body))
				}
			}
			require.Positive(t, walked, "range %s holds documents", p.rangeID)
			require.Equal(t, walked, p.storedBytes, "range %s", p.rangeID)
		}
	}
	for _, snapshot := range []bool{false, true} {
		dir := t.TempDir()
		a, client := startDurableThroughput(t, dir)
		c := regionContainer(t, client)
		for i := range 40 {
			id := "d" + strconv.Itoa(i)
			_, err := c.UpsertItem(testCtx(t), azcosmos.NewPartitionKeyString(id),
				[]byte(`{"id":"`+id+`","pk":"`+id+`","v":"`+strings.Repeat("x", i)+`"}`), nil)
			require.NoError(t, err)
		}
		st := a.regions[0].srv.store
		src, err := st.container("db", "c")
		require.NoError(t, err)
		_, err = src.splitPartition(src.partitions()[0])
		require.NoError(t, err)
		requireStored(t, src, 2)
		if snapshot {
			a.durable.snapshotNow(st)
		}
		require.NoError(t, a.Close())

		a, _ = startDurableThroughput(t, dir)
		t.Cleanup(func() { _ = a.Close() })
		restored, err := a.regions[0].srv.store.container("db", "c")
		require.NoError(t, err)
		requireStored(t, restored, 2)

		sp := restored.partitions()[0]
		copied := newPartition(restored, sp.rangeID, sp.min, sp.max)
		copyPartition(copied, sp)
		require.Equal(t, sp.storedBytes, copied.storedBytes, "resync copy")
	}
}

// TestSnapshotOfPartitionsSplitAfterCapture splits a partition between the snapshot's
// metadata capture and its documents, as a split racing a snapshot does, and loads the
// snapshot: every document is in a range the metadata names.
func TestSnapshotOfPartitionsSplitAfterCapture(t *testing.T) {
	s := startBenchEmulator(t)
	seedDirect(t, s, "db", "c", 200, 50)
	c, err := s.store.container("db", "c")
	require.NoError(t, err)
	img, parts := imageWithPartitions(s.store)
	_, err = c.splitPartition(c.partitions()[0])
	require.NoError(t, err)

	path := filepath.Join(t.TempDir(), "snapshot.bin")
	var buf bytes.Buffer
	docs, err := encodeImage(&buf, img, parts)
	require.NoError(t, err)
	require.Equal(t, 200, docs)
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	loaded, err := loadSnapshot(path, newStore(), nil)
	require.NoError(t, err)
	require.Equal(t, 200, loaded, "documents in ranges the metadata names")
}
