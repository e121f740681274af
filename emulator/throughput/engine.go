package throughput

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned (wrapped) for a database or container the engine does not know.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) when a resource already exists, or when an offer is
// replaced while an earlier replacement is still pending.
var ErrConflict = errors.New("conflict")

// Target names what an offer belongs to: a container, or a database when Container is "".
type Target struct {
	Database  string
	Container string
}

// String names the target for messages: `container "c" in database "db"` or `database "db"`.
func (t Target) String() string {
	if t.Container == "" {
		return fmt.Sprintf("database %q", t.Database)
	}
	return fmt.Sprintf("container %q in database %q", t.Container, t.Database)
}

type partKey struct{ db, container, rangeID string }

// Engine enforces provisioned throughput per physical partition and accounts for it. It is
// safe for concurrent use. Admit and Consume are the hot path: a lock-free lookup and one
// short per-partition critical section; everything else takes the engine lock.
//
// Its method set includes the emulator's Throttler (Admit, Consume) with PartitionRef
// defined here, so the emulator adapts one to the other without this package importing it.
type Engine struct {
	cfg        Config
	historyLen int
	// period is the billing period: an hour of Config.HourLength, or one second when hours
	// are shorter (a second has one RU/s, so its hours all bill alike); periodHours is how
	// many billing hours a period stands for.
	period      time.Duration
	periodHours float64

	parts atomic.Pointer[map[partKey]*partition] // copy on write, under mu

	mu         sync.Mutex
	databases  map[string]*database
	containers map[Target]*container
	// deleted containers and shared databases, kept for history and bills
	deleted       []*container
	deletedOwners []*owner
}

// database is a database as the engine sees it; owner is nil without shared throughput.
type database struct {
	name, rid string
	owner     *owner
}

// container is a container and all its partitions, live and split away.
type container struct {
	db, name, rid string
	owner         *owner
	parts         []*partition
	created       time.Time
	deleted       time.Time
}

func (c *container) live() []*partition {
	var out []*partition
	for _, p := range c.parts {
		if p.retiredAt == 0 {
			out = append(out, p)
		}
	}
	return out
}

// NewEngine returns an engine for cfg (zero fields take their defaults).
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("throughput config: %w", err)
	}
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg:        cfg,
		historyLen: int(cfg.History / time.Second),
		period:     max(cfg.HourLength, time.Second),
		databases:  map[string]*database{},
		containers: map[Target]*container{},
	}
	e.periodHours = float64(e.period) / float64(cfg.HourLength)
	e.parts.Store(&map[partKey]*partition{})
	return e, nil
}

// Admit asks whether a request may run on partition ref at now. When it may not, it
// returns how long until the partition's budget really has room again (at least 1 ms);
// the caller answers 429 with substatus 3200 and that x-ms-retry-after-ms. A partition the
// engine has not seen is registered on the fly (see CreateContainer for its offer).
func (e *Engine) Admit(ref PartitionRef, now time.Time) (time.Duration, bool) {
	return e.lookup(ref, now).admit(now, e.cfg.ThrottledChargeRU)
}

// Consume charges ru request units, which a request admitted on ref cost, to the second of
// now. Failed requests are charged as the service charges them: call it for them too. A
// request that finishes after its container was deleted is charged to the deleted
// container; it never registers the container again.
func (e *Engine) Consume(ref PartitionRef, now time.Time, ru float64) {
	if ru < 0 || ru != ru {
		return
	}
	if p := e.existing(ref); p != nil {
		p.consume(now, ru)
	}
}

// ReportStorage records that partition ref now holds bytes of data. It is ignored for a
// deleted container.
func (e *Engine) ReportStorage(ref PartitionRef, now time.Time, bytes int64) {
	if p := e.existing(ref); p != nil {
		p.setStorage(now, bytes)
	}
}

// existing finds partition ref among live containers or, for a request that outlived its
// container, among deleted ones; nil when the engine never saw it.
func (e *Engine) existing(ref PartitionRef) *partition {
	k := partKey{ref.Database, ref.Container, ref.RangeID}
	if p, ok := (*e.parts.Load())[k]; ok && (ref.ContainerRID == "" ||
		p.ref.ContainerRID == ref.ContainerRID) {
		return p
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := (*e.parts.Load())[k]; ok && (ref.ContainerRID == "" ||
		p.ref.ContainerRID == ref.ContainerRID) {
		return p
	}
	for _, c := range slices.Backward(e.deleted) {
		if c.db != ref.Database || c.name != ref.Container ||
			(ref.ContainerRID != "" && c.rid != ref.ContainerRID) {
			continue
		}
		for _, p := range c.parts {
			if p.ref.RangeID == ref.RangeID {
				return p
			}
		}
	}
	return nil
}

func (e *Engine) lookup(ref PartitionRef, now time.Time) *partition {
	k := partKey{ref.Database, ref.Container, ref.RangeID}
	if p, ok := (*e.parts.Load())[k]; ok && (ref.ContainerRID == "" ||
		p.ref.ContainerRID == ref.ContainerRID) {
		return p
	}
	return e.register(ref, now)
}

// register is the slow path of lookup: an unknown container gets the default offer (or its
// database's shared throughput); an unknown range of a known container is added live.
func (e *Engine) register(ref PartitionRef, now time.Time) *partition {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := partKey{ref.Database, ref.Container, ref.RangeID}
	if p, ok := (*e.parts.Load())[k]; ok && (ref.ContainerRID == "" ||
		p.ref.ContainerRID == ref.ContainerRID) {
		return p
	}
	t := Target{ref.Database, ref.Container}
	c := e.containers[t]
	if c == nil || (ref.ContainerRID != "" && c.rid != ref.ContainerRID) {
		if c != nil {
			e.deleteContainerLocked(t, now)
		}
		c = e.createContainerLocked(ContainerSpec{Database: ref.Database,
			Container: ref.Container, RID: ref.ContainerRID}, now)
	}
	p := e.addPartitionLocked(c, ref.RangeID, now)
	c.owner.rebalance(now)
	return p
}

// ContainerSpec describes a container the emulator created.
type ContainerSpec struct {
	Database  string
	Container string
	RID       string // the container's _rid, which offers point at
	// Offer is the container's own throughput. Nil shares its database's throughput, or,
	// in a database without, gets Config.DefaultThroughput RU/s manual.
	Offer *Offer
	// RangeIDs are the partition key range ids the container starts with; empty means "0".
	RangeIDs []string
}

// CreateDatabase registers a database; offer nil means it has no shared throughput. The
// offer is validated for a database with no containers yet.
func (e *Engine) CreateDatabase(name, rid string, offer *Offer, now time.Time) error {
	if offer != nil {
		if err := offer.Validate(Limits{Quota: e.cfg.MaxThroughput}); err != nil {
			return fmt.Errorf("database %q: %w", name, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.databases[name]; ok {
		return fmt.Errorf("database %q: %w", name, ErrConflict)
	}
	d := &database{name: name, rid: rid}
	if offer != nil {
		d.owner = newOwner(Target{Database: name}, rid, *offer, now)
	}
	e.databases[name] = d
	return nil
}

// DeleteDatabase forgets a database and its containers. Their accounting stays readable
// until it leaves the history window; their bills stay.
func (e *Engine) DeleteDatabase(name string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for t := range e.containers {
		if t.Database == name {
			e.deleteContainerLocked(t, now)
		}
	}
	if d := e.databases[name]; d != nil && d.owner != nil {
		d.owner.close(now)
		e.deletedOwners = append(e.deletedOwners, d.owner)
	}
	delete(e.databases, name)
}

// CreateContainer registers a container with its ranges and offer. It returns ErrConflict
// if the container exists, and the offer's problems wrapped in ErrInvalidOffer.
func (e *Engine) CreateContainer(spec ContainerSpec, now time.Time) error {
	if spec.Offer != nil {
		if err := spec.Offer.Validate(Limits{Quota: e.cfg.MaxThroughput}); err != nil {
			return fmt.Errorf("container %q: %w", spec.Container, err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t := Target{spec.Database, spec.Container}
	if _, ok := e.containers[t]; ok {
		return fmt.Errorf("%s: %w", t, ErrConflict)
	}
	c := e.createContainerLocked(spec, now)
	ids := spec.RangeIDs
	if len(ids) == 0 {
		ids = []string{"0"}
	}
	for _, id := range ids {
		e.addPartitionLocked(c, id, now)
	}
	c.owner.rebalance(now)
	return nil
}

func (e *Engine) createContainerLocked(spec ContainerSpec, now time.Time) *container {
	t := Target{spec.Database, spec.Container}
	c := &container{db: spec.Database, name: spec.Container, rid: spec.RID, created: now}
	d := e.databases[spec.Database]
	switch {
	case spec.Offer != nil:
		c.owner = newOwner(t, spec.RID, *spec.Offer, now)
	case d != nil && d.owner != nil:
		c.owner = d.owner
	default:
		c.owner = newOwner(t, spec.RID, Manual(e.cfg.DefaultThroughput), now)
	}
	c.owner.mu.Lock()
	c.owner.members = append(c.owner.members, c)
	c.owner.mu.Unlock()
	e.containers[t] = c
	return c
}

func (e *Engine) addPartitionLocked(c *container, rangeID string, now time.Time) *partition {
	ref := PartitionRef{c.db, c.name, c.rid, rangeID}
	p := newPartition(ref, now, e.historyLen, int64(e.period), e.cfg.Burst)
	c.parts = append(c.parts, p)
	e.publishLocked(func(m map[partKey]*partition) { m[partKey{c.db, c.name, rangeID}] = p })
	return p
}

// publishLocked applies change to a copy of the partition map and publishes it.
func (e *Engine) publishLocked(change func(map[partKey]*partition)) {
	old := *e.parts.Load()
	m := make(map[partKey]*partition, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	change(m)
	e.parts.Store(&m)
}

// DeleteContainer forgets the container registered as db/name, if its _rid is rid (any
// _rid when rid is ""), so that deleting an old container cannot forget a new one created
// under the same name. Its accounting and bills stay readable.
func (e *Engine) DeleteContainer(db, name, rid string, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := Target{db, name}
	if c := e.containers[t]; c != nil && (rid == "" || c.rid == rid) {
		e.deleteContainerLocked(t, now)
	}
}

func (e *Engine) deleteContainerLocked(t Target, now time.Time) {
	c := e.containers[t]
	if c == nil || !c.deleted.IsZero() {
		return
	}
	c.deleted = now
	e.publishLocked(func(m map[partKey]*partition) {
		for _, p := range c.parts {
			delete(m, partKey{c.db, c.name, p.ref.RangeID})
		}
	})
	o := c.owner
	o.mu.Lock()
	o.members = slices.DeleteFunc(o.members, func(m *container) bool { return m == c })
	dedicated := o.target.Container != ""
	o.mu.Unlock()
	if dedicated {
		o.close(now)
	} else {
		o.rebalance(now)
	}
	// Deleted containers are kept so that a run's history and bills survive the delete.
	e.deleted = append(e.deleted, c)
	delete(e.containers, t)
}

// SetRanges replaces a container's live partition key ranges after a split: ranges no
// longer listed are retired (their accounting stays), new ones start empty, the offer's
// RU/s are spread over the new set, and a pending offer that the new set can serve takes
// effect.
func (e *Engine) SetRanges(db, name string, rangeIDs []string, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.containers[Target{db, name}]
	if c == nil {
		return fmt.Errorf("%s: %w", Target{db, name}, ErrNotFound)
	}
	keep := map[string]bool{}
	for _, id := range rangeIDs {
		keep[id] = true
	}
	// Retired partitions stay in the lookup map: requests admitted on them before the split
	// are still charged there, instead of registering the old range as a new one.
	for _, p := range c.live() {
		if !keep[p.ref.RangeID] {
			p.mu.Lock()
			p.retiredAt = now.Unix()
			p.mu.Unlock()
		}
		delete(keep, p.ref.RangeID)
	}
	for _, id := range rangeIDs {
		if keep[id] {
			e.addPartitionLocked(c, id, now)
		}
	}
	c.owner.applyPendingIfServable(now)
	c.owner.rebalance(now)
	return nil
}

// owner finds the throughput holder of t; e.mu must be held.
func (e *Engine) ownerLocked(t Target) (*owner, error) {
	if t.Container == "" {
		d := e.databases[t.Database]
		if d == nil || d.owner == nil {
			return nil, fmt.Errorf("throughput of %s: %w", t, ErrNotFound)
		}
		return d.owner, nil
	}
	c := e.containers[t]
	if c == nil {
		return nil, fmt.Errorf("%s: %w", t, ErrNotFound)
	}
	if c.owner.target != t {
		return nil, fmt.Errorf("throughput of %s: shared with its database: %w", t, ErrNotFound)
	}
	return c.owner, nil
}

// Offer returns the throughput state of a container with its own offer or of a database
// with shared throughput; ErrNotFound for anything else (as the service has no offer).
func (e *Engine) Offer(t Target) (OfferInfo, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := e.ownerLocked(t)
	if err != nil {
		return OfferInfo{}, err
	}
	return o.info(e.cfg.MaxThroughput), nil
}

// ReplaceOffer sets a new offer on t, validated against the service's rules (minimums
// from storage, highest-ever and shared containers; increments; quota). Up to the live
// partitions x 10,000 RU/s it takes effect at once; above, it is pending until the emulator
// has split the partitions (see SetRanges). ErrConflict while a replacement is pending.
func (e *Engine) ReplaceOffer(t Target, n Offer, now time.Time) (Replacement, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, err := e.ownerLocked(t)
	if err != nil {
		return Replacement{}, err
	}
	return o.replace(n, e.cfg.MaxThroughput, now)
}
