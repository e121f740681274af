package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// BenchmarkReplicationWritePath measures the cost of one upsert of a 1 KB document through
// the HTTP handler: a plain single-region server, and the write region of accounts with one
// to three regions at zero lag (so every write is also applied in each other region).
// cpu-ns/op is the process CPU time per write, which includes the appliers' work on other
// goroutines; ns/op alone would hide it on a machine with idle cores.
//
//	go test ./emulator/ -run '^$' -bench BenchmarkReplicationWritePath -benchtime 20000x
func BenchmarkReplicationWritePath(b *testing.B) {
	for _, regions := range []int{0, 1, 2, 3} {
		name := "server"
		if regions > 0 {
			name = fmt.Sprintf("account-regions=%d", regions)
		}
		b.Run(name, func(b *testing.B) {
			h := benchWriteHandler(b, regions)
			rc := &rawClient{key: mustKey(b, DefaultKey)}
			bodies := make([][]byte, 1000)
			for i := range bodies {
				bodies[i] = doc1KB(fmt.Sprint(i), "p")
			}
			const path = "/dbs/db/colls/c/docs"
			date := time.Now().UTC().Format(http.TimeFormat)
			auth := rc.sign(http.MethodPost, path, date)
			b.ReportAllocs()
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				benchUpsert(b, h, path, date, auth, bodies[i%1000])
				i++
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(i), "cpu-ns/op")
		})
	}
}

// benchUpsert upserts body (partition key "p") at path through h, signed with auth.
func benchUpsert(b *testing.B, h http.Handler, path, date, auth string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set(hdrDate, date)
	req.Header.Set("Authorization", auth)
	req.Header.Set(hdrIsUpsert, "true")
	req.Header.Set(hdrPartitionKey, `["p"]`)
	req.Header.Set(hdrPrefer, "return=minimal")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code >= 300 {
		b.Fatalf("upsert: %d %s", w.Code, w.Body)
	}
}

// benchWriteHandler is a plain server (regions == 0) or the write region of an account,
// with database db and container c created.
func benchWriteHandler(tb testing.TB, regions int) http.Handler {
	tb.Helper()
	var h http.Handler
	if regions == 0 {
		s, err := New(Config{})
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = s.Close() })
		h = s
	} else {
		names := []string{"A", "B", "C", "D"}[:regions]
		a, err := newAccount(Config{}, RegionsConfig{Regions: names})
		require.NoError(tb, err)
		a.start()
		tb.Cleanup(func() { _ = a.Close() })
		h = a.regions[0]
	}
	createBenchContainer(tb, h)
	return h
}

// processCPU is the CPU time (user + system) the process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkDownRegionMemory measures the heap a read region's outage costs per write the
// write region takes meanwhile: 1 KB upserts over 1,000 documents, so each queued write
// also keeps a superseded version alive. "unbounded" queues every write for the region's
// return; "bounded" drops the queue past MaxQueuedWhileDown (10,000 here) and
// resynchronises the region when it returns.
//
//	go test ./emulator/ -run '^$' -bench BenchmarkDownRegionMemory -benchtime 200000x
func BenchmarkDownRegionMemory(b *testing.B) {
	for _, tc := range []struct {
		name  string
		limit int
	}{{"unbounded", -1}, {"bounded", 10_000}} {
		b.Run(tc.name, func(b *testing.B) {
			a, err := newAccount(Config{}, RegionsConfig{Regions: []string{"A", "B"},
				MaxQueuedWhileDown: tc.limit})
			require.NoError(b, err)
			a.start()
			b.Cleanup(func() { _ = a.Close() })
			h := a.regions[0]
			createBenchContainer(b, h)
			require.NoError(b, a.RegionDown(b.Context(), "B", Outage503))
			rc := &rawClient{key: mustKey(b, DefaultKey)}
			const path = "/dbs/db/colls/c/docs"
			date := time.Now().UTC().Format(http.TimeFormat)
			auth := rc.sign(http.MethodPost, path, date)
			before := heapInUse()
			i := 0
			for b.Loop() {
				benchUpsert(b, h, path, date, auth, doc1KB(fmt.Sprint(i%1000), "p"))
				i++
			}
			b.ReportMetric(float64(heapInUse()-before)/float64(i), "heap-B/write")
			behind := a.Regions()[1].Behind
			require.Equal(b, i, behind, "every write is counted as missed")
		})
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
