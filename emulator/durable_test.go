package emulator

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// startDurable starts a one-region account on dir.
func startDurable(t *testing.T, dir string, snapshotBytes int64) *Account {
	t.Helper()
	a, err := StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A"}, DataDir: dir, SnapshotBytes: snapshotBytes})
	require.NoError(t, err)
	return a
}

// durableWorkload creates, replaces, patches and deletes documents and returns what each
// id should hold afterwards (-1: deleted).
func durableWorkload(t *testing.T, c *azcosmos.ContainerClient, n int) map[string]int {
	t.Helper()
	ctx := testCtx(t)
	pk := azcosmos.NewPartitionKeyString("p")
	want := map[string]int{}
	for i := range n {
		id := "d" + strconv.Itoa(i)
		_, err := c.CreateItem(ctx, pk, docJSON(id, i), nil)
		require.NoError(t, err)
		want[id] = i
		switch i % 4 {
		case 1:
			_, err = c.ReplaceItem(ctx, pk, id, docJSON(id, i*10), nil)
			want[id] = i * 10
		case 2:
			ops := azcosmos.PatchOperations{}
			ops.AppendIncrement("/n", 1)
			_, err = c.PatchItem(ctx, pk, id, ops, nil)
			want[id] = i + 1
		case 3:
			_, err = c.DeleteItem(ctx, pk, id, nil)
			want[id] = -1
		}
		require.NoError(t, err)
	}
	return want
}

func TestDurableRestartKeepsEveryWrite(t *testing.T) {
	for _, tc := range []struct {
		name          string
		snapshotBytes int64
	}{{"log only", -1}, {"with snapshots", 4 << 10}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a := startDurable(t, dir, tc.snapshotBytes)
			c := regionContainer(t, regionClient(t, a))
			want := durableWorkload(t, c, 200)
			before, err := c.ReadItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), "d1", nil)
			require.NoError(t, err)
			require.NoError(t, a.Close())

			a = startDurable(t, dir, tc.snapshotBytes)
			t.Cleanup(func() { _ = a.Close() })
			c2, err := regionClient(t, a).NewContainer("db", "c")
			require.NoError(t, err)
			for id, n := range want {
				require.Equal(t, n, readN(t, c2, id, nil), id)
			}
			after, err := c2.ReadItem(testCtx(t), azcosmos.NewPartitionKeyString("p"), "d1", nil)
			require.NoError(t, err)
			require.Equal(t, before.ETag, after.ETag, "etags survive")
			require.Equal(t, string(before.Value), string(after.Value))
			// New writes continue the partition's LSN and document sequence.
			resp, err := c2.CreateItem(testCtx(t), azcosmos.NewPartitionKeyString("p"),
				docJSON("new", 1), nil)
			require.NoError(t, err)
			require.NotEqual(t, before.ETag, resp.ETag)
			if tc.snapshotBytes > 0 {
				snaps, _, err := listGenerations(dir)
				require.NoError(t, err)
				require.NotEmpty(t, snaps, "the log passed SnapshotBytes")
			}
		})
	}
}

func TestDurableRecoveryStopsAtTornTail(t *testing.T) {
	dir := t.TempDir()
	a := startDurable(t, dir, -1)
	c := regionContainer(t, regionClient(t, a))
	want := durableWorkload(t, c, 20)
	require.NoError(t, a.Close())

	// A crash in the middle of a write leaves half a frame where the segment's writes end
	// (followed by zeros in a prepared segment).
	gen, end := a.durable.gen, a.durable.size.Load()
	f, err := os.OpenFile(filepath.Join(dir, segmentName("wal", gen)), os.O_WRONLY, 0)
	require.NoError(t, err)
	info, err := f.Stat()
	require.NoError(t, err)
	require.Equal(t, end, info.Size(), "a closed log keeps no zero tail")
	torn := appendItemFrame(nil, PartitionRef{Database: "db"}, 1, opCreate, "k",
		&item{body: []byte(`{"id":"x"}`)}, writeStamp{}, writeStamp{})
	sealFrames(torn, segmentMask(gen))
	_, err = f.WriteAt(torn[:20], end)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	a = startDurable(t, dir, -1)
	t.Cleanup(func() { _ = a.Close() })
	c2, err := regionContainer2(t, a)
	require.NoError(t, err)
	for id, n := range want {
		require.Equal(t, n, readN(t, c2, id, nil), id)
	}
}

func regionContainer2(t *testing.T, a *Account) (*azcosmos.ContainerClient, error) {
	t.Helper()
	return regionClient(t, a).NewContainer("db", "c")
}

func TestDurableForcedFailoverDoesNotResurrectLostWrites(t *testing.T) {
	dir := t.TempDir()
	a, err := StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A", "B"}, DataDir: dir})
	require.NoError(t, err)
	c := regionContainer(t, regionClient(t, a, "A", "B"))
	lost := drillSetup(t, a, c, 2, 2)
	require.NoError(t, a.RegionDown(testCtx(t), "A", Outage503))
	require.NoError(t, a.Failover(testCtx(t), "B"))
	require.NoError(t, a.Close())

	a, err = StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A", "B"}, DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.Equal(t, "B", a.WriteRegion(), "the data dir remembers the write region")
	c2, err := regionContainer2(t, a)
	require.NoError(t, err)
	require.Equal(t, 1, readN(t, c2, "kept-1", nil))
	for _, id := range lost {
		require.Equal(t, -1, readN(t, c2, id, nil), id)
	}
}

func TestFrameCodecRoundTrip(t *testing.T) {
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "rid", RangeID: "3"}
	it := &item{body: []byte(`{"id":"a"}`), id: "a", pk: newPartitionKey([]any{"p", 2.5}),
		seq: 7, lsn: 42, ts: time.Now().Unix(), expires: 99, origin: 2, clock: 1e18 + 5}
	prev := writeStamp{origin: 1, clock: 1e18}
	b := appendItemFrame(nil, ref, 42, opReplace, itemKey(it.pk, it.id), it, stampOf(it), prev)
	del := writeStamp{origin: 1, clock: -3}
	b = appendItemFrame(b, ref, 43, opDelete, itemKey(it.pk, it.id), nil, del, stampOf(it))
	fr := &frameReader{r: bytesReader(b)}
	kind, payload, err := fr.next()
	require.NoError(t, err)
	require.Equal(t, frameItem, kind)
	f, err := decodeItemFrame(payload)
	require.NoError(t, err)
	var dec itemDecoder
	got, err := dec.item(&f)
	require.NoError(t, err)
	require.Equal(t, it, got)
	require.Equal(t, opReplace, f.op)
	require.Equal(t, "3", f.rangeID)
	require.True(t, f.stamped)
	require.Equal(t, prev, f.prev)

	_, payload, err = fr.next()
	require.NoError(t, err)
	f, err = decodeItemFrame(payload)
	require.NoError(t, err)
	require.Equal(t, opDelete, f.op)
	require.Equal(t, del, f.stamp, "a delete carries its own stamp")
	require.Equal(t, stampOf(it), f.prev)

	b[len(b)-1] ^= 0xff
	fr = &frameReader{r: bytesReader(b)}
	_, _, err = fr.next()
	require.NoError(t, err)
	_, _, err = fr.next()
	require.ErrorIs(t, err, errTornFrame)
}

// TestFrameCodecReadsUnstampedFrames checks that item frames of earlier builds, which end
// after the document, still decode, as unstamped.
func TestFrameCodecReadsUnstampedFrames(t *testing.T) {
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "rid", RangeID: "0"}
	it := &item{body: []byte(`{"id":"a"}`), id: "a", pk: newPartitionKey([]any{"p"}), lsn: 3}
	b := appendItemFrame(nil, ref, 3, opCreate, itemKey(it.pk, it.id), it, writeStamp{},
		writeStamp{})
	// Cut the stamps (four bytes: origins 0, clock varints 0) off the payload.
	payload := b[5 : len(b)-4-4]
	f, err := decodeItemFrame(payload)
	require.NoError(t, err)
	require.False(t, f.stamped)
	require.Equal(t, `{"id":"a"}`, string(f.body))
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// TestDurableNeverWritesHalfABatch checks that the flusher cuts the buffer only between
// transactional batches, so a crash leaves a batch on disk whole or not at all.
func TestDurableNeverWritesHalfABatch(t *testing.T) {
	s := &Server{store: newStore()}
	d, err := openDurable(t.TempDir(), -1, slog.New(slog.DiscardHandler), s.store, nil)
	require.NoError(t, err)
	defer d.close()
	batchRef := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "0"}
	other := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "1"}
	d.append(logRecord{ref: batchRef, lsn: 1, op: opDelete, key: "a", more: true})
	d.append(logRecord{ref: other, lsn: 1, op: opDelete, key: "b"}) // interleaved single write
	d.flush()
	require.Zero(t, d.flushed.Load(), "nothing may be written while the batch is open")
	d.append(logRecord{ref: batchRef, lsn: 2, op: opDelete, key: "c"})
	require.NoError(t, d.wait(testCtx(t), 3), "the whole batch and the write between")
}

// TestDurableRotationKeepsLogOrder rotates the log (as snapshots do) while writes stream in
// and the flusher runs: every write must be on disk once, in commit order across segments.
func TestDurableRotationKeepsLogOrder(t *testing.T) {
	dir := t.TempDir()
	d, err := openDurable(dir, -1, slog.New(slog.DiscardHandler), newStore(), nil)
	require.NoError(t, err)
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "0"}
	rotated := make(chan error, 1)
	go func() {
		for range 30 {
			if _, err := d.rotate(); err != nil {
				rotated <- err
				return
			}
		}
		rotated <- nil
	}()
	writes := 0
	for running := true; running; {
		select {
		case err := <-rotated:
			require.NoError(t, err)
			running = false
		default:
			writes++
			d.append(logRecord{ref: ref, lsn: int64(writes), op: opDelete, key: "k"})
			if writes%50 == 0 {
				time.Sleep(10 * time.Microsecond)
			}
		}
	}
	require.NoError(t, d.close())

	_, wals, err := listGenerations(dir)
	require.NoError(t, err)
	var lsns []int64
	for _, gen := range wals {
		f, err := os.Open(walPath(dir, gen))
		require.NoError(t, err)
		fr, err := segmentFrames(f, gen)
		require.NoError(t, err)
		for {
			_, payload, err := fr.next()
			if err != nil {
				break
			}
			w, err := decodeItemFrame(payload)
			require.NoError(t, err)
			lsns = append(lsns, w.lsn)
		}
		require.NoError(t, f.Close())
	}
	require.Len(t, lsns, writes)
	for i, lsn := range lsns {
		require.Equal(t, int64(i+1), lsn, "write %d of %d", i+1, writes)
	}
}

func TestSyncNotifyWakesOnlyTheWaitersOfTheSyncThatEnded(t *testing.T) {
	var n syncNotify
	n.init()
	closed := func(ch <-chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	require.True(t, closed(n.channel(0)), "no sync in progress: nothing to wait for")
	early := n.channel(5) // appended before the sync below took it
	n.begin(10)
	covered, later := n.channel(10), n.channel(11)
	n.end()
	require.True(t, closed(early))
	require.True(t, closed(covered))
	require.False(t, closed(later), "a write after the sync waits for the next one, unwoken")
	n.begin(20)
	require.False(t, closed(n.channel(15)))
	n.end()
	require.True(t, closed(later))
	n.begin(30)
	n.wakeAll()
	require.True(t, closed(n.channel(25)))
	require.True(t, closed(n.channel(1000)), "after a failure no waiter blocks")
	n.end() // a flush still in progress when the log failed
}

// TestDurableRestartStartsOnASpareSegment checks that a restart writes straight into a
// prepared segment left by the previous run, and that snapshots do not pile up spare
// segments.
func TestDurableRestartStartsOnASpareSegment(t *testing.T) {
	dir := t.TempDir()
	a := startDurable(t, dir, 8<<10)
	require.Eventually(t, a.durable.spareReady, 10*time.Second, time.Millisecond)
	c := regionContainer(t, regionClient(t, a))
	want := durableWorkload(t, c, 300) // many snapshots: segments retire and are reused
	require.NoError(t, a.Close())
	spares, err := filepath.Glob(filepath.Join(dir, "spare-*"))
	require.NoError(t, err)
	require.NotEmpty(t, spares)
	require.LessOrEqual(t, len(spares), keptSpares+1)

	a = startDurable(t, dir, 8<<10)
	t.Cleanup(func() { _ = a.Close() })
	a.durable.fmu.Lock()
	prepared := a.durable.prepared
	a.durable.fmu.Unlock()
	require.True(t, prepared, "the first segment after a restart is a spare")
	c2, err := regionContainer2(t, a)
	require.NoError(t, err)
	for id, n := range want {
		require.Equal(t, n, readN(t, c2, id, nil), id)
	}
}
