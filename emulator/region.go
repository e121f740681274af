package emulator

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Account is one emulated account with several regions: each region is a full replica of
// the account (its own store) served on its own address, plus the account endpoint, which
// stays up through every outage and serves the account document, the control API and (for
// clients that do not route by region) the data plane of the write region.
//
// Writes commit in the write region (in every region with multi-region writes) and are
// replicated to the others in commit order after the configured lag; the consistency level
// decides what a write waits for and what a read in a lagging region may see. Regions go
// down and up, and the write region moves, through the Go methods (RegionDown, RegionUp,
// Failover) or the control API (docs/regions.md). An Account is safe for concurrent use.
type Account struct {
	cfg     Config
	rc      RegionsConfig
	log     *slog.Logger
	regions []*region
	cert    *selfSigned

	// topo guards the topology: which region writes, outage states, failover steps.
	topo   sync.Mutex
	writer atomic.Pointer[region]
	// switching is set while a planned failover waits for the new region to catch up, and
	// closed when the write role has moved: no region accepts writes meanwhile, and the
	// old write region holds the writes it gets until then (see admitWrite).
	switching atomic.Pointer[chan struct{}]

	repl replicator
	hist history
	// durable is the data directory's log; nil keeps the account in memory.
	durable *durableLog

	// lwwPath is the conflict resolution path's segments; nil compares commit times.
	lwwPath []string

	backup    BackupConfig
	backupMu  sync.Mutex
	backupSeq int
	// mirrorMu serialises metadata mirroring between regions (lock order: topo, an inbox's
	// applyMu, mirrorMu, then stores).
	mirrorMu sync.Mutex

	ln       net.Listener
	httpSrv  *http.Server
	endpoint string

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// region is one region of an Account: a replica store served by its own Server, behind a
// front handler that plays outages and enforces the region's role.
type region struct {
	a     *Account
	index int
	name  string
	srv   *Server
	addr  string // the bound host:port, kept across outages

	// state is the region's availability; changed only under a.topo.
	state atomic.Pointer[regionState]
	// tombs are the tombstones of multi-region writes.
	tombs tombstones
	// diverged is set when the region holds writes the write region lost (after a forced
	// failover away from it); it is resynchronised before it serves again.
	diverged bool

	// lnMu guards the listener and HTTP server, replaced on each refuse-mode outage.
	lnMu    sync.Mutex
	ln      net.Listener
	httpSrv *http.Server
	// held are connections parked by a timeout-mode outage, closed when it ends.
	held heldConns
	// inflight counts write requests past the role check and not yet answered.
	inflight atomic.Int64
	// awaitingWrite holds the Unix ns of the failover that made this region the write
	// region until it acknowledges its first client write (0 otherwise); see noteWrite.
	awaitingWrite atomic.Int64

	in inbox
}

// regionState is the availability of a region since a moment.
type regionState struct {
	down  bool
	mode  OutageMode
	since time.Time
	// revoked is closed when this state ends, waking requests parked by a timeout outage.
	revoked chan struct{}
}

// StartAccount starts an account with the regions rc names, each listening on its own
// address, and the account endpoint on cfg.Addr. cfg configures every region's server (key,
// TLS, throttling, clock). ctx bounds only the start-up.
func StartAccount(ctx context.Context, cfg Config, rc RegionsConfig) (*Account, error) {
	a, err := newAccount(cfg, rc)
	if err != nil {
		return nil, err
	}
	if err := a.listen(ctx); err != nil {
		_ = a.Close()
		return nil, err
	}
	a.start()
	a.log.Info("account listening", "endpoint", a.endpoint, "regions", len(a.regions),
		"write_region", a.WriteRegion(), "consistency", string(a.rc.Consistency),
		"lag", a.rc.Lag.String())
	return a, nil
}

func newAccount(cfg Config, rc RegionsConfig) (*Account, error) {
	if err := errors.Join(cfg.Validate(), rc.Validate()); err != nil {
		return nil, fmt.Errorf("emulator account config: %w", err)
	}
	cfg, rc = cfg.withDefaults(), rc.withDefaults()
	a := &Account{cfg: cfg, rc: rc, log: cfg.Logger, stop: make(chan struct{}),
		backup: rc.Backup.withDefaults(cfg.Clock)}
	regionCfg := cfg
	regionCfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.Throughput != nil {
		// Each region bills its own throughput, at the multi-region-write rate when every
		// region takes writes.
		tc := *cfg.Throughput
		tc.Engine.MultiRegionWrites = tc.Engine.MultiRegionWrites || rc.MultiRegionWrites
		regionCfg.Throughput = &tc
	}
	for i, name := range rc.Regions {
		regionCfg.Region = name
		srv, err := New(regionCfg)
		if err != nil {
			return nil, fmt.Errorf("region %q: %w", name, err)
		}
		g := &region{a: a, index: i, name: name, srv: srv, addr: "127.0.0.1:0"}
		if len(rc.Addrs) > 0 {
			g.addr = rc.Addrs[i]
		}
		srv.store.replica = func() bool { return !rc.MultiRegionWrites && a.writer.Load() != g }
		srv.consistency = rc.Consistency
		g.state.Store(&regionState{since: time.Now(), revoked: make(chan struct{})})
		g.in.init(rc.Lag, uint64(i))
		a.regions = append(a.regions, g)
	}
	a.writer.Store(a.regions[0])
	a.repl.init()
	if p := rc.ConflictResolutionPath; p != "" && p != "/_ts" {
		segs, err := splitPath(p)
		if err != nil {
			return nil, fmt.Errorf("conflict resolution path %q: %w", p, err)
		}
		a.lwwPath = segs
	}
	if err := a.openDataDir(); err != nil {
		for _, g := range a.regions {
			_ = g.srv.Close()
		}
		return nil, err
	}
	return a, nil
}

// openDataDir recovers the data directory (if any) into the first region, then hooks every
// region's store and brings the other regions to the same state.
func (a *Account) openDataDir() error {
	first := a.regions[0]
	var recorded topology
	var found bool
	var lww *lwwReplay
	if dir := a.rc.DataDir; dir != "" {
		// The log is replayed the way it was written, which the directory records.
		recorded, found = loadTopology(dir)
		if (found && recorded.MultiRegionWrites) || (!found && a.rc.MultiRegionWrites) {
			lww = newLWWReplay(a)
		}
		d, err := openDurable(dir, a.rc.SnapshotBytes, a.log, first.srv.store, lww)
		if err != nil {
			return err
		}
		d.source = func() *store { return a.writer.Load().srv.store }
		if a.rc.MultiRegionWrites {
			d.merged = a.encodeMerged
		}
		a.durable = d
	}
	if a.rc.RestoreFrom != "" {
		if err := a.restore(first.srv.store); err != nil {
			return err
		}
	}
	if g := a.region(recorded.WriteRegion); g != nil {
		// The account remembers its write region across restarts, as the service does.
		a.writer.Store(g)
	}
	for _, g := range a.regions {
		hookStore(g.srv.store, g.onCommit)
	}
	if a.durable != nil || a.rc.RestoreFrom != "" {
		for _, g := range a.regions[1:] {
			g.resyncFrom(first)
		}
	}
	if lww != nil {
		a.seedTombstones(lww.tombs)
	}
	if a.durable == nil {
		return nil
	}
	return a.settleDataDir(recorded, found)
}

// settleDataDir records the account's topology in a new data directory, and snapshots the
// recovered state when it was restored from a backup or the way writes are logged changed
// (so that later recoveries replay only writes logged the new way).
func (a *Account) settleDataDir(recorded topology, found bool) error {
	changed := found && recorded.MultiRegionWrites != a.rc.MultiRegionWrites
	if a.rc.RestoreFrom != "" || changed {
		a.durable.snapshotNow(a.writer.Load().srv.store)
	}
	if found && !changed {
		return nil
	}
	err := saveTopology(a.rc.DataDir, topology{WriteRegion: a.WriteRegion(),
		MultiRegionWrites: a.rc.MultiRegionWrites})
	if err != nil {
		_ = a.durable.close()
		return fmt.Errorf("data dir: %w", err)
	}
	return nil
}

// restore loads the backup RestoreFrom names into st, which must be empty.
func (a *Account) restore(st *store) error {
	st.mu.RLock()
	empty := len(st.dbs) == 0
	st.mu.RUnlock()
	if !empty {
		return fmt.Errorf("restore %s: the data dir %s already holds an account; restore "+
			"into a new one", a.rc.RestoreFrom, a.rc.DataDir)
	}
	docs, err := loadBackup(a.rc.RestoreFrom, st)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	a.log.Info("account restored from backup", "backup", a.rc.RestoreFrom, "documents", docs)
	return nil
}

func (a *Account) listen(ctx context.Context) error {
	if a.cfg.TLS {
		host, _, _ := net.SplitHostPort(a.cfg.Addr)
		cert, err := newSelfSigned(host, time.Now())
		if err != nil {
			return fmt.Errorf("tls certificate: %w", err)
		}
		a.cert = cert
	}
	ln, err := a.bind(ctx, a.cfg.Addr)
	if err != nil {
		return err
	}
	a.ln = ln
	a.endpoint = a.scheme() + "://" + advertisedAddr(ln.Addr()) + "/"
	a.httpSrv = a.newHTTPServer(a)
	a.serve(a.httpSrv, ln)
	for _, g := range a.regions {
		if err := g.listen(ctx); err != nil {
			return fmt.Errorf("region %q: %w", g.name, err)
		}
	}
	return nil
}

// bind listens on addr, with TLS when the account serves HTTPS.
func (a *Account) bind(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if a.cert != nil {
		ln = tls.NewListener(ln, &tls.Config{
			Certificates: []tls.Certificate{a.cert.cert},
			MinVersion:   tls.VersionTLS12,
			NextProtos:   []string{"http/1.1"},
		})
	}
	return ln, nil
}

func (a *Account) scheme() string {
	if a.cfg.TLS {
		return "https"
	}
	return "http"
}

func (a *Account) newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
}

func (a *Account) serve(srv *http.Server, ln net.Listener) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("account stopped serving", "err", err)
		}
	}()
}

// listen binds the region's address (the same port again after an outage) and serves it.
func (g *region) listen(ctx context.Context) error {
	ln, err := g.a.bind(ctx, g.addr)
	if err != nil {
		return err
	}
	g.addr = advertisedAddr(ln.Addr())
	srv := g.a.newHTTPServer(g)
	g.lnMu.Lock()
	g.ln, g.httpSrv = ln, srv
	g.lnMu.Unlock()
	g.a.serve(srv, ln)
	return nil
}

// unlisten closes the region's listener and idle connections; requests in flight finish.
func (g *region) unlisten() {
	g.lnMu.Lock()
	srv, ln := g.httpSrv, g.ln
	g.httpSrv, g.ln = nil, nil
	g.lnMu.Unlock()
	if srv == nil {
		return
	}
	// Refuse new connections at once; Shutdown then closes idle ones and waits for the rest.
	_ = ln.Close()
	g.a.wg.Add(1)
	go func() {
		defer g.a.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	}()
}

func (a *Account) start() {
	for _, g := range a.regions {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			g.applyLoop(a.stop)
		}()
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.sampleLag(a.stop)
	}()
	if a.backup.Dir != "" {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			a.backupLoop(a.stop)
		}()
	}
}

// Endpoint is the account endpoint clients are given, e.g. "http://127.0.0.1:8081/".
func (a *Account) Endpoint() string { return a.endpoint }

// Key is the base64 master key; it also authenticates the control API.
func (a *Account) Key() string { return a.cfg.Key }

// ConnectionString is the "AccountEndpoint=…;AccountKey=…" string of the account endpoint.
func (a *Account) ConnectionString() string {
	return "AccountEndpoint=" + a.endpoint + ";AccountKey=" + a.cfg.Key + ";"
}

// CertPool holds the self-signed certificate (TLS only; nil otherwise).
func (a *Account) CertPool() *x509.CertPool {
	return a.cert.certPool()
}

// CertPEM is the self-signed certificate in PEM (TLS only; nil otherwise).
func (a *Account) CertPEM() []byte {
	return a.cert.certPEM()
}

// RegionEndpoint is the endpoint of one region, or "" for a name the account does not have.
func (a *Account) RegionEndpoint(name string) string {
	g := a.region(name)
	if g == nil {
		return ""
	}
	return a.scheme() + "://" + g.addr + "/"
}

// Server is the server of one region (its store, its throughput engine: Throughput), or
// nil for a name the account does not have. Serve the account through Endpoint, not
// through a region's Server handler, which bypasses outages and replication rules.
func (a *Account) Server(region string) *Server {
	if g := a.region(region); g != nil {
		return g.srv
	}
	return nil
}

// WriteRegion is the name of the current write region.
func (a *Account) WriteRegion() string { return a.writer.Load().name }

// region finds a region by name as the SDK compares names; nil when there is none.
func (a *Account) region(name string) *region {
	canon := canonicalRegion(name)
	for _, g := range a.regions {
		if canonicalRegion(g.name) == canon {
			return g
		}
	}
	return nil
}

// Shutdown stops every listener, waits for requests in flight until ctx ends, then stops
// replication. Writes not yet replicated stay unreplicated. Safe to call more than once.
func (a *Account) Shutdown(ctx context.Context) error {
	var err error
	a.closeOnce.Do(func() {
		var errs []error
		servers := []*http.Server{a.httpSrv}
		for _, g := range a.regions {
			g.lnMu.Lock()
			servers = append(servers, g.httpSrv)
			g.lnMu.Unlock()
			g.held.closeAll()
		}
		for _, srv := range servers {
			if srv == nil {
				continue
			}
			if err := srv.Shutdown(ctx); err != nil {
				// Out of time: drop the connections; their requests see a canceled context.
				errs = append(errs, err)
				_ = srv.Close()
			}
		}
		close(a.stop)
		a.repl.wake()
		a.wg.Wait()
		for _, g := range a.regions {
			errs = append(errs, g.srv.Close())
		}
		if a.durable != nil {
			errs = append(errs, a.durable.close())
		}
		err = errors.Join(errs...)
		a.log.Info("account stopped")
	})
	return err
}

// Close stops the account at once, dropping open connections. It is idempotent.
func (a *Account) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := a.Shutdown(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// heldConns are connections a timeout-mode outage holds open without answering.
type heldConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (h *heldConns) add(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns == nil {
		h.conns = map[net.Conn]struct{}{}
	}
	h.conns[c] = struct{}{}
}

func (h *heldConns) remove(c net.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
}

func (h *heldConns) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		_ = c.Close()
	}
	clear(h.conns)
}

// portOf is the port of a host:port, for building regional endpoints from a request's host.
func portOf(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	if _, err := strconv.Atoi(port); err != nil {
		return ""
	}
	return port
}
