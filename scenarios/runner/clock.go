package runner

import (
	"sync/atomic"
	"time"

	"github.com/stampede-load/stampede/scenarios"
	"github.com/stampede-load/stampede/sim/pace"
)

// RunClock is the scenario clock of one run: it stands at the scenario start until load
// begins, then advances Compression scenario seconds per real second. Parts that decide on
// time of day (working hours, scale-down, billing hours) take its Now. Safe for concurrent
// use.
type RunClock struct {
	pace  pace.Clock
	began atomic.Int64 // unix nanoseconds of the run start; 0 before Begin
}

// NewRunClock returns the clock of s, not yet begun.
func NewRunClock(s *scenarios.Scenario) *RunClock {
	start, _ := time.Parse(time.RFC3339, s.Clock.Start) // validated by the loader
	return &RunClock{pace: pace.Clock{Start: start, Compression: s.Clock.Compression}}
}

// Begin marks t as the run start (elapsed 0).
func (c *RunClock) Begin(t time.Time) { c.began.Store(t.UnixNano()) }

// Elapsed is the real time since the run start, 0 before Begin.
func (c *RunClock) Elapsed() time.Duration {
	began := c.began.Load()
	if began == 0 {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - began)
}

// Now is the scenario time.
func (c *RunClock) Now() time.Time { return c.pace.At(c.Elapsed()) }

// Pace returns the clock as the sim package takes it.
func (c *RunClock) Pace() pace.Clock { return c.pace }
