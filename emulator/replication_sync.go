package emulator

// Metadata (databases, containers and their properties) does not travel through the
// per-partition log: after every metadata write in the write region, before the client is
// answered, each region mirrors the write region's metadata. Mirrored databases and
// containers keep the source's resource ids, so log records name the same partitions in
// every region. A region that must drop divergent writes is resynchronised: it takes a full
// copy of the source's documents (sharing the immutable versions, so it costs a pointer
// per document).

// mirrorFrom makes g's metadata equal to src's.
func (g *region) mirrorFrom(src *region) {
	if g == src {
		return
	}
	g.a.mirrorMu.Lock()
	defer g.a.mirrorMu.Unlock()
	mirrorMetadata(g.srv.store, src.srv.store)
}

// mirrorAll makes every other region's metadata equal to src's.
func (a *Account) mirrorAll(src *region) {
	for _, g := range a.regions {
		g.mirrorFrom(src)
	}
}

// mirrorMetadata copies src's databases and containers into dst: new ones are created
// empty with the same ids and rids, replaced properties are shared, deleted ones removed.
// Caller holds the account's mirrorMu.
func mirrorMetadata(dst, src *store) {
	src.mu.RLock()
	defer src.mu.RUnlock()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	dst.nextDB, dst.version = src.nextDB, src.version
	for id, dd := range dst.dbs {
		if sd := src.dbs[id]; sd == nil || sd.rid != dd.rid {
			dropDatabase(dst, dd)
		}
	}
	for id, sd := range src.dbs {
		dd := dst.dbs[id]
		if dd == nil {
			dd = &database{
				id: sd.id, rid: sd.rid, ridBytes: sd.ridBytes, ts: sd.ts, offer: sd.offer,
				colls: map[string]*container{},
			}
			dst.dbs[id] = dd
		}
		dd.etag, dd.nextColl, dd.offer = sd.etag, sd.nextColl, sd.offer
		mirrorContainers(dd, sd, dst.onCommit)
	}
}

func dropDatabase(st *store, d *database) {
	delete(st.dbs, d.id)
	for _, c := range d.colls {
		c.deleted.Store(true)
	}
}

func mirrorContainers(dd, sd *database, hook commitHook) {
	for id, dc := range dd.colls {
		if sc := sd.colls[id]; sc == nil || sc.rid != dc.rid {
			delete(dd.colls, id)
			dc.deleted.Store(true)
		}
	}
	for id, sc := range sd.colls {
		dc := dd.colls[id]
		if dc == nil {
			dc = mirrorContainer(dd, sc, hook)
			dd.colls[id] = dc
		}
		dc.meta.Store(sc.meta.Load())
		// A replaced offer is recorded here; the region's throughput engine picks it up.
		dc.offer = sc.offer
	}
}

// mirrorContainer is an empty copy of sc in database d, with the same partition layout.
func mirrorContainer(d *database, sc *container, hook commitHook) *container {
	c := &container{
		db: d, id: sc.id, rid: sc.rid, ridBytes: sc.ridBytes, pk: sc.pk, offer: sc.offer,
		onCommit: hook,
	}
	c.meta.Store(sc.meta.Load())
	src := sc.partitions()
	parts := make([]*partition, len(src))
	for i, sp := range src {
		parts[i] = newPartition(c, sp.rangeID, sp.min, sp.max)
		parts[i].parents = sp.parents
	}
	c.parts.Store(&parts)
	c.rangesVersion.Store(sc.rangesVersion.Load())
	return c
}

// resyncFrom replaces g's documents with a copy of src's, after mirroring metadata.
// Writes from src still queued for g must be dropped by the caller first.
func (g *region) resyncFrom(src *region) {
	g.mirrorFrom(src)
	for _, sc := range src.srv.store.allContainers() {
		dc := g.srv.store.containerByRID(sc.db.id, sc.id, sc.rid)
		if dc == nil {
			continue
		}
		for _, sp := range sc.partitions() {
			if dp := dc.partitionByRange(sp.rangeID); dp != nil {
				copyPartition(dp, sp)
			}
		}
		dc.seq.Store(sc.seq.Load())
	}
}

// copyPartition makes dst hold src's live documents and change log, with slots of its own
// (slots change on writes) around the shared immutable versions.
func copyPartition(dst, src *partition) {
	src.mu.RLock()
	defer src.mu.RUnlock()
	dst.mu.Lock()
	defer dst.mu.Unlock()
	slots := make(map[*slot]*slot, len(src.items))
	items := make(map[string]*slot, len(src.items))
	order := make([]*slot, 0, len(src.items))
	var stored int64
	for _, s := range src.order {
		if s.cur == nil {
			continue
		}
		ns := &slot{seq: s.seq, key: s.key, cur: s.cur}
		stored += int64(len(s.cur.body))
		slots[s] = ns
		items[s.key] = ns
		order = append(order, ns)
	}
	log := make([]logEntry, 0, len(src.log))
	for _, e := range src.log {
		if ns := slots[e.slot]; ns != nil && ns.cur.lsn == e.lsn {
			log = append(log, logEntry{lsn: e.lsn, slot: ns})
		}
	}
	dst.items, dst.order, dst.log, dst.storedBytes = items, order, log, stored
	dst.orderDead, dst.logDead, dst.lsn = 0, 0, src.lsn
}
