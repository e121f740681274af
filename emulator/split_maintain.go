package emulator

import (
	"math"
	"time"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// maintainLoop runs maintainThroughput every interval until the server stops.
func (s *Server) maintainLoop(interval time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.maintainThroughput(s.now())
		}
	}
}

// maintainThroughput keeps the engine in step with the store: registers new containers,
// forgets deleted ones, reports storage, plans splits for pending offers and oversized
// partitions, and runs the splits that are due.
func (s *Server) maintainThroughput(now time.Time) {
	s.maintain(now)
	s.notifyPartitionsChanged()
}

func (s *Server) maintain(now time.Time) {
	for _, c := range s.allContainers() {
		s.registerContainer(c, now)
	}
	dbs := s.allDatabases()
	replica := s.isReplica()
	tp := s.tp
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, d := range dbs {
		s.registerDatabaseLocked(d, now)
	}
	for rid, c := range tp.containers {
		if c.deleted.Load() {
			tp.engine.DeleteContainer(c.db.id, c.id, c.rid, now)
			delete(tp.containers, rid)
			delete(tp.splits, c)
			delete(tp.ranges, c)
			tp.registered.Delete(rid)
			tp.keys.Delete(c)
			continue
		}
		oversized := s.measureStorage(c, now)
		if replica {
			// A replica splits only as the write region did, when the first write to a new
			// range reaches it (mirrorSplit); a split of its own would give it ranges the
			// write region's log records do not name.
			delete(tp.splits, c)
			s.syncReplicaRanges(c, now)
			continue
		}
		_, planned := tp.splits[c]
		if !planned && (oversized || s.pendingPartitions(c) > len(c.partitions())) {
			tp.splits[c] = now.Add(tp.cfg.SplitDelay)
		}
	}
	for name, d := range tp.databases {
		if cur, err := s.store.database(name); err != nil || cur != d {
			tp.engine.DeleteDatabase(name, now)
			delete(tp.databases, name)
		}
	}
	s.reconcileOffers(now)
	for c, due := range tp.splits {
		if !now.Before(due) {
			delete(tp.splits, c)
			s.runSplits(c, now)
		}
	}
}

// isReplica reports whether the server is a read replica of an account now.
func (s *Server) isReplica() bool { return s.store.replica != nil && s.store.replica() }

// syncReplicaRanges gives the engine c's ranges after a mirrored split. Caller holds s.tp.mu.
func (s *Server) syncReplicaRanges(c *container, now time.Time) {
	v := c.rangesVersion.Load()
	if seen, ok := s.tp.ranges[c]; ok && seen == v {
		return
	}
	if err := s.tp.engine.SetRanges(c.db.id, c.id, rangeIDs(c), now); err == nil {
		s.tp.ranges[c] = v
		s.tp.keys.Delete(c) // measure the new partitions at the next pass
	}
}

// allContainers lists the store's live containers.
func (s *Server) allContainers() []*container {
	st := s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []*container
	for _, d := range st.dbs {
		for _, c := range d.colls {
			out = append(out, c)
		}
	}
	return out
}

// allDatabases lists the store's databases.
func (s *Server) allDatabases() []*database {
	st := s.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := make([]*database, 0, len(st.dbs))
	for _, d := range st.dbs {
		out = append(out, d)
	}
	return out
}

// pendingPartitions is how many partitions c's pending offer needs, 0 without one. A
// shared database's pending offer is spread over its containers in proportion.
func (s *Server) pendingPartitions(c *container) int {
	e := s.tp.engine
	info, err := e.Offer(throughput.Target{Database: c.db.id, Container: c.id})
	if err != nil {
		info, err = e.Offer(throughput.Target{Database: c.db.id})
	}
	if err != nil || info.Pending == nil {
		return 0
	}
	need := throughput.RequiredPartitions(*info.Pending)
	if info.Shared {
		// The database's partitions are its containers'; each grows by the same factor.
		return ceilDiv(need*len(c.partitions()), max(info.Partitions, 1))
	}
	return need
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// runSplits performs c's due splits: up to the partitions its pending offer needs, and
// of every partition past the storage limit; then tells the engine the new ranges.
func (s *Server) runSplits(c *container, now time.Time) {
	if c.deleted.Load() {
		return
	}
	s.splitInto(c, s.pendingPartitions(c))
	for _, p := range c.partitions() {
		if total, _ := partitionStorage(p, math.MaxInt64); total > s.tp.cfg.PartitionMaxBytes {
			if _, err := c.splitPartition(p); err != nil {
				s.log.Warn("partition split failed", "database", c.db.id, "container", c.id,
					"err", err)
				continue
			}
			s.tp.noteChanged(c)
		}
	}
	if err := s.tp.engine.SetRanges(c.db.id, c.id, rangeIDs(c), now); err != nil {
		s.log.Warn("throughput ranges not updated", "database", c.db.id, "container", c.id,
			"err", err)
	}
	s.tp.keys.Delete(c) // measure the new partitions at once
	s.measureStorage(c, now)
	s.log.Info("partitions split", "database", c.db.id, "container", c.id,
		"partitions", len(c.partitions()))
}
