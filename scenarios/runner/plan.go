package runner

import (
	"slices"
	"time"

	"github.com/stampede-load/stampede/scenarios"
	"github.com/stampede-load/stampede/sim/pace"
)

// LoadPlan says, for every tenant, how the timeline multiplies its base rate over time,
// as the sim package's rate changes. It is derived from the timeline once and is safe for
// concurrent use.
//
// A burst holds its multiplier for its duration, then load returns to where it was. A ramp
// moves linearly from 1 to its multiplier over its duration and stays there (until a later
// ramp). A sweep climbs in equal steps from 1 to its multiplier, each step held for
// duration/steps, and returns to 1 at its end.
type LoadPlan struct {
	changes map[string][]pace.Change // per tenant name
	sweeps  [][2]time.Duration
}

// NewLoadPlan derives the load plan of s.
func NewLoadPlan(s *scenarios.Scenario) *LoadPlan {
	p := &LoadPlan{changes: map[string][]pace.Change{}}
	for _, t := range s.Tenants {
		for _, name := range t.TenantNames() {
			p.changes[name] = tenantChanges(s.Timeline, t.Name, name)
		}
	}
	for _, e := range s.Timeline {
		if e.Action == scenarios.ActionSweep {
			p.sweeps = append(p.sweeps, sweepSteps(e)...)
		}
	}
	return p
}

// tenantChanges returns the rate changes of the timeline that apply to tenant name of
// group.
func tenantChanges(timeline []scenarios.Event, group, name string) []pace.Change {
	var out []pace.Change
	for _, e := range timeline {
		if len(e.Tenants) > 0 && !slices.Contains(e.Tenants, group) &&
			!slices.Contains(e.Tenants, name) {
			continue
		}
		switch e.Action {
		case scenarios.ActionBurst:
			out = append(out, pace.Change{At: e.At.D(), For: e.Duration.D(),
				Multiplier: e.Multiplier})
		case scenarios.ActionRamp:
			out = append(out, pace.Change{At: e.At.D(), For: e.Duration.D(),
				Multiplier: e.Multiplier, Ramp: true})
		case scenarios.ActionSweep:
			for i, step := range sweepSteps(e) {
				level := 1 + (e.Multiplier-1)*float64(i)/float64(e.Steps-1)
				out = append(out, pace.Change{At: step[0], For: step[1] - step[0],
					Multiplier: level})
			}
		}
	}
	return out
}

// sweepSteps returns the [start, end) offsets of each step of a sweep.
func sweepSteps(e scenarios.Event) [][2]time.Duration {
	steps := make([][2]time.Duration, e.Steps)
	at, d, n := e.At.D(), e.Duration.D(), time.Duration(e.Steps)
	for i := range steps {
		steps[i] = [2]time.Duration{at + d*time.Duration(i)/n, at + d*time.Duration(i+1)/n}
	}
	return steps
}

// Changes returns the rate changes that apply to tenant, for the sim fleet.
func (p *LoadPlan) Changes(tenant string) []pace.Change {
	return slices.Clone(p.changes[tenant])
}

// Multiplier returns the factor applied to tenant's base rate at offset.
func (p *LoadPlan) Multiplier(tenant string, offset time.Duration) float64 {
	return pace.Timeline{Base: pace.Constant{PerSecond: 1}, Changes: p.changes[tenant]}.
		Rate(offset)
}

// SweepSteps returns the [start, end) offsets of each step of the sweeps in the plan, in
// order, so a report can judge each step on its own.
func (p *LoadPlan) SweepSteps() [][2]time.Duration { return slices.Clone(p.sweeps) }
