package backend

import (
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stampede-load/stampede/backend/store"
)

// Cosmos DB operation classes: the op label of the operation latency.
const (
	OpRead       = "read"       // GET …/docs/{id}
	OpCreate     = "create"     // POST …/docs
	OpUpsert     = "upsert"     // POST …/docs with x-ms-documentdb-is-upsert
	OpReplace    = "replace"    // PUT …/docs/{id}
	OpPatch      = "patch"      // PATCH …/docs/{id}
	OpDelete     = "delete"     // DELETE …/docs/{id}
	OpQuery      = "query"      // POST …/docs with x-ms-documentdb-query, one page
	OpReadMany   = "readmany"   // a query page sent to one partition key range
	OpBatch      = "batch"      // POST …/docs with x-ms-cosmos-is-batch-request
	OpChangeFeed = "changefeed" // GET …/docs (a feed page)
	OpMetadata   = "metadata"   // account, database, container, pkranges and offer calls
)

// Status classes of a Cosmos DB call: the status label of the operation latency.
const (
	StatusOK        = "ok"    // 2xx and 304
	StatusClient    = "4xx"   // other 4xx: 404 of a first read, 409 of a create, 412, ...
	StatusThrottled = "429"   // still throttled after the throttle policy's retries
	StatusServer    = "5xx"   // 5xx after the SDK's retries
	StatusError     = "error" // no response: timeout, cancelled, connection refused
)

// ContainerOther is the container label of a container the backend does not create.
const ContainerOther = "other"

var (
	opNames = [...]string{OpRead, OpCreate, OpUpsert, OpReplace, OpPatch, OpDelete, OpQuery,
		OpReadMany, OpBatch, OpChangeFeed, OpMetadata}
	statusNames = [...]string{StatusOK, StatusClient, StatusThrottled, StatusServer, StatusError}
	// containerNames are the container labels; "" is an account or database call.
	containerNames = [...]string{"", store.UniqueEntity, store.UniqueEntityProfile,
		store.SystemProfile, store.SystemEntity, store.Alert, ContainerOther}
)

const (
	opRead = iota
	opCreate
	opUpsert
	opReplace
	opPatch
	opDelete
	opQuery
	opReadMany
	opBatch
	opChangeFeed
	opMetadata
	numOps
)

const (
	statusOK = iota
	statusClient
	statusThrottled
	statusServer
	statusError
	numStatus
)

const numContainers = len(containerNames)

// The request headers that tell item operations apart, in canonical form so that a lookup is
// a plain map read (the SDK sets them with Header.Set or Add, which canonicalise).
var (
	headerIsUpsert = textproto.CanonicalMIMEHeaderKey("x-ms-documentdb-is-upsert")
	headerIsQuery  = textproto.CanonicalMIMEHeaderKey("x-ms-documentdb-query")
	headerIsBatch  = textproto.CanonicalMIMEHeaderKey("x-ms-cosmos-is-batch-request")
	headerRangeID  = textproto.CanonicalMIMEHeaderKey("x-ms-documentdb-partitionkeyrangeid")
)

// classify returns the operation class and container index of a request to Cosmos DB from
// its method, unescaped path (/dbs/{db}/colls/{c}/docs/{id}) and headers. It does not
// allocate.
func classify(method, path string, h http.Header) (op, container int) {
	coll, feed, item, ok := docsPath(path)
	container = containerIndex(coll)
	if !ok || feed != "docs" {
		return opMetadata, container
	}
	if item {
		switch method {
		case http.MethodGet:
			return opRead, container
		case http.MethodPut:
			return opReplace, container
		case http.MethodPatch:
			return opPatch, container
		case http.MethodDelete:
			return opDelete, container
		}
		return opMetadata, container
	}
	switch {
	case method == http.MethodGet:
		return opChangeFeed, container
	case method != http.MethodPost:
		return opMetadata, container
	case isTrue(h, headerIsBatch):
		return opBatch, container
	case isTrue(h, headerIsQuery):
		if len(h[headerRangeID]) > 0 {
			return opReadMany, container
		}
		return opQuery, container
	case isTrue(h, headerIsUpsert):
		return opUpsert, container
	}
	return opCreate, container
}

// docsPath splits dbs/{db}/colls/{c}/{feed}[/{id}]: ok is false for account, database and
// offer paths, and feed is "" for the container itself.
func docsPath(path string) (coll, feed string, item, ok bool) {
	rest := strings.Trim(path, "/")
	seg, rest, _ := strings.Cut(rest, "/")
	if seg != "dbs" {
		return "", "", false, false
	}
	_, rest, _ = strings.Cut(rest, "/") // the database
	seg, rest, _ = strings.Cut(rest, "/")
	if seg != "colls" || rest == "" {
		return "", "", false, false
	}
	coll, rest, _ = strings.Cut(rest, "/")
	feed, rest, _ = strings.Cut(rest, "/")
	return coll, feed, rest != "", true
}

func containerIndex(name string) int {
	for i, c := range containerNames {
		if c == name {
			return i
		}
	}
	return numContainers - 1
}

func isTrue(h http.Header, key string) bool {
	v := h[key]
	return len(v) > 0 && strings.EqualFold(v[0], "true")
}

// statusClass returns the status class of a call's outcome.
func statusClass(resp *http.Response, err error) int {
	switch {
	case err != nil || resp == nil:
		return statusError
	case resp.StatusCode < 400:
		return statusOK
	case resp.StatusCode == http.StatusTooManyRequests:
		return statusThrottled
	case resp.StatusCode < 500:
		return statusClient
	}
	return statusServer
}

// opLatency holds, per operation class and container, the latency histograms of calls per
// status class and the count of HTTP tries. Slots are created on first use and recorded
// into with atomics only: the hot path takes no lock and allocates nothing.
type opLatency struct {
	slots   [numOps][numContainers]atomic.Pointer[opSlot]
	seconds *prometheus.HistogramVec // op, container, status
	tries   *prometheus.CounterVec   // op, container
}

// opSlot is one operation class on one container.
type opSlot struct {
	tries     atomic.Int64
	triesProm prometheus.Counter
	byStatus  [numStatus]atomic.Pointer[latencySeries]
}

// latencySeries is one histogram, in this process and in Prometheus.
type latencySeries struct {
	counts latencyCounts
	prom   prometheus.Observer
}

func newOpLatency() *opLatency {
	return &opLatency{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "stampede", Subsystem: "backend", Name: "cosmos_operation_duration_seconds",
			Help: "Duration of one Cosmos DB call as the application sees it, " +
				"throttle waits and retries included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)},
			[]string{"op", "container", "status"}),
		tries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "stampede", Subsystem: "backend", Name: "cosmos_tries_total",
			Help: "HTTP attempts sent to Cosmos DB, each retry counted."},
			[]string{"op", "container"}),
	}
}

func (o *opLatency) slot(op, container int) *opSlot {
	p := &o.slots[op][container]
	if s := p.Load(); s != nil {
		return s
	}
	s := &opSlot{triesProm: o.tries.WithLabelValues(opNames[op], containerNames[container])}
	if p.CompareAndSwap(nil, s) {
		return s
	}
	return p.Load()
}

func (s *opSlot) series(o *opLatency, op, container, status int) *latencySeries {
	p := &s.byStatus[status]
	if ls := p.Load(); ls != nil {
		return ls
	}
	ls := &latencySeries{prom: o.seconds.WithLabelValues(opNames[op], containerNames[container],
		statusNames[status])}
	if p.CompareAndSwap(nil, ls) {
		return ls
	}
	return p.Load()
}

// observe records one call.
func (o *opLatency) observe(op, container, status int, d time.Duration) {
	ls := o.slot(op, container).series(o, op, container, status)
	ls.counts.record(d)
	ls.prom.Observe(d.Seconds())
}

// try counts one HTTP attempt.
func (o *opLatency) try(op, container int) {
	s := o.slot(op, container)
	s.tries.Add(1)
	s.triesProm.Inc()
}

// callTimer is an azcore per-call policy installed ahead of the throttle policy: it times
// each SDK call from the application's side, throttle waits, azcore's retries and the SDK's
// regional retries included, until the response body is read.
type callTimer struct{ ops *opLatency }

func (p callTimer) Do(req *policy.Request) (*http.Response, error) {
	raw := req.Raw()
	op, container := classify(raw.Method, raw.URL.Path, raw.Header)
	start := time.Now()
	resp, err := req.Next()
	p.ops.observe(op, container, statusClass(resp, err), time.Since(start))
	return resp, err
}

// tryCounter is an azcore per-retry policy counting the HTTP attempts of each operation.
type tryCounter struct{ ops *opLatency }

func (p tryCounter) Do(req *policy.Request) (*http.Response, error) {
	raw := req.Raw()
	p.ops.try(classify(raw.Method, raw.URL.Path, raw.Header))
	return req.Next()
}

// installOpLatency adds the call timer to opts ahead of any per-call policy installed after
// it (the throttle policy), and the try counter.
func installOpLatency(opts *azcosmos.ClientOptions, ops *opLatency) {
	opts.PerCallPolicies = append(opts.PerCallPolicies, callTimer{ops})
	opts.PerRetryPolicies = append(opts.PerRetryPolicies, tryCounter{ops})
}

// CosmosOp names one operation class on one container.
type CosmosOp struct {
	Op        string // one of the Op* constants
	Container string // a container the backend creates, ContainerOther, or "" (account, database)
}

// MarshalText renders the key as "op/container", so that Stats encodes as JSON.
func (k CosmosOp) MarshalText() ([]byte, error) { return []byte(k.Op + "/" + k.Container), nil }

// UnmarshalText reads the "op/container" form.
func (k *CosmosOp) UnmarshalText(b []byte) error {
	op, container, ok := strings.Cut(string(b), "/")
	if !ok {
		return fmt.Errorf("cosmos operation %q: want op/container", b)
	}
	k.Op, k.Container = op, container
	return nil
}

// CosmosOpStats are the cumulative figures of one operation class on one container.
type CosmosOpStats struct {
	// Tries counts HTTP attempts: a call retried after a 429, a 5xx or a regional failure
	// counts once per attempt, so Tries minus the calls is the retries of every layer.
	Tries int64 `json:"tries"`
	// ByStatus has the latency of calls per status class (Status* constants).
	ByStatus map[string]*LatencyHistogram `json:"by_status"`
}

// Calls returns the number of calls completed, whatever their outcome.
func (s CosmosOpStats) Calls() int64 {
	var n int64
	for _, h := range s.ByStatus {
		n += h.Count()
	}
	return n
}

// All returns the latency of every call, whatever its outcome.
func (s CosmosOpStats) All() *LatencyHistogram {
	all := &LatencyHistogram{}
	for _, h := range s.ByStatus {
		all.Merge(h)
	}
	return all
}

// snapshot copies every slot in use.
func (o *opLatency) snapshot() map[CosmosOp]CosmosOpStats {
	out := map[CosmosOp]CosmosOpStats{}
	for op := range numOps {
		for c := range numContainers {
			s := o.slots[op][c].Load()
			if s == nil {
				continue
			}
			st := CosmosOpStats{Tries: s.tries.Load(), ByStatus: map[string]*LatencyHistogram{}}
			for status := range numStatus {
				if ls := s.byStatus[status].Load(); ls != nil {
					st.ByStatus[statusNames[status]] = ls.counts.snapshot()
				}
			}
			out[CosmosOp{Op: opNames[op], Container: containerNames[c]}] = st
		}
	}
	return out
}
