package backend

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stampede-load/stampede/backend/detect"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/backend/throttle"
)

// Defaults of [Config].
const (
	DefaultNodes            = 2
	DefaultFlushInterval    = 5 * time.Second
	DefaultFlushEvents      = 256
	flushDelayIntervals     = 12 // default MaxFlushDelay in flush intervals
	DefaultMaxDirty         = 50_000
	DefaultMaxQueuedEvents  = 500_000
	DefaultFlushConcurrency = 32
	DefaultMaxCachedDocs    = 20_000
	DefaultManualRU         = 400
	DefaultAutoscaleMaxRU   = 1000
	DefaultRequestTimeout   = 5 * time.Second
	// DefaultMaxUnstoredEvents bounds events acknowledged and not yet stored, per backend.
	DefaultMaxUnstoredEvents = 2_000_000
	unstoredAgeFlushDelays   = 2               // default MaxUnstoredAge in MaxFlushDelays,
	minDefaultUnstoredAge    = 2 * time.Minute // but no less: write-behind holds through outages
)

// Scaling policies: how tenant containers are provisioned and who changes their throughput.
const (
	// ScalingManual keeps the fixed manual RU/s set at onboarding.
	ScalingManual = "manual"
	// ScalingElastic starts at manual RU/s and lets the elastic scaler (package scaler) raise
	// and lower it; throttled nodes ask the scaler at Config.ScalerURL.
	ScalingElastic = "elastic"
	// ScalingAutoscale provisions Cosmos DB autoscale with a maximum.
	ScalingAutoscale = "autoscale"
)

// Config configures a [Backend]. Zero fields take the defaults above.
type Config struct {
	// Endpoint is the Cosmos DB account endpoint, e.g. https://acct.documents.azure.com:443/.
	Endpoint string
	// Key is the account key (base64). Exactly one of Key and Credential is required.
	Key string
	// Credential authenticates with Microsoft Entra ID (AAD) instead of a key.
	Credential azcore.TokenCredential
	// PreferredRegions orders the regions reads (and multi-region writes) go to.
	PreferredRegions []string
	// Transport replaces the SDK's HTTP client (for self-signed TLS, tests). Optional.
	Transport policy.Transporter
	// RequestTimeout bounds one HTTP attempt to Cosmos DB (waits between throttle retries
	// are not included). A region that accepts connections and never answers then fails
	// writes fast, so the flusher keeps them and replaces its client to find the new write
	// region, and reads move to the next preferred region. Default 5 s; negative disables.
	RequestTimeout time.Duration

	// Nodes is how many backend nodes share the work by entity; each has its own client.
	Nodes int
	// NodeNames optionally names the nodes (for fences in documents); when several
	// processes share tenants, names must be unique across them. Default "n0", "n1", ...
	NodeNames []string
	// FlushInterval is how often a node runs a flush cycle. A cycle writes each changed
	// entity that has FlushEvents events waiting or has waited MaxFlushDelay; the others
	// keep coalescing. Drain and memory pressure (MaxDirty) write everything.
	FlushInterval time.Duration
	// FlushEvents is how many waiting events make an entity due at the next cycle.
	// Default 256; 1 writes every changed entity every cycle.
	FlushEvents int
	// MaxFlushDelay bounds how long an acknowledged event waits in memory before a cycle
	// writes it (the write-behind window). Default 12 flush intervals (60 s by default).
	MaxFlushDelay time.Duration
	// MaxDirty is how many changed entities a node holds before flushing early; at four times
	// this ingest answers 503 until flushes catch up.
	MaxDirty int
	// MaxQueuedEvents bounds events acknowledged but not yet folded into memory, and, per
	// tenant, events not yet observed by the detection rules; beyond either ingest answers 429.
	MaxQueuedEvents int
	// MaxUnstoredEvents bounds events acknowledged and not yet stored in Cosmos DB (the
	// write-behind state, at risk in a crash); at it ingest answers 503 with Retry-After until
	// flushes catch up. Default DefaultMaxUnstoredEvents.
	MaxUnstoredEvents int
	// MaxUnstoredAge bounds how long an acknowledged event waits unstored: once the oldest
	// unflushed change is older (writes throttled past the policy or failing), ingest answers
	// 503 with Retry-After. Default 2*MaxFlushDelay, at least 2 min, so a regional outage
	// and failover are ridden out without sensor errors.
	MaxUnstoredAge time.Duration
	// FlushConcurrency bounds concurrent Cosmos DB writes per node.
	FlushConcurrency int
	// MaxCachedDocs bounds profile documents (with ETags) cached per node to save reads.
	MaxCachedDocs int

	// Throttle configures the 429 retry policy installed into every client.
	Throttle throttle.Config
	// Scaling is ScalingManual (default), ScalingElastic or ScalingAutoscale.
	Scaling string
	// ManualRU is the RU/s per container for manual and elastic scaling. Default 400.
	ManualRU int32
	// AutoscaleMaxRU is the autoscale maximum RU/s per container. Default 1000.
	AutoscaleMaxRU int32
	// ScalerURL is the elastic scaler's base URL; required for ScalingElastic.
	ScalerURL string

	// Mirror, if set, is a second account (another region) that keeps every tenant's
	// configuration, so that a lost primary account is rebuilt by starting a backend against
	// a new one: no sensor needs new tokens.
	Mirror *Mirror

	// Generation is the schema generation the backend starts writing (1..MaxGeneration);
	// 0 means MaxGeneration. [Backend.Upgrade] raises it at run time.
	Generation int
	// Detect configures the detection rules.
	Detect detect.Config
	// DatabasePrefix is prepended to tenant ids to name their databases.
	DatabasePrefix string

	// Now is the scenario clock; default time.Now.
	Now func() time.Time
	// Logger receives lifecycle logs; nil discards them.
	Logger *slog.Logger
	// Registerer receives the Prometheus metrics; nil registers nowhere.
	Registerer prometheus.Registerer
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Endpoint == "" {
		errs = append(errs, errors.New("backend: Endpoint is required"))
	} else if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		errs = append(errs, fmt.Errorf("backend: Endpoint %q: want an http or https URL", c.Endpoint))
	}
	if (c.Key == "") == (c.Credential == nil) {
		errs = append(errs, errors.New("backend: set exactly one of Key and Credential"))
	}
	if m := c.Mirror; m != nil {
		if u, err := url.Parse(m.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("backend: Mirror.Endpoint %q: want an http or https URL", m.Endpoint))
		}
		if (m.Key == "") == (m.Credential == nil) {
			errs = append(errs, errors.New("backend: Mirror: set exactly one of Key and Credential"))
		}
	}
	if c.Nodes < 0 || c.FlushInterval < 0 || c.MaxDirty < 0 || c.MaxQueuedEvents < 0 ||
		c.FlushConcurrency < 0 || c.MaxCachedDocs < 0 || c.FlushEvents < 0 || c.MaxFlushDelay < 0 ||
		c.MaxUnstoredEvents < 0 || c.MaxUnstoredAge < 0 {
		errs = append(errs, errors.New("backend: Nodes, FlushInterval, FlushEvents, MaxFlushDelay, "+
			"MaxDirty, MaxQueuedEvents, MaxUnstoredEvents, MaxUnstoredAge, FlushConcurrency and "+
			"MaxCachedDocs must not be negative"))
	}
	if len(c.NodeNames) != 0 && len(c.NodeNames) != c.withDefaults().Nodes {
		errs = append(errs, fmt.Errorf("backend: NodeNames has %d names for %d nodes",
			len(c.NodeNames), c.withDefaults().Nodes))
	}
	errs = append(errs, c.validateScaling()...)
	if c.Generation < 0 || c.Generation > MaxGeneration {
		errs = append(errs, fmt.Errorf("backend: Generation %d: want 1..%d", c.Generation, MaxGeneration))
	}
	errs = append(errs, c.Throttle.Validate(), c.Detect.Validate())
	return errors.Join(errs...)
}

func (c Config) validateScaling() []error {
	d := c.withDefaults()
	var errs []error
	switch d.Scaling {
	case ScalingManual, ScalingAutoscale:
	case ScalingElastic:
		if c.ScalerURL == "" {
			errs = append(errs, errors.New("backend: ScalerURL is required with elastic scaling"))
		}
	default:
		errs = append(errs, fmt.Errorf("backend: Scaling %q: want %s, %s or %s", c.Scaling,
			ScalingManual, ScalingElastic, ScalingAutoscale))
	}
	if err := d.throughput().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("backend: %w", err))
	}
	return errs
}

func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setInt(&c.Nodes, DefaultNodes)
	setInt(&c.MaxDirty, DefaultMaxDirty)
	setInt(&c.MaxQueuedEvents, DefaultMaxQueuedEvents)
	setInt(&c.FlushConcurrency, DefaultFlushConcurrency)
	setInt(&c.MaxCachedDocs, DefaultMaxCachedDocs)
	setInt(&c.Generation, MaxGeneration)
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	setInt(&c.FlushEvents, DefaultFlushEvents)
	if c.MaxFlushDelay == 0 {
		c.MaxFlushDelay = flushDelayIntervals * c.FlushInterval
	}
	setInt(&c.MaxUnstoredEvents, DefaultMaxUnstoredEvents)
	if c.MaxUnstoredAge == 0 {
		c.MaxUnstoredAge = max(unstoredAgeFlushDelays*c.MaxFlushDelay, minDefaultUnstoredAge)
	}
	if c.Scaling == "" {
		c.Scaling = ScalingManual
	}
	if c.ManualRU == 0 {
		c.ManualRU = DefaultManualRU
	}
	if c.AutoscaleMaxRU == 0 {
		c.AutoscaleMaxRU = DefaultAutoscaleMaxRU
	}
	if c.Transport == nil {
		c.Transport = defaultHTTPClient()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.NodeNames) == 0 {
		for i := range c.Nodes {
			c.NodeNames = append(c.NodeNames, fmt.Sprintf("n%d", i))
		}
	}
	return c
}

// defaultHTTPClient is the Cosmos DB HTTP client of every backend without Config.Transport,
// made once per process. The SDK's own default keeps 10 idle connections per host: with
// more concurrent writes than that (FlushConcurrency per node, several nodes), connections
// past the tenth are closed after their request and dialled again, and the transport's
// idle-pool lock was the largest lock wait of a run at 100,000 events/s (half of it).
var defaultHTTPClient = sync.OnceValue(func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 0 // no limit across hosts; per host below
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	// As the SDK's default: ping an HTTP/2 connection idle for 10 s, drop it if no answer in 5 s.
	t.HTTP2 = &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second}
	return &http.Client{Transport: t}
})

// maxIdleConnsPerHost covers DefaultFlushConcurrency writes on each of several nodes of a
// process to the same endpoint.
const maxIdleConnsPerHost = 512

// throughput is what onboarding provisions per container.
func (c Config) throughput() store.Throughput {
	if c.Scaling == ScalingAutoscale {
		return store.Throughput{Mode: store.ModeAutoscale, RU: c.AutoscaleMaxRU}
	}
	return store.Throughput{Mode: store.ModeManual, RU: c.ManualRU}
}
