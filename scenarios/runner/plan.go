package runner

import (
	"slices"
	"time"

	"github.com/stampede-load/stampede/scenarios"
)

// loadChange is one timeline event that changes the offered load of some tenants.
type loadChange struct {
	at, duration time.Duration
	action       string
	multiplier   float64
	steps        int
	tenants      []string // empty: every tenant
}

// LoadPlan says, for any offset into the run, by how much each tenant's base rate is
// multiplied. It is derived from the timeline once and is safe for concurrent use.
//
// A burst holds its multiplier for its duration, then load returns to where it was. A ramp
// moves linearly from the level at its start to its multiplier over its duration and stays
// there. A sweep climbs in equal steps from the level at its start to its multiplier, each
// step held for duration/steps, and returns to the starting level at its end.
type LoadPlan struct {
	changes []loadChange
	groups  map[string]string // tenant name -> its group name
}

// NewLoadPlan derives the load plan of s.
func NewLoadPlan(s *scenarios.Scenario) *LoadPlan {
	p := &LoadPlan{groups: map[string]string{}}
	for _, t := range s.Tenants {
		for _, name := range t.TenantNames() {
			p.groups[name] = t.Name
		}
	}
	for _, e := range s.Timeline {
		switch e.Action {
		case scenarios.ActionBurst, scenarios.ActionRamp, scenarios.ActionSweep:
			p.changes = append(p.changes, loadChange{at: e.At.D(), duration: e.Duration.D(),
				action: e.Action, multiplier: e.Multiplier, steps: e.Steps, tenants: e.Tenants})
		}
	}
	return p
}

// Multiplier returns the factor applied to tenant's base rate at offset.
func (p *LoadPlan) Multiplier(tenant string, offset time.Duration) float64 {
	level := 1.0
	for _, c := range p.changes {
		if offset < c.at || !p.applies(c, tenant) {
			continue
		}
		level = c.levelAt(level, offset-c.at)
	}
	return level
}

func (p *LoadPlan) applies(c loadChange, tenant string) bool {
	return len(c.tenants) == 0 || slices.Contains(c.tenants, tenant) ||
		slices.Contains(c.tenants, p.groups[tenant])
}

// levelAt is the level since elapsed into c, starting from level from.
func (c loadChange) levelAt(from float64, elapsed time.Duration) float64 {
	switch c.action {
	case scenarios.ActionBurst:
		if elapsed < c.duration {
			return from * c.multiplier
		}
		return from
	case scenarios.ActionRamp:
		if elapsed >= c.duration {
			return from * c.multiplier
		}
		f := float64(elapsed) / float64(c.duration)
		return from * (1 + (c.multiplier-1)*f)
	case scenarios.ActionSweep:
		if elapsed >= c.duration || c.steps < 2 {
			return from
		}
		step := int(elapsed * time.Duration(c.steps) / c.duration)
		return from * (1 + (c.multiplier-1)*float64(step)/float64(c.steps-1))
	}
	return from
}

// SweepSteps returns the [start, end) offsets of each step of the sweeps in the plan, in
// order, so a report can judge each step on its own.
func (p *LoadPlan) SweepSteps() [][2]time.Duration {
	var steps [][2]time.Duration
	for _, c := range p.changes {
		if c.action != scenarios.ActionSweep {
			continue
		}
		for i := range c.steps {
			from := c.at + c.duration*time.Duration(i)/time.Duration(c.steps)
			to := c.at + c.duration*time.Duration(i+1)/time.Duration(c.steps)
			steps = append(steps, [2]time.Duration{from, to})
		}
	}
	return steps
}
