package runner

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/reports"
)

// documentVersionsEvery is how often the documents per schema version are counted. Each
// count reads every versioned document through the backend's client, which costs request
// units of the tenants' containers, so it runs only in scenarios that upgrade.
const documentVersionsEvery = 5 * time.Second

// documentVersionsTimeout bounds one count.
const documentVersionsTimeout = 10 * time.Second

// recordScaleActions records the elastic scalers' decisions made since the last call that
// changed throughput, one per container and direction ("raise" or "lower").
func (bs *backendsSampler) recordScaleActions() {
	if bs.scaleSeen == nil {
		bs.scaleSeen = make([]int, len(bs.parts))
	}
	for i, p := range bs.parts {
		if p.scaler == nil {
			continue
		}
		ds := p.scaler.Decisions()
		for _, d := range ds[min(bs.scaleSeen[i], len(ds)):] {
			if d.Action != "hold" {
				bs.out.add(reports.MetricScaleActions,
					reports.Labels{"container": d.Container, "direction": d.Action}, 1)
			}
		}
		bs.scaleSeen[i] = len(ds)
	}
}

// recordFlushLatency records the flush cycles every backend completed since the last call,
// from the difference of their cumulative flush latency histograms (microseconds).
func (bs *backendsSampler) recordFlushLatency(at time.Time, perPart []backend.Stats) {
	if bs.flushSeen == nil {
		bs.flushSeen = make([]*hdr.Snapshot, len(perPart))
	}
	for i := range perPart {
		now := perPart[i].FlushLatency
		if now == nil {
			continue
		}
		for _, bar := range newObservations(bs.flushSeen[i], now) {
			v := float64(bar.From+bar.To) / 2 / 1e6
			for range bar.Count {
				bs.out.observe(reports.MetricFlushLatency, nil, at, v)
			}
		}
		bs.flushSeen[i] = now
	}
}

// recordCosmosLatency records cosmos_latency{op, container}: the Cosmos DB calls every
// backend completed since the last call, whatever their outcome, from the difference of
// their cumulative latency histograms. Each is observed at the midpoint of its bucket
// (within 0.8% of the value).
func (bs *backendsSampler) recordCosmosLatency(at time.Time, perPart []backend.Stats) {
	if bs.cosmosSeen == nil {
		bs.cosmosSeen = make([]map[backend.CosmosOp]*backend.LatencyHistogram, len(perPart))
	}
	for i := range perPart {
		if bs.cosmosSeen[i] == nil {
			bs.cosmosSeen[i] = map[backend.CosmosOp]*backend.LatencyHistogram{}
		}
		seen := bs.cosmosSeen[i]
		for key, st := range perPart[i].Cosmos {
			all := st.All()
			calls := all.Sub(seen[key])
			seen[key] = all
			if calls.Count() > 0 {
				bs.observeLatencies(cosmosLatencyLabels(key), at, calls)
			}
		}
	}
}

func cosmosLatencyLabels(key backend.CosmosOp) reports.Labels {
	if key.Container == "" { // an account or database call
		return reports.Labels{"op": key.Op}
	}
	return reports.Labels{"op": key.Op, "container": key.Container}
}

// observeLatencies records every latency of h into the trend metric cosmos_latency.
func (bs *backendsSampler) observeLatencies(labels reports.Labels, at time.Time,
	h *backend.LatencyHistogram) {
	trend, err := bs.out.rec.Trend(reports.MetricCosmosLatency, labels)
	if err != nil {
		bs.out.failed(err)
		return
	}
	h.Buckets(func(low, high time.Duration, count int64) {
		v := (low + high).Seconds() / 2
		for range count {
			trend.ObserveAt(at, v)
		}
	})
}

// newObservations is what was recorded into a cumulative histogram between two snapshots
// of it (prev nil: since it was created), as value ranges with counts.
func newObservations(prev, now *hdr.Snapshot) []hdr.Bar {
	diff := *now
	diff.Counts = make([]int64, len(now.Counts))
	grew := false
	for i, n := range now.Counts {
		if prev != nil && i < len(prev.Counts) {
			n -= prev.Counts[i]
		}
		diff.Counts[i] = max(n, 0)
		grew = grew || n > 0
	}
	if !grew {
		return nil
	}
	var out []hdr.Bar
	for _, bar := range hdr.Import(&diff).Distribution() {
		if bar.Count > 0 {
			out = append(out, bar)
		}
	}
	return out
}

// versionCounter counts the documents per schema version in the background, at most every
// documentVersionsEvery and one count at a time, so a slow count never delays sampling.
type versionCounter struct {
	group   *backendGroup
	running atomic.Bool
	mu      sync.Mutex
	last    time.Time
	seen    map[string]map[int]bool // versions counted before, set to 0 once none is left
	final   bool                    // the final count is recorded; later ones are stale
}

// maybeCount starts a count when the last one is old enough and none is running; the
// count records one gauge per container and version when it completes.
func (vc *versionCounter) maybeCount(out *recording, now time.Time) {
	vc.mu.Lock()
	due := now.Sub(vc.last) >= documentVersionsEvery
	if due {
		vc.last = now
	}
	vc.mu.Unlock()
	if !due || !vc.running.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer vc.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), documentVersionsTimeout)
		defer cancel()
		versions, err := vc.group.documentVersions(ctx)
		if err != nil {
			return // the next count tries again; the series only misses a point
		}
		vc.record(out, versions)
	}()
}

// countNow counts synchronously, after the drain, and records the final figures.
func (vc *versionCounter) countNow(ctx context.Context, out *recording) error {
	versions, err := vc.group.documentVersions(ctx)
	if err != nil {
		return err
	}
	vc.record(out, versions)
	vc.mu.Lock()
	vc.final = true
	vc.mu.Unlock()
	return nil
}

// record sets the gauge of every version counted now or before (0 when none is left).
func (vc *versionCounter) record(out *recording, versions map[string]map[int]int64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.final {
		return
	}
	if vc.seen == nil {
		vc.seen = map[string]map[int]bool{}
	}
	for c, byVersion := range versions {
		if vc.seen[c] == nil {
			vc.seen[c] = map[int]bool{}
		}
		for v := range byVersion {
			vc.seen[c][v] = true
		}
	}
	for c, seen := range vc.seen {
		for v := range seen {
			out.set(reports.MetricDocsBySchema,
				reports.Labels{"container": c, "version": strconv.Itoa(v)},
				float64(versions[c][v]))
		}
	}
}
