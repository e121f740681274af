package sim

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend/api"
)

// worker paces a subset of the sensors against the wall clock: it wakes when the earliest
// event or batch deadline of its sensors is due, generates every event due by then, and
// records how late each was (schedule lag).
type worker struct {
	fleet   *Fleet
	sensors []*sensor
	// mu guards lag, which the stats loop collects every second.
	mu  sync.Mutex
	lag *hdrhistogram.Histogram
}

func (w *worker) run(ctx context.Context, start time.Time) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Since(start)
		next, live := w.pass(now)
		if live == 0 {
			return
		}
		wait := time.Until(start.Add(next))
		if wait <= 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			if time.Since(start) < w.fleet.cfg.Duration {
				// Cancelled before the end: close batches and stop.
				w.closeAll()
				return
			}
			// The generation deadline: one last pass generates what is due before it.
		}
	}
}

// pass generates everything due by now and returns the next wake-up offset and the number
// of sensors with events left.
func (w *worker) pass(now time.Duration) (next time.Duration, live int) {
	next = w.fleet.cfg.Duration
	generated := int64(0)
	w.mu.Lock()
	for _, s := range w.sensors {
		if s.done {
			continue
		}
		n, wake, more := w.pump(s, now)
		generated += n
		if !more {
			continue
		}
		live++
		next = min(next, wake)
	}
	w.mu.Unlock()
	w.fleet.counters.generated.Add(generated)
	return next, live
}

// pump generates s's events due by now. It returns how many, when s next needs the worker,
// and false once s's stream is over (its last batch then closed and its queue closed).
func (w *worker) pump(s *sensor, now time.Duration) (int64, time.Duration, bool) {
	f := w.fleet
	n := int64(0)
	for {
		at, ok := s.stream.peek()
		if !ok {
			f.closeBatch(s)
			close(s.queue)
			s.done = true
			return n, 0, false
		}
		if at > now {
			if s.open != nil && now-s.openDue >= f.cfg.BatchWait {
				f.closeBatch(s)
			}
			wake := at
			if s.open != nil {
				wake = min(wake, s.openDue+f.cfg.BatchWait)
			}
			return n, wake, true
		}
		if s.open == nil {
			s.open, s.openDue = f.getBatch(), at
		}
		s.open = append(s.open, api.Event{})
		s.stream.next(&s.open[len(s.open)-1])
		_ = w.lag.RecordValue(int64((now - at) / time.Microsecond))
		n++
		if len(s.open) >= f.cfg.BatchSize {
			f.closeBatch(s)
		}
	}
}

// closeAll closes every sensor's batch and queue after a cancellation.
func (w *worker) closeAll() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.sensors {
		if !s.done {
			w.fleet.closeBatch(s)
			close(s.queue)
			s.done = true
		}
	}
}

// closeBatch hands s's open batch to its send queue, or drops and counts it when the
// queue is full: the open model never waits for the sink.
func (f *Fleet) closeBatch(s *sensor) {
	if len(s.open) == 0 {
		return
	}
	select {
	case s.queue <- outBatch{events: s.open, seq: s.seq + 1}:
		s.seq++
	default:
		f.counters.dropped.Add(int64(len(s.open)))
		f.warn("overflow", "sensor buffer full; dropping batches (counted as dropped)",
			"tenant", s.stream.tenant, "sensor", s.stream.sensor)
		f.putBatch(s.open)
	}
	s.open = nil
}
