package runner

import (
	"fmt"
	"time"

	"github.com/stampede-load/stampede/reports"
)

// Criteria of a sweep step that kept up.
const (
	// CapacityMinAcked is the share of the step's target rate that must be acknowledged.
	CapacityMinAcked = 0.95
	// CapacityMaxP99 bounds the step's ingest latency p(99).
	CapacityMaxP99 = time.Second
)

// EventCapacity is the summary event kind of each sweep step and of the limit found.
const EventCapacity = "capacity"

// CapacityStep is one load step of a sweep, as measured.
type CapacityStep struct {
	Step int `json:"step"`
	// FromSeconds and ToSeconds are the seconds of the run judged (the first second of the
	// step is left out, as load changes during it).
	FromSeconds int `json:"fromSeconds"`
	ToSeconds   int `json:"toSeconds"`
	// Target is the offered rate the step asked for; Sent and Acked are measured, all in
	// events per second.
	Target float64 `json:"target"`
	Sent   float64 `json:"sent"`
	Acked  float64 `json:"acked"`
	// P99 is the ingest latency p(99) in seconds (negative when no batch was acknowledged).
	P99    float64 `json:"p99Seconds"`
	KeptUp bool    `json:"keptUp"`
}

// Capacity is what a sweep found: every step and the limit, the acknowledged rate of the
// last step that kept up before the first that did not.
type Capacity struct {
	Steps []CapacityStep `json:"steps"`
	// Limit is in events per second; 0 when not even the first step kept up.
	Limit float64 `json:"limitEventsPerSecond"`
	// Reached is true when a step failed to keep up, so Limit is this machine's limit;
	// false when every step kept up (the limit is higher than the sweep went).
	Reached bool `json:"reached"`
}

// capacity judges each sweep step of the run; nil without a sweep.
func (r *run) capacity(sum *reports.Summary) *Capacity {
	steps := r.plan.SweepSteps()
	if len(steps) == 0 {
		return nil
	}
	c := &Capacity{}
	stopped := false
	for i, st := range steps {
		step := r.judgeStep(sum, i+1, st)
		c.Steps = append(c.Steps, step)
		switch {
		case step.KeptUp && !stopped:
			c.Limit = step.Acked
		case !step.KeptUp:
			stopped, c.Reached = true, true
		}
		sum.Events = append(sum.Events, reports.Event{AtSeconds: st[0].Seconds(),
			Kind: EventCapacity, Message: step.String()})
	}
	sum.Events = append(sum.Events, reports.Event{AtSeconds: steps[len(steps)-1][1].Seconds(),
		Kind: EventCapacity, Message: c.String()})
	return c
}

func (r *run) judgeStep(sum *reports.Summary, n int, st [2]time.Duration) CapacityStep {
	w := reports.Window{From: int(st[0]/time.Second) + 1, To: int(st[1] / time.Second)}
	w.From = min(w.From, w.To-1)
	step := CapacityStep{Step: n, FromSeconds: w.From, ToSeconds: w.To, P99: -1,
		Target: r.targetRate((st[0] + st[1]) / 2)}
	seconds := float64(w.To - w.From)
	count := reports.Aggregation{Name: "count"}
	if v, ok := sum.Aggregate(reports.MetricEventsSent, nil, count, w); ok {
		step.Sent = v / seconds
	}
	if v, ok := sum.Aggregate(reports.MetricEventsAcked, nil, count, w); ok {
		step.Acked = v / seconds
	}
	if v, ok := sum.Aggregate(reports.MetricIngestLatency, nil,
		reports.Aggregation{Name: "p", Percentile: 99}, w); ok {
		step.P99 = v
	}
	step.KeptUp = step.Acked >= CapacityMinAcked*step.Target && step.P99 >= 0 &&
		step.P99 <= CapacityMaxP99.Seconds()
	return step
}

// targetRate is the total rate the scenario offers at offset.
func (r *run) targetRate(offset time.Duration) float64 {
	total := 0.0
	for _, t := range r.s.Tenants {
		for _, name := range t.TenantNames() {
			total += t.Rate * r.plan.Multiplier(name, offset)
		}
	}
	return total
}

func (s CapacityStep) String() string {
	verdict := "kept up"
	if !s.KeptUp {
		verdict = "fell behind"
	}
	return fmt.Sprintf("step %d: target %.0f/s, sent %.0f/s, acked %.0f/s, ingest p99 %s: %s",
		s.Step, s.Target, s.Sent, s.Acked, reports.FormatSeconds(s.P99), verdict)
}

func (c *Capacity) String() string {
	if !c.Reached {
		return fmt.Sprintf("every step kept up: the limit is above %.0f events/s", c.Limit)
	}
	return fmt.Sprintf("limit: %.0f events/s acknowledged (%.0f%% of target and p99 <= %s)",
		c.Limit, CapacityMinAcked*100, CapacityMaxP99)
}
