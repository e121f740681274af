package emulator

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
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
				req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(bodies[i%1000]))
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
				i++
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(i), "cpu-ns/op")
		})
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
