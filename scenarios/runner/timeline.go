package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// step is one thing the timeline does at an offset: open a phase, or act on a part.
type step struct {
	at    time.Duration
	kind  string // a reports.Event* kind
	label string
	apply func(ctx context.Context) error // nil for a phase change or a load change
	phase string                          // set when the step opens a phase
	note  *string                         // what apply did, when it says, for the event
	// begin, when set, is recorded as an event of the step's kind before apply runs, for
	// an action that lasts (a restart): the report's timeline then shows its window.
	begin string
}

// steps turns the timeline into the ordered steps to apply. Load changes need no step of
// their own (the sensors follow the LoadPlan), only their phase.
func (r *run) steps() []step {
	var out []step
	tl := r.s.Timeline
	for i, e := range tl {
		out = append(out, step{at: e.At.D(), phase: e.Phase(), kind: reports.EventPhase})
		if st, ok := r.actionStep(e); ok {
			out = append(out, st)
		}
		end := e.At + e.Duration
		if e.Duration > 0 && (i == len(tl)-1 || tl[i+1].At >= end) && end < r.s.Duration {
			out = append(out, step{at: end.D(), phase: scenarios.PhaseSteady,
				kind: reports.EventPhase})
		}
		if e.Action == scenarios.ActionRegionDown && e.Duration > 0 {
			up := scenarios.Event{At: end, Action: scenarios.ActionRegionUp, Region: e.Region}
			if st, ok := r.actionStep(up); ok {
				out = append(out, st)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b step) int { return cmp.Compare(a.at, b.at) })
	return out
}

// actionStep returns the step of a discrete action, or false for a load change.
func (r *run) actionStep(e scenarios.Event) (step, bool) {
	st := step{at: e.At.D(), label: e.Region}
	if reason, ok := r.caps.Unsupported[e.Action]; ok {
		st.kind, st.label = "skipped", e.Action+" "+e.Region
		st.apply = func(context.Context) error { return &skippedError{reason} }
		return st, true
	}
	switch e.Action {
	case scenarios.ActionRegionDown:
		st.kind, st.apply = reports.EventRegionDown, func(ctx context.Context) error {
			return as[RegionController](r.parts.Database, func(c RegionController) error {
				return c.RegionDown(ctx, e.Region, e.Mode)
			})
		}
	case scenarios.ActionRegionUp:
		st.kind, st.apply = reports.EventRegionUp, func(ctx context.Context) error {
			return as[RegionController](r.parts.Database, func(c RegionController) error {
				return c.RegionUp(ctx, e.Region)
			})
		}
	case scenarios.ActionFailover:
		st.kind, st.apply = reports.EventFailover, func(ctx context.Context) error {
			return as[RegionController](r.parts.Database, func(c RegionController) error {
				return c.Failover(ctx, e.Region)
			})
		}
	case scenarios.ActionUpgrade:
		st.kind, st.label = reports.EventUpgrade, fmt.Sprintf("schema v%d", e.SchemaVersion)
		st.apply = func(ctx context.Context) error {
			return as[Upgrader](r.parts.Backend, func(u Upgrader) error {
				return u.Upgrade(ctx, e.SchemaVersion)
			})
		}
	case scenarios.ActionRestartNode:
		st = r.restartStep(e)
	case scenarios.ActionBackup, scenarios.ActionRestore:
		st.kind, st.label, st.note = e.Action, "", new(string)
		st.apply = func(ctx context.Context) error {
			return as[BackupTaker](r.parts.Database, func(b BackupTaker) (err error) {
				if e.Action == scenarios.ActionBackup {
					*st.note, err = b.Backup(ctx)
				} else {
					*st.note, err = b.Restore(ctx)
				}
				return err
			})
		}
	default:
		return step{}, false
	}
	return st, true
}

// restartStep restarts a backend node. Its events mark the window: "node 2 restarting
// (crash)" at the action's time, "node 2 back after 3.1s: stored 0, dropped 57 (...)" when
// it runs again. What the backends dropped unstored is counted in events_lost_crash, the
// losses acceptedRPO may accept.
func (r *run) restartStep(e scenarios.Event) step {
	mode := cmp.Or(e.Mode, scenarios.RestartGraceful)
	st := step{at: e.At.D(), kind: reports.EventRestart, label: fmt.Sprintf("node %d", e.Node),
		note: new(string)}
	st.begin = fmt.Sprintf("node %d restarting (%s)", e.Node, mode)
	if e.Duration > 0 {
		st.begin = fmt.Sprintf("node %d restarting (%s, down for %s)", e.Node, mode, e.Duration)
	}
	restart := NodeRestart{Node: e.Node, Mode: e.Mode, Downtime: e.Duration.D(),
		GracePeriod: e.GracePeriod.D()}
	st.apply = func(ctx context.Context) error {
		return as[NodeRestarter](r.parts.Backend, func(n NodeRestarter) error {
			out, err := n.RestartNode(ctx, restart)
			if c, cerr := r.rec.Counter(reports.MetricEventsLostCrash,
				reports.Labels{"node": fmt.Sprint(e.Node)}); cerr == nil {
				c.Add(float64(out.Dropped))
			}
			*st.note = fmt.Sprintf("node %d back after %s: stored %d, dropped %d (%s)",
				e.Node, reports.FormatSeconds(out.Down.Seconds()), out.Stored, out.Dropped,
				out.Details)
			return err
		})
	}
	return st
}

// skippedError marks a step skipped because this build cannot run it.
type skippedError struct{ reason string }

func (e *skippedError) Error() string { return e.reason }

// as calls fn with part as a T, or fails when part has no such ability. Check refuses such
// scenarios before a run starts, so this only fires when a Starter's capabilities are wrong.
func as[T any](part any, fn func(T) error) error {
	t, ok := part.(T)
	if !ok {
		return fmt.Errorf("%w: %T cannot do this", ErrUnsupported, part)
	}
	return fn(t)
}

// applyTimeline applies every step at its offset from the start of the run. A step that
// fails is recorded as failed and the run goes on; the failure fails the run's
// timeline invariant.
func (r *run) applyTimeline(ctx context.Context) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for _, st := range r.steps() {
		wait := time.Until(r.rec.Start().Add(st.at))
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		}
		r.applyStep(ctx, st)
	}
}

func (r *run) applyStep(ctx context.Context, st step) {
	if st.phase != "" {
		r.rec.StartPhase(st.phase)
		r.progress.setPhase(st.phase)
		return
	}
	labels := reports.Labels{}
	if st.label != "" {
		labels["target"] = st.label
	}
	if st.begin != "" {
		r.rec.Event(st.kind, withStage(labels, "start"), st.begin)
		labels = withStage(labels, "end")
	}
	err := st.apply(ctx)
	msg := st.label
	if st.note != nil && *st.note != "" {
		msg = *st.note
	}
	var skip *skippedError
	if errors.As(err, &skip) {
		r.rec.Event(st.kind, nil, fmt.Sprintf("%s: %v: %s", st.label, ErrUnsupported, skip.reason))
		return
	}
	if err != nil {
		msg = fmt.Sprintf("%s failed: %v", st.label, err)
		if st.note != nil && *st.note != "" {
			msg += "; " + *st.note
		}
		r.actionErrs = append(r.actionErrs, fmt.Sprintf("%s at %s: %v", st.kind, st.at, err))
		r.opts.Logger.Warn("timeline action failed", "action", st.kind, "err", err)
	}
	r.rec.Event(st.kind, labels, msg)
}

// withStage returns a copy of labels saying which end of a lasting action an event marks.
func withStage(labels reports.Labels, stage string) reports.Labels {
	out := maps.Clone(labels)
	out["stage"] = stage
	return out
}
