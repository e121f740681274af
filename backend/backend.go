package backend

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/throttle"
)

// Backend is the reference center: ingest, per-tenant pipelines over several nodes,
// write-behind to Cosmos DB, detections, migrations. Create it with [New], start its
// background work with [Backend.Start], stop with [Backend.Close]. All methods are safe for
// concurrent use.
type Backend struct {
	cfg     Config
	log     *slog.Logger
	epoch   int64
	nodes   []*node
	lives   []*nodeLife      // per node: its loops, stopped and started again by RestartNode
	mirror  *azcosmos.Client // nil without Config.Mirror
	metrics *metrics
	scale   *scaleClient

	mu      sync.RWMutex
	tenants map[string]*tenant
	tokens  map[[32]byte]sensorRef

	generation atomic.Int64
	queued     atomic.Int64 // events acknowledged but not yet folded into node state
	ready      atomic.Bool
	migration  *migrationState

	// wallNow is the wall clock for write-behind ages; tests replace it.
	wallNow func() time.Time
	// resetAfter is clientResetAfter; tests shorten it before Start.
	resetAfter time.Duration

	runCtx  context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	started atomic.Bool
	closed  sync.Once
}

// New builds a backend from cfg: validates it and creates one Cosmos DB client per node. It
// does no network I/O; call [Backend.Start].
func New(cfg Config) (*Backend, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	b := &Backend{cfg: cfg, log: cfg.Logger.With("component", "backend"),
		epoch: time.Now().UnixNano(), tenants: map[string]*tenant{},
		tokens: map[[32]byte]sensorRef{}, migration: newMigrationState(), wallNow: time.Now,
		resetAfter: clientResetAfter}
	b.generation.Store(int64(cfg.Generation))
	b.metrics = newMetrics(cfg.Registerer)
	if cfg.Scaling == ScalingElastic {
		b.scale = newScaleClient(cfg.ScalerURL, b.metrics)
		b.scale.usage = b.nodeUsage
	}
	for i, name := range cfg.NodeNames {
		n, err := b.newNode(i, name)
		if err != nil {
			b.closeClients()
			return nil, err
		}
		b.nodes = append(b.nodes, n)
		b.lives = append(b.lives, &nodeLife{})
	}
	mirror, err := b.newMirrorClient()
	if err != nil {
		b.closeClients()
		return nil, err
	}
	b.mirror = mirror
	b.runCtx, b.stop = context.WithCancel(context.Background())
	return b, nil
}

// newPolicy creates a node's throttle policy, wired to the metrics and the scaler.
func (b *Backend) newPolicy() (*throttle.Policy, error) {
	tcfg := b.cfg.Throttle
	user := tcfg.OnThrottle
	tcfg.OnThrottle = func(t throttle.Throttled) {
		b.metrics.throttled.Inc()
		if b.scale != nil {
			b.scale.request(t)
		}
		if user != nil {
			user(t)
		}
	}
	return throttle.New(tcfg)
}

// newClient creates one Cosmos DB client with the throttle policy pol installed, and the
// operation latency policies ahead of it.
func (b *Backend) newClient(pol *throttle.Policy) (*azcosmos.Client, error) {
	var err error
	opts := &azcosmos.ClientOptions{PreferredRegions: b.cfg.PreferredRegions}
	opts.Transport = b.cfg.Transport
	opts.Telemetry.Disabled = true
	installOpLatency(opts, b.metrics.ops) // first, so its timing includes the throttle waits
	throttle.Install(opts, pol)
	installTryTimeout(opts, b.cfg.RequestTimeout)
	var client *azcosmos.Client
	if b.cfg.Credential != nil {
		client, err = azcosmos.NewClient(b.cfg.Endpoint, b.cfg.Credential, opts)
	} else {
		var cred azcosmos.KeyCredential
		cred, err = azcosmos.NewKeyCredential(b.cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("backend: Key: %w", err)
		}
		client, err = azcosmos.NewClientWithKey(b.cfg.Endpoint, cred, opts)
	}
	if err != nil {
		return nil, fmt.Errorf("backend: cosmos client: %w", err)
	}
	return client, nil
}

// Start loads the tenants already onboarded in the account (so their sensors' tokens keep
// working after a restart), restores from Config.Mirror the tenants the account lacks,
// resumes an interrupted batch migration, and starts the nodes' flush loops. The backend is
// ready once Start returns nil.
func (b *Backend) Start(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("backend: already started")
	}
	if err := b.loadTenants(ctx); err != nil {
		return err
	}
	if err := b.restoreFromMirror(ctx); err != nil {
		return err
	}
	for i, n := range b.nodes {
		b.lives[i].start(b.runCtx, n)
	}
	if b.scale != nil {
		b.wg.Add(1)
		go func() { defer b.wg.Done(); b.scale.run(b.runCtx) }()
	}
	b.resumeMigration()
	b.ready.Store(true)
	b.log.Info("backend started", "nodes", len(b.nodes), "endpoint", b.cfg.Endpoint,
		"flush_interval", b.cfg.FlushInterval, "scaling", b.cfg.Scaling,
		"generation", b.generation.Load(), "tenants", len(b.tenants))
	return nil
}

// Close stops background work without flushing; call [Backend.Drain] first to store
// everything acknowledged. It is idempotent.
func (b *Backend) Close() error {
	b.closed.Do(func() {
		b.ready.Store(false)
		b.stop()
		b.wg.Wait()
		for _, l := range b.lives {
			l.mu.Lock() // a restart under way ends first
			l.loops.Wait()
			l.mu.Unlock()
		}
		b.closeClients()
		b.log.Info("backend stopped")
	})
	return nil
}

func (b *Backend) closeClients() {
	for _, n := range b.nodes {
		n.cosmos().Close()
	}
	if b.mirror != nil {
		b.mirror.Close()
	}
}

// Ready reports whether the backend accepts batches.
func (b *Backend) Ready() bool { return b.ready.Load() }

// Generation returns the schema generation the backend currently writes.
func (b *Backend) Generation() int { return int(b.generation.Load()) }

// client returns node 0's client, used for control operations.
func (b *Backend) client() *azcosmos.Client { return b.nodes[0].cosmos() }

func (b *Backend) database(tenantID string) string { return b.cfg.DatabasePrefix + tenantID }

func tokenHash(token string) [32]byte { return sha256.Sum256([]byte(token)) }
