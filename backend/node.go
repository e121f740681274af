package backend

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/backend/throttle"
)

// entKey identifies one entity of one tenant in a node's maps.
type entKey struct {
	t   *tenant
	ref api.EntityRef
}

// work is a share of one acknowledged batch for one node: the events at idx (all when idx
// is nil).
type work struct {
	t      *tenant
	events []api.Event
	idx    []int32
	src    *sharedBatch // holds events until applied; nil when not pooled
}

// flushUnit is a change already sent once with sequence seq whose outcome is unknown; the
// document's fence tells later whether it landed.
type flushUnit struct {
	seq   uint64
	delta profile.Delta
}

// entity is what a node keeps per entity for the life of the process: the events
// acknowledged for it and, while it has unflushed changes, its slot.
type entity struct {
	key   entKey
	acked int64
	// dropped counts the acknowledged events of this entity that crash restarts dropped
	// unstored (see node.dropUnstored); the conservation check accepts exactly these.
	dropped int64
	slot    *slot
	// stored is set once a flush wrote the entity's profile document (flushing): until then
	// the first write creates it without reading first.
	stored bool
}

// slot is one entity's unflushed state on its node.
type slot struct {
	since   time.Time     // wall clock when the slot got its first unflushed event
	events  int           // events folded since the last flush attempt
	delta   profile.Delta // folded since the last flush attempt
	pending *flushUnit    // sent before, outcome unknown
	dir     *dirInfo      // directory sync news for the UniqueEntity document
	// needEntity is set while the UniqueEntity document of a first sight is not written.
	needEntity bool
}

// baseline is a tenant-wide aggregate for the SystemProfile baseline document.
type baseline struct {
	counts [16]int64
	hourly [24]int64
}

// node owns the entities whose hash falls on it: it folds their events into memory and
// flushes them with its own Cosmos DB client.
type node struct {
	b      *Backend
	idx    int
	name   string
	client atomic.Pointer[azcosmos.Client] // replaced by resetClient
	policy *throttle.Policy
	kick   chan struct{} // flush everything early (memory pressure)

	inboxMu sync.Mutex
	inbox   []work        // bounded by admission (Backend.queued)
	wake    chan struct{} // signals a non-empty inbox

	mu        sync.Mutex
	entities  map[entKey]*entity // every entity the node has seen
	dirty     []*entity          // entities with a slot, in the order they changed
	dirtyLen  atomic.Int64       // len(dirty), for admission to read without n.mu
	baselines map[*tenant]*baseline

	flushing     chan struct{} // holds a token while a flush cycle runs (one at a time)
	inFlight     atomic.Int64  // events taken by the running cycle, not yet stored or put back
	unstored     atomic.Int64  // events folded into memory and not yet stored
	oldest       atomic.Int64  // Unix ns of the oldest unflushed slot after the last cycle; 0 if none
	failingSince time.Time     // when writes started failing; zero when healthy (flushing)
	lastReset    time.Time     // when failures last replaced the client (flushing)
	lastCycle    time.Time     // wall clock (Backend.wallNow) of the last cycle (flushing)
	lastStart    time.Time     // time.Now of the last cycle's start (flushing)
	cacheMu      sync.Mutex
	cache        map[entKey]cacheEntry
	containers   sync.Map // "db/container" -> *azcosmos.ContainerClient
	seq          atomic.Uint64
	usage        store.Usage
}

func (b *Backend) newNode(idx int, name string) (*node, error) {
	pol, err := b.newPolicy()
	if err != nil {
		return nil, err
	}
	client, err := b.newClient(pol)
	if err != nil {
		return nil, err
	}
	n := &node{b: b, idx: idx, name: name, policy: pol,
		kick: make(chan struct{}, 1), wake: make(chan struct{}, 1), flushing: make(chan struct{}, 1),
		entities: map[entKey]*entity{}, baselines: map[*tenant]*baseline{},
		cache: map[entKey]cacheEntry{}}
	n.client.Store(client)
	return n, nil
}

// cosmos returns the node's current Cosmos DB client.
func (n *node) cosmos() *azcosmos.Client { return n.client.Load() }

// resetClient replaces the node's client with a new one. The SDK keeps the account's
// topology per client and, after an endpoint failed, re-reads it only every five minutes;
// a client made after a failover learns the new write region at once. The old client is
// left to in-flight requests and the garbage collector.
func (n *node) resetClient() error {
	client, err := n.b.newClient(n.policy)
	if err != nil {
		return err
	}
	n.client.Store(client)
	n.b.metrics.clientResets.Inc()
	return nil
}

// nodeOf returns the index of the node that owns ref: FNV-1a of type and name, stable across
// processes so that several processes can share the work the same way.
func nodeOf(ref api.EntityRef, nodes int) int {
	h := uint32(2166136261)
	h = (h ^ uint32(ref.Type)) * 16777619
	for i := 0; i < len(ref.Name); i++ {
		h = (h ^ uint32(ref.Name[i])) * 16777619
	}
	return int(h % uint32(nodes))
}

// push hands a work item to the node; it never blocks.
func (n *node) push(w work) {
	n.inboxMu.Lock()
	n.inbox = append(n.inbox, w)
	n.inboxMu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *node) applyLoop(ctx context.Context) {
	var batch []work
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.wake:
		}
		n.inboxMu.Lock()
		batch, n.inbox = n.inbox, batch[:0]
		n.inboxMu.Unlock()
		for i, w := range batch {
			n.apply(w)
			batch[i] = work{}
			yieldToRequests()
		}
	}
}

// yieldToRequests lets other goroutines run between two work items of a background loop
// (apply, detection) that has a backlog. Such a loop would otherwise keep its P for a whole
// time slice (10 ms) at a time, and every goroutine of an HTTP request queued behind it on
// the way in and out: with the two Ps of a small machine busy that way, each of the
// handful of hand-offs of a request waited that long.
func yieldToRequests() { runtime.Gosched() }

// apply folds a work item into the node's state.
func (n *node) apply(w work) {
	count := len(w.idx)
	now := n.b.wallNow()
	n.mu.Lock()
	base := n.baselines[w.t]
	if base == nil {
		base = &baseline{}
		n.baselines[w.t] = base
	}
	if w.idx == nil {
		count = len(w.events)
		for i := range w.events {
			n.applyEvent(w.t, &w.events[i], base, now)
		}
	} else {
		for _, i := range w.idx {
			n.applyEvent(w.t, &w.events[i], base, now)
		}
	}
	dirty := len(n.dirty)
	n.dirtyLen.Store(int64(dirty))
	n.mu.Unlock()
	w.src.release()
	n.unstored.Add(int64(count))
	n.b.queued.Add(-int64(count))
	if dirty >= n.b.cfg.MaxDirty {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
}

func (n *node) applyEvent(t *tenant, e *api.Event, base *baseline, now time.Time) {
	ref, _ := profile.Subject(e)
	k := entKey{t: t, ref: ref}
	ent := n.entities[k]
	if ent == nil {
		ent = &entity{key: k}
		n.entities[k] = ent
	}
	s := ent.slot
	if s == nil {
		s = &slot{since: now}
		ent.slot = s
		n.dirty = append(n.dirty, ent)
	}
	s.events++
	s.delta.Add(e)
	if e.Kind.IsDirectorySync() {
		s.noteDirectory(e)
	}
	ent.acked++
	base.counts[e.Kind%16]++
	base.hourly[(e.Time.UnixMilli()/3_600_000)%24]++
}

// dirtyCount returns how many entities wait for a flush. It does not take n.mu, which
// apply holds while folding a whole batch: every ingest request asks, on every node.
func (n *node) dirtyCount() int { return int(n.dirtyLen.Load()) }

// forget drops everything the node holds for tenant t.
func (n *node) forget(t *tenant) {
	n.mu.Lock()
	for k := range n.entities {
		if k.t == t {
			delete(n.entities, k)
		}
	}
	n.dirty = slices.DeleteFunc(n.dirty, func(e *entity) bool {
		if e.key.t != t {
			return false
		}
		n.unstored.Add(-e.slot.unstored())
		return true
	})
	n.dirtyLen.Store(int64(len(n.dirty)))
	delete(n.baselines, t)
	n.mu.Unlock()
	n.cacheMu.Lock()
	for k := range n.cache {
		if k.t == t {
			delete(n.cache, k)
		}
	}
	n.cacheMu.Unlock()
}

// containerKey names a container client of one Cosmos DB client.
type containerKey struct {
	client         *azcosmos.Client
	database, name string
}

func (n *node) container(database, name string) *azcosmos.ContainerClient {
	client := n.cosmos()
	key := containerKey{client, database, name}
	if cc, ok := n.containers.Load(key); ok {
		return cc.(*azcosmos.ContainerClient)
	}
	// NewContainer only fails on an empty id, which tenant validation rules out.
	cc, _ := client.NewContainer(database, name)
	n.containers.Store(key, cc)
	return cc
}

// cacheEntry is a node's last written version of a profile: its ETag and the decoded
// document, so the next flush neither reads nor parses it.
type cacheEntry struct {
	etag    azcore.ETag
	doc     *profile.Document
	version int // schema version it was written in
	// replay is set when a write from this entry failed with its outcome unknown: doc then
	// holds exactly the slot's pending change, to be sent again against etag.
	replay bool
}

// cachedBody stands for a cached document in store.Mutate, which needs a non-nil body to
// replace rather than create; the change function recognises it and uses the decoded entry.
var cachedBody = []byte("{}")

func isCachedBody(b []byte) bool { return len(b) > 0 && &b[0] == &cachedBody[0] }

func (n *node) cacheGet(k entKey) (cacheEntry, bool) {
	n.cacheMu.Lock()
	defer n.cacheMu.Unlock()
	e, ok := n.cache[k]
	return e, ok
}

func (n *node) cachePut(k entKey, e cacheEntry) {
	n.cacheMu.Lock()
	defer n.cacheMu.Unlock()
	if _, ok := n.cache[k]; !ok && len(n.cache) >= n.b.cfg.MaxCachedDocs {
		for victim := range n.cache { // map order is random: evicts an arbitrary entry
			delete(n.cache, victim)
			break
		}
	}
	n.cache[k] = e
}

func (n *node) cacheDrop(k entKey) {
	n.cacheMu.Lock()
	delete(n.cache, k)
	n.cacheMu.Unlock()
}
