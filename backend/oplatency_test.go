package backend

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/backend/throttle"
	"github.com/stampede-load/stampede/emulator"
)

func TestClassifyOperations(t *testing.T) {
	docs := "/dbs/t1/colls/UniqueEntityProfile/docs"
	for _, tc := range []struct {
		name, method, path string
		headers            map[string]string
		op, container      string
	}{
		{"point read", "GET", docs + "/user:alice", nil, OpRead, store.UniqueEntityProfile},
		{"replace", "PUT", docs + "/user:alice", nil, OpReplace, store.UniqueEntityProfile},
		{"patch", "PATCH", docs + "/a", nil, OpPatch, store.UniqueEntityProfile},
		{"delete", "DELETE", docs + "/a", nil, OpDelete, store.UniqueEntityProfile},
		{"id with an escaped slash", "GET", docs + "/a/b/", nil, OpRead, store.UniqueEntityProfile},
		{"create", "POST", docs, nil, OpCreate, store.UniqueEntityProfile},
		{"upsert", "POST", "/dbs/t1/colls/Alert/docs/",
			map[string]string{"x-ms-documentdb-is-upsert": "true"}, OpUpsert, store.Alert},
		{"upsert false", "POST", docs,
			map[string]string{"x-ms-documentdb-is-upsert": "false"}, OpCreate,
			store.UniqueEntityProfile},
		{"query", "POST", "/dbs/t1/colls/SystemEntity/docs",
			map[string]string{"x-ms-documentdb-query": "True"}, OpQuery, store.SystemEntity},
		{"readmany page", "POST", docs, map[string]string{"x-ms-documentdb-query": "True",
			"x-ms-documentdb-partitionkeyrangeid": "0"}, OpReadMany, store.UniqueEntityProfile},
		{"batch", "POST", "/dbs/t1/colls/UniqueEntity/docs",
			map[string]string{"x-ms-cosmos-is-batch-request": "True"}, OpBatch, store.UniqueEntity},
		{"change feed", "GET", "/dbs/t1/colls/SystemProfile/docs",
			map[string]string{"A-IM": "Incremental Feed"}, OpChangeFeed, store.SystemProfile},
		{"container read", "GET", "/dbs/t1/colls/Alert", nil, OpMetadata, store.Alert},
		{"pkranges", "GET", "/dbs/t1/colls/Alert/pkranges", nil, OpMetadata, store.Alert},
		{"containers feed", "POST", "/dbs/t1/colls", nil, OpMetadata, ""},
		{"database", "GET", "/dbs/t1", nil, OpMetadata, ""},
		{"databases", "POST", "/dbs", nil, OpMetadata, ""},
		{"account", "GET", "/", nil, OpMetadata, ""},
		{"offer", "PUT", "/offers/abcd/", nil, OpMetadata, ""},
		{"unknown container", "GET", "/dbs/t1/colls/Leases/docs/x", nil, OpRead, ContainerOther},
		{"unknown verb on an item", "POST", docs + "/a", nil, OpMetadata,
			store.UniqueEntityProfile},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			op, c := classify(tc.method, tc.path, h)
			require.Equal(t, tc.op, opNames[op])
			require.Equal(t, tc.container, containerNames[c])
		})
	}
}

func TestClassifyDoesNotAllocate(t *testing.T) {
	h := http.Header{}
	h.Set("x-ms-documentdb-query", "True")
	h.Set("x-ms-documentdb-partitionkeyrangeid", "0")
	allocs := testing.AllocsPerRun(100, func() {
		classify("POST", "/dbs/tenant/colls/UniqueEntityProfile/docs", h)
		classify("PUT", "/dbs/tenant/colls/UniqueEntityProfile/docs/user:bob", h)
	})
	require.Zero(t, allocs)
}

func TestStatusClass(t *testing.T) {
	for _, tc := range []struct {
		code int
		err  error
		want string
	}{
		{200, nil, StatusOK}, {201, nil, StatusOK}, {304, nil, StatusOK}, {404, nil, StatusClient},
		{412, nil, StatusClient}, {429, nil, StatusThrottled}, {503, nil, StatusServer},
		{0, errors.New("timeout"), StatusError},
	} {
		var resp *http.Response
		if tc.code != 0 {
			resp = &http.Response{StatusCode: tc.code}
		}
		require.Equal(t, tc.want, statusNames[statusClass(resp, tc.err)], "%d %v", tc.code, tc.err)
	}
}

// TestOperationsOfTheSDK drives each kind of call through the real SDK against the emulator
// and checks that the policies label it as documented: the classification follows what the
// SDK sends, not what it is assumed to send.
func TestOperationsOfTheSDK(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	ops := newOpLatency()
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	opts := &azcosmos.ClientOptions{}
	installOpLatency(opts, ops)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, opts)
	require.NoError(t, err)
	ctx := t.Context()
	_, err = client.CreateDatabase(ctx, azcosmos.DatabaseProperties{ID: "db"}, nil)
	require.NoError(t, err)
	db, err := client.NewDatabase("db")
	require.NoError(t, err)
	_, err = db.CreateContainer(ctx, azcosmos.ContainerProperties{ID: store.Alert,
		PartitionKeyDefinition: azcosmos.PartitionKeyDefinition{Paths: []string{"/id"}}}, nil)
	require.NoError(t, err)
	cc, err := db.NewContainer(store.Alert)
	require.NoError(t, err)

	pk := azcosmos.NewPartitionKeyString("a")
	_, err = cc.CreateItem(ctx, pk, []byte(`{"id":"a","n":1}`), nil)
	require.NoError(t, err)
	_, err = cc.UpsertItem(ctx, pk, []byte(`{"id":"a","n":2}`), nil)
	require.NoError(t, err)
	_, err = cc.ReplaceItem(ctx, pk, "a", []byte(`{"id":"a","n":3}`), nil)
	require.NoError(t, err)
	_, err = cc.ReadItem(ctx, pk, "a", nil)
	require.NoError(t, err)
	_, err = cc.ReadItem(ctx, azcosmos.NewPartitionKeyString("none"), "none", nil)
	require.Error(t, err, "a 404")
	patch := azcosmos.PatchOperations{}
	patch.AppendIncrement("/n", 1)
	_, err = cc.PatchItem(ctx, pk, "a", patch, nil)
	require.NoError(t, err)
	pager := cc.NewQueryItemsPager("SELECT * FROM c", azcosmos.NewPartitionKey(), nil)
	for pager.More() {
		_, err = pager.NextPage(ctx)
		require.NoError(t, err)
	}
	_, err = cc.ReadManyItems(ctx, []azcosmos.ItemIdentity{{ID: "a", PartitionKey: pk}}, nil)
	require.NoError(t, err)
	batch := cc.NewTransactionalBatch(azcosmos.NewPartitionKeyString("b"))
	batch.CreateItem([]byte(`{"id":"b"}`), nil)
	_, err = cc.ExecuteTransactionalBatch(ctx, batch, nil)
	require.NoError(t, err)
	_, err = cc.DeleteItem(ctx, pk, "a", nil)
	require.NoError(t, err)

	got := ops.snapshot()
	for _, op := range []string{OpCreate, OpUpsert, OpReplace, OpRead, OpPatch, OpQuery,
		OpReadMany, OpBatch, OpDelete} {
		st, ok := got[CosmosOp{Op: op, Container: store.Alert}]
		require.True(t, ok, "no %s on Alert in %v", op, keys(got))
		require.Positive(t, st.ByStatus[StatusOK].Count(), op)
		require.GreaterOrEqual(t, st.Tries, st.Calls(), op)
	}
	require.Equal(t, int64(1), got[CosmosOp{OpRead, store.Alert}].ByStatus[StatusClient].Count(),
		"the 404 read")
	require.Positive(t, got[CosmosOp{OpMetadata, ""}].Calls(), "database create, account read")
}

func keys(m map[CosmosOp]CosmosOpStats) []CosmosOp {
	var out []CosmosOp
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestCosmosLatencyInStats runs a backend under throttling: its Stats, /v1/stats and
// /metrics carry the per-operation latency, and the calls' latency includes the throttle
// policy's waits, which the tries count.
func TestCosmosLatencyInStats(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Throttler: &flakyThrottler{}})
	b := newBackend(t, srv, func(c *Config) { c.Throttle = throttle.Config{Jitter: -1} })
	a := onboard(t, b, "tenant-o", "dc1")
	acked := ingestSome(t, b, a, 4, 40, 1)
	requireConserved(t, b, acked)
	require.NoError(t, b.Close()) // no call in flight: every try started belongs to a call done

	s := b.Stats()
	profiles := CosmosOp{Op: OpReplace, Container: store.UniqueEntityProfile}
	var calls, tries int64
	var all LatencyHistogram
	for _, st := range s.Cosmos {
		calls += st.Calls()
		tries += st.Tries
		all.Merge(st.All())
	}
	require.Positive(t, s.Cosmos[profiles].Calls()+
		s.Cosmos[CosmosOp{OpCreate, store.UniqueEntityProfile}].Calls())
	require.Equal(t, tries-calls, s.Throttle.Retries,
		"the tries beyond the calls are the 429 retries (nothing else failed)")
	// Every third request is throttled with a 1 ms retry-after header; with jitter off each
	// retried call waited at least that long.
	require.Positive(t, s.Throttle.Retries)
	require.GreaterOrEqual(t, all.Quantile(1), time.Millisecond)

	h := b.Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Contains(t, rec.Body.String(),
		`stampede_backend_cosmos_operation_duration_seconds_count{container="UniqueEntityProfile"`)
	require.Contains(t, rec.Body.String(), `stampede_backend_cosmos_tries_total{container=`)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/stats", nil))
	var decoded Stats
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &decoded))
	require.GreaterOrEqual(t, decoded.Cosmos[profiles].Calls(), s.Cosmos[profiles].Calls())
}

func TestLatencyBuckets(t *testing.T) {
	prevHigh := int64(0)
	for i := range latencyBuckets {
		low, high := latencyBounds(i)
		require.Equal(t, prevHigh, low, "bucket %d starts where %d ends", i, i-1)
		require.Equal(t, i, latencyBucket(low), "low edge of bucket %d", i)
		require.Equal(t, i, latencyBucket(high-1), "high edge of bucket %d", i)
		if low >= latencyLinear {
			require.LessOrEqual(t, float64(high-low)/float64(low), 1.0/64, "bucket %d width", i)
		}
		prevHigh = high
	}
	require.Equal(t, latencyBuckets-1, latencyBucket(1<<40), "clamped")
	require.Equal(t, 0, latencyBucket(-5), "clamped")
}

func TestLatencyHistogramMergeSubQuantile(t *testing.T) {
	var c latencyCounts
	for i := 1; i <= 100; i++ {
		c.record(time.Duration(i) * time.Millisecond)
	}
	first := c.snapshot()
	require.Equal(t, int64(100), first.Count())
	requireNear(t, 50*time.Millisecond, first.Quantile(0.5))
	requireNear(t, 99*time.Millisecond, first.Quantile(0.99))
	requireNear(t, 100*time.Millisecond, first.Quantile(1))
	requireNear(t, 50500*time.Microsecond, first.Mean())

	for range 10 {
		c.record(2 * time.Second)
	}
	second := c.snapshot()
	diff := second.Sub(first)
	require.Equal(t, int64(10), diff.Count())
	requireNear(t, 2*time.Second, diff.Quantile(0.5))

	merged := &LatencyHistogram{}
	merged.Merge(first)
	merged.Merge(diff)
	require.Equal(t, second.counts, merged.counts)
	require.Equal(t, second.Count(), merged.Count())

	data, err := json.Marshal(second)
	require.NoError(t, err)
	var back LatencyHistogram
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, second.counts, back.counts)
	require.Error(t, json.Unmarshal([]byte(`{"buckets":[[5,1],[3,1]]}`), &back))
	require.Error(t, json.Unmarshal([]byte(`{"buckets":[[99999,1]]}`), &back))

	var empty *LatencyHistogram
	require.Zero(t, empty.Count())
	require.Zero(t, (&LatencyHistogram{}).Quantile(0.5))
}

func requireNear(t *testing.T, want, got time.Duration) {
	t.Helper()
	require.InEpsilon(t, float64(want), float64(got), 0.01, "want %v, got %v", want, got)
}

// okTransport answers every request with an empty 200.
type okTransport struct{}

func (okTransport) Do(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody, Header: http.Header{}}, nil
}

// BenchmarkCallPolicies measures what the latency policies add to one Cosmos DB call: the
// same azcore pipeline (over a transport that answers at once) without and with them.
func BenchmarkCallPolicies(b *testing.B) {
	ops := newOpLatency()
	for _, with := range []bool{false, true} {
		name := "without"
		opts := policy.ClientOptions{Transport: okTransport{}}
		opts.Telemetry.Disabled = true
		if with {
			name = "with"
			opts.PerCallPolicies = []policy.Policy{callTimer{ops}}
			opts.PerRetryPolicies = []policy.Policy{tryCounter{ops}}
		}
		pl := runtime.NewPipeline("bench", "v1", runtime.PipelineOptions{}, &opts)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				req, err := runtime.NewRequest(ctx, http.MethodPut,
					"http://127.0.0.1:1/dbs/t1/colls/UniqueEntityProfile/docs/user:alice")
				if err != nil {
					b.Fatal(err)
				}
				resp, err := pl.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_ = resp.Body.Close()
			}
		})
	}
}

// BenchmarkRecordCall measures the policies' own work for one call, without the pipeline:
// classify the request twice (call and try), read the clock twice, record.
func BenchmarkRecordCall(b *testing.B) {
	ops := newOpLatency()
	h := http.Header{}
	h.Set("x-ms-documentdb-partitionkey", `["user:alice"]`)
	path := "/dbs/t1/colls/UniqueEntityProfile/docs/user:alice"
	b.ReportAllocs()
	for b.Loop() {
		op, c := classify(http.MethodPut, path, h)
		start := time.Now()
		ops.try(classify(http.MethodPut, path, h))
		ops.observe(op, c, statusOK, time.Since(start))
	}
}

// BenchmarkStatsWithCosmosLatency measures Stats, which the runner takes every second, with
// 20 operation kinds in use.
func BenchmarkStatsWithCosmosLatency(b *testing.B) {
	be, _ := benchBackend(b, 2)
	for op := range 4 {
		for c := range 5 {
			for i := range 1000 {
				be.metrics.ops.observe(op, c, statusOK, time.Duration(i*37)*time.Microsecond)
			}
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = be.Stats()
	}
}

// FuzzClassify checks that any method, path and header value classifies without panic
// into a known operation and container.
func FuzzClassify(f *testing.F) {
	f.Add("GET", "/dbs/t1/colls/UniqueEntityProfile/docs/user:alice", "")
	f.Add("POST", "/dbs/t1/colls/Alert/docs", "True")
	f.Add("POST", "//dbs//colls///docs", "true")
	f.Add("PUT", "/offers/x/", "")
	f.Add("DELETE", "dbs/a/colls/b/docs/c/d/e", "false")
	f.Fuzz(func(t *testing.T, method, path, flag string) {
		h := http.Header{}
		h.Set("x-ms-documentdb-query", flag)
		h.Set("x-ms-documentdb-is-upsert", flag)
		op, c := classify(method, path, h)
		if op < 0 || op >= numOps || c < 0 || c >= numContainers {
			t.Fatalf("classify(%q, %q) = %d, %d", method, path, op, c)
		}
	})
}

// FuzzLatencyHistogramJSON decodes arbitrary input: it fails with an error or yields a
// histogram that encodes and decodes to itself.
func FuzzLatencyHistogramJSON(f *testing.F) {
	f.Add([]byte(`{"count":2,"buckets":[[3,1],[700,1]]}`))
	f.Add([]byte(`{"buckets":[[1791,9]]}`))
	f.Add([]byte(`{"buckets":[[5,1],[3,1]]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var h LatencyHistogram
		if json.Unmarshal(data, &h) != nil {
			return
		}
		out, err := json.Marshal(&h)
		require.NoError(t, err)
		var back LatencyHistogram
		require.NoError(t, json.Unmarshal(out, &back))
		require.Equal(t, h.Count(), back.Count())
		require.Equal(t, h.Quantile(0.99), back.Quantile(0.99))
	})
}
