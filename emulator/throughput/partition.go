package throughput

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// PartitionRef names one physical partition of a container: the same fields as the
// emulator's own PartitionRef, so the emulator converts one into the other field by field.
type PartitionRef struct{ Database, Container, ContainerRID, RangeID string }

// slot is one second of one partition's accounting.
type slot struct {
	second    int64 // Unix second; a slot whose second differs from the one asked is empty
	consumed  float64
	requests  int64
	throttled int64
	storage   int64
	siblings  int // live partitions of the owner during the second
}

// partition is one physical partition's budget and accounting. Its budget is enforced in
// fixed one-second windows aligned to Unix seconds: a window admits requests while what it
// consumed, plus what is reserved for requests admitted and not yet charged, stays under the
// budget. A window's overshoot is carried as debt into the next (or paid from the burst
// bank), so over any span the partition never serves more than its budget plus one request.
type partition struct {
	ref PartitionRef

	mu        sync.Mutex
	budget    float64 // RU per second in force
	siblings  int     // live partitions sharing the owner's throughput, this one included
	burst     bool
	window    int64   // the Unix second being accounted
	carry     float64 // debt brought into the window
	used      float64 // RU consumed in the window
	inflight  int     // requests admitted in the window and not yet charged
	estimate  float64 // moving average of the RU a request charges
	bank      float64 // burst capacity banked
	history   []slot
	peaks     map[int64]float64 // billing hour -> highest used x siblings in a second
	period    int64             // nanoseconds per billing period (see Engine.period)
	createdAt int64             // Unix second the partition appeared
	retiredAt int64             // Unix second the partition was split away; 0 while live

	totalRU        atomic.Uint64 // float64 bits; all RU consumed
	totalRequests  atomic.Int64
	totalThrottled atomic.Int64
	storage        atomic.Int64
}

func newPartition(ref PartitionRef, now time.Time, historyLen int, period int64,
	burst bool) *partition {
	p := &partition{
		ref:       ref,
		window:    now.Unix(),
		createdAt: now.Unix(),
		history:   make([]slot, historyLen),
		peaks:     map[int64]float64{},
		period:    period,
		burst:     burst,
		siblings:  1,
	}
	*p.slot(p.window) = slot{second: p.window, siblings: 1}
	return p
}

// admit decides one request at now; it returns whether to serve it and, if not, how long
// until the budget has room again.
func (p *partition) admit(now time.Time, throttledCharge float64) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.roll(now.Unix())
	s.requests++
	p.totalRequests.Add(1)
	projected := p.carry + p.used + float64(p.inflight)*p.estimate
	if projected < p.budget || p.burstCovers(projected) {
		p.inflight++
		return 0, true
	}
	s.throttled++
	p.totalThrottled.Add(1)
	if throttledCharge > 0 {
		p.charge(s, throttledCharge)
	}
	return p.refillDelay(now, projected), false
}

// burstCovers reports whether the burst bank may serve a request beyond the budget.
func (p *partition) burstCovers(projected float64) bool {
	return p.burst && p.budget < BurstMaxRate && projected < BurstMaxRate &&
		projected-p.budget < p.bank
}

// refillDelay is the time from now until the start of the first window whose budget is not
// already spent by the projected consumption (debt carries from window to window).
func (p *partition) refillDelay(now time.Time, projected float64) time.Duration {
	windows := int64(1)
	if p.budget > 0 {
		windows = max(1, int64(math.Floor(projected/p.budget)))
	}
	refill := time.Unix(p.window+windows, 0)
	return max(refill.Sub(now), time.Millisecond)
}

// consume charges ru to the window of now. Requests are counted by admit, not here.
func (p *partition) consume(now time.Time, ru float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.roll(now.Unix())
	if p.inflight > 0 {
		p.inflight--
	}
	p.charge(s, ru)
	if p.estimate == 0 {
		p.estimate = ru
	} else {
		p.estimate += (ru - p.estimate) / 8
	}
}

func (p *partition) charge(s *slot, ru float64) {
	p.used += ru
	s.consumed += ru
	s.storage = p.storage.Load()
	for {
		old := p.totalRU.Load()
		if p.totalRU.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+ru)) {
			return
		}
	}
}

// roll moves the partition to window w (a Unix second), settling the windows in between,
// and returns w's slot. A clock going backwards stays in the current window.
func (p *partition) roll(w int64) *slot {
	if w <= p.window {
		return p.slot(p.window)
	}
	p.notePeak(p.window, p.used)
	eligible := p.burst && p.budget < BurstMaxRate
	over := p.carry + p.used - p.budget
	if over > 0 && eligible {
		take := min(over, p.bank)
		p.bank -= take
		over -= take
	}
	if over <= 0 && eligible {
		p.bank -= over
	}
	p.carry = max(over, 0)

	// Idle windows between pay the debt first; what they leave unused is banked.
	idle := float64(w-p.window-1) * p.budget
	pay := min(p.carry, idle)
	p.carry -= pay
	if eligible {
		p.bank = min(p.bank+idle-pay, p.budget*BurstBankSeconds)
	}

	p.window, p.used, p.inflight = w, 0, 0
	s := p.slot(w)
	*s = slot{second: w, storage: p.storage.Load(), siblings: p.siblings}
	return s
}

func (p *partition) slot(w int64) *slot { return &p.history[w%int64(len(p.history))] }

// notePeak records, for autoscale billing, the RU/s the whole resource would need if every
// partition ran like this one did in window w.
func (p *partition) notePeak(w int64, used float64) {
	if used <= 0 {
		return
	}
	need := used * float64(p.siblings)
	for h := range p.periodsOf(w) {
		p.peaks[h] = max(p.peaks[h], need)
	}
}

// periodsOf yields the billing periods that second w overlaps: one, or two when a period
// boundary falls inside the second.
func (p *partition) periodsOf(w int64) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		first := floorDiv(w*int64(time.Second), p.period)
		last := floorDiv((w+1)*int64(time.Second)-1, p.period)
		for h := first; h <= last; h++ {
			if !yield(h) {
				return
			}
		}
	}
}

// setStorage records the partition's storage from now on, in the accounting of now's
// second too.
func (p *partition) setStorage(now time.Time, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.storage.Store(bytes)
	p.roll(now.Unix()).storage = bytes
}

// setBudget changes the partition's share of its owner's throughput from window w on.
func (p *partition) setBudget(budget float64, siblings int, w int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roll(w)
	p.budget, p.siblings = budget, siblings
	p.slot(p.window).siblings = siblings
	if !p.burst || budget >= BurstMaxRate {
		p.bank = 0
	}
	p.bank = min(p.bank, budget*BurstBankSeconds)
}

// read returns a copy of second w's slot; ok is false when the history has none.
func (p *partition) read(w int64) (slot, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.slot(w)
	if s.second != w {
		return slot{second: w, siblings: p.siblings}, false
	}
	return *s, true
}

// liveAt reports whether the partition existed during second w.
func (p *partition) liveAt(w int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.createdAt <= w && (p.retiredAt == 0 || w < p.retiredAt)
}

// hourPeaks returns the partition's autoscale need per billing hour, the open window
// included.
func (p *partition) hourPeaks() map[int64]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[int64]float64, len(p.peaks)+1)
	for h, v := range p.peaks {
		out[h] = v
	}
	need := p.used * float64(p.siblings)
	for h := range p.periodsOf(p.window) {
		out[h] = max(out[h], need)
	}
	return out
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
