package emulator

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// benchCallers is the number of concurrent SDK callers of the throughput targets.
const benchCallers = 32

// docFields is the body of doc1KB after id and pk: ten 88-character fields.
var docFields = func() string {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, `,"field%d":"%s"`, i, strings.Repeat(string(rune('a'+i)), 88))
	}
	return b.String() + "}"
}()

// doc1KB is a 1 KB document with ten properties besides id and pk, like a YCSB record.
func doc1KB(id, pk string) []byte {
	return appendDoc1KB(make([]byte, 0, 32+len(id)+len(pk)+len(docFields)), id, pk)
}

// appendDoc1KB appends the document doc1KB returns to b.
func appendDoc1KB(b []byte, id, pk string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	b = append(b, `","pk":"`...)
	b = append(b, pk...)
	b = append(b, '"')
	return append(b, docFields...)
}

// cpuSeconds is the CPU time this process has used (user + system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// seedDirect inserts n documents straight into the store, without HTTP, for benchmarks
// that measure reads.
func seedDirect(tb testing.TB, s *Server, db, coll string, n, keys int) {
	tb.Helper()
	c, err := s.store.container(db, coll)
	require.NoError(tb, err)
	meta := c.meta.Load()
	now := time.Now().Unix()
	for i := range n {
		id, pk := strconv.Itoa(i), "k"+strconv.Itoa(i%keys)
		// The body as request.body reads it: one buffer with stampReserve to spare.
		body := make([]byte, 0, 16+len(id)+len(pk)+len(docFields)+stampReserve)
		doc, err := parseDocument(appendDoc1KB(body, id, pk), &c.pk)
		if err != nil {
			tb.Fatal(err)
		}
		doc.spare = true
		p := c.partitionFor(doc.pk)
		p.mu.Lock()
		res, err := p.plan(p, &itemOp{kind: itemCreate, doc: doc, pk: doc.pk}, p.lsn+1, now, meta)
		if err == nil {
			p.commit(res.commit, res.key, res.item)
		}
		p.mu.Unlock()
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// benchContainer starts a server (or uses handler) and returns an SDK container client.
func sdkContainer(tb testing.TB, endpoint, key string) *azcosmos.ContainerClient {
	tb.Helper()
	cred, err := azcosmos.NewKeyCredential(key)
	require.NoError(tb, err)
	transport := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: 2 * benchCallers, MaxConnsPerHost: 0,
		DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	}}
	client, err := azcosmos.NewClientWithKey(endpoint, cred,
		&azcosmos.ClientOptions{ClientOptions: policyTransport(transport)})
	require.NoError(tb, err)
	tb.Cleanup(client.Close)
	c, err := client.NewContainer("db", "c")
	require.NoError(tb, err)
	return c
}

func startBenchEmulator(tb testing.TB) *Server {
	tb.Helper()
	s, err := Start(context.Background(), Config{})
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	cred, err := azcosmos.NewKeyCredential(s.Key())
	require.NoError(tb, err)
	client, err := azcosmos.NewClientWithKey(s.Endpoint(), cred, nil)
	require.NoError(tb, err)
	defer client.Close()
	ctx := context.Background()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(tb, err)
	db, _ := client.NewDatabase("db")
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: "c",
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/pk"}}}, nil)
	require.NoError(tb, err)
	return s
}

// rate runs op n times over benchCallers goroutines and returns operations per second.
func rate(tb testing.TB, n int, op func(i int) error) float64 {
	tb.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Pointer[error]
	start := time.Now()
	for range benchCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		tb.Fatal(*e)
	}
	return float64(n) / time.Since(start).Seconds()
}

// BenchmarkPointOps measures point reads and creates of 1 KB documents through azcosmos
// with 32 concurrent callers, against the emulator and, in the same run, against a handler
// answering a canned response (the client-side ceiling). It reports both rates and the
// emulator's share of the canned rate (target: at least 0.6).
func BenchmarkPointOps(b *testing.B) {
	for _, kind := range []string{"read", "create"} {
		b.Run(kind, func(b *testing.B) {
			s := startBenchEmulator(b)
			seedDirect(b, s, "db", "c", 1000, 100)
			emu := sdkContainer(b, s.Endpoint(), s.Key())
			canned := startCanned(b)
			can := sdkContainer(b, canned, DefaultKey)
			var seq atomic.Int64
			op := func(c *azcosmos.ContainerClient) func(int) error {
				return func(i int) error {
					if kind == "read" {
						_, err := c.ReadItem(context.Background(),
							azcosmos.NewPartitionKeyString(fmt.Sprintf("k%d", i%100)), fmt.Sprint(i%1000), nil)
						return err
					}
					id := fmt.Sprintf("n%d", seq.Add(1))
					_, err := c.CreateItem(context.Background(), azcosmos.NewPartitionKeyString("k1"),
						doc1KB(id, "k1"), nil)
					return err
				}
			}
			// Warm both connection pools and bootstrap both clients.
			rate(b, 2*benchCallers, op(emu))
			rate(b, 2*benchCallers, op(can))
			var emuRate, canRate float64
			for b.Loop() {
				// Alternate so both see the same machine conditions.
				emuRate += rate(b, 2000, op(emu))
				canRate += rate(b, 2000, op(can))
			}
			b.ReportMetric(emuRate/float64(b.N), "emulator-ops/s")
			b.ReportMetric(canRate/float64(b.N), "canned-ops/s")
			b.ReportMetric(emuRate/canRate, "ratio")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// startCanned serves the account document and one fixed item response for every request,
// with no store and no auth: the fastest a server could answer this client.
func startCanned(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	endpoint := "http://" + ln.Addr().String() + "/"
	account := []byte(`{"writableLocations":[{"name":"South Central US","databaseAccountEndpoint":"` +
		endpoint + `"}],"readableLocations":[{"name":"South Central US","databaseAccountEndpoint":"` +
		endpoint + `"}],"enableMultipleWriteLocations":false}`)
	item := doc1KB("x", "k1")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		if r.URL.Path == "/" {
			_, _ = w.Write(account)
			return
		}
		h.Set("etag", `"00000000-0000-0000-0000-000000000001"`)
		h.Set("x-ms-request-charge", "1.00")
		h.Set("x-ms-session-token", "0:-1#1")
		h.Set("x-ms-activity-id", r.Header.Get("x-ms-activity-id"))
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
			return
		}
		_, _ = w.Write(item)
	})}
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { _ = srv.Close() })
	return endpoint
}

// residentKiB reads the process's resident set and its high-water mark (Linux only; zero
// elsewhere).
func residentKiB() (rss, peak int64) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n
		case "VmHWM:":
			peak = n
		}
	}
	return rss, peak
}

// BenchmarkResidentMemory1M holds a million 1 KB documents and reports the heap in use
// (target: at most 2 GiB).
func BenchmarkResidentMemory1M(b *testing.B) {
	for b.Loop() {
		s := startBenchEmulator(b)
		seedDirect(b, s, "db", "c", 1_000_000, 10_000)
		runtime.GC()
		// Return freed pages to the OS, as the runtime's scavenger does over time, so the
		// resident set is what the documents hold.
		debug.FreeOSMemory()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MiB")
		b.ReportMetric(float64(ms.Sys)/(1<<20), "sys-MiB")
		b.ReportMetric(float64(ms.HeapInuse)/1e6, "heap-bytes/doc")
		rss, peak := residentKiB()
		b.ReportMetric(float64(rss)/1024, "rss-MiB")
		b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
		runtime.KeepAlive(s)
		_ = s.Close()
	}
}

// BenchmarkCrossPartitionQuery100k pages "SELECT * FROM c" without a partition key over
// 100,000 documents in 1,000 logical partitions through azcosmos (target: under 5 s), over
// one physical partition with the service's default page size, and over four with pages
// of 1,000.
func BenchmarkCrossPartitionQuery100k(b *testing.B) {
	for _, bc := range []struct {
		partitions int
		pageSize   int32 // 0: the service default (100)
	}{{1, 0}, {4, 1000}} {
		b.Run(fmt.Sprintf("partitions=%d/page=%d", bc.partitions, bc.pageSize), func(b *testing.B) {
			s := startBenchEmulator(b)
			seedDirect(b, s, "db", "c", 100_000, 1000)
			splitInto(b, s, bc.partitions)
			c := sdkContainer(b, s.Endpoint(), s.Key())
			for b.Loop() {
				start, cpu := time.Now(), cpuSeconds()
				pager := c.NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(),
					&azcosmos.QueryOptions{PageSizeHint: bc.pageSize})
				rows := 0
				for pager.More() {
					page, err := pager.NextPage(context.Background())
					require.NoError(b, err)
					rows += len(page.Items)
				}
				require.Equal(b, 100_000, rows)
				b.ReportMetric(time.Since(start).Seconds(), "s/pass")
				// Client and server share this process: the CPU a pass needs.
				b.ReportMetric(cpuSeconds()-cpu, "cpu-s/pass")
			}
		})
	}
}

// splitInto splits the first partition of db/c until the container has n.
func splitInto(tb testing.TB, s *Server, n int) {
	tb.Helper()
	c, err := s.store.container("db", "c")
	require.NoError(tb, err)
	for len(c.partitions()) < n {
		_, err := c.splitPartition(c.partitions()[0])
		require.NoError(tb, err)
	}
}

// BenchmarkHandler measures the server side alone: one signed request through ServeHTTP,
// without network or SDK, for a 1 KB point read and create.
func BenchmarkHandler(b *testing.B) {
	c := newRawClient(b, Config{})
	c.setup("")
	seedDirect(b, c.s, "d", "c", 1000, 100)
	date := time.Now().UTC().Format(http.TimeFormat)
	cases := []struct {
		name, method, path string
		body               func(i int) []byte
	}{
		{"read", "GET", "/dbs/d/colls/c/docs/7", nil},
		{"create", "POST", "/dbs/d/colls/c/docs", func(i int) []byte {
			return doc1KB("h"+strconv.Itoa(i), "k7")
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			auth := c.sign(tc.method, tc.path, date)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				var body io.Reader
				if tc.body != nil {
					body = bytes.NewReader(tc.body(i))
				}
				req := httptest.NewRequest(tc.method, "http://127.0.0.1:8081"+tc.path, body)
				req.Header.Set("x-ms-date", date)
				req.Header.Set("Authorization", auth)
				req.Header.Set(hdrPartitionKey, `["k7"]`)
				req.Header.Set(hdrPrefer, "return=minimal")
				w := httptest.NewRecorder()
				c.s.ServeHTTP(w, req)
				if w.Code >= 300 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
