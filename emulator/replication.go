package emulator

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// replicator numbers every committed write of the account and tells waiters when
// replication makes progress or the topology changes.
type replicator struct {
	// mu orders enqueueing: a write takes its sequence number and reaches every region's
	// inbox under mu, so all inboxes hold writes in the same global order.
	mu  sync.Mutex
	seq atomic.Uint64
	// acked is the highest sequence number a client was answered for (see ackWriter).
	acked atomic.Uint64

	notifyMu sync.Mutex
	progress chan struct{}
}

func (r *replicator) init() { r.progress = make(chan struct{}) }

// changed returns a channel closed at the next progress or topology change.
func (r *replicator) changed() <-chan struct{} {
	r.notifyMu.Lock()
	defer r.notifyMu.Unlock()
	return r.progress
}

// wake closes the current progress channel.
func (r *replicator) wake() {
	r.notifyMu.Lock()
	close(r.progress)
	r.progress = make(chan struct{})
	r.notifyMu.Unlock()
}

// current is the sequence number of the latest committed write.
func (r *replicator) current() uint64 { return r.seq.Load() }

// markAcked records that every write up to seq was answered to a client.
func (r *replicator) markAcked(seq uint64) {
	for {
		old := r.acked.Load()
		if seq <= old || r.acked.CompareAndSwap(old, seq) {
			return
		}
	}
}

// replEntry is one committed write on its way to one region.
type replEntry struct {
	src       *region
	rec       logRecord
	seq       uint64
	committed time.Time
	due       time.Time
}

// inbox is the FIFO of writes a region has yet to apply, in global commit order.
type inbox struct {
	mu      sync.Mutex
	entries []replEntry
	head    int // entries[:head] are applied and about to be dropped
	lastDue time.Time
	lag     *lagSource
	wake    chan struct{}
	// applied counts writes applied; dropped counts writes discarded by a forced failover.
	applied, dropped atomic.Int64
	// applyMu is held while the applier applies entries, so a failover sees each entry
	// either applied or still queued.
	applyMu sync.Mutex
	// stale is set when the region, down, had more writes queued than it may hold: they
	// were dropped, later ones are not queued, and the region is resynchronised from the
	// write region before it applies writes again (see push). staleWrites counts the
	// writes it missed, staleOldest is the commit time of the first. epoch changes when
	// entries are dropped, so the applier does not advance over entries it never applied.
	stale       bool
	staleWrites int
	staleOldest time.Time
	epoch       uint64
}

func (in *inbox) init(l Lag, stream uint64) {
	in.lag = newLagSource(l, stream)
	in.wake = make(chan struct{}, 1)
}

// push queues e. limit, when positive, is how many writes the queue may hold (the region is
// down): past it, the queue is dropped and the region goes stale.
func (in *inbox) push(e replEntry, limit int) {
	in.mu.Lock()
	if !in.stale && limit > 0 && len(in.entries)-in.head >= limit {
		in.goStale()
	}
	if in.stale {
		in.staleWrites++
		in.mu.Unlock()
		in.signal()
		return
	}
	e.due = e.committed.Add(in.lag.next())
	if e.due.Before(in.lastDue) {
		e.due = in.lastDue
	}
	in.lastDue = e.due
	in.entries = append(in.entries, e)
	in.mu.Unlock()
	in.signal()
}

// goStale drops every queued write. Caller holds in.mu.
func (in *inbox) goStale() {
	p := in.pending()
	in.stale, in.staleWrites = true, len(p)
	if len(p) > 0 {
		in.staleOldest = p[0].committed
	}
	// A new slice: the applier may still be reading the old one.
	in.entries, in.head = nil, 0
	in.epoch++
}

// takeStale clears the stale state and reports whether it was set: the caller then
// resynchronises the region. Caller holds applyMu.
func (in *inbox) takeStale() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	was := in.stale
	in.stale, in.staleWrites, in.staleOldest = false, 0, time.Time{}
	return was
}

func (in *inbox) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// pending is the queued entries, oldest first. Caller holds in.mu.
func (in *inbox) pending() []replEntry { return in.entries[in.head:] }

// behind reports how many writes the region has yet to apply and the age of the oldest.
func (in *inbox) behind(now time.Time) (int, time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	p := in.pending()
	switch {
	case in.stale:
		return in.staleWrites + len(p), now.Sub(in.staleOldest)
	case len(p) == 0:
		return 0, 0
	}
	return len(p), now.Sub(p[0].committed)
}

// caughtUp reports whether every write up to seq destined to the region was applied.
func (in *inbox) caughtUp(seq uint64) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	p := in.pending()
	return !in.stale && (len(p) == 0 || p[0].seq > seq)
}

// onCommit is the commit hook of the region's store: every write a client commits in this
// region is numbered and queued for every other region. Replicated writes are applied with
// the hook off, so they never travel further. It answers the durable log position the
// client waits for (0 without a data dir).
func (g *region) onCommit(rec logRecord) uint64 {
	a := g.a
	if rec.op == opSplit {
		// Replicas mirror splits from the writes they apply; the log records the writer's.
		if a.durable != nil && a.writer.Load() == g {
			return a.durable.append(rec)
		}
		return 0
	}
	now := time.Now()
	rec.stamp = writeStamp{origin: uint8(g.index), clock: now.UnixNano()}
	if a.rc.MultiRegionWrites && rec.prev == (writeStamp{}) {
		if t, ok := g.tombs.get(tombKey(rec.ref.ContainerRID, rec.key)); ok {
			rec.prev = t.stamp() // a document recreated after a delete
		}
	}
	if rec.item != nil {
		rec.item.origin, rec.item.clock = rec.stamp.origin, rec.stamp.clock
	} else if a.rc.MultiRegionWrites {
		g.tombs.put(tombKey(rec.ref.ContainerRID, rec.key),
			a.deleteVersion(rec.stamp.origin, rec.stamp.clock))
	}
	a.repl.mu.Lock()
	seq := a.repl.seq.Add(1)
	for _, d := range a.regions {
		if d != g {
			d.in.push(replEntry{src: g, rec: rec, seq: seq, committed: now}, a.queueLimit(d))
		}
	}
	a.repl.mu.Unlock()
	if a.durable != nil {
		return a.durable.append(rec)
	}
	return 0
}

// queueLimit is how many writes region d may hold queued now (0: no limit): a bound only
// while it is a read region that is down, without multi-region writes.
func (a *Account) queueLimit(d *region) int {
	if a.rc.MultiRegionWrites || a.rc.MaxQueuedWhileDown < 0 || !d.state.Load().down {
		return 0
	}
	return a.rc.MaxQueuedWhileDown
}

// catchUpStale resynchronises g from the write region if its queue was dropped while it
// was down. Caller holds g.in.applyMu.
func (g *region) catchUpStale() {
	if g.in.takeStale() {
		g.resyncFrom(g.a.writer.Load())
	}
}

// applyLoop applies the region's due writes in order until stop closes. Nothing is applied
// while the region is down, and a write whose source region is down waits (with every
// write after it) until the source is back or a failover discards it.
func (g *region) applyLoop(stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := g.applyDue(time.Now())
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-stop:
			return
		case <-g.in.wake:
		case <-timer.C:
		}
		if wait > 0 && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// applyDue applies every due write and returns how long until the next one is due (0 when
// there is none, or it waits on an outage).
func (g *region) applyDue(now time.Time) time.Duration {
	in := &g.in
	in.applyMu.Lock()
	defer in.applyMu.Unlock()
	if g.state.Load().down {
		return 0
	}
	// Normally done by RegionUp; here if the queue was dropped as the region came back.
	g.catchUpStale()
	in.mu.Lock()
	epoch := in.epoch
	p := in.pending()
	n := 0
	var wait time.Duration
	for n < len(p) {
		e := &p[n]
		if e.src.state.Load().down {
			break
		}
		if e.due.After(now) {
			wait = e.due.Sub(now)
			break
		}
		n++
	}
	n = wholeTransactions(p[:n])
	batch := p[:n]
	in.mu.Unlock()
	if n == 0 {
		return wait
	}
	g.applyInOrder(batch)
	in.mu.Lock()
	if in.epoch == epoch {
		in.head += n
		in.compact()
	}
	in.mu.Unlock()
	in.applied.Add(int64(n))
	g.a.repl.wake()
	return wait
}

// wholeTransactions is how many of entries can be applied without splitting a
// transactional batch: up to the first batch whose last write has not arrived yet.
func wholeTransactions(entries []replEntry) int {
	var open map[PartitionRef]int
	for i := range entries {
		rec := &entries[i].rec
		if _, ok := open[rec.ref]; ok {
			if !rec.more {
				delete(open, rec.ref)
			}
			continue
		}
		if rec.more {
			if open == nil {
				open = map[PartitionRef]int{}
			}
			open[rec.ref] = i
		}
	}
	n := len(entries)
	for _, start := range open {
		n = min(n, start)
	}
	return n
}

// applyInOrder applies entries in order; a transactional batch is applied as one group
// when its first write is reached (a batch's writes are the only writes of their
// partition between its first and last, so the partition's order is kept).
func (g *region) applyInOrder(entries []replEntry) {
	var grouped map[int]bool
	for i := range entries {
		if grouped[i] {
			continue
		}
		e := &entries[i]
		if !e.rec.more {
			g.apply(e)
			continue
		}
		group := []*replEntry{e}
		for j := i + 1; j < len(entries); j++ {
			if entries[j].rec.ref != e.rec.ref {
				continue
			}
			if grouped == nil {
				grouped = map[int]bool{}
			}
			grouped[j] = true
			group = append(group, &entries[j])
			if !entries[j].rec.more {
				break
			}
		}
		g.apply(group...)
	}
}

// compact drops applied entries once they are half the slice. Caller holds in.mu.
func (in *inbox) compact() {
	if in.head > 1024 && in.head*2 > len(in.entries) {
		n := copy(in.entries, in.entries[in.head:])
		clear(in.entries[n:])
		in.entries = in.entries[:n]
		in.head = 0
	} else if in.head == len(in.entries) {
		clear(in.entries)
		in.entries = in.entries[:0]
		in.head = 0
	}
}

// apply commits replicated writes of one partition (one write, or a whole transactional
// batch) into the region's replica of it, at the source's LSNs, sharing the immutable
// versions. A batch's writes are committed under one lock hold, so readers see all or none.
func (g *region) apply(es ...*replEntry) {
	e := es[0]
	ref := e.rec.ref
	c := g.srv.store.containerByRID(ref.Database, ref.Container, ref.ContainerRID)
	if c == nil {
		// The container was created after this region last mirrored metadata.
		g.mirrorFrom(e.src)
		if c = g.srv.store.containerByRID(ref.Database, ref.Container, ref.ContainerRID); c == nil {
			return // deleted since
		}
	}
	p := c.partitionByRange(ref.RangeID)
	if p == nil {
		p = mirrorSplit(c, e.src.srv.store, ref)
	}
	defer func() {
		for _, e := range es {
			bumpSeq(c, e.rec.item)
		}
	}()
	switch {
	case p == nil:
		// The replica's ranges still differ from the source's (it split on its own): route
		// by key, and keep the replica's LSN increasing.
		for _, e := range es {
			if p := replicaPartitionByKey(c, e.rec); p != nil {
				p.mu.Lock()
				commitReplicated(p, false, e)
				p.mu.Unlock()
			}
		}
	case g.a.rc.MultiRegionWrites:
		for _, e := range es {
			g.applyMulti(c, p, e)
		}
	default:
		p.mu.Lock()
		for _, e := range es {
			commitReplicated(p, true, e)
		}
		p.mu.Unlock()
	}
}

// commitReplicated commits one replicated write with the commit hook off. With exact, the
// write keeps its source LSN and is skipped if the partition already has it (the region
// was resynchronised after it was queued). Caller holds p.mu.
func commitReplicated(p *partition, exact bool, e *replEntry) {
	if exact {
		if e.rec.lsn <= p.lsn {
			return
		}
		p.lsn = e.rec.lsn - 1
	}
	hook := p.onCommit
	p.onCommit = nil
	p.commit(e.rec.op, e.rec.key, e.rec.item)
	p.onCommit = hook
}

// bumpSeq keeps c's document sequence past a replicated version's, so documents created
// here later get new positions.
func bumpSeq(c *container, it *item) {
	if it == nil {
		return
	}
	for {
		cur := c.seq.Load()
		if it.seq <= cur || c.seq.CompareAndSwap(cur, it.seq) {
			return
		}
	}
}

// mirrorSplit splits the replica container c as the source split, until c has the range
// ref names, and returns that partition (nil if the layouts cannot be matched). Splits
// are deterministic (same midpoint, same new range ids), and replication is in commit
// order, so the replica's parent holds exactly what the source's held when it split.
func mirrorSplit(c *container, src *store, ref PartitionRef) *partition {
	sc := src.containerByRID(ref.Database, ref.Container, ref.ContainerRID)
	if sc == nil {
		return nil
	}
	sp := sc.partitionByRange(ref.RangeID)
	if sp == nil {
		return nil
	}
	for range len(sp.parents) {
		var parent *partition
		for _, anc := range sp.parents {
			if p := c.partitionByRange(anc); p != nil {
				parent = p
			}
		}
		if parent == nil {
			return nil
		}
		if _, err := c.splitPartition(parent); err != nil {
			return nil
		}
		if p := c.partitionByRange(ref.RangeID); p != nil {
			return p
		}
	}
	return nil
}

// replicaPartitionByKey finds the replica partition for a record by document key.
func replicaPartitionByKey(c *container, rec logRecord) *partition {
	if rec.item != nil {
		return c.partitionFor(rec.item.pk)
	}
	for _, p := range c.partitions() {
		p.mu.RLock()
		_, ok := p.items[rec.key]
		p.mu.RUnlock()
		if ok {
			return p
		}
	}
	return nil
}

// containerByRID finds a container by ids and checks it is the same incarnation (rid).
func (st *store) containerByRID(db, coll, rid string) *container {
	c, err := st.container(db, coll)
	if err != nil || c.rid != rid {
		return nil
	}
	return c
}

// waitReplicated blocks until every region that is up has applied every write up to seq,
// ctx ends, or abort reports true (checked at each change).
func (a *Account) waitReplicated(ctx context.Context, seq uint64, abort func() bool) error {
	for {
		ch := a.repl.changed()
		if abort() {
			return errWriteRegionLost
		}
		if a.replicatedEverywhere(seq) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-a.stop:
			return errAccountStopped
		}
	}
}

func (a *Account) replicatedEverywhere(seq uint64) bool {
	for _, g := range a.regions {
		if !g.state.Load().down && !g.in.caughtUp(seq) {
			return false
		}
	}
	return true
}

// waitCaughtUp blocks until region g has applied every write up to seq.
func (g *region) waitCaughtUp(ctx context.Context, seq uint64) error {
	for {
		ch := g.a.repl.changed()
		if g.in.caughtUp(seq) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-g.a.stop:
			return errAccountStopped
		}
	}
}

var (
	errWriteRegionLost = newError(kindServiceUnavailable,
		"the write region went down before this write was replicated; it was not acknowledged")
	errAccountStopped = newError(kindServiceUnavailable, "the account is shutting down")
)
