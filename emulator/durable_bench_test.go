package emulator

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkDurableRecovery measures recovery of a data directory holding a million 1 KB
// documents, from a snapshot and from the write-ahead log alone (the target is under 10 s);
// "log-lww" replays a log written with multi-region writes (every write resolved by
// last-writer-wins). Building the directory takes longer than recovering it; run it once:
//
//	go test ./emulator/ -run '^$' -bench BenchmarkDurableRecovery -benchtime 1x
func BenchmarkDurableRecovery(b *testing.B) {
	docs := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("STAMPEDE_RECOVERY_DOCS")); err == nil && n > 0 {
		docs = n // a smaller directory for profiling
	}
	for _, mode := range []string{"snapshot", "log", "log-lww"} {
		b.Run(mode, func(b *testing.B) {
			dir := b.TempDir()
			buildDataDir(b, dir, docs, mode == "snapshot", mode == "log-lww")
			for b.Loop() {
				var lww *lwwReplay
				if mode == "log-lww" {
					lww = newLWWReplay(&Account{})
				}
				_, stats, err := recoverDir(dir, newStore(), lww)
				require.NoError(b, err)
				got := stats.docs // from the snapshot
				if mode != "snapshot" {
					got = stats.replayed - 1 // every write, after the metadata record
				}
				require.Equal(b, docs, got)
			}
			b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/recovery")
		})
	}
}

// buildDataDir writes n 1 KB documents through the write-ahead log, then (withSnapshot)
// a snapshot that replaces the log. With stamped, the writes are stamped as multi-region
// writes are, alternately by two regions.
func buildDataDir(tb testing.TB, dir string, n int, withSnapshot, stamped bool) {
	tb.Helper()
	// A bare store: no background work races the seeding.
	s := &Server{store: newStore(), log: slog.New(slog.DiscardHandler)}
	d, err := openDurable(dir, -1, s.log, s.store, nil)
	require.NoError(tb, err)
	hook := d.append
	if stamped {
		var writes atomic.Int64
		hook = func(rec logRecord) uint64 {
			origin := uint8(writes.Add(1) % 2)
			rec.stamp = writeStamp{origin: origin, clock: time.Now().UnixNano()}
			if rec.item != nil {
				rec.item.origin, rec.item.clock = rec.stamp.origin, rec.stamp.clock
			}
			return d.append(rec)
		}
	}
	hookStore(s.store, hook)
	db, err := s.store.createDatabase("db", offerSettings{}, time.Now().Unix())
	require.NoError(tb, err)
	_, err = s.store.createContainer(db, containerProps{ID: "c", PartitionKey: pkDef(tb)},
		offerSettings{}, time.Now().Unix())
	require.NoError(tb, err)
	d.appendMetadata(s.store)
	seedDirect(tb, s, "db", "c", n, 1000)
	if withSnapshot {
		d.snapshotNow(s.store)
	}
	require.NoError(tb, d.close())
}

func pkDef(tb testing.TB) pkDefinition {
	def := pkDefinition{Paths: []string{"/pk"}, Kind: "Hash"}
	require.NoError(tb, def.validate())
	return def
}

// BenchmarkDurableWriteThroughput measures upserts of 1 KB documents by 32 concurrent
// callers through a one-region account's handler, in memory and with a data directory
// (the target: at least half the in-memory throughput, from group commit).
//
//	go test ./emulator/ -run '^$' -bench BenchmarkDurableWriteThroughput -benchtime 3s
func BenchmarkDurableWriteThroughput(b *testing.B) {
	for _, mode := range []string{"memory", "data-dir"} {
		b.Run(mode, func(b *testing.B) {
			a, upsert := benchUpserts(b, mode == "data-dir")
			var next atomic.Int64
			b.SetParallelism(16) // 32 callers on 2 CPUs
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !upsert(next.Add(1)) {
						return
					}
				}
			})
			reportUpserts(b, a, cpu0)
		})
	}
}

// BenchmarkDurableWriteLatency measures one caller's upserts with a data directory: each
// waits for its own sync (ns/op is the latency of a write).
//
//	go test ./emulator/ -run '^$' -bench BenchmarkDurableWriteLatency -benchtime 2s
func BenchmarkDurableWriteLatency(b *testing.B) {
	a, upsert := benchUpserts(b, true)
	cpu0 := processCPU()
	for i := int64(0); b.Loop(); i++ {
		if !upsert(i) {
			return
		}
	}
	reportUpserts(b, a, cpu0)
}

// benchUpserts starts a one-region account, durable or in memory, and returns it with a
// function that upserts the i-th 1 KB document through its handler (false on a failure,
// which it reports).
func benchUpserts(b *testing.B, durable bool) (*Account, func(i int64) bool) {
	rc := RegionsConfig{Regions: []string{"A"}}
	if durable {
		rc.DataDir = b.TempDir()
	}
	a, err := newAccount(Config{}, rc)
	require.NoError(b, err)
	a.start()
	b.Cleanup(func() { _ = a.Close() })
	h := a.regions[0]
	createBenchContainer(b, h)
	raw := &rawClient{key: mustKey(b, DefaultKey)}
	const path = "/dbs/db/colls/c/docs"
	date := time.Now().UTC().Format(http.TimeFormat)
	auth := raw.sign(http.MethodPost, path, date)
	b.ReportAllocs()
	b.ResetTimer()
	return a, func(i int64) bool {
		body := doc1KB(fmt.Sprint(i%100_000), fmt.Sprintf("k%d", i%1000))
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set(hdrDate, date)
		req.Header.Set("Authorization", auth)
		req.Header.Set(hdrIsUpsert, "true")
		req.Header.Set(hdrPartitionKey, fmt.Sprintf(`["k%d"]`, i%1000))
		req.Header.Set(hdrPrefer, "return=minimal")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 300 {
			b.Errorf("upsert: %d %s", w.Code, w.Body)
			return false
		}
		return true
	}
}

// reportUpserts reports writes/s, CPU per write since cpu0 and, with a data directory, the
// writes per sync and the time of a sync.
func reportUpserts(b *testing.B, a *Account, cpu0 int64) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	if d := a.durable; d != nil && d.syncs.Load() > 0 {
		syncs := float64(d.syncs.Load())
		b.ReportMetric(float64(b.N)/syncs, "writes/sync")
		b.ReportMetric(float64(d.syncTime.Load())/syncs/1e3, "us/sync")
	}
}

// createBenchContainer creates db/c (partition key /pk) through h.
func createBenchContainer(tb testing.TB, h http.Handler) {
	tb.Helper()
	raw := &rawClient{key: mustKey(tb, DefaultKey)}
	for _, step := range []struct{ path, body string }{
		{"/dbs", `{"id":"db"}`},
		{"/dbs/db/colls", `{"id":"c","partitionKey":{"paths":["/pk"],"kind":"Hash"}}`},
	} {
		req := httptest.NewRequest(http.MethodPost, step.path, bytes.NewReader([]byte(step.body)))
		date := time.Now().UTC().Format(http.TimeFormat)
		req.Header.Set(hdrDate, date)
		req.Header.Set("Authorization", raw.sign(http.MethodPost, step.path, date))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Equal(tb, http.StatusCreated, w.Code, w.Body.String())
	}
}

// BenchmarkDurableSegmentSync measures one group commit on disk: a 35 KB write (32 frames
// of 1 KB documents) and its sync, into a plain growing segment (preallocated, as when no
// prepared segment is ready) and into a prepared one (written zeros).
//
//	go test ./emulator/ -run '^$' -bench BenchmarkDurableSegmentSync -benchtime 2000x -count 3
func BenchmarkDurableSegmentSync(b *testing.B) {
	ref := PartitionRef{Database: "db", Container: "c", ContainerRID: "r", RangeID: "0"}
	var commit []byte
	for i := range 32 {
		it := &item{body: doc1KB(strconv.Itoa(i), "k"), id: strconv.Itoa(i),
			pk: newPartitionKey([]any{"k"}), seq: int64(i), lsn: int64(i)}
		commit = appendItemFrame(commit, ref, int64(i), opCreate, itemKey(it.pk, it.id), it,
			stampOf(it), writeStamp{})
	}
	for _, mode := range []string{"plain", "prepared"} {
		b.Run(mode, func(b *testing.B) {
			l := newBareLog(b.TempDir(), maxSegmentBytes)
			if mode == "prepared" {
				require.NoError(b, l.prepareSpare())
			}
			require.NoError(b, l.openSegment(1))
			b.Cleanup(func() { _ = l.closeSegment() })
			b.SetBytes(int64(len(commit)))
			for b.Loop() {
				if l.size.Load()+int64(len(commit)) > l.segmentBytes {
					b.StopTimer()
					if mode == "prepared" {
						require.NoError(b, l.prepareSpare())
					}
					require.NoError(b, l.roll())
					b.StartTimer()
				}
				require.NoError(b, l.writeSync(commit))
			}
		})
	}
}
