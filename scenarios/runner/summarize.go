package runner

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// Invariants the runner adds to those of the reports package.
const (
	InvariantConservation = "conservation"
	InvariantTimeline     = "timeline_applied"
	// InvariantSkipped lists what --skip-unsupported skipped; it records, it cannot fail.
	InvariantSkipped = "skipped_unsupported"
)

// summarize builds the run's summary: everything recorded, the figures the parts know at
// the end, the invariants and the thresholds.
func (r *run) summarize(ctx context.Context) (*reports.Summary, *Capacity) {
	sum := &reports.Summary{}
	r.rec.Fill(sum)
	sum.Run.ID = fmt.Sprintf("%s-%s", r.s.Name, sum.Run.Start.UTC().Format("20060102T150405Z"))
	sum.Scenario = r.scenarioInfo()
	sum.Environment = environment(r.s.Target)
	for _, p := range []any{r.parts.Database, r.parts.Backend, r.parts.Sensors} {
		if f, ok := p.(Finisher); ok {
			f.Finish(ctx, sum)
		}
	}
	r.noteRPOEvents(sum)
	if r.interrupted {
		sum.Run.Aborted, sum.Run.AbortReason = true, "interrupted before the end of the run"
	}
	if r.aborted != nil {
		sum.Run.Aborted = true
		sum.Run.AbortReason = fmt.Sprintf("threshold %s %s failed: %s", r.aborted.Metric,
			r.aborted.Expression, r.aborted.Message)
	}
	reports.CheckInvariants(sum)
	sum.Invariants = append(sum.Invariants, r.conservationInvariant(sum), r.timelineInvariant())
	if len(r.skipped) > 0 {
		sum.Invariants = append(sum.Invariants, reports.InvariantResult{
			Name:        InvariantSkipped,
			Description: "parts of the scenario this build cannot run, skipped on request",
			Verdict:     reports.VerdictPass, Observed: float64(len(r.skipped)),
			Message: strings.Join(r.skipped, "; ")})
	}
	reports.EvaluateAll(sum, r.thresholds)
	capacity := r.capacity(sum)
	sum.Finalize()
	return sum, capacity
}

func (r *run) scenarioInfo() reports.Scenario {
	src := r.opts.Source
	if src == nil {
		src, _ = scenarios.Marshal(r.s) // a loaded scenario always marshals
	}
	return reports.Scenario{Name: r.s.Name, Seed: uint64(r.s.Seed), Format: "yaml",
		Effective: string(src), AcceptedRPO: r.s.AcceptedRPO}
}

// conservationInvariant checks that stored counters equal acknowledged events for every
// tenant and entity: events_lost catches losses, this also catches double counting. Losses
// are accepted up to acceptedRPO only as far as they are explained entity by entity: by
// what a crash restart dropped from the entity, or by its profile writes a failover lost.
func (r *run) conservationInvariant(sum *reports.Summary) reports.InvariantResult {
	res := reports.InvariantResult{Name: InvariantConservation,
		Description: "stored counters equal acknowledged events, per tenant and entity",
		Verdict:     reports.VerdictFail}
	if r.drainErr != nil {
		res.Message = r.drainErr.Error()
		return res
	}
	if len(r.conserved) == 0 {
		res.Message = "the backend reported no tenants: conservation was not checked"
		return res
	}
	var problems []string
	var missing, extra, byCrash int64
	for _, c := range r.conserved {
		missing += c.Missing()
		extra += c.Extra
		byCrash += c.LostToCrash
		if c.Lost() != 0 || c.EntitiesWrong != 0 {
			problems = append(problems, fmt.Sprintf("%s: acked %d, stored %d, %d entities wrong",
				c.Tenant, c.Acked, c.Stored, c.EntitiesWrong))
		}
	}
	accepted := r.s.AcceptedRPO
	res.Observed, res.Allowed = float64(missing), float64(min(accepted, byCrash))
	if r.rpo != nil {
		// Only the events carried by the writes the failover lost, and those crash restarts
		// dropped, may be missing, and only up to what the scenario accepts.
		rpo := r.rpo.total()
		res.Observed = float64(rpo + r.rpo.Crash + r.rpo.Other)
		res.Allowed = float64(min(accepted, rpo+r.rpo.Crash))
		res.Message = fmt.Sprintf("%d events lost with the profile writes the failover "+
			"lost (RPO), %d dropped by crash restarts from their entities (%d accepted in "+
			"all), %d lost otherwise", rpo, r.rpo.Crash, accepted, r.rpo.Other)
		if r.rpo.Other == 0 && extra == 0 && rpo+r.rpo.Crash <= accepted {
			res.Verdict = reports.VerdictPass
		}
		return res
	}
	if len(problems) == 0 {
		res.Verdict = reports.VerdictPass
		return res
	}
	res.Message = strings.Join(problems, "; ")
	if byCrash > 0 && extra == 0 {
		if missing == byCrash && missing <= accepted {
			res.Verdict = reports.VerdictPass
		}
		res.Message = fmt.Sprintf("%d events lost, %d of them from entities crash restarts "+
			"dropped them from (%d dropped in all, %d accepted): %s", missing, byCrash,
			crashDropped(sum), accepted, res.Message)
	}
	return res
}

// crashDropped is the acknowledged events the run's crash restarts dropped unstored, as
// the backends reported them.
func crashDropped(sum *reports.Summary) int64 {
	var n float64
	for _, s := range sum.Find(reports.MetricEventsLostCrash, nil) {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				n += v
			}
		}
	}
	return int64(n)
}

// noteRPOEvents gives each failover the acknowledged events carried by the writes it lost,
// the unit of acceptedRPO and events_lost (a failover's RPOCount counts writes).
func (r *run) noteRPOEvents(sum *reports.Summary) {
	if r.rpo == nil {
		return
	}
	for i, n := range r.rpo.RPO {
		if i < len(sum.Failovers) {
			sum.Failovers[i].RPOEvents = n
		}
	}
}

func (r *run) timelineInvariant() reports.InvariantResult {
	res := reports.InvariantResult{Name: InvariantTimeline,
		Description: "every timeline action was applied", Verdict: reports.VerdictPass,
		Observed: float64(len(r.actionErrs))}
	if len(r.actionErrs) > 0 {
		res.Verdict = reports.VerdictFail
		res.Message = strings.Join(r.actionErrs, "; ")
	}
	return res
}

func environment(t scenarios.Target) reports.Environment {
	env := reports.Environment{GoVersion: runtime.Version(), OS: runtime.GOOS,
		Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Target: t.Kind}
	env.Hostname, _ = os.Hostname()
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				env.GitCommit = s.Value
			}
		}
	}
	switch {
	case t.BackendURL != "":
		env.Target = "external backend " + t.BackendURL
	case t.Cosmos != nil:
		env.Target = "external cosmos " + t.Cosmos.Endpoint
	}
	return env
}
