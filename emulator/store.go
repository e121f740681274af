package emulator

import (
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/stampede-load/stampede/emulator/epk"
)

// store holds the account's databases. Metadata (databases, containers) is guarded by mu;
// items live in partitions, each with its own lock, so item traffic never takes mu for write.
type store struct {
	mu     sync.RWMutex
	dbs    map[string]*database
	nextDB uint32
	// version numbers metadata writes, for database and container etags.
	version int64
	// onCommit is handed to every partition this store creates (replication, the durable
	// log); set before the store serves, never changed after.
	onCommit commitHook
	// replica, when set, reports whether the store is a read replica now; a replica does not
	// expire documents itself (the write region's TTL deletes reach it by replication).
	replica func() bool
}

// nextETag is a fresh etag for a metadata write. Caller holds st.mu for writing.
func (st *store) nextETag() string {
	st.version++
	return etagFor(st.version)
}

func newStore() *store {
	return &store{dbs: map[string]*database{}}
}

// offerSettings is the throughput asked for when a database or container was created, from
// the x-ms-offer-throughput / x-ms-cosmos-offer-autopilot-settings headers. The throughput
// engine (issue #3) owns its meaning; the core only records it.
type offerSettings struct {
	// Throughput is manual RU/s; 0 when none was given or autoscale was asked for.
	Throughput int
	// Autopilot is the raw autoscale settings JSON, e.g. {"maxThroughput":4000}; empty if none.
	Autopilot string
}

// database is one database and its containers (guarded by store.mu).
type database struct {
	id       string
	rid      string
	ridBytes [4]byte
	ts       int64
	etag     string
	offer    offerSettings
	colls    map[string]*container
	nextColl uint32
}

func (d *database) self() string { return "dbs/" + d.rid + "/" }

// container is one container: its immutable identity, its replaceable properties and its
// physical partitions, ordered by EPK range.
type container struct {
	db       *database
	id       string
	rid      string
	ridBytes [8]byte
	pk       pkDefinition
	offer    offerSettings
	meta     atomic.Pointer[containerMeta]
	parts    atomic.Pointer[[]*partition]
	// seq numbers items in creation order, container-wide, so that query continuation
	// positions stay valid when partitions split.
	seq atomic.Int64
	// rangesVersion changes whenever the partition list changes; it is the pkranges etag.
	rangesVersion atomic.Int64
	// deleted is set when the container or its database is deleted.
	deleted atomic.Bool
	// onCommit is the store's, handed to each partition newPartition makes.
	onCommit commitHook
}

// containerMeta is the replaceable part of a container: the properties document as returned.
type containerMeta struct {
	props      containerProps
	body       []byte // the properties JSON with system properties
	etag       string
	ts         int64
	defaultTTL *int64
	index      indexing
	// uniqueKeys are the unique key policy's keys, each a list of split paths. The policy
	// is fixed at creation, as the service does not let it change.
	uniqueKeys [][][]string
}

func (c *container) self() string { return c.db.self() + "colls/" + c.rid + "/" }

func (c *container) partitions() []*partition { return *c.parts.Load() }

// partitionFor routes a partition key to the physical partition that owns it: the one whose
// EPK range holds the key's effective partition key.
func (c *container) partitionFor(pk partitionKey) *partition {
	parts := c.partitions()
	if len(parts) == 1 {
		return parts[0]
	}
	e, err := epk.Compute(c.pk.scheme(), pk.parts)
	if err != nil {
		return parts[0]
	}
	for _, p := range parts {
		if epk.Compare(p.min, e) <= 0 && (p.max == epk.MaxExclusive || epk.Compare(e, p.max) < 0) {
			return p
		}
	}
	return parts[len(parts)-1]
}

// partitionByRange finds a partition by its range id, for x-ms-documentdb-partitionkeyrangeid.
func (c *container) partitionByRange(id string) *partition {
	for _, p := range c.partitions() {
		if p.rangeID == id {
			return p
		}
	}
	return nil
}

// item is one immutable version of a document. A write replaces the slot's pointer with a
// new item, so a reader holding an item never sees it change.
type item struct {
	body    []byte // the stored JSON, system properties included
	id      string
	pk      partitionKey
	seq     int64 // creation sequence of the document (see slot)
	lsn     int64
	ts      int64
	expires int64 // unix seconds; 0 never
	// origin is the index of the region that committed this version and clock its commit
	// time (Unix ns), set by the region layer's commit hook; only multi-region write
	// conflict resolution reads them.
	origin uint8
	clock  int64
}

func (it *item) etag() string { return etagFor(it.lsn) }

// slot is the identity of a document from creation to deletion: its creation sequence (the
// stable position queries page by) and its current version (nil once deleted).
type slot struct {
	seq int64
	key string
	cur *item // guarded by the partition's mu
}

// logEntry is one committed mutation in LSN order; the change feed reads the entries whose
// slot still holds the version written at lsn.
type logEntry struct {
	lsn  int64
	slot *slot
}

// opKind names a committed mutation in the log.
type opKind uint8

const (
	opCreate opKind = iota + 1
	opReplace
	opDelete
	// opSplit records a partition split (logRecord.split): no document changes, but a
	// write-ahead log must know the new ranges before the writes that go to them.
	opSplit
)

// logRecord is what one committed mutation produces, in LSN order per partition: the unit a
// replica or a write-ahead log consumes.
type logRecord struct {
	ref  PartitionRef
	lsn  int64
	op   opKind
	id   string
	pk   string
	body []byte
	// key is the document's item key (set for deletes too); item is the committed version
	// itself (nil for a delete), immutable, so a replica can hold the same pointer.
	key  string
	item *item
	// more is set when more writes of the same transactional batch follow, so a replica
	// can make the whole batch visible at once.
	more bool
	// split holds the ranges the partition ref names was cut into (op == opSplit).
	split []partImage
	// stamp is the write's origin region and commit time, set by the region layer's
	// commit hook (for a version, the same as its item's).
	stamp writeStamp
	// prev is the stamp of the version the write replaced (with multi-region writes, the
	// tombstone's when it recreates a deleted document); zero when there was none. A
	// region holding exactly that version applies the write without a conflict: it is
	// the next write of the document, not a concurrent one.
	prev writeStamp
}

// partition is one physical partition: an EPK range with its own lock, items, LSN and log.
type partition struct {
	c       *container
	rangeID string
	min     string
	max     string
	parents []string

	mu    sync.RWMutex
	items map[string]*slot
	// order holds every slot in creation sequence (deleted ones until compaction).
	order     []*slot
	orderDead int
	log       []logEntry
	logDead   int
	lsn       int64
	// unique maps unique key entries to the item key holding them; nil until first needed
	// (see uniqueIndex).
	unique map[string]string
	// storedBytes is the size of the live documents' stored bodies, kept by commit.
	storedBytes int64
	onCommit    commitHook
	// commitPos is what onCommit answered for the last commit: the durable log position a
	// client must wait for before it is told the write is done (0 without a log).
	commitPos uint64
	// txLeft counts the writes of the transactional batch being committed still to come
	// (set by runBatch, counted down by commit).
	txLeft int64
}

func newPartition(c *container, rangeID, min, max string) *partition {
	return &partition{
		c: c, rangeID: rangeID, min: min, max: max, items: map[string]*slot{}, onCommit: c.onCommit,
	}
}

func (p *partition) ref() PartitionRef {
	return PartitionRef{
		Database: p.c.db.id, Container: p.c.id, ContainerRID: p.c.rid, RangeID: p.rangeID,
	}
}

func itemKey(pk partitionKey, id string) string { return pk.key + "\x00" + id }

// get returns the live version of a document, or nil. Caller holds p.mu.
func (p *partition) get(key string, now int64) *item {
	s := p.items[key]
	if s == nil || s.cur == nil || s.cur.expired(now) {
		return nil
	}
	return s.cur
}

func (it *item) expired(now int64) bool { return it.expires != 0 && now >= it.expires }

// commit is the one way a mutation enters a partition: it takes the next LSN, applies the
// new version (nil for a delete), appends the log and hands the record to onCommit, which
// replication and a write-ahead log consume. Caller holds p.mu for writing; next was built
// for exactly this LSN (next.lsn == p.lsn+1).
func (p *partition) commit(op opKind, key string, next *item) {
	p.lsn++
	s := p.items[key]
	var old *item
	if s != nil {
		old = s.cur
	}
	p.indexUnique(key, old, next)
	if old != nil {
		p.storedBytes -= int64(len(old.body))
	}
	if next != nil {
		p.storedBytes += int64(len(next.body))
	}
	switch {
	case op == opDelete:
		if s != nil {
			s.cur = nil
			delete(p.items, key)
			p.orderDead++
			p.logDead++
		}
	case s == nil || s.cur == nil || s.seq != next.seq:
		// A new document (or one recreated over an expired version) gets a new slot.
		if s != nil {
			s.cur = nil
			p.orderDead++
			p.logDead++
		}
		s = &slot{seq: next.seq, key: key, cur: next}
		p.items[key] = s
		p.order = append(p.order, s)
	default:
		s.cur = next
		p.logDead++
	}
	if next != nil {
		p.log = append(p.log, logEntry{lsn: p.lsn, slot: s})
	}
	p.compact()
	more := p.txLeft > 1
	if p.txLeft > 0 {
		p.txLeft--
	}
	if p.onCommit != nil {
		rec := logRecord{ref: p.ref(), lsn: p.lsn, op: op, key: key, item: next, more: more}
		if next != nil {
			rec.id, rec.pk, rec.body = next.id, next.pk.key, next.body
		}
		if old != nil {
			rec.prev = stampOf(old)
		}
		p.commitPos = p.onCommit(rec)
	}
}

// commitHook receives every committed write (replication, the durable log) under the
// partition lock and answers the durable log position that covers it, or 0 when the write
// need not wait for a log.
type commitHook func(logRecord) uint64

// compact drops deleted slots and superseded log entries once they are the majority, so
// memory stays proportional to live documents. Positions (seq, lsn) are kept, so paging
// tokens and change-feed etags stay valid.
func (p *partition) compact() {
	if p.orderDead > 1024 && p.orderDead*2 > len(p.order) {
		p.order = slices.DeleteFunc(p.order, func(s *slot) bool { return s.cur == nil })
		p.orderDead = 0
	}
	if p.logDead > 1024 && p.logDead*2 > len(p.log) {
		p.log = slices.DeleteFunc(p.log, func(e logEntry) bool {
			return e.slot.cur == nil || e.slot.cur.lsn != e.lsn
		})
		p.logDead = 0
	}
}

// sessionToken is the session token after the partition's latest write.
func (p *partition) sessionToken() string {
	return p.rangeID + ":-1#" + itoa(p.lsn)
}

// containerProps is the user-settable part of a container's properties.
type containerProps struct {
	ID                       string          `json:"id"`
	PartitionKey             pkDefinition    `json:"partitionKey"`
	IndexingPolicy           json.RawMessage `json:"indexingPolicy,omitempty"`
	DefaultTTL               *int64          `json:"defaultTtl,omitempty"`
	AnalyticalStorageTTL     *int64          `json:"analyticalStorageTtl,omitempty"`
	UniqueKeyPolicy          json.RawMessage `json:"uniqueKeyPolicy,omitempty"`
	ConflictResolutionPolicy json.RawMessage `json:"conflictResolutionPolicy,omitempty"`
	VectorEmbeddingPolicy    json.RawMessage `json:"vectorEmbeddingPolicy,omitempty"`
	FullTextPolicy           json.RawMessage `json:"fullTextPolicy,omitempty"`
	ComputedProperties       json.RawMessage `json:"computedProperties,omitempty"`
	GeospatialConfig         json.RawMessage `json:"geospatialConfig,omitempty"`
}
