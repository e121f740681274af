package emulator

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// With multi-region writes every region commits document writes locally and replicates
// them to the others. A replicated write that replaces exactly the version the receiving
// region holds (the version its origin replaced, or the tombstone of the delete it
// follows) is the document's next write and is applied as it is. Otherwise it is
// concurrent with the region's version and resolved last-writer-wins, the service's
// default policy: every version is ordered by its conflict resolution value (the commit
// time on the emulator's clock for /_ts, else the number at the configured path, falling
// back to the commit time), then deletes over writes, then the committing region's index,
// so every region picks the same winner and all converge. A replicated write that loses
// is dropped and reported as a conflict. Deletes leave a tombstone for a while, so a write
// that lost to a concurrent delete does not resurrect the document.
//
// Partition LSNs stay one sequence per region: a replicated write keeps its LSN when it is
// ahead of the region's partition (the usual case), else it is committed at the next local
// LSN with its etag rewritten.

// Conflict is a write that lost last-writer-wins to a concurrent write of the same document.
type Conflict struct {
	At           time.Time `json:"at"`
	Database     string    `json:"database"`
	Container    string    `json:"container"`
	ID           string    `json:"id"`
	PartitionKey string    `json:"partitionKey"`
	// Loser and Winner are the regions that committed the two versions; their ops are
	// create, replace or delete.
	Loser    string `json:"loser"`
	LoserOp  string `json:"loserOp"`
	Winner   string `json:"winner"`
	WinnerOp string `json:"winnerOp"`
	// ResolvedIn is the region where the losing write arrived after the winner.
	ResolvedIn string `json:"resolvedIn"`
}

// versionKey orders versions of one document for last-writer-wins.
type versionKey struct {
	value  float64
	del    bool
	origin uint8
	clock  int64
}

// stamp is the origin and commit time of the version k orders.
func (k versionKey) stamp() writeStamp { return writeStamp{origin: k.origin, clock: k.clock} }

func (k versionKey) less(o versionKey) bool {
	switch {
	case k.value != o.value:
		return k.value < o.value
	case k.del != o.del:
		return o.del
	case k.origin != o.origin:
		return k.origin < o.origin
	}
	return k.clock < o.clock
}

// tombstones remember deleted documents' version keys for tombstoneTTL.
type tombstones struct {
	mu    sync.Mutex
	byKey map[string]versionKey
	added int
}

const tombstoneTTL = 10 * time.Minute

func tombKey(containerRID, key string) string { return containerRID + "\x00" + key }

func (t *tombstones) put(k string, v versionKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byKey == nil {
		t.byKey = map[string]versionKey{}
	}
	t.byKey[k] = v
	if t.added++; t.added%1024 == 0 {
		cutoff := time.Now().Add(-tombstoneTTL).UnixNano()
		for key, v := range t.byKey {
			if v.clock < cutoff {
				delete(t.byKey, key)
			}
		}
	}
}

func (t *tombstones) get(k string) (versionKey, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.byKey[k]
	return v, ok
}

// resolutionValue is a version's conflict resolution value.
func (a *Account) resolutionValue(it *item) float64 {
	if a.lwwPath != nil {
		if v, err := lookupKeyValue(it.body, a.lwwPath); err == nil {
			if f, ok := v.(float64); ok {
				return f
			}
		}
	}
	return float64(it.clock)
}

// versionOf is the version key of a live version.
func (a *Account) versionOf(it *item) versionKey {
	return versionKey{value: a.resolutionValue(it), origin: it.origin, clock: it.clock}
}

// deleteVersion is the version key of a delete committed by region origin at clock.
func (a *Account) deleteVersion(origin uint8, clock int64) versionKey {
	v := float64(clock)
	if a.lwwPath != nil {
		v = float64(time.Unix(0, clock).Unix())
	}
	return versionKey{value: v, del: true, origin: origin, clock: clock}
}

// applyMulti applies a write replicated from another writing region, resolving a conflict
// with the region's current version. Caller holds nothing; it takes p.mu.
func (g *region) applyMulti(c *container, p *partition, e *replEntry) {
	a := g.a
	remote := a.deleteVersion(uint8(e.src.index), e.committed.UnixNano())
	if e.rec.item != nil {
		remote = a.versionOf(e.rec.item)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var local versionKey
	var localOp string
	var have bool
	if s := p.items[e.rec.key]; s != nil && s.cur != nil {
		local, localOp, have = a.versionOf(s.cur), "write", true
	} else if t, ok := g.tombs.get(tombKey(c.rid, e.rec.key)); ok {
		local, localOp, have = t, "delete", true
	}
	// A write that follows the region's version is not a conflict, whatever its value.
	if have && local.stamp() != e.rec.prev && remote.less(local) {
		a.addConflict(g, e, local, localOp)
		return
	}
	if e.rec.item == nil {
		g.tombs.put(tombKey(c.rid, e.rec.key), remote)
		if s := p.items[e.rec.key]; s == nil || s.cur == nil {
			return
		}
	}
	next := e.rec.item
	if e.rec.lsn > p.lsn {
		p.lsn = e.rec.lsn - 1
	} else if next != nil {
		next = restamp(next, p.lsn+1)
	}
	hook := p.onCommit
	p.onCommit = nil
	p.commit(e.rec.op, e.rec.key, next)
	p.onCommit = hook
}

// restamp is a copy of it committed at lsn: the etag in its body follows the new LSN.
func restamp(it *item, lsn int64) *item {
	cp := *it
	cp.lsn = lsn
	const marker = `"_etag":"\"`
	if i := strings.LastIndex(string(it.body), marker); i >= 0 {
		start := i + len(marker)
		if end := strings.Index(string(it.body[start:]), `\"`); end >= 0 {
			etag := etagFor(lsn)
			body := make([]byte, 0, len(it.body)+8)
			body = append(body, it.body[:start]...)
			body = append(body, etag[1:len(etag)-1]...)
			cp.body = append(body, it.body[start+end:]...)
		}
	}
	return &cp
}

func (a *Account) addConflict(g *region, e *replEntry, winner versionKey, winnerOp string) {
	cf := Conflict{At: time.Now(), Database: e.rec.ref.Database, Container: e.rec.ref.Container,
		Loser: e.src.name, LoserOp: opName(e.rec.op), Winner: a.regions[winner.origin].name,
		WinnerOp: winnerOp, ResolvedIn: g.name}
	cf.PartitionKey, cf.ID, _ = strings.Cut(e.rec.key, "\x00")
	dedup := fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", cf.Database, cf.Container, e.rec.key,
		e.src.index, e.committed.UnixNano())
	a.hist.addConflict(dedup, cf)
}
