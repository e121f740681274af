package backend

import "sync"

// dedupeWindow is how many sequence numbers behind the newest one a sensor's batches are
// still told apart. A batch older than that is treated as a duplicate: a sensor would need
// more than dedupeWindow batches in flight for a first delivery to be that late.
const dedupeWindow = 1024

// seqWindow remembers which of a sensor's last dedupeWindow sequence numbers were accepted.
type seqWindow struct {
	high uint64                    // highest sequence accepted
	bits [dedupeWindow / 64]uint64 // bit seq%dedupeWindow set when seq in (high-window, high] was accepted
}

func (w *seqWindow) seen(seq uint64) bool {
	if seq > w.high {
		return false
	}
	if w.high-seq >= dedupeWindow {
		return true
	}
	i := seq % dedupeWindow
	return w.bits[i/64]&(1<<(i%64)) != 0
}

func (w *seqWindow) mark(seq uint64) {
	if seq > w.high {
		// Clear the slots of the sequence numbers the window slides past.
		if seq-w.high >= dedupeWindow {
			w.bits = [dedupeWindow / 64]uint64{}
		} else {
			for s := w.high + 1; s <= seq; s++ {
				i := s % dedupeWindow
				w.bits[i/64] &^= 1 << (i % 64)
			}
		}
		w.high = seq
	}
	i := seq % dedupeWindow
	w.bits[i/64] |= 1 << (i % 64)
}

// dedupe tracks the batches accepted per sensor of one tenant.
type dedupe struct {
	mu      sync.Mutex
	sensors map[string]*seqWindow
}

// admit decides under one lock whether a batch is new and, if accept (called with the lock
// held) agrees, marks it accepted. It returns duplicate=true for a batch seen before, and the
// result of accept otherwise.
func (d *dedupe) admit(sensor string, seq uint64, accept func() bool) (duplicate, accepted bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := d.sensors[sensor]
	if w == nil {
		if d.sensors == nil {
			d.sensors = map[string]*seqWindow{}
		}
		w = &seqWindow{}
		d.sensors[sensor] = w
	}
	if w.seen(seq) {
		return true, false
	}
	if !accept() {
		return false, false
	}
	w.mark(seq)
	return false, true
}
