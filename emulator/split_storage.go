package emulator

import (
	"fmt"
	"time"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// substatusPartitionKeyQuota is the service's 403 substatus for a partition key value that
// reached its maximum size.
const substatusPartitionKeyQuota = 1014

// keyStorage is the measured storage of one container: the per-partition totals reported
// to the engine, and the partition key values close enough to the logical partition limit
// that one more document could cross it.
type keyStorage struct {
	measured time.Time
	nearFull map[string]int64 // partition key (canonical form) -> bytes
}

// storageMeasureInterval bounds how often a container's storage is measured.
const storageMeasureInterval = time.Second

// measureStorage reads the stored bytes each partition of c keeps (at most once per
// storageMeasureInterval), reports them to the engine, refreshes the near-full keys (the
// only walk over documents, and only of partitions holding as much as a key may), and says
// whether a partition is past the per-partition limit. Caller holds s.tp.mu.
func (s *Server) measureStorage(c *container, now time.Time) bool {
	tp := s.tp
	prev, _ := tp.keys.Load(c)
	if ks, ok := prev.(*keyStorage); ok && now.Sub(ks.measured) < storageMeasureInterval &&
		!now.Before(ks.measured) {
		return false
	}
	// A key can cross the limit with one document only if it is within the largest document
	// of the limit.
	threshold := tp.cfg.LogicalPartitionMaxBytes - maxDocumentBytes
	ks := &keyStorage{measured: now, nearFull: map[string]int64{}}
	oversized := false
	for _, p := range c.partitions() {
		total, keys := partitionStorage(p, threshold)
		for k, n := range keys {
			if n >= threshold {
				ks.nearFull[k] = n
			}
		}
		tp.engine.ReportStorage(throughput.PartitionRef(p.ref()), now, total)
		oversized = oversized || total > tp.cfg.PartitionMaxBytes
	}
	tp.keys.Store(c, ks)
	return oversized
}

// partitionStorage is the bytes of p's live documents in total (kept by commit) and, when
// the total reaches keyThreshold (no key can hold more than its partition), per partition
// key.
func partitionStorage(p *partition, keyThreshold int64) (int64, map[string]int64) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	total := p.storedBytes
	if total < keyThreshold {
		return total, nil
	}
	keys := map[string]int64{}
	for _, sl := range p.items {
		if sl.cur != nil {
			keys[sl.cur.pk.key] += int64(len(sl.cur.body))
		}
	}
	return total, keys
}

// checkKeyStorage refuses a write that would grow the partition key value pk past the
// logical partition limit with the service's 403, substatus 1014. Sizes are measured by
// the maintenance pass, so a burst of writes within one measurement interval can pass
// the limit by what it wrote.
func (s *Server) checkKeyStorage(c *container, pk partitionKey, growth int) error {
	v, ok := s.tp.keys.Load(c)
	if !ok {
		return nil
	}
	stored := v.(*keyStorage).nearFull[pk.key]
	limit := s.tp.cfg.LogicalPartitionMaxBytes
	if stored+int64(growth) <= limit {
		return nil
	}
	return &Error{kind: kindForbidden, substatus: substatusPartitionKeyQuota,
		msg: fmt.Sprintf("Partition key reached maximum size of %d bytes: partition key %s "+
			"stores %d bytes", limit, pk.key, stored)}
}

// checkOpStorage applies checkKeyStorage to a point write; reads, deletes and patches
// (whose growth is unknown until applied) of keys under the limit pass.
func (s *Server) checkOpStorage(c *container, op *itemOp) error {
	switch op.kind {
	case itemRead, itemDelete:
		return nil
	}
	growth := 0
	if op.doc != nil {
		growth = len(op.doc.raw)
	}
	return s.checkKeyStorage(c, op.pk, growth)
}

// checkBatchStorage applies checkKeyStorage to a transactional batch on pk, with the
// growth of all its documents.
func (s *Server) checkBatchStorage(c *container, pk partitionKey, ops []*itemOp) error {
	growth, writes := 0, false
	for _, op := range ops {
		if op == nil || op.kind == itemRead || op.kind == itemDelete {
			continue
		}
		writes = true
		if op.doc != nil {
			growth += len(op.doc.raw)
		}
	}
	if !writes {
		return nil
	}
	return s.checkKeyStorage(c, pk, growth)
}
