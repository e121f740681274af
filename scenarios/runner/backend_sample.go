package runner

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/sim/attack"
)

// backendsSampler records the counters of every backend of the run, summed.
type backendsSampler struct {
	parts     []*backendPart
	log       *slog.Logger
	last      backend.Stats
	out       *recording
	scaleSeen []int           // per part: scaler decisions recorded
	flushSeen []*hdr.Snapshot // per part: flush latency recorded
	// cosmosSeen is, per part, the Cosmos DB call latency recorded so far.
	cosmosSeen []map[backend.CosmosOp]*backend.LatencyHistogram
	versions   *versionCounter // nil unless the scenario upgrades
}

// Sample records the backends' counters for the second that ended.
func (bs *backendsSampler) Sample(rec *reports.Recorder) { bs.record(rec, partStats(bs.parts)) }

// record records the second that ended from the counters of every backend, taken now.
func (bs *backendsSampler) record(rec *reports.Recorder, perPart []backend.Stats) {
	if bs.out == nil {
		bs.out = &recording{rec: rec, log: bs.log}
	}
	now := sumOf(perPart)
	prev := bs.last
	bs.last = now
	o := bs.out
	o.add(reports.MetricCosmosRequests, nil, float64(now.Throttle.Requests-prev.Throttle.Requests))
	o.add(reports.MetricCosmosThrottled, nil,
		float64(now.Throttle.Throttled-prev.Throttle.Throttled))
	o.add(reports.MetricCosmosRetries, nil, float64(now.Throttle.Retries-prev.Throttle.Retries))
	o.add(reports.MetricParseErrors, nil, float64(now.ParseErrors-prev.ParseErrors))
	o.add(reports.MetricAlertsRaised, nil, float64(now.AlertsWritten-prev.AlertsWritten))
	o.ratio(reports.MetricThrottleRatio, nil, now.Throttle.Throttled-prev.Throttle.Throttled,
		now.Throttle.Requests-prev.Throttle.Requests+now.Throttle.Retries-prev.Throttle.Retries)
	o.set(reports.MetricBackendPending, nil, float64(now.EventsAcked-now.EventsStored))
	bs.recordScaleActions()
	bs.recordFlushLatency(now.Time, perPart)
	bs.recordCosmosLatency(now.Time, perPart)
	if bs.versions != nil {
		bs.versions.maybeCount(o, now.Time)
	}
	for c, n := range now.Migration.OnTheFly {
		o.add(reports.MetricMigratedOnFly, reports.Labels{"container": c},
			float64(n-prev.Migration.OnTheFly[c]))
	}
	for c, n := range now.Migration.Batch {
		o.add(reports.MetricMigratedBatch, reports.Labels{"container": c},
			float64(n-prev.Migration.Batch[c]))
	}
}

var _ finalSampler = (*backendsSampler)(nil)

// FinalSample counts the documents per schema version once more after the drain, so the
// series ends on what was stored.
func (bs *backendsSampler) FinalSample(ctx context.Context, rec *reports.Recorder) {
	if bs.versions == nil {
		return
	}
	if bs.out == nil {
		bs.out = &recording{rec: rec, log: bs.log}
	}
	if err := bs.versions.countNow(ctx, bs.out); err != nil {
		bs.log.Warn("document versions", "err", err)
	}
}

// sumStats adds up the counters of every backend that the report needs.
func sumStats(parts []*backendPart) backend.Stats { return sumOf(partStats(parts)) }

// partStats takes the stats of every backend, once.
func partStats(parts []*backendPart) []backend.Stats {
	out := make([]backend.Stats, len(parts))
	for i, p := range parts {
		out[i] = p.b.Stats()
	}
	return out
}

// sumOf adds up the counters of the backends' stats that the report needs.
func sumOf(perPart []backend.Stats) backend.Stats {
	sum := backend.Stats{Time: time.Now(), Detections: map[string]int64{},
		Migration: backend.MigrationStats{OnTheFly: map[string]int64{}, Batch: map[string]int64{}}}
	for _, st := range perPart {
		sum.EventsAcked += st.EventsAcked
		sum.EventsStored += st.EventsStored
		sum.CosmosWrites += st.CosmosWrites
		sum.ParseErrors += st.ParseErrors
		sum.AlertsWritten += st.AlertsWritten
		sum.Throttle.Requests += st.Throttle.Requests
		sum.Throttle.Throttled += st.Throttle.Throttled
		sum.Throttle.Retries += st.Throttle.Retries
		for k, n := range st.Detections {
			sum.Detections[k] += n
		}
		for c, n := range st.Migration.OnTheFly {
			sum.Migration.OnTheFly[c] += n
		}
		for c, n := range st.Migration.Batch {
			sum.Migration.Batch[c] += n
		}
		if st.Migration.BatchError != "" {
			sum.Migration.BatchError = st.Migration.BatchError
		}
	}
	return sum
}

// Finish adds the migration figures, the scale decisions and the detections to the summary.
func (g *backendGroup) Finish(ctx context.Context, s *reports.Summary) {
	st := sumStats(g.parts)
	g.finishMigrations(ctx, s, st)
	for _, p := range g.parts {
		if p.scaler == nil {
			continue
		}
		for _, d := range p.scaler.Decisions() {
			if d.Action == "hold" {
				continue
			}
			s.Events = append(s.Events, reports.Event{
				AtSeconds: d.Wall.Sub(s.Run.Start).Seconds(), Kind: reports.EventScale,
				Labels: reports.Labels{"container": d.Container, "direction": d.Action},
				Message: d.Database + "/" + d.Container + " " + strconv.Itoa(int(d.From)) +
					" -> " + strconv.Itoa(int(d.To)) + " RU/s: " + d.Reason})
		}
	}
	if g.sensors != nil {
		s.Detections = g.detections(ctx, g.sensors.GroundTruth(), st.Detections)
	}
}

// finishMigrations records one Migration per container that has versioned documents, with
// the documents still at an older version read back from Cosmos DB.
func (g *backendGroup) finishMigrations(ctx context.Context, s *reports.Summary,
	st backend.Stats) {
	from, to, at := g.startVersion, 0, 0.0
	for _, e := range s.Events {
		if e.Kind == reports.EventUpgrade {
			v, _ := strconv.Atoi(strings.TrimPrefix(e.Message, "schema v"))
			if v > to {
				to, at = v, e.AtSeconds
			}
		}
	}
	if to == 0 {
		return
	}
	versions, err := g.documentVersions(ctx)
	if err != nil {
		g.log.Warn("document versions", "err", err)
		return
	}
	for _, c := range slices.Sorted(maps.Keys(versions)) {
		m := reports.Migration{Container: c, FromVersion: from, ToVersion: to, AtSeconds: at,
			OnTheFly: st.Migration.OnTheFly[c], Batch: st.Migration.Batch[c],
			CompletedAtSeconds: -1}
		for v, n := range versions[c] {
			if v < to {
				m.Remaining += n
			}
		}
		s.Migrations = append(s.Migrations, m)
	}
}

// documentVersions counts the documents per container and schema version over every
// backend.
func (g *backendGroup) documentVersions(ctx context.Context) (map[string]map[int]int64, error) {
	versions := map[string]map[int]int64{}
	for _, p := range g.parts {
		vs, err := p.b.DocumentVersions(ctx)
		if err != nil {
			return nil, err
		}
		for c, byVersion := range vs {
			if versions[c] == nil {
				versions[c] = map[int]int64{}
			}
			for v, n := range byVersion {
				versions[c][v] += n
			}
		}
	}
	return versions, nil
}

// detections scores the stored alerts against the injected attacks entity by entity and
// in time (matchDetections); when the alerts cannot be read back, it falls back to
// scoring the alerts raised per kind (detectionsByKind).
func (g *backendGroup) detections(ctx context.Context, truth []attack.Attack,
	raised map[string]int64) []reports.Detection {
	alerts, err := g.storedAlerts(ctx)
	if err != nil {
		g.log.Warn("alerts not read back: detections matched per kind only", "err", err)
		return detectionsByKind(truth, raised)
	}
	return matchDetections(truth, alerts, g.compression)
}

// detectionsByKind scores the alerts raised per kind against the injected attacks of that
// kind. Alerts are matched by kind only, not by entity: up to the number injected count as
// true positives, the rest as false positives.
func detectionsByKind(truth []attack.Attack, alerts map[string]int64) []reports.Detection {
	injected := map[string]int64{}
	for _, a := range truth {
		injected[alertKind(a.Kind)]++
	}
	kinds := slices.Sorted(maps.Keys(injected))
	for k := range alerts {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	var out []reports.Detection
	for _, k := range kinds {
		tp := min(injected[k], alerts[k])
		out = append(out, reports.Detection{AttackKind: k, Injected: injected[k],
			TruePositives: tp, FalsePositives: alerts[k] - tp, FalseNegatives: injected[k] - tp})
	}
	return out
}
