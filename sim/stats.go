package sim

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/sim/attack"
)

// Lag histograms record microseconds up to a minute with 3 significant digits.
const (
	lagMaxMicros = int64(time.Minute / time.Microsecond)
	lagDigits    = 3
)

func newLagHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(0, lagMaxMicros, lagDigits)
}

// Second is what happened in one second of a run. Counts are events unless named
// otherwise.
type Second struct {
	// Elapsed is the end of the second, from the run start. Seconds after Config.Duration
	// belong to the drain (nothing generated, deliveries still counted).
	Elapsed time.Duration `json:"elapsed_ns"`
	// Generated events were due and produced (the open model's output).
	Generated int64 `json:"generated"`
	// Acked events were acknowledged by the sink (duplicates included).
	Acked int64 `json:"acked"`
	// Batches were acknowledged; Retries are extra attempts.
	Batches int64 `json:"batches"`
	Retries int64 `json:"retries"`
	// Dropped events overflowed a full sensor buffer.
	Dropped int64 `json:"dropped"`
	// Rejected events were refused with a non-retryable status; Failed ran out of attempts.
	Rejected int64 `json:"rejected"`
	Failed   int64 `json:"failed"`
	// LagP50, LagP99 and LagMax are the schedule lag of the events generated this second.
	LagP50 time.Duration `json:"lag_p50_ns"`
	LagP99 time.Duration `json:"lag_p99_ns"`
	LagMax time.Duration `json:"lag_max_ns"`
	// Saturated is set when LagMax exceeded Config.SaturationLag: the generator could not
	// keep to the schedule.
	Saturated bool `json:"saturated"`
}

// Totals is the outcome of a run (or, while it runs, so far).
type Totals struct {
	// Seed, Shard and Shards echo the config.
	Seed   uint64 `json:"seed"`
	Shard  int    `json:"shard"`
	Shards int    `json:"shards"`
	// Sensors is the number of sensors this shard ran.
	Sensors int `json:"sensors"`
	// Elapsed is the generation time.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Generated, Acked, Duplicates (acked as already seen), Dropped (buffer overflow),
	// Rejected (non-retryable status), Failed (out of attempts) and Unsent (still buffered
	// when the drain ended) count events. Generated = Acked + Dropped + Rejected + Failed
	// + Unsent once Run returns; Generated + Missed is what the schedule asked for.
	Generated  int64 `json:"generated"`
	Acked      int64 `json:"acked"`
	Duplicates int64 `json:"duplicates"`
	Dropped    int64 `json:"dropped"`
	Rejected   int64 `json:"rejected"`
	Failed     int64 `json:"failed"`
	Unsent     int64 `json:"unsent"`
	// Missed events were due before the end but never generated: the generator was still
	// behind its schedule when the run ended (Config.SaturationLag after Duration).
	Missed int64 `json:"missed"`
	// Batches acknowledged, Retries (extra attempts) and TransportErrors (attempts with no
	// response).
	Batches         int64 `json:"batches"`
	Retries         int64 `json:"retries"`
	TransportErrors int64 `json:"transport_errors"`
	// Statuses counts responses per HTTP status code.
	Statuses map[int]int64 `json:"statuses"`
	// Rate is Generated per second of Elapsed.
	Rate float64 `json:"rate"`
	// Lag is the schedule lag of every generated event in microseconds, as an HDR
	// histogram in its compressed V2 encoding (base64 in JSON); LagHistogram decodes it and
	// MergeTotals merges it across shards. LagP50/P99/Max summarise it.
	Lag    []byte        `json:"lag_hdr_us"`
	LagP50 time.Duration `json:"lag_p50_ns"`
	LagP99 time.Duration `json:"lag_p99_ns"`
	LagMax time.Duration `json:"lag_max_ns"`
	// SaturatedSeconds counts seconds in which the generator fell behind its schedule.
	SaturatedSeconds int `json:"saturated_seconds"`
	// Attacks is the ground truth of the attacks injected by this shard's sensors.
	Attacks []attack.Attack `json:"attacks"`
	// Tenants breaks generated, acked and missed events down by tenant id, to check
	// against what the backend says it acknowledged per tenant.
	Tenants map[string]TenantTotals `json:"tenants"`
}

// TenantTotals are one tenant's event counts.
type TenantTotals struct {
	Generated int64 `json:"generated"`
	Acked     int64 `json:"acked"`
	Missed    int64 `json:"missed"`
}

// counters are the run's event counters, updated by workers and senders.
type counters struct {
	generated, acked, duplicates, dropped, rejected, failed, unsent, missed atomic.Int64
	batches, retries, transportErrors                                       atomic.Int64

	mu       sync.Mutex
	statuses map[int]int64
}

func (c *counters) status(code int) {
	c.mu.Lock()
	if c.statuses == nil {
		c.statuses = map[int]int64{}
	}
	c.statuses[code]++
	c.mu.Unlock()
}

// snapshot is a copy of the counters for per-second differences.
type snapshot struct {
	generated, acked, batches, retries, dropped, rejected, failed int64
}

func (c *counters) snapshot() snapshot {
	return snapshot{
		generated: c.generated.Load(), acked: c.acked.Load(), batches: c.batches.Load(),
		retries: c.retries.Load(), dropped: c.dropped.Load(), rejected: c.rejected.Load(),
		failed: c.failed.Load(),
	}
}

func (s Second) withDelta(now, prev snapshot) Second {
	s.Generated = now.generated - prev.generated
	s.Acked = now.acked - prev.acked
	s.Batches = now.batches - prev.batches
	s.Retries = now.retries - prev.retries
	s.Dropped = now.dropped - prev.dropped
	s.Rejected = now.rejected - prev.rejected
	s.Failed = now.failed - prev.failed
	return s
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }
