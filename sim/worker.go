package sim

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend/api"
)

// lagChunk is how many lag samples a worker collects before handing them to the stats
// (and checking whether the run is overdue).
const lagChunk = 256

// worker paces a subset of the sensors against the wall clock: it wakes when the earliest
// event or batch deadline of its sensors is due, generates every event due by then, and
// records how late each was (schedule lag). Sensor state belongs to the worker's goroutine.
type worker struct {
	fleet   *Fleet
	sensors []*sensor
	// pending holds lag samples (microseconds) not yet in lag.
	pending []int64
	// now is the wall-clock offset events are generated at, refreshed every lagChunk
	// events so that a long pass neither understates lag nor stops at a stale horizon.
	now time.Duration
	// mu guards lag, which the stats loop collects every second. It is never held while
	// generating, so the stats never wait on a busy worker.
	mu  sync.Mutex
	lag *hdrhistogram.Histogram
}

func (w *worker) run(ctx context.Context, start time.Time) {
	cfg := &w.fleet.cfg
	// Past overdue the run is over even if the generator is behind: what is still due is
	// counted as missed instead of being generated ever later.
	overdue := cfg.Duration + cfg.SaturationLag
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.now = time.Since(start)
		if w.now > overdue {
			w.closeAll(true)
			return
		}
		next, live := w.pass(start, overdue)
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
			if time.Since(start) < cfg.Duration {
				// Cancelled before the end: close batches and stop.
				w.closeAll(false)
				return
			}
			// The generation deadline: one last pass generates what is due before it.
		}
	}
}

// pass generates everything due by now and returns the next wake-up offset and the number
// of sensors with events left.
func (w *worker) pass(start time.Time, overdue time.Duration) (next time.Duration, live int) {
	next = w.fleet.cfg.Duration
	for _, s := range w.sensors {
		if s.done {
			continue
		}
		wake, more := w.pump(s, start, overdue)
		if !more {
			continue
		}
		live++
		next = min(next, wake)
	}
	w.flush()
	return next, live
}

// pump generates s's events due by w.now. It returns when s next needs the worker, and
// false once s's stream is over (its last batch then closed and its queue closed). It gives
// up early, asking to be called again at once, when the run is overdue.
func (w *worker) pump(s *sensor, start time.Time, overdue time.Duration) (time.Duration, bool) {
	f := w.fleet
	for {
		at, ok := s.stream.peek()
		if !ok {
			f.closeBatch(s, s.lastDue)
			close(s.queue)
			s.done = true
			return 0, false
		}
		if at > w.now {
			if s.open != nil && w.now-s.openDue >= s.wait {
				// Closed by age: due to leave when its wait ran out, however long ago its
				// last event was due.
				f.closeBatch(s, s.openDue+s.wait)
			}
			wake := at
			if s.open != nil {
				wake = min(wake, s.openDue+s.wait)
			}
			return wake, true
		}
		if s.open == nil {
			s.open, s.openDue = f.getBatch(), at
		}
		s.open = append(s.open, api.Event{})
		s.stream.next(&s.open[len(s.open)-1])
		s.lastDue = at
		s.generated.Add(1)
		if len(s.open) >= s.limit {
			f.closeBatch(s, at)
		}
		w.pending = append(w.pending, int64((w.now-at)/time.Microsecond))
		if len(w.pending) >= lagChunk {
			w.flush()
			if w.now = time.Since(start); w.now > overdue {
				return w.now, true
			}
		}
	}
}

// flush hands the pending lag samples to the stats and counts them as generated.
func (w *worker) flush() {
	if len(w.pending) == 0 {
		return
	}
	w.mu.Lock()
	for _, v := range w.pending {
		_ = w.lag.RecordValue(v)
	}
	w.mu.Unlock()
	w.fleet.counters.generated.Add(int64(len(w.pending)))
	w.pending = w.pending[:0]
}

// closeAll closes every sensor's batch and queue: after a cancellation, or when the run
// is overdue, in which case the events still due before the end are counted as missed.
func (w *worker) closeAll(countMissed bool) {
	w.flush()
	missed := int64(0)
	for _, s := range w.sensors {
		if s.done {
			continue
		}
		w.fleet.closeBatch(s, s.lastDue)
		if countMissed {
			n := s.stream.skipRest()
			s.missed.Add(n)
			missed += n
		}
		close(s.queue)
		s.done = true
	}
	if missed > 0 {
		w.fleet.counters.missed.Add(missed)
		w.fleet.warn("missed", "generator too far behind at the end of the run; "+
			"events still due counted as missed", "missed", missed)
	}
}

// closeBatch hands s's open batch to its send queue, or drops and counts it when the
// queue is full: the open model never waits for the sink. due is the offset the batch was
// due to leave at: its last event's for a full batch, the end of its wait for one closed by
// age.
func (f *Fleet) closeBatch(s *sensor, due time.Duration) {
	if len(s.open) == 0 {
		return
	}
	s.limit, s.wait = f.cfg.BatchSize, f.cfg.BatchWait
	select {
	case s.queue <- outBatch{events: s.open, seq: s.seq + 1, due: due}:
		s.seq++
	default:
		f.counters.dropped.Add(int64(len(s.open)))
		f.warn("overflow", "sensor buffer full; dropping batches (counted as dropped)",
			"tenant", s.stream.tenant, "sensor", s.stream.sensor)
		f.putBatch(s.open)
	}
	s.open = nil
}
