package sim

import (
	"context"
	"time"
)

// statsLoop closes a Second every second of the run, and a last partial one when done is
// closed. A run that was not cancelled ends at Config.Duration even if its last event was
// due a little earlier.
func (f *Fleet) statsLoop(ctx context.Context, start time.Time, done <-chan struct{}) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			f.tick(time.Since(start))
		case <-done:
			end := time.Since(start)
			if ctx.Err() == nil {
				end = max(end, f.cfg.Duration)
			}
			f.tick(end)
			return
		}
	}
}

// tick collects the workers' lag since the last tick into one Second.
func (f *Fleet) tick(elapsed time.Duration) {
	sec := newLagHistogram()
	for _, w := range f.workers {
		w.mu.Lock()
		sec.Merge(w.lag)
		w.lag.Reset()
		w.mu.Unlock()
	}
	now := f.counters.snapshot()
	s := Second{Elapsed: elapsed}.withDelta(now, f.lastSecond)
	f.lastSecond = now
	s.LagP50 = micros(sec.ValueAtQuantile(50))
	s.LagP99 = micros(sec.ValueAtQuantile(99))
	s.LagMax = micros(sec.Max())
	s.Saturated = s.LagMax > f.cfg.SaturationLag
	f.mu.Lock()
	f.lagTotal.Merge(sec)
	f.elapsed = min(elapsed, f.cfg.Duration)
	if s.Saturated {
		f.saturated++
	}
	f.mu.Unlock()
	if s.Saturated {
		f.warn("saturated", "generator saturated: events are late against their schedule",
			"lag_max", s.LagMax, "limit", f.cfg.SaturationLag)
	}
	if f.cfg.OnSecond != nil {
		f.cfg.OnSecond(s)
	}
}
