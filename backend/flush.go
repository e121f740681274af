package backend

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
)

// flushSpread is the part of FlushInterval over which a cycle paces its writes; the rest
// leaves room for retries and the slower writes of a cycle that has more to do than usual.
const flushSpread = 0.5

func (n *node) flushLoop(ctx context.Context) {
	tick := time.NewTicker(n.b.cfg.FlushInterval)
	defer tick.Stop()
	for {
		all := false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.kick:
			all = true
		}
		n.flush(ctx, all)
	}
}

// flush writes the dirty entities that are due (all of them when all is set) once.
// Entities whose write fails stay dirty (with their change fenced) and are retried by the
// next cycle, so an outage or throttling delays storage but loses nothing. It returns the
// number of entities that failed.
// When ctx ends before the running cycle lets it start, it returns 0 at once.
func (n *node) flush(ctx context.Context, all bool) int {
	select {
	case n.flushing <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	defer func() { <-n.flushing }()
	start := time.Now()
	now := n.b.wallNow()
	n.mu.Lock()
	batch := n.takeDue(all, now)
	bases := n.baselines
	n.baselines = map[*tenant]*baseline{}
	n.mu.Unlock()
	for _, tk := range batch {
		n.inFlight.Add(tk.s.unstored()) // writeSlots takes each off when done with it
	}

	// The cycle ends at its first timed-out attempt (a region that stopped answering): the
	// calls still running are cancelled and what is left waits for the next cycle, rather
	// than for the SDK's retries (three in the same region, each read from the silent region
	// costs four attempt timeouts).
	cycle, cancel := context.WithCancel(ctx)
	defer cancel()
	var timedOut atomic.Bool
	cycle = onAttemptTimeout(cycle, func() { timedOut.Store(true); cancel() })
	failed, firstErr := n.writeSlots(cycle, batch, n.spread(all, start))
	if timedOut.Load() {
		firstErr = fmt.Errorf("an attempt timed out after %v: %w", n.b.cfg.RequestTimeout, firstErr)
	}
	n.noteOldest()
	n.noteHealth(failed, firstErr)
	if timedOut.Load() {
		n.keepBaselines(bases) // nothing is taken from the alert backlogs either
	} else {
		failed += n.flushBaselines(cycle, bases)
		if n.idx == 0 {
			failed += n.b.flushAlerts(cycle, n)
		}
	}
	n.b.metrics.flushed(len(batch), failed, time.Since(start))
	return failed
}

// writeSlots writes the taken slots with FlushConcurrency workers and puts back those that
// fail. With more slots than workers, a positive spread paces the writes' starts evenly over
// that span from now: a cycle that starts every write at once is a burst that takes the CPU
// from ingest (on one machine with the database) or the bandwidth (against a remote one)
// for its whole length.
//
// When the first 2*FlushConcurrency writes of the cycle all fail (an outage, throttling far
// past the policy's bounds), the rest are put back without trying: each failing write can
// cost seconds of SDK retries, and the next cycle tries again anyway. When ctx ends (the
// cycle's first timed-out attempt ends it), the rest are put back too; a write cancelled in
// flight is ambiguous like a timed-out one, and its fence and If-Match settle it later.
func (n *node) writeSlots(ctx context.Context, batch []takenSlot, spread time.Duration) (int, error) {
	conc := n.b.cfg.FlushConcurrency
	var next, failed, succeeded, skipped atomic.Int64
	var firstErr atomic.Pointer[error]
	start, gap := time.Now(), time.Duration(0)
	// A cycle with no more writes than workers sends them in one round, all at once anyway.
	if len(batch) > conc {
		gap = spread / time.Duration(len(batch))
	}
	var wg sync.WaitGroup
	// Workers live for the cycle, not one goroutine per write: each write's deep SDK and HTTP
	// stack then grows a goroutine's stack once per cycle instead of once per write.
	for range min(conc, len(batch)) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(batch)) {
					return
				}
				tk := batch[i]
				if gap > 0 {
					_ = sleepUntil(ctx, start.Add(time.Duration(i)*gap))
				}
				taken := tk.s.unstored()
				if ctx.Err() != nil || succeeded.Load() == 0 && failed.Load() >= int64(2*conc) {
					n.inFlight.Add(-taken)
					n.requeue(tk.e, tk.s)
					skipped.Add(1)
					continue
				}
				err := n.flushSlot(ctx, tk.e.key, tk.s, tk.e.stored)
				n.inFlight.Add(-taken) // before a requeue, so the events are never counted twice
				if err != nil {
					n.requeue(tk.e, tk.s)
					failed.Add(1)
					firstErr.CompareAndSwap(nil, &err)
					continue
				}
				tk.e.stored = true
				succeeded.Add(1)
			}
		})
	}
	wg.Wait()
	n.b.metrics.flushSkipped.Add(float64(skipped.Load()))
	if p := firstErr.Load(); p != nil {
		return int(failed.Load()), *p
	}
	return int(failed.Load()), nil
}

// noteOldest records when the oldest slot still unflushed after a cycle got its first
// event, for admission's age bound.
func (n *node) noteOldest() {
	n.mu.Lock()
	defer n.mu.Unlock()
	var oldest int64
	for _, e := range n.dirty {
		if since := e.slot.since.UnixNano(); oldest == 0 || since < oldest {
			oldest = since
		}
	}
	n.oldest.Store(oldest)
}

// clientResetAfter is how long a node's writes fail before it replaces its client, and the
// least time between two replacements (Backend.resetAfter; tests shorten it). A replacement
// costs one account read; 2 s kept the silent-outage RTO of failover-drill at 10 s (15 s
// at 10 s).
const clientResetAfter = 2 * time.Second

// noteHealth logs once when a node's writes start failing and once when they recover
// (nothing per write), and replaces the node's client when failures last: after a regional
// failover the SDK may keep sending writes to the lost region for minutes.
func (n *node) noteHealth(failed int, err error) {
	switch {
	case failed > 0 && n.failingSince.IsZero():
		n.failingSince, n.lastReset = time.Now(), time.Now()
		n.b.log.Warn("cosmos writes failing; holding changes in memory", "node", n.name,
			"failed", failed, "err", err)
	case failed > 0 && time.Since(n.lastReset) >= n.b.resetAfter:
		n.lastReset = time.Now()
		if rerr := n.resetClient(); rerr != nil {
			n.b.log.Error("replace cosmos client", "node", n.name, "err", rerr)
			return
		}
		n.b.log.Warn("cosmos writes still failing; replaced the client to rediscover regions",
			"node", n.name, "since", time.Since(n.failingSince).Round(time.Second), "err", err)
	case failed == 0 && !n.failingSince.IsZero():
		n.b.log.Info("cosmos writes recovered", "node", n.name,
			"duration", time.Since(n.failingSince).Round(time.Millisecond))
		n.failingSince = time.Time{}
	}
}

// flushSlot writes one entity's change: read (or cached) profile, migrate it if old, apply the
// pending change unless its fence shows it landed, apply the new change, write with If-Match.
//
// A write sent from the cached document whose outcome is unknown (timed out, cancelled)
// keeps the cache entry: the cached document then holds exactly the pending change, and the
// entry's ETag is the version that change was written against. The next attempt replays
// that same document with the same If-Match, with no read: it succeeds only if the first
// write did not land, and a 412 (it did, or the document changed) reads the truth and lets
// the fence decide. The new change is written after a successful replay, so a pending
// change is never merged with one whose base is unknown.
//
// An entity this node never stored (stored false) is created without reading first, as
// every entity of a new tenant is: a 409 (another process, or this one before a restart,
// created it) reads it and replaces it as usual.
func (n *node) flushSlot(ctx context.Context, k entKey, s *slot, stored bool) error {
	if s.events == 0 && s.pending == nil {
		return n.flushEntity(ctx, k, s, false)
	}
	b := n.b
	id := profile.DocumentID(k.ref)
	seq := n.seq.Add(1)
	target := generations[b.generation.Load()].Profile
	var cached *store.Item
	entry, hit := n.cacheGet(k)
	// With a pending write the outcome is unknown: the cache only stands for the document
	// that write was based on when the entry was kept for a replay.
	switch {
	case hit && (s.pending == nil || entry.replay):
		cached = &store.Item{Body: cachedBody, ETag: entry.etag}
	case !stored:
		cached = &store.Item{} // no body: create
	}
	var called, withPending, created, fromCache, replay bool
	var from, wrote int
	var doc *profile.Document
	change := func(cur []byte) ([]byte, error) {
		called, withPending, created, from = true, false, cur == nil, 0
		fromCache, replay = isCachedBody(cur), false
		doc = profile.NewDocument(id, k.ref.Type.String()+":"+k.ref.Name)
		switch {
		case fromCache:
			// Only the first attempt sees the cache. Applying to the cached document in
			// place is safe: the entry is dropped if the write fails, or kept for a replay
			// when the document then holds exactly the pending change.
			doc, from = entry.doc, entry.version
			if s.pending != nil { // a replay: the document holds the pending change only
				replay, withPending, wrote = true, true, max(target, from)
				return profile.Encode(doc, wrote)
			}
		case cur != nil:
			var err error
			if doc, from, err = profile.Decode(cur); err != nil {
				b.metrics.parseErrors.Inc()
				return nil, err
			}
		}
		if s.pending != nil && doc.Apply(&s.pending.delta, n.name, b.epoch, s.pending.seq) {
			withPending = true
		}
		doc.Apply(&s.delta, n.name, b.epoch, seq)
		wrote = max(target, from)
		return profile.Encode(doc, wrote)
	}
	cc := n.container(k.t.database, store.UniqueEntityProfile)
	item, out, err := store.Mutate(ctx, cc, azcosmos.NewPartitionKeyString(id), id, cached, change)
	n.account(k.t.database, store.UniqueEntityProfile, out)
	if err == nil && out.Writes == 0 {
		err = errors.New("profile write skipped") // cannot happen: change always writes
	}
	if err != nil {
		n.keepFailed(k, s, entry, called, called && fromCache, replay, seq, withPending)
		return err
	}
	n.cachePut(k, cacheEntry{etag: item.ETag, doc: doc, version: wrote})
	flushedEvents := s.delta.Events()
	if replay {
		flushedEvents = 0
	}
	if s.pending != nil { // stored now, or found stored by the fence
		flushedEvents += s.pending.delta.Events()
	}
	b.metrics.eventsStored.Add(float64(flushedEvents))
	n.unstored.Add(-flushedEvents)
	if from > 0 && from < wrote {
		b.migration.migratedOnTheFly(store.UniqueEntityProfile)
		b.metrics.migratedOnTheFly.Inc()
	}
	if replay {
		s.pending = nil
		return n.flushSlot(ctx, k, s, true) // now the change that came after the pending one
	}
	s.pending, s.delta, s.events = nil, profile.Delta{}, 0
	return n.flushEntity(ctx, k, s, created)
}

// keepFailed records a failed profile write in the slot and the cache. A write that was sent
// (change called) becomes the slot's pending change, whose outcome is unknown. A failed
// replay changes nothing: the same change stays pending against the same cached version.
func (n *node) keepFailed(k entKey, s *slot, entry cacheEntry, sent, sentFromCache, replay bool,
	seq uint64, withPending bool) {
	switch {
	case replay && sentFromCache:
		return
	case sentFromCache && s.pending == nil:
		// The cached document now holds exactly this change, against entry.etag.
		entry.replay = true
		n.cachePut(k, entry)
	default:
		n.cacheDrop(k)
	}
	if sent {
		unit := &flushUnit{seq: seq, delta: s.delta}
		if withPending {
			unit.delta.Merge(&s.pending.delta)
		}
		s.pending, s.delta, s.events = unit, profile.Delta{}, 0
	}
}

// takeDue takes the slots due for writing out of the dirty list; n.mu must be held. A slot
// is due with FlushEvents events, MaxFlushDelay old, or a pending or entity write (every
// slot when all is set). Besides those, it takes the oldest others until the cycle has its
// share: entities that changed together (every entity of a tenant in the first second of
// its load) would otherwise come due together MaxFlushDelay later, and again every
// MaxFlushDelay after, each time one burst of writes that starves ingest of CPU. Each
// entity is still written about once per MaxFlushDelay, only evenly over the cycles.
func (n *node) takeDue(all bool, now time.Time) []takenSlot {
	cfg := n.b.cfg
	oldest := now.Add(-cfg.MaxFlushDelay)
	share := 0
	if !all {
		share = n.share(now)
	}
	var batch []takenSlot
	keep := n.dirty[:0]
	for _, e := range n.dirty {
		s := e.slot
		if all || s.events >= cfg.FlushEvents || !s.since.After(oldest) || s.pending != nil ||
			s.dir != nil || s.needEntity {
			batch = append(batch, takenSlot{e, s})
			e.slot = nil
			continue
		}
		keep = append(keep, e)
	}
	// The dirty list is in the order entities changed (a requeued slot is due anyway), so
	// its front holds the oldest slots.
	early := min(max(share-len(batch), 0), len(keep))
	for _, e := range keep[:early] {
		batch = append(batch, takenSlot{e, e.slot})
		e.slot = nil
	}
	kept := copy(keep, keep[early:])
	clear(n.dirty[kept:])
	n.dirty = n.dirty[:kept]
	n.dirtyLen.Store(int64(kept))
	return batch
}

// share is how many slots the cycle at now writes at least: at the least even rate that
// writes every dirty slot before it is MaxFlushDelay old, for the time since the previous
// cycle (FlushInterval for a first one). The dirty list is in about the order slots got
// their first event, so the k-th slot's deadline bounds the rate by k over the time left
// to it; a slot due within one period makes the cycle take it and all before it.
// n.mu must be held.
func (n *node) share(now time.Time) int {
	cfg := n.b.cfg
	period := cfg.FlushInterval
	if !n.lastCycle.IsZero() {
		period = now.Sub(n.lastCycle)
	}
	n.lastCycle = now
	if period <= 0 {
		return 0
	}
	perPeriod := 0.0 // slots per period
	for k, e := range n.dirty {
		left := e.slot.since.Add(cfg.MaxFlushDelay).Sub(now)
		perPeriod = max(perPeriod, float64(k+1)*float64(period)/float64(max(left, period)))
	}
	return int(math.Ceil(perPeriod))
}

// spread is the span over which the cycle started at start paces its writes: flushSpread of
// the time since the previous cycle started, at most of FlushInterval. The first cycle, and
// Drain and memory pressure (all), which want everything written at once, are not paced.
func (n *node) spread(all bool, start time.Time) time.Duration {
	prev := n.lastStart
	n.lastStart = start
	if all || prev.IsZero() {
		return 0
	}
	return time.Duration(float64(min(start.Sub(prev), n.b.cfg.FlushInterval)) * flushSpread)
}

// takenSlot is an entity's slot taken for a flush.
type takenSlot struct {
	e *entity
	s *slot
}

// requeue puts a slot whose flush failed back, merging what arrived meanwhile.
func (n *node) requeue(e *entity, s *slot) {
	n.mu.Lock()
	defer n.mu.Unlock()
	cur := e.slot
	if cur == nil {
		e.slot = s
		if _, live := n.entities[e.key]; live { // not offboarded meanwhile
			n.dirty = append(n.dirty, e)
			n.dirtyLen.Store(int64(len(n.dirty)))
		}
		return
	}
	cur.delta.Merge(&s.delta)
	cur.events += s.events
	cur.since = s.since
	cur.pending = s.pending
	cur.needEntity = cur.needEntity || s.needEntity
	if s.dir != nil {
		if cur.dir == nil {
			cur.dir = s.dir
		} else {
			cur.dir.merge(s.dir)
		}
	}
}

// account records what a store call did in the metrics and the usage for the scaler.
func (n *node) account(database, container string, out store.Outcome) {
	m := n.b.metrics
	m.cosmosReads.Add(float64(out.Reads))
	m.cosmosWrites.Add(float64(out.Writes))
	m.conflicts.Add(float64(out.Conflicts))
	m.requestCharge.Add(out.Charge)
	n.usage.Add(database, container, out.Charge)
}

// Drain stores everything acknowledged so far: it waits until every queued event is folded
// into memory and observed by the detection rules, then flushes all nodes until nothing is
// left, retrying through throttling and outages until ctx ends. Ingest keeps running; events
// acknowledged during Drain may or may not be included.
//
// Drain returns soon after ctx ends, even while a flush cycle is stuck in throttling or an
// outage; its error is then an *[UnflushedError] saying what is still not stored.
func (b *Backend) Drain(ctx context.Context) error {
	for b.queued.Load() > 0 || b.detecting() > 0 {
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return b.unflushed(err)
		}
	}
	for {
		var failed atomic.Int64
		var wg sync.WaitGroup
		for _, n := range b.nodes {
			wg.Add(1)
			go func() { defer wg.Done(); failed.Add(int64(n.flush(ctx, true))) }()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return b.unflushed(err)
		}
		left := 0
		for _, n := range b.nodes {
			left += n.dirtyCount()
		}
		if failed.Load() == 0 && left == 0 {
			return nil
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return b.unflushed(err)
		}
	}
}

// detecting returns the events admitted and not yet observed by the detection rules.
func (b *Backend) detecting() int64 {
	var n int64
	for _, t := range b.tenantList() {
		n += t.detecting.Load()
	}
	return n
}

// UnflushedError is [Backend.Drain]'s error when its ctx ends first: what was acknowledged
// and is not yet stored in Cosmos DB at that moment.
type UnflushedError struct {
	Queued   int64 // acknowledged, not yet folded into memory
	Entities int   // entities with changes waiting for a flush (a running cycle's not included)
	Events   int64 // events not yet stored: waiting, being written, or sent with outcome unknown
	Err      error // why Drain stopped (ctx.Err())
}

func (e *UnflushedError) Error() string {
	return fmt.Sprintf("drain: %d events unstored (%d entities waiting, %d events queued): %v",
		e.Events+e.Queued, e.Entities, e.Queued, e.Err)
}

func (e *UnflushedError) Unwrap() error { return e.Err }

func (b *Backend) unflushed(err error) *UnflushedError {
	u := &UnflushedError{Queued: b.queued.Load(), Err: err}
	for _, n := range b.nodes {
		entities, events := n.unflushed()
		u.Entities += entities
		u.Events += events
	}
	return u
}

// unflushed counts the entities waiting for a flush and the events not yet stored, including
// those the running cycle is writing.
func (n *node) unflushed() (entities int, events int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, e := range n.dirty {
		events += e.slot.unstored()
	}
	return len(n.dirty), events + n.inFlight.Load()
}

// unstored is the number of events the slot holds that are not known to be stored.
func (s *slot) unstored() int64 {
	n := s.delta.Events()
	if s.pending != nil {
		n += s.pending.delta.Events()
	}
	return n
}

// sleepUntil waits until t or until ctx is done; a t in the past returns at once.
func sleepUntil(ctx context.Context, t time.Time) error {
	if d := time.Until(t); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
