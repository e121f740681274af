package sim

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/sink"
)

// ErrAlreadyRun is returned when Run is called a second time on the same Fleet.
var ErrAlreadyRun = errors.New("fleet already run")

// Fleet runs this shard's sensors against a Sink: each sensor generates its stream on the
// open-model schedule, batches it by size and age, buffers the batches in a bounded queue
// and delivers them with retries. Build one with New and call Run once; Totals may be
// called at any time from any goroutine.
type Fleet struct {
	cfg      Config
	sink     sink.Sink
	tenants  []tenantPlan
	sensors  []*sensor
	workers  []*worker
	counters counters
	batches  sync.Pool
	ran      atomic.Bool
	// start is the wall-clock start of Run, set before any goroutine starts.
	start time.Time

	// lastSecond and lastElapsed belong to the stats loop.
	lastSecond  snapshot
	lastElapsed time.Duration

	// mu guards the fields below.
	mu        sync.Mutex
	lagTotal  *hdrhistogram.Histogram
	saturated int
	elapsed   time.Duration
	warned    map[string]bool
}

// sensor is one sensor's batching state (owned by its worker) and send queue.
type sensor struct {
	stream *stream
	// open is the batch being filled; openDue and lastDue are the due offsets of its first
	// and last events.
	open             []api.Event
	openDue, lastDue time.Duration
	// limit and wait close the open batch (events, real time after openDue): Config's
	// BatchSize and BatchWait, except that the first batch is cut at the stream's batch
	// phase of both. Sensors started together would otherwise fill and send their batches
	// in step for the whole run, in bursts no real fleet makes.
	limit int
	wait  time.Duration
	seq   uint64
	queue chan outBatch
	done  bool
	// generated, acked and missed count this sensor's events for per-tenant totals.
	generated, acked, missed atomic.Int64
}

// outBatch is a closed batch waiting for delivery.
type outBatch struct {
	events []api.Event
	seq    uint64
	// due is the offset the batch was due to leave at (see Fleet.closeBatch).
	due time.Duration
}

// New plans the fleet of cfg (defaults applied): organisations, attacks and this shard's
// sensors. It does not start anything.
func New(cfg Config, s sink.Sink) (*Fleet, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sensor fleet: %w", err)
	}
	if s == nil {
		return nil, errors.New("sensor fleet: nil sink")
	}
	tenants, streams, err := plan(cfg)
	if err != nil {
		return nil, fmt.Errorf("sensor fleet: %w", err)
	}
	f := &Fleet{cfg: cfg, sink: s, tenants: tenants, lagTotal: newLagHistogram(),
		warned: map[string]bool{}}
	f.batches.New = func() any { return make([]api.Event, 0, cfg.BatchSize) }
	for _, st := range streams {
		f.sensors = append(f.sensors, &sensor{stream: st,
			queue: make(chan outBatch, cfg.QueueBatches),
			limit: max(1, int(math.Ceil(st.batchPhase*float64(cfg.BatchSize)))),
			wait:  time.Duration(st.batchPhase * float64(cfg.BatchWait))})
	}
	workers := cfg.Workers
	if workers == 0 {
		workers = DefaultWorkers()
	}
	workers = max(1, min(workers, len(f.sensors)))
	for i := range workers {
		w := &worker{fleet: f, lag: newLagHistogram(), pending: make([]int64, 0, lagChunk)}
		for j := i; j < len(f.sensors); j += workers {
			w.sensors = append(w.sensors, f.sensors[j])
		}
		f.workers = append(f.workers, w)
	}
	return f, nil
}

// DefaultWorkers is the number of pacing goroutines when Config.Workers is 0: one per four
// CPUs, at least one. One worker paces millions of events per second; more workers on few
// CPUs wake more often and measured more schedule lag, not less.
func DefaultWorkers() int { return max(1, runtime.GOMAXPROCS(0)/4) }

// Sensors returns the number of sensors this shard runs.
func (f *Fleet) Sensors() int { return len(f.sensors) }

// Run generates and delivers events for Config.Duration, then waits up to Config.Drain for
// buffered batches. It blocks until then or until ctx is done (events not delivered by
// then count as Unsent), and returns the totals. Delivery failures are counted in the
// totals, not returned; the error is ErrAlreadyRun or nil.
func (f *Fleet) Run(ctx context.Context) (Totals, error) {
	if !f.ran.CompareAndSwap(false, true) {
		return Totals{}, ErrAlreadyRun
	}
	log := f.cfg.Logger
	log.Info("sensors starting", "sensors", len(f.sensors), "tenants", len(f.tenants),
		"shard", fmt.Sprintf("%d/%d", f.cfg.Shard, f.cfg.Shards), "duration", f.cfg.Duration,
		"seed", f.cfg.Seed)
	start := time.Now()
	f.start = start
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	var senders sync.WaitGroup
	for _, s := range f.sensors {
		for range f.cfg.InFlight {
			senders.Go(func() { f.sendLoop(sendCtx, s) })
		}
	}
	genCtx, stopGenerating := context.WithDeadline(ctx, start.Add(f.cfg.Duration))
	defer stopGenerating()
	genDone, allDone := make(chan struct{}), make(chan struct{})
	statsStopped := make(chan struct{})
	go func() {
		defer close(statsStopped)
		f.statsLoop(ctx, start, genDone, allDone)
	}()
	var workers sync.WaitGroup
	for _, w := range f.workers {
		workers.Go(func() { w.run(genCtx, start) })
	}
	workers.Wait()
	close(genDone)
	f.drain(ctx, stopSending, &senders)
	close(allDone)
	<-statsStopped
	totals := f.Totals()
	log.Info("sensors done", "generated", totals.Generated, "acked", totals.Acked,
		"dropped", totals.Dropped, "failed", totals.Failed+totals.Rejected,
		"unsent", totals.Unsent, "lag_p99", totals.LagP99, "duration", time.Since(start))
	return totals, nil
}

// drain waits for the senders to empty their queues, for at most Config.Drain.
func (f *Fleet) drain(ctx context.Context, stopSending func(), senders *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		senders.Wait()
		close(done)
	}()
	timer := time.NewTimer(f.cfg.Drain)
	defer timer.Stop()
	select {
	case <-done:
		return
	case <-timer.C:
		f.warn("drain", "drain timed out; undelivered batches count as unsent",
			"drain", f.cfg.Drain)
	case <-ctx.Done():
	}
	stopSending()
	<-done
}

// Totals returns the totals so far; after Run returns, the final totals.
func (f *Fleet) Totals() Totals {
	c := &f.counters
	t := Totals{
		Seed: f.cfg.Seed, Shard: f.cfg.Shard, Shards: f.cfg.Shards, Sensors: len(f.sensors),
		Generated: c.generated.Load(), Acked: c.acked.Load(), Duplicates: c.duplicates.Load(),
		Dropped: c.dropped.Load(), Rejected: c.rejected.Load(), Failed: c.failed.Load(),
		Unsent: c.unsent.Load(), Missed: c.missed.Load(), Batches: c.batches.Load(),
		Retries:         c.retries.Load(),
		TransportErrors: c.transportErrors.Load(), Statuses: map[int]int64{},
		Attacks: f.GroundTruth(), Tenants: map[string]TenantTotals{},
	}
	for _, s := range f.sensors {
		tt := t.Tenants[s.stream.tenant]
		tt.Generated += s.generated.Load()
		tt.Acked += s.acked.Load()
		tt.Missed += s.missed.Load()
		t.Tenants[s.stream.tenant] = tt
	}
	c.mu.Lock()
	for code, n := range c.statuses {
		t.Statuses[code] = n
	}
	c.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	t.Elapsed, t.SaturatedSeconds = f.elapsed, f.saturated
	t.setLag(f.lagTotal)
	if t.Elapsed > 0 {
		t.Rate = float64(t.Generated) / t.Elapsed.Seconds()
	}
	return t
}

// GroundTruth returns the attacks injected by this shard's sensors, in plan order.
func (f *Fleet) GroundTruth() []attack.Attack {
	return groundTruth(f.tenants, f.cfg)
}

func groundTruth(tenants []tenantPlan, cfg Config) []attack.Attack {
	var out []attack.Attack
	index := 0
	for _, t := range tenants {
		for _, inj := range t.attacks {
			if (index+inj.Sensor)%cfg.Shards == cfg.Shard {
				out = append(out, inj.Attack)
			}
		}
		index += len(t.org.DCs)
	}
	return out
}

// warn logs msg once per key for the whole run.
func (f *Fleet) warn(key, msg string, args ...any) {
	f.mu.Lock()
	first := !f.warned[key]
	f.warned[key] = true
	f.mu.Unlock()
	if first {
		f.cfg.Logger.Warn(msg, args...)
	}
}

func (f *Fleet) getBatch() []api.Event { return f.batches.Get().([]api.Event)[:0] }

//nolint:staticcheck // SA6002: a slice header is small; the pool keeps its backing array.
func (f *Fleet) putBatch(b []api.Event) { f.batches.Put(b[:0]) }
