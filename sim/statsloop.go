package sim

import (
	"context"
	"time"
)

// statsLoop closes a Second every second of the run: a partial one when generation ends
// (genDone; a run that was not cancelled ends at Config.Duration even if its last event was
// due a little earlier), then one per second of the drain, and a last one when allDone is
// closed if anything happened since.
func (f *Fleet) statsLoop(ctx context.Context, start time.Time, genDone, allDone <-chan struct{}) {
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.C:
			f.tick(max(time.Since(start), f.lastElapsed))
		case <-genDone:
			end := time.Since(start)
			if ctx.Err() == nil {
				end = max(end, f.cfg.Duration)
			}
			f.tick(end)
			ticker.Reset(time.Second)
			genDone = nil
		case <-allDone:
			if f.counters.snapshot() != f.lastSecond {
				f.tick(max(time.Since(start), f.lastElapsed))
			}
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
	f.lastSecond, f.lastElapsed = now, elapsed
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
