package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stampede-load/stampede/emulator/throughput"
)

// Defaults of ThroughputConfig.
const (
	// DefaultSplitDelay is how long a partition split takes. The service takes 4 to 6 hours;
	// runs compress it.
	DefaultSplitDelay = 5 * time.Second
	// DefaultMaintenanceInterval is how often storage is measured and due splits run.
	DefaultMaintenanceInterval = 250 * time.Millisecond
)

// ThroughputConfig turns on provisioned throughput: per-partition RU/s budgets answered
// with 429s, offers read and replaced through the SDK, autoscale, splits, accounting and
// billing. Its zero value is usable.
type ThroughputConfig struct {
	// Engine configures budgets, burst capacity and billing.
	Engine throughput.Config
	// SplitDelay is the time from a throughput raise past partitions x 10,000 RU/s (or a
	// partition growing past PartitionMaxBytes) to the new partitions. Zero means
	// DefaultSplitDelay; a negative value splits at the next maintenance pass.
	SplitDelay time.Duration
	// PartitionMaxBytes is the storage of one physical partition past which it splits.
	// Zero means the service's 50 GB.
	PartitionMaxBytes int64
	// LogicalPartitionMaxBytes is the most one partition key value may store; a write past
	// it fails with 403, substatus 1014. Zero means the service's 20 GB.
	LogicalPartitionMaxBytes int64
	// MaintenanceInterval is how often storage is measured and due splits run. Zero means
	// DefaultMaintenanceInterval.
	MaintenanceInterval time.Duration
}

func (c ThroughputConfig) withDefaults() ThroughputConfig {
	if c.SplitDelay == 0 {
		c.SplitDelay = DefaultSplitDelay
	}
	if c.PartitionMaxBytes == 0 {
		c.PartitionMaxBytes = throughput.PartitionMaxStorageBytes
	}
	if c.LogicalPartitionMaxBytes == 0 {
		c.LogicalPartitionMaxBytes = throughput.LogicalPartitionMaxStorageBytes
	}
	if c.MaintenanceInterval == 0 {
		c.MaintenanceInterval = DefaultMaintenanceInterval
	}
	return c
}

// Validate reports every problem of c (after defaults), joined.
func (c ThroughputConfig) Validate() error {
	c = c.withDefaults()
	errs := []error{c.Engine.Validate()}
	if c.PartitionMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("partition max bytes %d: want > 0", c.PartitionMaxBytes))
	}
	if c.LogicalPartitionMaxBytes < 0 {
		errs = append(errs, fmt.Errorf("logical partition max bytes %d: want > 0",
			c.LogicalPartitionMaxBytes))
	}
	if c.MaintenanceInterval < 0 {
		errs = append(errs, fmt.Errorf("maintenance interval %v: want > 0",
			c.MaintenanceInterval))
	}
	return errors.Join(errs...)
}

// throughputState is the server's side of the throughput engine: which store resources the
// engine knows, the offers resource ids, and planned splits.
type throughputState struct {
	cfg     ThroughputConfig
	engine  *throughput.Engine
	metrics http.Handler

	// registered holds the _rid of every container the engine knows, read on every
	// request without a lock.
	registered sync.Map

	mu         sync.Mutex
	containers map[string]*container // by _rid, as registered
	databases  map[string]*database  // by id, as registered
	offerIDs   map[string]string     // offer id -> resource _rid
	offerOf    map[string]string     // resource _rid -> offer id
	versions   map[string]int64      // offer id -> replacements, for the etag
	splits     map[*container]time.Time
	// ranges is the rangesVersion of each container whose ranges a replica last gave the
	// engine (replicas split only by mirroring the write region).
	ranges    map[*container]int64
	nextOffer int64
	// keys holds each container's *keyStorage, read by writes without a lock.
	keys sync.Map
	// notifier tells subscribers about splits (split_notify.go).
	notifier partitionsNotifier
}

// Throughput returns the throughput engine, for the runner to read accounting and bills.
// Without Config.Throughput it still holds the offers (read and replaced through the SDK)
// but accounts for nothing, since no request asks it for admission.
func (s *Server) Throughput() *throughput.Engine { return s.tp.engine }

// startThroughput builds the engine and starts the maintenance loop; with
// Config.Throughput set it also installs the engine as the Throttler.
func (s *Server) startThroughput() error {
	var cfg ThroughputConfig
	if s.cfg.Throughput != nil {
		cfg = *s.cfg.Throughput
	}
	cfg = cfg.withDefaults()
	if cfg.Engine.Logger == nil {
		cfg.Engine.Logger = s.log
	}
	e, err := throughput.NewEngine(cfg.Engine)
	if err != nil {
		return err
	}
	s.tp = &throughputState{
		cfg: cfg, engine: e, metrics: e.Handler(s.now),
		containers: map[string]*container{}, databases: map[string]*database{},
		offerIDs: map[string]string{}, offerOf: map[string]string{},
		versions: map[string]int64{}, splits: map[*container]time.Time{},
		ranges: map[*container]int64{},
	}
	if s.cfg.Throughput != nil {
		s.cfg.Throttler = engineThrottler{s}
	}
	s.wg.Add(1)
	go s.maintainLoop(cfg.MaintenanceInterval)
	return nil
}

// engineThrottler adapts the engine to the Throttler interface, registering a container
// with the engine on its first request.
type engineThrottler struct{ s *Server }

func (t engineThrottler) Admit(p PartitionRef, now time.Time) (time.Duration, bool) {
	t.s.ensureRegistered(p, now)
	return t.s.tp.engine.Admit(throughput.PartitionRef(p), now)
}

func (t engineThrottler) Consume(p PartitionRef, now time.Time, ru float64) {
	t.s.tp.engine.Consume(throughput.PartitionRef(p), now, ru)
}

// ensureRegistered registers the container of p with the engine unless it already is.
func (s *Server) ensureRegistered(p PartitionRef, now time.Time) {
	if _, ok := s.tp.registered.Load(p.ContainerRID); ok {
		return
	}
	if c, err := s.store.container(p.Database, p.Container); err == nil && c.rid == p.ContainerRID {
		s.registerContainer(c, now)
	}
}

// registerContainer tells the engine about c (and its database), with the offers they
// were created with, and splits a new container with its own offer into the partitions
// its throughput calls for (RU/6,000 for manual, RU/10,000 for autoscale). A container
// sharing its database's throughput starts with one partition: the database's RU/s are
// spread over its containers' partitions, which grow when the database's offer does.
func (s *Server) registerContainer(c *container, now time.Time) {
	s.register(c, now)
	s.notifyPartitionsChanged()
}

func (s *Server) register(c *container, now time.Time) {
	tp := s.tp
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if _, ok := tp.containers[c.rid]; ok || c.deleted.Load() {
		return
	}
	s.registerDatabaseLocked(c.db, now)
	tp.engine.DeleteContainer(c.db.id, c.id, "", now) // a container recreated under its name
	offer := offerOf(s.storedOffer(&c.offer))
	if offer != nil && len(c.partitions()) == 1 && !s.isReplica() {
		s.splitInto(c, throughput.InitialPartitions(*offer, false))
	}
	err := tp.engine.CreateContainer(throughput.ContainerSpec{Database: c.db.id,
		Container: c.id, RID: c.rid, Offer: offer, RangeIDs: rangeIDs(c)}, now)
	if err != nil {
		// The offer was checked when the container was created; an engine refusal here
		// leaves the container unthrottled rather than failing its requests.
		s.log.Warn("throughput not enforced", "database", c.db.id, "container", c.id,
			"err", err)
	}
	tp.containers[c.rid] = c
	tp.registered.Store(c.rid, struct{}{})
}

func (s *Server) registerDatabaseLocked(d *database, now time.Time) {
	tp := s.tp
	if tp.databases[d.id] == d {
		return
	}
	tp.engine.DeleteDatabase(d.id, now)
	if err := tp.engine.CreateDatabase(d.id, d.rid, offerOf(s.storedOffer(&d.offer)),
		now); err != nil {
		s.log.Warn("shared throughput not enforced", "database", d.id, "err", err)
	}
	tp.databases[d.id] = d
}

// storedOffer reads a resource's recorded offer under the store's lock (a replacement
// rewrites it, see recordOffer).
func (s *Server) storedOffer(o *offerSettings) offerSettings {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	return *o
}

// replaceOffer replaces t's offer in the engine and records it in the store's metadata,
// under the throughput lock so that reconcileOffers never sees one without the other.
func (s *Server) replaceOffer(t throughput.Target, o throughput.Offer) error {
	s.tp.mu.Lock()
	defer s.tp.mu.Unlock()
	if _, err := s.tp.engine.ReplaceOffer(t, o, s.now()); err != nil {
		return err
	}
	s.recordOffer(t, o)
	return nil
}

// reconcileOffers applies to the engine the offers the store's metadata holds when they
// differ from the engine's (in force or pending): offers another region mirrored in, or a
// restart restored. Caller holds s.tp.mu.
func (s *Server) reconcileOffers(now time.Time) {
	tp := s.tp
	targets := make(map[throughput.Target]*offerSettings)
	for _, c := range tp.containers {
		targets[throughput.Target{Database: c.db.id, Container: c.id}] = &c.offer
	}
	for _, d := range tp.databases {
		targets[throughput.Target{Database: d.id}] = &d.offer
	}
	for t, settings := range targets {
		stored := offerOf(s.storedOffer(settings))
		info, err := tp.engine.Offer(t)
		if stored == nil || err != nil {
			continue
		}
		want := info.Offer
		if info.Pending != nil {
			want = *info.Pending
		}
		if *stored == want {
			continue
		}
		if _, err := tp.engine.ReplaceOffer(t, *stored, now); err != nil {
			s.log.Warn("recorded offer not applied", "target", t.String(), "offer",
				stored.String(), "err", err)
			s.recordOffer(t, want) // record what is in force, so this warns once
		}
	}
}

// recordOffer writes a replaced offer into the store's metadata, where the write-ahead
// log and region mirroring pick it up with the rest of the metadata, and where a restart
// registers it from.
func (s *Server) recordOffer(t throughput.Target, o throughput.Offer) {
	settings := offerSettings{Throughput: o.Throughput}
	if o.IsAutoscale() {
		settings = offerSettings{Autopilot: fmt.Sprintf(`{"maxThroughput":%d}`, o.AutoscaleMax)}
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	d := st.dbs[t.Database]
	switch {
	case d == nil:
	case t.Container == "":
		d.offer = settings
	case d.colls[t.Container] != nil:
		d.colls[t.Container].offer = settings
	}
}

// offerOf reads the throughput a resource was created with; nil when none was given.
func offerOf(o offerSettings) *throughput.Offer {
	switch {
	case o.Throughput > 0:
		m := throughput.Manual(o.Throughput)
		return &m
	case o.Autopilot != "":
		var ap struct {
			MaxThroughput int `json:"maxThroughput"`
		}
		if json.Unmarshal([]byte(o.Autopilot), &ap) == nil && ap.MaxThroughput > 0 {
			a := throughput.Autoscale(ap.MaxThroughput)
			return &a
		}
	}
	return nil
}

func rangeIDs(c *container) []string {
	parts := c.partitions()
	ids := make([]string, len(parts))
	for i, p := range parts {
		ids[i] = p.rangeID
	}
	return ids
}

// checkOffer validates the throughput a database or container is created with, so that a
// create with an invalid offer fails with 400 as on the service.
func (s *Server) checkOffer(o offerSettings) error {
	if offer := offerOf(o); offer != nil {
		err := offer.Validate(throughput.Limits{Quota: s.tp.cfg.Engine.MaxThroughput})
		if err != nil {
			return badRequest("%v", err)
		}
	}
	return nil
}

// serveMetrics answers GET /metrics with the engine's Prometheus metrics (no
// authorization, as a metrics endpoint); it reports whether it answered.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/metrics" {
		return false
	}
	s.tp.metrics.ServeHTTP(w, r)
	return true
}
