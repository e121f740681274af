package backend

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/profile"
)

// Restart modes of [Backend.RestartNode].
const (
	// RestartGraceful is a rolling deploy: the node stops taking work, stores everything it
	// holds, and starts again with nothing in memory.
	RestartGraceful = "graceful"
	// RestartCrash is a kill: what the node holds unstored is lost.
	RestartCrash = "crash"
)

// Errors of [Backend.RestartNode] a caller may act on.
var (
	// ErrNotRunning: the backend is not started, not ready, or closing.
	ErrNotRunning = errors.New("backend not running")
	// ErrRestartRunning: a restart of the node is already running (only from calls that do
	// not wait for it, such as the admin API).
	ErrRestartRunning = errors.New("a restart of this node is already running")
)

// RestartModes lists the modes of [Backend.RestartNode].
var RestartModes = []string{RestartGraceful, RestartCrash}

// DefaultGracePeriod is how long a graceful stop may take before the node is killed, as
// Kubernetes' default termination grace period.
const DefaultGracePeriod = 30 * time.Second

// RestartOptions says how [Backend.RestartNode] restarts a node.
type RestartOptions struct {
	// Mode is RestartGraceful (also when empty) or RestartCrash.
	Mode string
	// Downtime keeps the node down this long after it stopped (graceful: after it stored
	// what it held) before it starts again; 0 starts it again at once.
	Downtime time.Duration
	// GracePeriod bounds a graceful stop: past it (Cosmos DB down, throttled far beyond
	// what the node holds) the node is killed and what it still holds is dropped, as an
	// orchestrator does. 0 means DefaultGracePeriod; negative, as long as ctx allows.
	GracePeriod time.Duration
}

// Validate reports every invalid field.
func (o RestartOptions) Validate() error {
	var errs []error
	if o.Mode != "" && !slices.Contains(RestartModes, o.Mode) {
		errs = append(errs, fmt.Errorf("restart mode %q: want one of %v", o.Mode, RestartModes))
	}
	if o.Downtime < 0 {
		errs = append(errs, fmt.Errorf("restart downtime %v: must not be negative", o.Downtime))
	}
	return errors.Join(errs...)
}

// RestartReport says what a restart did.
type RestartReport struct {
	Node string // the node's name
	Mode string
	// Stored is the events a graceful stop stored before the node went down.
	Stored int64
	// Dropped is the acknowledged events a crash (or a graceful stop past its grace
	// period) dropped unstored: lost, unless a write whose outcome was unknown had landed
	// (the conservation check tells).
	Dropped int64
	// Killed is set when a graceful stop ran past its grace period.
	Killed bool
	// Stopping is the time from the call to the node being down; Down the time until it
	// ran again.
	Stopping, Down time.Duration
}

// nodeLife runs one node's apply and flush loops, and stops them for a restart.
type nodeLife struct {
	mu    sync.Mutex // held by a restart, and by Close while it waits for the loops
	stop  context.CancelFunc
	loops sync.WaitGroup
}

// start runs n's loops until parent ends or stop is called; mu must be held (or the
// backend be starting).
func (l *nodeLife) start(parent context.Context, n *node) {
	ctx, cancel := context.WithCancel(parent)
	l.stop = cancel
	l.loops.Add(2)
	go func() { defer l.loops.Done(); n.applyLoop(ctx) }()
	go func() { defer l.loops.Done(); n.flushLoop(ctx) }()
	select { // batches that arrived while the node was down
	case n.wake <- struct{}{}:
	default:
	}
}

// halt stops the loops and waits for them; a flush cycle running is cancelled.
func (l *nodeLife) halt() {
	if l.stop != nil {
		l.stop()
	}
	l.loops.Wait()
}

// RestartNode restarts node i (from 0) as a process restart would in a deployment, while
// the backend keeps running:
//
//   - graceful: the node waits for its running flush cycle, stops folding batches (its
//     share of newly acknowledged events waits in its inbox, where admission bounds it:
//     ingest answers 429 with Retry-After once MaxQueuedEvents wait), stores everything it
//     holds (retrying for up to GracePeriod; past it the node is killed as an
//     orchestrator would, and what it still holds is dropped), drops its cached documents
//     and its Cosmos DB client, makes a new client (a fresh view of the account's
//     regions), stays down for Downtime, and starts again: profiles are read back from
//     Cosmos DB on first write.
//   - crash: the node stops at once (a running cycle is cancelled mid-write), and drops
//     everything unstored: the acknowledged events waiting in its inbox and its unflushed
//     changes, including writes whose outcome is unknown. [Backend.VerifyConservation]
//     reports what was lost.
//
// What every node acknowledged is kept across restarts (it is the conservation check's
// reference, the sensors' side of the ledger), and so are the write fence sequence and
// the process-wide detection state. It returns once the node runs again. When ctx ends
// during a graceful stop, the node starts again with what it still holds, and the error
// says so (nothing is dropped). Restarts of one node are serialised; different nodes may
// restart together.
func (b *Backend) RestartNode(ctx context.Context, i int, opts RestartOptions) (RestartReport,
	error) {
	return b.restartNode(ctx, i, opts, true)
}

// restartNode is RestartNode; unless wait, it fails with ErrRestartRunning instead of
// waiting for a restart of the node that is running.
func (b *Backend) restartNode(ctx context.Context, i int, opts RestartOptions,
	wait bool) (RestartReport, error) {
	if err := opts.Validate(); err != nil {
		return RestartReport{}, err
	}
	if i < 0 || i >= len(b.nodes) {
		return RestartReport{}, fmt.Errorf("restart node %d: want 0 to %d", i, len(b.nodes)-1)
	}
	if !b.started.Load() || !b.Ready() || b.runCtx.Err() != nil {
		return RestartReport{}, fmt.Errorf("restart node %d: %w", i, ErrNotRunning)
	}
	mode := opts.Mode
	if mode == "" {
		mode = RestartGraceful
	}
	n, life := b.nodes[i], b.lives[i]
	if wait {
		life.mu.Lock()
	} else if !life.mu.TryLock() {
		if b.runCtx.Err() != nil { // Close holds it while it stops the loops
			return RestartReport{}, fmt.Errorf("restart node %d: %w", i, ErrNotRunning)
		}
		return RestartReport{}, fmt.Errorf("restart node %s: %w", n.name, ErrRestartRunning)
	}
	defer life.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(b.runCtx, cancel)() // Close ends a restart

	start := time.Now()
	rep := RestartReport{Node: n.name, Mode: mode}
	if mode == RestartGraceful {
		var err error
		rep.Stored, err = n.stopWithin(ctx, life, opts.GracePeriod)
		switch {
		case ctx.Err() != nil:
			life.halt() // if the wait for a running cycle ended first
			life.start(b.runCtx, n)
			return rep, fmt.Errorf("restart node %s: store what it holds: %w", n.name, err)
		case err != nil:
			rep.Killed = true
		}
	}
	if mode == RestartCrash || rep.Killed {
		life.halt()
		n.flushing <- struct{}{} // a cycle Drain runs keeps its slots until it ends
		rep.Dropped = n.dropUnstored()
		<-n.flushing
	}
	err := n.forgetConnections()
	rep.Stopping = time.Since(start)
	if err == nil {
		err = sleepCtx(ctx, opts.Downtime)
	}
	life.start(b.runCtx, n)
	rep.Down = time.Since(start)
	b.metrics.nodeRestarts.Inc()
	b.log.Info("node restarted", "node", n.name, "mode", mode, "stored", rep.Stored,
		"dropped", rep.Dropped, "killed", rep.Killed, "down", rep.Down.Round(time.Millisecond))
	if err != nil {
		return rep, fmt.Errorf("restart node %s: %w", n.name, err)
	}
	return rep, nil
}

// stopWithin is stopGracefully bounded by a grace period (0: DefaultGracePeriod,
// negative: none).
func (n *node) stopWithin(ctx context.Context, life *nodeLife, grace time.Duration) (int64,
	error) {
	if grace == 0 {
		grace = DefaultGracePeriod
	}
	if grace > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, grace)
		defer cancel()
	}
	return n.stopGracefully(ctx, life)
}

// stopGracefully waits for a running flush cycle, stops the loops and stores everything
// the node holds; it returns the events stored.
func (n *node) stopGracefully(ctx context.Context, life *nodeLife) (int64, error) {
	select { // a running cycle finishes; no other starts while the token is held
	case n.flushing <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	life.halt()
	<-n.flushing
	before := n.unstored.Load()
	for {
		failed := n.flush(ctx, true)
		if err := ctx.Err(); err != nil {
			return before - n.unstored.Load(), err
		}
		if failed == 0 && n.dirtyCount() == 0 {
			return before - n.unstored.Load(), nil
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return before - n.unstored.Load(), err
		}
	}
}

// dropUnstored discards what a killed node loses, its loops being stopped and the flush
// token held: the batches
// waiting in its inbox (kept in the acknowledged ledger only) and every unflushed change.
// It returns the acknowledged events dropped.
func (n *node) dropUnstored() int64 {
	n.inboxMu.Lock()
	inbox := n.inbox
	n.inbox = nil
	n.inboxMu.Unlock()

	n.mu.Lock()
	var queued int64
	for _, w := range inbox {
		queued += n.noteDropped(w)
		w.src.release()
	}
	var unstored int64
	for _, e := range n.dirty {
		lost := e.slot.unstored()
		e.dropped += lost
		unstored += lost
		e.slot = nil
	}
	clear(n.dirty)
	n.dirty = n.dirty[:0]
	n.dirtyLen.Store(0)
	n.baselines = map[*tenant]*baseline{}
	n.mu.Unlock()

	n.b.queued.Add(-queued)
	n.unstored.Add(-unstored)
	n.oldest.Store(0)
	return queued + unstored
}

// noteDropped records the events of a work item the node drops unfolded in its ledger, as
// acknowledged and dropped; n.mu is held. It returns the number of events.
func (n *node) noteDropped(w work) int64 {
	note := func(e *api.Event) {
		ref, _ := profile.Subject(e)
		k := entKey{t: w.t, ref: ref}
		ent := n.entities[k]
		if ent == nil {
			ent = &entity{key: k}
			n.entities[k] = ent
		}
		ent.acked++
		ent.dropped++
	}
	if w.idx == nil {
		for i := range w.events {
			note(&w.events[i])
		}
		return int64(len(w.events))
	}
	for _, i := range w.idx {
		note(&w.events[i])
	}
	return int64(len(w.idx))
}

// forgetConnections drops the node's cached documents, container clients and Cosmos DB
// client and makes a new client, as a new process starts with; its loops are stopped.
func (n *node) forgetConnections() error {
	n.cacheMu.Lock()
	n.cache = map[entKey]cacheEntry{}
	n.cacheMu.Unlock()
	n.containers.Clear()
	client, err := n.b.newClient(n.policy)
	if err != nil {
		return err
	}
	// The old client is left to calls still using it (control operations take node 0's)
	// and to the garbage collector, as resetClient does.
	n.client.Store(client)
	n.flushing <- struct{}{} // the failure clock belongs to the flush cycle
	n.failingSince, n.lastReset = time.Time{}, time.Time{}
	<-n.flushing
	return nil
}
