package emulator

import "time"

// PartitionRef names one physical partition of a container.
type PartitionRef struct{ Database, Container, ContainerRID, RangeID string }

// Throttler decides admission per physical partition. Nil in Config means never throttle.
// Implementations must be safe for concurrent use; they are called on every data-plane
// request, so they must not block.
type Throttler interface {
	// Admit is asked before a request runs on p; ok=false answers 429, substatus 3200,
	// x-ms-retry-after-ms from retryAfter.
	Admit(p PartitionRef, now time.Time) (retryAfter time.Duration, ok bool)
	// Consume records the request units a request charged on p, failed ones included.
	Consume(p PartitionRef, now time.Time, ru float64)
}

// enter is the one place every data-plane request passes after routing: it records the
// partitions the request runs on (for Consume) and asks the Throttler to admit it on each.
func (rq *request) enter(parts ...*partition) error {
	t := rq.s.cfg.Throttler
	for _, p := range parts {
		ref := p.ref()
		rq.refs = append(rq.refs, ref)
		if t == nil {
			continue
		}
		if wait, ok := t.Admit(ref, rq.s.now()); !ok {
			ms := wait.Milliseconds()
			if ms < 1 {
				ms = 1
			}
			return throttled(ms)
		}
	}
	return nil
}

// consume reports the request's charge to the Throttler, split evenly over the partitions
// the request ran on. Throttled requests charge nothing.
func (rq *request) consume() {
	t := rq.s.cfg.Throttler
	if t == nil || len(rq.refs) == 0 || rq.charge == 0 {
		return
	}
	now := rq.s.now()
	share := rq.charge / float64(len(rq.refs))
	for _, ref := range rq.refs {
		t.Consume(ref, now, share)
	}
}
