package emulator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ErrUnknownRegion is returned when a region name is not one of the account's.
var ErrUnknownRegion = errors.New("unknown region")

// ErrRegionDown is returned when a failover names a region that is down.
var ErrRegionDown = errors.New("region is down")

// RegionDown takes a region down in mode. Requests already running finish; new ones see the
// outage. Replication to and from the region stops. If it is the write region and
// service-managed failover is on, the next region up in priority order becomes the write
// region once the region has been down for FailoverDelay. Taking a down region down again
// changes its mode.
func (a *Account) RegionDown(ctx context.Context, name string, mode OutageMode) error {
	if _, err := ParseOutageMode(string(mode)); err != nil {
		return err
	}
	a.topo.Lock()
	defer a.topo.Unlock()
	g, err := a.lookup(name)
	if err != nil {
		return err
	}
	prev := g.state.Load()
	if prev.down && prev.mode == mode {
		return nil
	}
	if prev.down && prev.mode == OutageRefuse {
		if err := g.listen(ctx); err != nil {
			return fmt.Errorf("region %q: %w", g.name, err)
		}
	}
	st := &regionState{down: true, mode: mode, since: time.Now(), revoked: make(chan struct{})}
	if prev.down {
		st.since = prev.since
	}
	g.state.Store(st)
	close(prev.revoked)
	if mode == OutageRefuse {
		g.unlisten()
	}
	a.hist.add(DrillEvent{At: st.since, Kind: EventRegionDown, Region: g.name, Mode: mode})
	if g == a.writer.Load() && a.rc.ServiceManagedFailover && len(a.regions) > 1 && !prev.down {
		time.AfterFunc(a.rc.FailoverDelay, func() { a.autoFailover(g, st) })
	}
	a.wakeAll()
	return nil
}

// RegionUp brings a region back. A region that lost the write role while down is first
// resynchronised from the write region (its unreplicated writes are discarded, as reported
// by Report), as is one that missed more writes than RegionsConfig.MaxQueuedWhileDown;
// then it serves again as a read region and catches up on replication.
func (a *Account) RegionUp(ctx context.Context, name string) error {
	a.topo.Lock()
	defer a.topo.Unlock()
	g, err := a.lookup(name)
	if err != nil {
		return err
	}
	prev := g.state.Load()
	if !prev.down {
		return nil
	}
	if prev.mode == OutageRefuse {
		if err := g.listen(ctx); err != nil {
			return fmt.Errorf("region %q: %w", g.name, err)
		}
	}
	g.in.applyMu.Lock()
	if stale := g.in.takeStale(); stale || g.diverged {
		g.resyncFrom(a.writer.Load())
	}
	g.in.applyMu.Unlock()
	g.diverged = false
	st := &regionState{since: time.Now(), revoked: make(chan struct{})}
	g.state.Store(st)
	close(prev.revoked)
	a.hist.add(DrillEvent{At: st.since, Kind: EventRegionUp, Region: g.name,
		DownFor: millis(st.since.Sub(prev.since))})
	a.wakeAll()
	return nil
}

// Failover makes name the write region. With the current write region up it is a planned
// change ("change write region"): writes pause (403 substatus 3, which makes the SDK
// refresh the account and retry) until the new region has applied every write, so nothing
// is lost. With the write region down it is forced ("offline region"): writes the new
// region had not applied are lost and listed in Report. ctx bounds the catch-up wait.
func (a *Account) Failover(ctx context.Context, name string) error {
	a.topo.Lock()
	defer a.topo.Unlock()
	g, err := a.lookup(name)
	if err != nil {
		return err
	}
	return a.failoverLocked(ctx, g, "manual")
}

func (a *Account) failoverLocked(ctx context.Context, g *region, how string) error {
	old := a.writer.Load()
	if g == old {
		return nil
	}
	if g.state.Load().down {
		return fmt.Errorf("fail over to %q: %w", g.name, ErrRegionDown)
	}
	ev := DrillEvent{At: time.Now(), Kind: EventFailover, Region: g.name, From: old.name,
		How: how}
	if a.rc.MultiRegionWrites {
		// Every region writes documents: only the hub moves. The down region's
		// unreplicated writes stay queued and arrive when it is back.
		ev.Forced = old.state.Load().down
		a.writer.Store(g)
	} else if st := old.state.Load(); st.down {
		ev.Forced = true
		ev.DownFor = millis(ev.At.Sub(st.since))
		ev.Lost = a.forceWriter(g, old, st.since)
	} else if err := a.planWriter(ctx, g, old); err != nil {
		return err
	}
	ev.At = time.Now()
	a.hist.add(ev)
	if !a.rc.MultiRegionWrites {
		g.awaitingWrite.Store(ev.At.UnixNano())
	}
	if a.durable != nil {
		err := saveTopology(a.rc.DataDir, topology{WriteRegion: g.name,
			MultiRegionWrites: a.rc.MultiRegionWrites})
		if err != nil {
			a.log.Warn("write region not saved; a restart starts with the first region",
				"err", err)
		}
	}
	a.wakeAll()
	return nil
}

// planWriter moves the write role from a healthy old region to g without losing writes.
func (a *Account) planWriter(ctx context.Context, g, old *region) error {
	done := make(chan struct{})
	a.switching.Store(&done)
	defer func() {
		a.switching.Store(nil)
		close(done)
	}()
	// Writes already past the role check commit before the catch-up target is read.
	for old.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("fail over to %q: wait for writes in flight: %w", g.name, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	if err := g.waitCaughtUp(ctx, a.repl.current()); err != nil {
		return fmt.Errorf("fail over to %q: wait for replication: %w", g.name, err)
	}
	a.writer.Store(g)
	return nil
}

// forceWriter makes g the write region while old is down: every write from old that g had
// not applied is lost. Other regions drop what they still had queued from old and are
// resynchronised from g, so every region holds g's history; old is resynchronised when it
// comes back.
func (a *Account) forceWriter(g, old *region, downSince time.Time) int {
	for _, d := range a.regions {
		d.in.applyMu.Lock()
	}
	defer func() {
		for _, d := range a.regions {
			d.in.applyMu.Unlock()
		}
	}()
	lost := g.in.dropFrom(old)
	acked := a.repl.acked.Load()
	for i := range lost {
		a.hist.addLost(lostWrite(&lost[i], g, downSince, acked))
	}
	for _, d := range a.regions {
		if d == g || d == old {
			continue
		}
		d.in.dropFrom(old)
		d.resyncFrom(g)
	}
	old.in.dropFrom(old)
	old.diverged = true
	a.writer.Store(g)
	if a.durable != nil {
		// The log holds the lost writes: a snapshot of the new write region replaces it, so
		// a restart does not bring them back.
		a.durable.snapshotNow(g.srv.store)
	}
	return len(lost)
}

// dropFrom removes and returns the queued writes that came from src. Caller holds applyMu.
func (in *inbox) dropFrom(src *region) []replEntry {
	in.mu.Lock()
	defer in.mu.Unlock()
	var dropped []replEntry
	kept := in.entries[:in.head]
	for _, e := range in.pending() {
		if e.src == src {
			dropped = append(dropped, e)
		} else {
			kept = append(kept, e)
		}
	}
	clear(in.entries[len(kept):])
	in.entries = kept
	in.dropped.Add(int64(len(dropped)))
	return dropped
}

// autoFailover is the service-managed failover: if g is still the write region and still
// in the outage st began (whatever its mode now), the next region up in priority order
// takes over.
func (a *Account) autoFailover(g *region, st *regionState) {
	a.topo.Lock()
	defer a.topo.Unlock()
	// A mode change keeps the outage (and its start); coming back up ends it.
	if cur := g.state.Load(); !cur.down || !cur.since.Equal(st.since) || a.writer.Load() != g {
		return
	}
	select {
	case <-a.stop:
		return
	default:
	}
	for _, next := range a.regions {
		if next != g && !next.state.Load().down {
			_ = a.failoverLocked(context.Background(), next, "service-managed")
			return
		}
	}
}

func (a *Account) lookup(name string) (*region, error) {
	if g := a.region(name); g != nil {
		return g, nil
	}
	names := make([]string, len(a.regions))
	for i, g := range a.regions {
		names[i] = g.name
	}
	return nil, fmt.Errorf("region %q: %w; the account has %s", name, ErrUnknownRegion,
		strings.Join(names, ", "))
}

// wakeAll makes appliers and waiters re-check after a topology change.
func (a *Account) wakeAll() {
	for _, g := range a.regions {
		g.in.signal()
	}
	a.repl.wake()
}

// noteWrite records the first client write g acknowledges after a failover made it the
// write region (EventWritesResumed); later writes cost one atomic load.
func (g *region) noteWrite() {
	since := g.awaitingWrite.Load()
	if since == 0 || !g.awaitingWrite.CompareAndSwap(since, 0) {
		return
	}
	now := time.Now()
	g.a.hist.add(DrillEvent{At: now, Kind: EventWritesResumed, Region: g.name,
		DownFor: millis(now.Sub(time.Unix(0, since)))})
}

// Drill event kinds.
const (
	EventRegionDown = "region-down"
	EventRegionUp   = "region-up"
	EventFailover   = "failover"
	// EventWritesResumed is the first client write the new write region acknowledged after a
	// failover: the end of the outage as the design defines RTO (outage to first good write
	// in the new region). DownFor is the time since the failover.
	EventWritesResumed = "writes-resumed"
)

// DrillEvent is one change of the account's topology, as the emulator saw it.
type DrillEvent struct {
	At     time.Time  `json:"at"`
	Kind   string     `json:"kind"`
	Region string     `json:"region"`
	Mode   OutageMode `json:"mode,omitempty"`
	// From, How, Forced and Lost describe a failover: the previous write region, "manual"
	// or "service-managed", whether the previous write region was down, and how many of
	// its writes were lost.
	From   string `json:"from,omitempty"`
	How    string `json:"how,omitempty"`
	Forced bool   `json:"forced,omitempty"`
	Lost   int    `json:"lost,omitempty"`
	// DownFor is, for a forced failover, how long the old write region had been down (the
	// emulator's part of the RTO); for region-up, how long the outage lasted. Milliseconds.
	DownFor float64 `json:"downForMs,omitempty"`
}

// LostWrite is a write the write region committed that was never replicated to the region
// that took over: the measured RPO.
type LostWrite struct {
	Database     string `json:"database"`
	Container    string `json:"container"`
	ID           string `json:"id"`
	PartitionKey string `json:"partitionKey"`
	// Op is create, replace or delete.
	Op  string `json:"op"`
	LSN int64  `json:"lsn"`
	// Region committed the write; LostTo is the region that took over without it.
	Region      string    `json:"region"`
	LostTo      string    `json:"lostTo"`
	CommittedAt time.Time `json:"committedAt"`
	// AgeAtOutage is how long before the outage began the write committed (ms); negative
	// when it committed after (a request in flight when the outage began).
	AgeAtOutage float64 `json:"ageAtOutageMs"`
	// Acknowledged is whether a client had been answered for it. The emulator answers every
	// committed write unless Strong consistency failed it, so this is nearly always true.
	Acknowledged bool `json:"acknowledged"`
}

func lostWrite(e *replEntry, to *region, downSince time.Time, acked uint64) LostWrite {
	lw := LostWrite{
		Database: e.rec.ref.Database, Container: e.rec.ref.Container, LSN: e.rec.lsn,
		Op: opName(e.rec.op), Region: e.src.name, LostTo: to.name, CommittedAt: e.committed,
		AgeAtOutage: millis(downSince.Sub(e.committed)), Acknowledged: e.seq <= acked,
	}
	lw.PartitionKey, lw.ID, _ = strings.Cut(e.rec.key, "\x00")
	return lw
}

func opName(op opKind) string {
	switch op {
	case opCreate:
		return "create"
	case opReplace:
		return "replace"
	case opDelete:
		return "delete"
	}
	return "unknown"
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// LagSample is the replication backlog of one region at one moment.
type LagSample struct {
	At     time.Time `json:"at"`
	Region string    `json:"region"`
	// Behind is how many writes the region had yet to apply; Oldest how long the oldest of
	// them had been waiting (ms).
	Behind int     `json:"behind"`
	Oldest float64 `json:"oldestMs"`
}

// RegionStatus is one region as the report shows it.
type RegionStatus struct {
	Name     string `json:"name"`
	Endpoint string `json:"endpoint"`
	Role     string `json:"role"` // "write" (the account's write region or hub) or "read"
	// Writes is whether the region takes client writes: the write region, or every region
	// with multi-region writes.
	Writes  bool       `json:"writes"`
	Down    bool       `json:"down"`
	Mode    OutageMode `json:"mode,omitempty"`
	Since   time.Time  `json:"since"`
	Behind  int        `json:"behind"`
	Oldest  float64    `json:"oldestMs"`
	Applied int64      `json:"applied"`
}

// DrillReport is what a failover drill needs from the emulator: the regions now, every
// topology change, the writes lost to forced failovers, and replication lag over time.
type DrillReport struct {
	WriteRegion string         `json:"writeRegion"`
	Consistency Consistency    `json:"consistency"`
	Regions     []RegionStatus `json:"regions"`
	Events      []DrillEvent   `json:"events"`
	// LostAcknowledged counts the lost writes a client had been answered for (the RPO).
	LostAcknowledged int         `json:"lostAcknowledged"`
	LostWrites       []LostWrite `json:"lostWrites"`
	Lag              []LagSample `json:"lag"`
	// Conflicts are the writes multi-region writes resolved away (last-writer-wins).
	Conflicts []Conflict `json:"conflicts"`
}

// Report returns the drill report so far.
func (a *Account) Report() DrillReport {
	r := DrillReport{WriteRegion: a.WriteRegion(), Consistency: a.rc.Consistency,
		Regions: a.Regions()}
	r.Events, r.LostWrites, r.Lag = a.hist.snapshot()
	r.Conflicts = a.hist.conflictList()
	for _, lw := range r.LostWrites {
		if lw.Acknowledged {
			r.LostAcknowledged++
		}
	}
	return r
}

// Regions reports every region's role, availability and replication backlog.
func (a *Account) Regions() []RegionStatus {
	now := time.Now()
	writer := a.writer.Load()
	out := make([]RegionStatus, len(a.regions))
	for i, g := range a.regions {
		st := g.state.Load()
		n, age := g.in.behind(now)
		out[i] = RegionStatus{
			Name: g.name, Endpoint: a.RegionEndpoint(g.name), Role: "read", Down: st.down,
			Mode: st.mode, Since: st.since, Behind: n, Oldest: millis(age),
			Applied: g.in.applied.Load(), Writes: g == writer || a.rc.MultiRegionWrites,
		}
		if g == writer {
			out[i].Role = "write"
		}
	}
	return out
}

// history is the record behind the drill report.
type history struct {
	mu        sync.Mutex
	events    []DrillEvent
	lost      []LostWrite
	lag       []LagSample
	conflicts []Conflict
	seen      map[string]bool // conflicts already recorded (resolved in several regions)
}

// maxConflicts bounds the conflicts kept (the oldest are dropped).
const maxConflicts = 100_000

func (h *history) addConflict(key string, c Conflict) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seen[key] {
		return
	}
	if h.seen == nil || len(h.seen) > 4*maxConflicts {
		h.seen = map[string]bool{}
	}
	h.seen[key] = true
	h.conflicts = append(h.conflicts, c)
	if over := len(h.conflicts) - maxConflicts; over > 0 {
		h.conflicts = append(h.conflicts[:0], h.conflicts[over:]...)
	}
}

func (h *history) conflictList() []Conflict {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Conflict{}, h.conflicts...)
}

func (h *history) add(e DrillEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *history) addLost(lw LostWrite) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lost = append(h.lost, lw)
}

func (h *history) addLag(s []LagSample, limit int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lag = append(h.lag, s...)
	if over := len(h.lag) - limit; over > 0 {
		h.lag = append(h.lag[:0], h.lag[over:]...)
	}
}

func (h *history) snapshot() ([]DrillEvent, []LostWrite, []LagSample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]DrillEvent{}, h.events...), append([]LostWrite{}, h.lost...),
		append([]LagSample{}, h.lag...)
}

// sampleLag records every read region's backlog each LagSampleInterval until stop.
func (a *Account) sampleLag(stop <-chan struct{}) {
	t := time.NewTicker(a.rc.LagSampleInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			writer := a.writer.Load()
			var samples []LagSample
			for _, g := range a.regions {
				if g == writer {
					continue
				}
				n, age := g.in.behind(now)
				samples = append(samples, LagSample{At: now, Region: g.name, Behind: n,
					Oldest: millis(age)})
			}
			a.hist.addLag(samples, maxLagSamples*len(a.regions))
		}
	}
}
