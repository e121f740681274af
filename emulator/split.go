package emulator

import (
	"errors"
	"slices"
	"strconv"

	"github.com/stampede-load/stampede/emulator/epk"
)

// errNotLive is returned when a partition to split has already been split away.
var errNotLive = errors.New("partition is no longer live")

// splitPartition cuts p in two at the middle of its EPK range, as the service splits a
// physical partition. The children list p and its ancestors as parents (so the SDK drops
// p from its routing map), continue p's LSN (so change-feed etags and item etags carry
// over) and hold new copies of p's document slots with unchanged creation sequences (so
// query continuations carry over). p is left frozen for readers that already hold it;
// writers that routed to it re-route (see lockForWrite).
func (c *container) splitPartition(p *partition) ([]*partition, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.splitLocked(p)
}

// splitLocked is splitPartition with p.mu held by the caller.
func (c *container) splitLocked(p *partition) ([]*partition, error) {
	mid, err := epk.Midpoint(c.pk.scheme(), epk.Range{Min: p.min, Max: p.max})
	if err != nil {
		return nil, err
	}
	parts := c.partitions()
	at := slices.Index(parts, p)
	if at < 0 {
		return nil, errNotLive
	}
	ids := nextRangeIDs(parts, 2)
	return c.cutLocked(p, at, []partImage{
		{RangeID: ids[0], Min: p.min, Max: mid},
		{RangeID: ids[1], Min: mid, Max: p.max},
	}), nil
}

// cutLocked replaces p, the partition at index at of c's partitions, with children of the
// given ranges, and hands the split to p's commit hook before any write can reach the
// children, so that a write-ahead log records the new ranges ahead of their writes.
// Caller holds p.mu.
func (c *container) cutLocked(p *partition, at int, ranges []partImage) []*partition {
	children := make([]*partition, len(ranges))
	for i, r := range ranges {
		ch := newPartition(c, r.RangeID, r.Min, r.Max)
		ch.parents = append(slices.Clone(p.parents), p.rangeID)
		ch.lsn = p.lsn
		ch.onCommit = p.onCommit
		children[i] = ch
	}
	moveDocuments(c, p, children)
	if p.onCommit != nil {
		p.onCommit(logRecord{ref: p.ref(), lsn: p.lsn, op: opSplit, split: ranges})
	}
	parts := c.partitions()
	next := slices.Concat(parts[:at], children, parts[at+1:])
	c.parts.Store(&next)
	c.rangesVersion.Add(1)
	return children
}

// replaySplit cuts the partition named rangeID into ranges, as a logged split did; a
// partition already split (or unknown) is left alone.
func (c *container) replaySplit(rangeID string, ranges []partImage) {
	p := c.partitionByRange(rangeID)
	if p == nil || len(ranges) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if at := slices.Index(c.partitions(), p); at >= 0 {
		c.cutLocked(p, at, ranges)
	}
}

// moveDocuments copies p's live slots and their latest log entries into the children by
// EPK. Caller holds p.mu.
func moveDocuments(c *container, p *partition, children []*partition) {
	moved := make(map[*slot]*slot, len(p.items))
	owner := make(map[*slot]*partition, len(p.items))
	scheme := c.pk.scheme()
	for _, s := range p.order {
		if s.cur == nil {
			continue
		}
		ch := childFor(scheme, s.cur.pk, children)
		ns := &slot{seq: s.seq, key: s.key, cur: s.cur}
		ch.items[s.key] = ns
		ch.order = append(ch.order, ns)
		ch.storedBytes += int64(len(s.cur.body))
		moved[s], owner[ns] = ns, ch
	}
	for _, e := range p.log {
		ns := moved[e.slot]
		if ns == nil || ns.cur.lsn != e.lsn {
			continue // deleted or superseded: the change feed would skip it anyway
		}
		ch := owner[ns]
		ch.log = append(ch.log, logEntry{lsn: e.lsn, slot: ns})
	}
}

// childFor picks the child whose range holds the key, with partitionFor's fallback.
func childFor(scheme epk.Scheme, pk partitionKey, children []*partition) *partition {
	e, err := epk.Compute(scheme, pk.parts)
	if err != nil {
		return children[0]
	}
	for _, ch := range children {
		if (epk.Range{Min: ch.min, Max: ch.max}).Contains(e) {
			return ch
		}
	}
	return children[len(children)-1]
}

// nextRangeIDs returns n unused range ids: numbers above every live id and every parent.
func nextRangeIDs(parts []*partition, n int) []string {
	top := -1
	note := func(id string) {
		if v, err := strconv.Atoi(id); err == nil {
			top = max(top, v)
		}
	}
	for _, p := range parts {
		note(p.rangeID)
		for _, parent := range p.parents {
			note(parent)
		}
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(top + 1 + i)
	}
	return ids
}

// splitInto splits c's widest partitions until it has at least n. Splits only as many
// as needed, as the service does, which can leave the key space unevenly divided.
func (s *Server) splitInto(c *container, n int) {
	for len(c.partitions()) < n {
		if _, err := c.splitPartition(widest(c.partitions())); err != nil {
			s.log.Warn("partition split failed", "database", c.db.id, "container", c.id,
				"err", err)
			return
		}
		s.tp.noteChanged(c)
	}
}

// widest returns the first partition with the largest share of the key space, judged by
// its depth in the split tree.
func widest(parts []*partition) *partition {
	best := parts[0]
	for _, p := range parts[1:] {
		if len(p.parents) < len(best.parents) {
			best = p
		}
	}
	return best
}

// lockForWrite locks p for a write of key pk, re-routing while p has been split away
// between routing and locking, and returns the partition it locked.
func (c *container) lockForWrite(p *partition, pk partitionKey) *partition {
	for {
		p.mu.Lock()
		if slices.Contains(c.partitions(), p) {
			return p
		}
		p.mu.Unlock()
		p = c.partitionFor(pk)
	}
}

// adoptLayout re-partitions c to the ranges of layout (a snapshot of another copy of c,
// such as a metadata frame of the write-ahead log or another region's store): documents
// move to the partition whose range holds their key, keeping their LSNs and sequences, and
// each new partition continues the highest LSN of the old partitions (or the layout's LSN,
// if higher), so etags and change-feed continuations stay ordered. A layout equal to c's current one changes nothing.
// NOTE: durable replay and region mirroring call it when a split happened after the
// metadata they started from (see OnPartitionsChanged).
func (c *container) adoptLayout(layout []partImage) {
	parts := c.partitions()
	if sameLayout(parts, layout) || len(layout) == 0 {
		return
	}
	for _, p := range parts {
		p.mu.Lock()
		defer p.mu.Unlock()
	}
	next := make([]*partition, len(layout))
	for i, pi := range layout {
		next[i] = newPartition(c, pi.RangeID, pi.Min, pi.Max)
		next[i].parents = slices.Clone(pi.Parents)
		next[i].lsn = pi.LSN
	}
	for _, p := range parts {
		moveDocuments(c, p, next)
		for _, ch := range next {
			ch.lsn = max(ch.lsn, p.lsn)
		}
	}
	for _, ch := range next {
		slices.SortFunc(ch.order, func(a, b *slot) int { return cmpInt64(a.seq, b.seq) })
		slices.SortFunc(ch.log, func(a, b logEntry) int { return cmpInt64(a.lsn, b.lsn) })
	}
	c.parts.Store(&next)
	c.rangesVersion.Add(1)
}

func sameLayout(parts []*partition, layout []partImage) bool {
	if len(parts) != len(layout) {
		return false
	}
	for i, p := range parts {
		if p.rangeID != layout[i].RangeID || p.min != layout[i].Min || p.max != layout[i].Max {
			return false
		}
	}
	return true
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
