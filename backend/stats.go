package backend

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend/throttle"
)

// Stats is a snapshot of the backend's cumulative counters; take two and subtract for rates.
type Stats struct {
	Time time.Time // wall clock when taken

	BatchesAccepted  int64 // batches acknowledged
	BatchesDuplicate int64 // duplicates acknowledged without counting
	BatchesRejected  int64 // 4xx answers
	Pushback429      int64 // 429 answers (queue full)
	Pushback503      int64 // 503 answers (not ready, storage behind)
	EventsAcked      int64 // events acknowledged
	EventsStored     int64 // events whose counters reached Cosmos DB

	// Cosmos has, per operation class and container, the latency of every Cosmos DB call
	// as the application sees it (throttle waits and retries included) and its HTTP tries.
	Cosmos map[CosmosOp]CosmosOpStats

	CosmosReads   int64   // point reads
	CosmosWrites  int64   // document creates and replaces
	Conflicts     int64   // 412/409 that forced a re-read and merge
	RequestCharge float64 // request units charged
	Throttle      throttle.Stats

	FlushCycles   int64
	FlushFailures int64                  // entity writes kept for retry
	FlushSkipped  int64                  // entity writes postponed: the cycle's first writes all failed
	ClientResets  int64                  // clients replaced after lasting write failures
	NodeRestarts  int64                  // nodes restarted by RestartNode
	FlushLatency  *hdrhistogram.Snapshot // per node flush cycle, microseconds
	QueuedEvents  int64                  // acknowledged, not yet folded into memory
	DirtyEntities int                    // changed entities waiting for a flush

	ParseErrors   int64            // stored documents that failed to parse (must be 0)
	AlertsWritten int64            // Alert document writes
	Detections    map[string]int64 // distinct alerts raised per alert kind, all tenants
	RuleFirings   map[string]int64 // rule firings per alert kind (repeats update an alert)
	ScaleRequests int64            // scale-up requests sent to the elastic scaler

	Generation int            // schema generation being written
	Migration  MigrationStats // on-the-fly and batch migrations
}

// WritesPer1000Events is the coalescing figure: Cosmos DB writes per 1,000 events stored.
func (s Stats) WritesPer1000Events() float64 {
	if s.EventsStored == 0 {
		return 0
	}
	return float64(s.CosmosWrites) * 1000 / float64(s.EventsStored)
}

// Stats returns a snapshot of the counters.
func (b *Backend) Stats() Stats {
	m := b.metrics
	s := Stats{Time: time.Now(),
		BatchesAccepted: m.batchesAccepted.Count(), BatchesDuplicate: m.batchesDuplicate.Count(),
		BatchesRejected: m.batchesRejected.Count(), Pushback429: m.pushback429.Count(),
		Pushback503: m.pushback503.Count(), EventsAcked: m.eventsAcked.Count(),
		EventsStored: m.eventsStored.Count(), CosmosReads: m.cosmosReads.Count(),
		CosmosWrites: m.cosmosWrites.Count(), Conflicts: m.conflicts.Count(),
		RequestCharge: m.requestCharge.Value(), FlushCycles: m.flushCycles.Count(),
		FlushFailures: m.flushFailures.Count(), FlushSkipped: m.flushSkipped.Count(),
		ClientResets: m.clientResets.Count(), NodeRestarts: m.nodeRestarts.Count(),
		FlushLatency: m.latencySnapshot(),
		QueuedEvents: b.queued.Load(), ParseErrors: m.parseErrors.Count(),
		AlertsWritten: m.alertsWritten.Count(), ScaleRequests: m.scaleRequests.Count(),
		Generation: b.Generation(), Migration: b.migration.stats(), Detections: map[string]int64{},
		RuleFirings: map[string]int64{}, Cosmos: m.ops.snapshot()}
	for _, n := range b.nodes {
		ts := n.policy.Stats()
		s.Throttle.Requests += ts.Requests
		s.Throttle.Throttled += ts.Throttled
		s.Throttle.Retries += ts.Retries
		s.Throttle.Exhausted += ts.Exhausted
		s.Throttle.Waited += ts.Waited
		s.DirtyEntities += n.dirtyCount()
	}
	for _, t := range b.tenantList() {
		for kind, c := range t.engine.Raised() {
			s.Detections[kind] += c
		}
		for kind, c := range t.engine.Detections() {
			s.RuleFirings[kind] += c
		}
	}
	return s
}
