package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/backend/scaler"
	"github.com/stampede-load/stampede/backend/throttle"
)

func init() {
	commands["backend"] = command{
		summary: "run the reference backend against a Cosmos DB endpoint until interrupted",
		run:     runBackend,
	}
}

// backendFlags are the flags of `stampede backend`.
type backendFlags struct {
	cosmos, key, listen, regions, scaling, scalerURL, scalerListen string
	prefix, tokensOut, adminToken, mirror, mirrorKey               string
	nodes, generation, maxRetries, maxUnstored                     int
	ru, maxRU, ceiling                                             int
	flush, maxWait, drainTimeout, requestTimeout, maxUnstoredAge   time.Duration
	insecureTLS                                                    bool
	onboard                                                        multiFlag
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func (f *backendFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cosmos, "cosmos", "", "Cosmos DB account endpoint, e.g. http://127.0.0.1:8081 (required)")
	fs.StringVar(&f.key, "key", "", "account key (default $STAMPEDE_COSMOS_KEY)")
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "ingest and metrics listen address")
	fs.StringVar(&f.regions, "preferred-regions", "", "comma-separated preferred regions, e.g. 'East US,West US'")
	fs.IntVar(&f.nodes, "nodes", backend.DefaultNodes, "backend nodes sharing the work by entity")
	fs.DurationVar(&f.flush, "flush-interval", backend.DefaultFlushInterval, "write-behind flush interval")
	fs.StringVar(&f.scaling, "scaling", backend.ScalingManual, "scaling policy: manual, elastic or autoscale")
	fs.IntVar(&f.ru, "ru", backend.DefaultManualRU, "manual RU/s per container (manual, elastic)")
	fs.IntVar(&f.maxRU, "max-ru", backend.DefaultAutoscaleMaxRU, "autoscale maximum RU/s per container")
	fs.StringVar(&f.scalerURL, "scaler", "", "elastic scaler URL (elastic; or use --scaler-listen)")
	fs.StringVar(&f.scalerListen, "scaler-listen", "", "also run the elastic scaler service on this address")
	fs.IntVar(&f.ceiling, "scaler-ceiling", scaler.DefaultCeiling, "most RU/s the embedded scaler sets")
	fs.IntVar(&f.generation, "generation", backend.MaxGeneration,
		fmt.Sprintf("schema generation to write, 1..%d", backend.MaxGeneration))
	fs.IntVar(&f.maxRetries, "max-retries", throttle.DefaultMaxRetries, "429 retries per request (-1: none)")
	fs.DurationVar(&f.maxWait, "max-wait", throttle.DefaultMaxWait, "most time one request waits on 429s")
	fs.DurationVar(&f.requestTimeout, "request-timeout", backend.DefaultRequestTimeout,
		"bound of one HTTP attempt to Cosmos DB (a silent region fails writes fast; -1ns: none)")
	fs.IntVar(&f.maxUnstored, "max-unstored-events", backend.DefaultMaxUnstoredEvents,
		"acknowledged events not yet stored at which ingest answers 503")
	fs.DurationVar(&f.maxUnstoredAge, "max-unstored-age", 0, "age of the oldest unstored change at "+
		"which ingest answers 503 (default twice the write-behind window, at least 2m)")
	fs.StringVar(&f.prefix, "database-prefix", "", "prefix of tenant database names")
	fs.StringVar(&f.mirror, "mirror", "", "second account (another region) that keeps tenant and sensor "+
		"configuration; a new empty primary is rebuilt from it")
	fs.StringVar(&f.mirrorKey, "mirror-key", "", "key of the --mirror account (default $STAMPEDE_MIRROR_KEY)")
	fs.Var(&f.onboard, "onboard", "onboard TENANT:SENSOR,SENSOR,... (or TENANT:N for the simulator's "+
		"dc001..dcN) at start; repeatable")
	fs.StringVar(&f.tokensOut, "tokens-out", "", "write issued tokens as 'TENANT SENSOR TOKEN' lines "+
		"(the format of 'stampede sensors --tokens')")
	fs.StringVar(&f.adminToken, "admin-token", "", "enable /v1/admin/ with this bearer token "+
		"(default $STAMPEDE_ADMIN_TOKEN)")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", 30*time.Second, "how long shutdown waits to store "+
		"acknowledged events")
	fs.BoolVar(&f.insecureTLS, "insecure-tls", false, "accept a self-signed Cosmos DB certificate (emulators)")
}

// parseOnboard reads the --onboard values.
func (f *backendFlags) parseOnboard() ([]backend.TenantSpec, error) {
	var specs []backend.TenantSpec
	var errs []error
	for _, v := range f.onboard {
		tenant, sensors, ok := strings.Cut(v, ":")
		if !ok || sensors == "" {
			errs = append(errs, fmt.Errorf("--onboard %q: want TENANT:SENSOR,SENSOR,...", v))
			continue
		}
		spec := backend.TenantSpec{ID: tenant, Sensors: strings.Split(sensors, ",")}
		if n, err := strconv.Atoi(sensors); err == nil {
			if n < 1 || n > 10_000 {
				errs = append(errs, fmt.Errorf("--onboard %q: want 1..10000 sensors", v))
				continue
			}
			// A count names the sensors as the simulator does: dc001, dc002, ...
			spec.Sensors = spec.Sensors[:0]
			for i := range n {
				spec.Sensors = append(spec.Sensors, fmt.Sprintf("dc%03d", i+1))
			}
		}
		if err := spec.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("--onboard %q: %w", v, err))
		}
		specs = append(specs, spec)
	}
	return specs, errors.Join(errs...)
}

func (f *backendFlags) config(logger *slog.Logger) backend.Config {
	cfg := backend.Config{Endpoint: f.cosmos, Key: f.key, Nodes: f.nodes, FlushInterval: f.flush,
		Scaling: f.scaling, ManualRU: int32(f.ru), AutoscaleMaxRU: int32(f.maxRU),
		ScalerURL: f.scalerURL, Generation: f.generation, DatabasePrefix: f.prefix, Logger: logger,
		Throttle:       throttle.Config{MaxRetries: f.maxRetries, MaxWait: f.maxWait},
		RequestTimeout: f.requestTimeout, MaxUnstoredEvents: f.maxUnstored,
		MaxUnstoredAge: f.maxUnstoredAge,
	}
	if f.regions != "" {
		for _, r := range strings.Split(f.regions, ",") {
			cfg.PreferredRegions = append(cfg.PreferredRegions, strings.TrimSpace(r))
		}
	}
	if f.insecureTLS {
		cfg.Transport = insecureTransport()
	}
	if f.mirror != "" {
		cfg.Mirror = &backend.Mirror{Endpoint: f.mirror, Key: f.mirrorKey}
	}
	return cfg
}

func insecureTransport() policy.Transporter {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // opt-in, for emulators
	return &http.Client{Transport: t, Timeout: 65 * time.Second}
}

// runBackend serves the backend until ctx ends, then drains and stops.
func runBackend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backend", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f backendFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInput(fmt.Errorf("backend: unexpected argument %q", fs.Arg(0)))
	}
	f.key = firstNonEmpty(f.key, os.Getenv("STAMPEDE_COSMOS_KEY"))
	f.adminToken = firstNonEmpty(f.adminToken, os.Getenv("STAMPEDE_ADMIN_TOKEN"))
	f.mirrorKey = firstNonEmpty(f.mirrorKey, os.Getenv("STAMPEDE_MIRROR_KEY"))
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	specs, err := f.parseOnboard()
	if f.scaling == backend.ScalingElastic && f.scalerURL == "" && f.scalerListen != "" {
		f.scalerURL = "http://" + f.scalerListen // placeholder for validation; set once listening
	}
	cfg := f.config(logger)
	if err := errors.Join(err, cfg.Validate()); err != nil {
		return badInput(err)
	}
	return serveBackend(ctx, &f, cfg, specs, stdout, logger)
}

func serveBackend(ctx context.Context, f *backendFlags, cfg backend.Config, specs []backend.TenantSpec,
	stdout io.Writer, logger *slog.Logger) error {
	var servers []*http.Server
	defer func() {
		for _, s := range servers {
			shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = s.Shutdown(shut)
			cancel()
		}
	}()
	if f.scalerListen != "" {
		url, srv, err := startScaler(ctx, f, cfg, logger)
		if err != nil {
			return err
		}
		servers = append(servers, srv)
		cfg.ScalerURL = url
	}
	b, err := backend.New(cfg)
	if err != nil {
		return badInput(err)
	}
	defer b.Close()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := b.Start(startCtx); err != nil {
		return fmt.Errorf("backend: %w", err)
	}
	if err := onboardAll(startCtx, b, specs, f.tokensOut); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/", b.Handler())
	mux.Handle("/v1/admin/", b.AdminHandler(f.adminToken))
	srv, addr, err := listen(f.listen, mux)
	if err != nil {
		return err
	}
	servers = append(servers, srv)
	fmt.Fprintf(stdout, "backend ready: ingest=http://%s%s\n", addr, "/v1/ingest/batches")
	<-ctx.Done()
	drainCtx, cancelDrain := context.WithTimeout(context.Background(), f.drainTimeout)
	defer cancelDrain()
	if err := b.Drain(drainCtx); err != nil {
		return fmt.Errorf("backend: shutdown: %w", err)
	}
	return nil
}

// startScaler runs the elastic scaler service with its own Cosmos DB client.
func startScaler(ctx context.Context, f *backendFlags, cfg backend.Config,
	logger *slog.Logger) (string, *http.Server, error) {
	cred, err := azcosmos.NewKeyCredential(cfg.Key)
	if err != nil {
		return "", nil, badInput(fmt.Errorf("--key: %w", err))
	}
	pol, err := throttle.New(throttle.Config{})
	if err != nil {
		return "", nil, err
	}
	opts := &azcosmos.ClientOptions{PreferredRegions: cfg.PreferredRegions}
	opts.Transport = cfg.Transport
	throttle.Install(opts, pol)
	client, err := azcosmos.NewClientWithKey(cfg.Endpoint, cred, opts)
	if err != nil {
		return "", nil, fmt.Errorf("scaler: %w", err)
	}
	sc, err := scaler.New(scaler.Config{Client: client, Ceiling: int32(f.ceiling), Logger: logger})
	if err != nil {
		return "", nil, badInput(err)
	}
	go func() { _ = sc.Run(ctx) }()
	srv, addr, err := listen(f.scalerListen, sc.Handler())
	if err != nil {
		return "", nil, err
	}
	return "http://" + addr, srv, nil
}

func onboardAll(ctx context.Context, b *backend.Backend, specs []backend.TenantSpec, tokensOut string) error {
	var lines []string
	for _, spec := range specs {
		info, err := b.Onboard(ctx, spec)
		if err != nil {
			return fmt.Errorf("backend: %w", err)
		}
		for sensor, token := range info.Tokens {
			lines = append(lines, info.ID+" "+sensor+" "+token)
		}
	}
	if tokensOut == "" || len(lines) == 0 {
		return nil
	}
	sort.Strings(lines)
	if err := os.WriteFile(tokensOut, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("backend: tokens: %w", err)
	}
	return nil
}

func listen(addr string, h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", badInput(fmt.Errorf("listen %s: %w", addr, err))
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln.Addr().String(), nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
