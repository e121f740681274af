package emulator

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"
)

// With multi-region writes every region commits document writes of its own, so the data
// directory's one log holds the writes of all regions, each stamped with its origin region
// and commit time (writeStamp) and the stamp of the version it replaced, in the order they
// were logged. Partition LSNs are then one sequence per region, not one for the account,
// so recovery cannot skip a write by its LSN as it does for a single write region. It
// resolves every write as replication does instead (see replication_multi.go): a write
// that replaced exactly the version recovery holds is the document's next write and is
// applied; any other is applied only if its version (versionKey) is newer than the
// document's version or tombstone. Equal versions are the same write, so replaying a
// write a snapshot already holds changes nothing. The result, mirrored to every region,
// is the state the regions converge to once every logged write is replicated: the same
// as the service after a region that was down comes back.
//
// A snapshot merges every region's documents by last-writer-wins (writes a lagging region
// has not applied yet are in their origin region's store) and keeps the tombstones of
// deleted documents, so that a write that lost to a delete before the snapshot does not
// come back when a later segment is replayed.

// frameTombstone is a deleted document's tombstone in a merged snapshot (after the
// partitions of its container): container rid, document key, the delete's stamp.
const frameTombstone byte = 6

func appendTombstoneFrame(b []byte, rid, key string, v versionKey) []byte {
	var p []byte
	p = appendString(p, rid)
	p = appendString(p, key)
	p = append(p, v.origin)
	p = binary.AppendVarint(p, v.clock)
	return appendFrame(b, frameTombstone, p)
}

// lwwReplay replays a log written with multi-region writes: by last-writer-wins, keeping
// the tombstones it meets (to seed every region's).
type lwwReplay struct {
	a     *Account
	tombs map[string]versionKey
}

func newLWWReplay(a *Account) *lwwReplay {
	return &lwwReplay{a: a, tombs: map[string]versionKey{}}
}

func (r *lwwReplay) loadTombstone(payload []byte) error {
	d := &decoder{b: payload}
	rid, key := string(d.bytes()), string(d.bytes())
	origin, clock := d.byte1(), d.varint()
	if d.err != nil {
		return d.err
	}
	r.putTomb(tombKey(rid, key), r.a.deleteVersion(origin, clock))
	return nil
}

// putTomb keeps v as the key's tombstone unless a newer one is kept.
func (r *lwwReplay) putTomb(k string, v versionKey) {
	if have, ok := r.tombs[k]; !ok || have.less(v) {
		r.tombs[k] = v
	}
}

// replay applies one logged write to c if it follows or is newer than what c holds for
// the document.
// The frame's partition may not exist in the recovered layout (each region splits on its
// own): the write then goes to the partition that holds its key.
func (r *lwwReplay) replay(c *container, dec *itemDecoder, f *itemFrame) error {
	var it *item
	remote := r.a.deleteVersion(f.stamp.origin, f.stamp.clock)
	if f.op != opDelete {
		var err error
		if it, err = dec.item(f); err != nil {
			return err
		}
		remote = r.a.versionOf(it)
		bumpSeq(c, it)
	}
	tk := tombKey(c.rid, f.key)
	p := c.partitionByRange(f.rangeID)
	if p == nil {
		p = replicaPartitionByKey(c, logRecord{key: f.key, item: it})
	}
	if p == nil { // a delete of a document no partition holds
		r.putTomb(tk, remote)
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.items[f.key]
	live := s != nil && s.cur != nil
	local, have := r.tombs[tk]
	if live {
		local, have = r.a.versionOf(s.cur), true
	}
	// As in replication: the next write of the version held applies whatever its value;
	// any other is applied only if newer (equal is this very write, replayed again).
	if have && local.stamp() != f.prev && !remote.newer(local) {
		return nil
	}
	if it == nil {
		r.tombs[tk] = remote
		if !live {
			return nil
		}
	}
	if f.lsn > p.lsn {
		p.lsn = f.lsn - 1
	} else if it != nil {
		// Another region's write took this LSN first: as a replica does, commit at the
		// next one.
		it = restamp(it, p.lsn+1)
	}
	p.commit(f.op, f.key, it)
	return nil
}

// newer reports whether k orders after o (equal versions are the same write).
func (k versionKey) newer(o versionKey) bool { return o.less(k) }

// seedTombstones gives every region the tombstones recovery found, but those older than
// tombstoneTTL (which regions forget too).
func (a *Account) seedTombstones(tombs map[string]versionKey) {
	cutoff := time.Now().Add(-tombstoneTTL).UnixNano()
	for k, v := range tombs {
		if v.clock < cutoff {
			continue
		}
		for _, g := range a.regions {
			g.tombs.put(k, v)
		}
	}
}

// encodeMerged writes a snapshot of every region merged by last-writer-wins: the write
// region's metadata and partition layout, each document's newest version in any region
// (unless a newer tombstone deletes it), then the container's tombstones.
func (a *Account) encodeMerged(w io.Writer) (int, error) {
	hub := a.writer.Load().srv.store
	img, parts := imageWithPartitions(hub)
	payload, _ := json.Marshal(img)
	if _, err := w.Write(appendFrame(nil, frameMetadata, payload)); err != nil {
		return 0, err
	}
	tombs := a.tombstonesByContainer()
	docs := 0
	for _, di := range img.DBs {
		for _, ci := range di.Colls {
			if len(parts[ci.RID]) == 0 {
				continue
			}
			live := a.mergedDocuments(di.ID, ci.ID, ci.RID)
			ct := tombs[ci.RID]
			for key, t := range ct {
				if it := live[key]; it != nil {
					if a.versionOf(it).less(t) {
						delete(live, key)
					} else {
						delete(ct, key)
					}
				}
			}
			n, err := encodeMergedContainer(w, parts[ci.RID], live, ci.RID, ct)
			docs += n
			if err != nil {
				return docs, err
			}
		}
	}
	return docs, nil
}

// encodeMergedContainer writes the documents of live into the partitions parts (by key
// range, each in creation order), then the tombstones.
func encodeMergedContainer(w io.Writer, parts []*partition, live map[string]*item, rid string,
	tombs map[string]versionKey,
) (int, error) {
	scheme := parts[0].c.pk.scheme()
	byPart := make(map[*partition][]*item, len(parts))
	for _, it := range live {
		p := childFor(scheme, it.pk, parts)
		byPart[p] = append(byPart[p], it)
	}
	docs := 0
	var buf []byte
	flush := func(limit int) error {
		if len(buf) <= limit {
			return nil
		}
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	for _, p := range parts {
		items := byPart[p]
		slices.SortFunc(items, func(x, y *item) int { return cmpInt64(x.seq, y.seq) })
		p.mu.RLock()
		lsn := p.lsn
		p.mu.RUnlock()
		buf = appendPartitionFrame(buf, p.ref(), lsn)
		for _, it := range items {
			buf = appendItemFrame(buf, p.ref(), it.lsn, opCreate, itemKey(it.pk, it.id), it,
				stampOf(it), writeStamp{})
			if err := flush(1 << 20); err != nil {
				return docs, err
			}
		}
		docs += len(items)
	}
	for key, v := range tombs {
		buf = appendTombstoneFrame(buf, rid, key, v)
		if err := flush(1 << 20); err != nil {
			return docs, err
		}
	}
	return docs, flush(0)
}

// mergedDocuments is every document of one container that is live in some region, at its
// newest version across the regions.
func (a *Account) mergedDocuments(db, coll, rid string) map[string]*item {
	live := map[string]*item{}
	for _, g := range a.regions {
		c := g.srv.store.containerByRID(db, coll, rid)
		if c == nil {
			continue
		}
		for _, p := range c.partitions() {
			p.mu.RLock()
			for _, s := range p.order {
				if s.cur == nil {
					continue
				}
				have := live[s.key]
				if have == nil || (have != s.cur && a.versionOf(s.cur).newer(a.versionOf(have))) {
					live[s.key] = s.cur
				}
			}
			p.mu.RUnlock()
		}
	}
	return live
}

// tombstonesByContainer is the newest tombstone of each deleted document in any region, by
// container rid and document key.
func (a *Account) tombstonesByContainer() map[string]map[string]versionKey {
	out := map[string]map[string]versionKey{}
	for _, g := range a.regions {
		g.tombs.mu.Lock()
		for k, v := range g.tombs.byKey {
			rid, key, _ := strings.Cut(k, "\x00")
			ct := out[rid]
			if ct == nil {
				ct = map[string]versionKey{}
				out[rid] = ct
			}
			if have, ok := ct[key]; !ok || have.less(v) {
				ct[key] = v
			}
		}
		g.tombs.mu.Unlock()
	}
	return out
}
