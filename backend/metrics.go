package backend

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
)

// counter is a Prometheus counter whose value the backend can also read for Stats.
type counter struct {
	p     prometheus.Counter
	milli atomic.Int64 // value in thousandths, so request charges keep their fraction
}

func (c *counter) Add(v float64) {
	if v == 0 {
		return
	}
	c.p.Add(v)
	c.milli.Add(int64(math.Round(v * 1000)))
}

func (c *counter) Inc()           { c.Add(1) }
func (c *counter) Value() float64 { return float64(c.milli.Load()) / 1000 }
func (c *counter) Count() int64   { return c.milli.Load() / 1000 }
func (m *metrics) newCounter(name, help string) *counter {
	c := &counter{p: prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "stampede", Subsystem: "backend", Name: name, Help: help})}
	m.collectors = append(m.collectors, c.p)
	return c
}

// metrics are the backend's live counters, exported to Prometheus with bounded labels.
type metrics struct {
	collectors []prometheus.Collector

	batchesAccepted, batchesDuplicate, batchesRejected *counter
	pushback429, pushback503                           *counter
	eventsAcked, eventsStored                          *counter
	cosmosReads, cosmosWrites, conflicts               *counter
	requestCharge                                      *counter
	throttled, flushCycles, flushFailures              *counter
	flushSkipped, clientResets, nodeRestarts           *counter
	parseErrors, alertsWritten, scaleRequests          *counter
	scaleDropped                                       *counter
	migratedOnTheFly, migratedBatch                    *counter
	flushSeconds                                       prometheus.Histogram
	ops                                                *opLatency // Cosmos DB calls

	latencyMu sync.Mutex
	latency   *hdrhistogram.Histogram // flush cycle latency, microseconds
}

func newMetrics(reg prometheus.Registerer) *metrics {
	// Flush cycles up to 10 minutes at 1% precision: small enough to snapshot every second.
	m := &metrics{latency: hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 2)}
	m.batchesAccepted = m.newCounter("batches_accepted_total", "Batches acknowledged.")
	m.batchesDuplicate = m.newCounter("batches_duplicate_total", "Batches acknowledged again as duplicates.")
	m.batchesRejected = m.newCounter("batches_rejected_total", "Batches refused with a 4xx.")
	m.pushback429 = m.newCounter("pushback_429_total", "Batches pushed back with 429 (queue full).")
	m.pushback503 = m.newCounter("pushback_503_total", "Batches pushed back with 503 (not ready or storage behind).")
	m.eventsAcked = m.newCounter("events_acked_total", "Events acknowledged to sensors.")
	m.eventsStored = m.newCounter("events_stored_total", "Events whose counters reached Cosmos DB.")
	m.cosmosReads = m.newCounter("cosmos_reads_total", "Cosmos DB point reads.")
	m.cosmosWrites = m.newCounter("cosmos_writes_total", "Cosmos DB document writes (create or replace).")
	m.conflicts = m.newCounter("cosmos_conflicts_total", "412/409 answers that forced a re-read and merge.")
	m.requestCharge = m.newCounter("cosmos_request_units_total", "Request units charged.")
	m.throttled = m.newCounter("cosmos_throttled_total", "429 answers received (before retries).")
	m.flushCycles = m.newCounter("flush_cycles_total", "Flush cycles run, all nodes.")
	m.flushFailures = m.newCounter("flush_failures_total", "Entity writes that failed and were kept for retry.")
	m.flushSkipped = m.newCounter("flush_skipped_total",
		"Entity writes postponed because the cycle's first writes all failed.")
	m.clientResets = m.newCounter("client_resets_total", "Cosmos DB clients replaced after lasting write failures.")
	m.nodeRestarts = m.newCounter("node_restarts_total", "Nodes restarted (graceful or crash).")
	m.parseErrors = m.newCounter("parse_errors_total", "Stored documents that could not be parsed (must stay 0).")
	m.alertsWritten = m.newCounter("alerts_written_total", "Alert documents raised or updated.")
	m.scaleRequests = m.newCounter("scale_requests_total", "Scale-up requests sent to the elastic scaler.")
	m.scaleDropped = m.newCounter("scale_requests_dropped_total", "Scale-up requests not sent (scaler unreachable).")
	m.migratedOnTheFly = m.newCounter("migrated_on_the_fly_total", "Documents migrated when read for a write.")
	m.migratedBatch = m.newCounter("migrated_batch_total", "Documents migrated by the batch migrator.")
	m.flushSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: "stampede", Subsystem: "backend", Name: "flush_duration_seconds",
		Help: "Duration of one node's flush cycle.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)})
	m.collectors = append(m.collectors, m.flushSeconds)
	m.ops = newOpLatency()
	m.collectors = append(m.collectors, m.ops.seconds, m.ops.tries)
	if reg != nil {
		for _, c := range m.collectors {
			// A second backend on the same registry keeps the first one's series.
			_ = reg.Register(c)
		}
	}
	return m
}

func (m *metrics) flushed(entities, failed int, took time.Duration) {
	m.flushCycles.Inc()
	m.flushFailures.Add(float64(failed))
	if entities == 0 {
		return
	}
	m.flushSeconds.Observe(took.Seconds())
	m.latencyMu.Lock()
	_ = m.latency.RecordValue(max(1, took.Microseconds()))
	m.latencyMu.Unlock()
}

func (m *metrics) latencySnapshot() *hdrhistogram.Snapshot {
	m.latencyMu.Lock()
	defer m.latencyMu.Unlock()
	return m.latency.Export()
}
