package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/backend/scaler"
	"github.com/stampede-load/stampede/backend/throttle"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// backendPart is one reference backend serving its ingest API on a loopback port. A run
// has one per scaling policy in use, so that policies can be compared side by side on the
// same load.
type backendPart struct {
	b       *backend.Backend
	url     string
	policy  string
	prefix  string // of its tenants' databases
	tenants map[string]backend.TenantInfo
	scaler  *scaler.Scaler // nil unless the policy is elastic
}

// backends starts one backend per distinct scaling policy of the tenants, each with the
// elastic scaler service when its policy is elastic, and onboards the tenants.
func (st *startup) backends(ctx context.Context, endpoint, key string,
	tenants []tenantPlan) (*backendGroup, error) {
	client, err := newCosmosClient(endpoint, key)
	if err != nil {
		return nil, err
	}
	g := &backendGroup{log: st.env.Logger, startVersion: st.s.Backend.SchemaVersion,
		client: client, compression: st.s.Clock.Compression}
	for _, group := range byPolicy(tenants) {
		p, err := st.backend(ctx, endpoint, key, group)
		if err != nil {
			return nil, err
		}
		g.parts = append(g.parts, p)
	}
	return g, nil
}

func (st *startup) backend(ctx context.Context, endpoint, key string,
	tenants []tenantPlan) (*backendPart, error) {
	s, scaling := st.s, tenants[0].scaling
	cfg := backend.Config{Endpoint: endpoint, Key: key, Nodes: s.Backend.Nodes,
		FlushInterval: s.Backend.FlushInterval.D(), FlushConcurrency: s.Backend.FlushConcurrency,
		Throttle: throttle.Config{MaxRetries: retries(s.Backend.Throttle.MaxAttempts),
			MaxWait: s.Backend.Throttle.MaxWait.D()},
		Scaling: scaling.Policy, ManualRU: int32(scaling.RU), AutoscaleMaxRU: int32(scaling.MaxRU),
		Generation: s.Backend.SchemaVersion, DatabasePrefix: databasePrefix(scaling),
		Now: st.env.Clock.Now, Logger: st.env.Logger}
	p := &backendPart{policy: scaling.Policy, prefix: cfg.DatabasePrefix,
		tenants: map[string]backend.TenantInfo{}}
	if ru := st.ruAccounting(); ru != nil {
		ru.notePolicy(cfg.DatabasePrefix, scaling.Policy)
	}
	if scaling.Policy == scenarios.ScalingElastic {
		sc, url, err := st.scaler(ctx, endpoint, key, scaling)
		if err != nil {
			return nil, err
		}
		p.scaler, cfg.ScalerURL = sc, url
	}
	b, err := backend.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("backend %s: %w", scaling.Policy, err)
	}
	p.b = b
	st.onClose(func(context.Context) error { return b.Close() })
	if err := b.Start(ctx); err != nil {
		return nil, fmt.Errorf("start backend %s: %w", scaling.Policy, err)
	}
	for _, t := range tenants {
		info, err := b.Onboard(ctx, backend.TenantSpec{ID: t.id, Sensors: t.sensorIDs(),
			WorkStart: t.org.WorkStart, WorkEnd: t.org.WorkEnd,
			UTCOffsetHours: int(t.org.UTCOffset / time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("onboard tenant %s: %w", t.id, err)
		}
		p.tenants[t.id] = info
	}
	p.url, err = st.serve(b.Handler())
	return p, err
}

// retries converts attempts per request to the throttle policy's retries (-1: none).
func retries(attempts int) int {
	if attempts <= 1 {
		return -1
	}
	return attempts - 1
}

// databasePrefix keeps the databases of backends with different policies apart.
func databasePrefix(s scenarios.Scaling) string {
	return fmt.Sprintf("%s%d-", s.Policy, max(s.RU, s.MaxRU))
}

// scaler starts the elastic scaler service with its own client and HTTP endpoint.
func (st *startup) scaler(ctx context.Context, endpoint, key string,
	s scenarios.Scaling) (*scaler.Scaler, string, error) {
	client, err := newCosmosClient(endpoint, key)
	if err != nil {
		return nil, "", fmt.Errorf("scaler: %w", err)
	}
	sc, err := scaler.New(scaler.Config{Client: client, Window: s.Window.D(),
		Ceiling: int32(s.MaxRU), Floor: int32(min(s.RU, 400)), Now: st.env.Clock.Now,
		Logger: st.env.Logger})
	if err != nil {
		return nil, "", err
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { defer close(done); _ = sc.Run(runCtx) }()
	st.onClose(func(context.Context) error { stop(); <-done; return nil })
	url, err := st.serve(sc.Handler())
	return sc, url, err
}

// newCosmosClient returns a client with the backend's throttle policy installed.
func newCosmosClient(endpoint, key string) (*azcosmos.Client, error) {
	cred, err := azcosmos.NewKeyCredential(key)
	if err != nil {
		return nil, fmt.Errorf("cosmos credential: %w", err)
	}
	pol, err := throttle.New(throttle.Config{})
	if err != nil {
		return nil, err
	}
	opts := &azcosmos.ClientOptions{}
	opts.Telemetry.Disabled = true
	throttle.Install(opts, pol)
	client, err := azcosmos.NewClientWithKey(endpoint, cred, opts)
	if err != nil {
		return nil, fmt.Errorf("cosmos client: %w", err)
	}
	return client, nil
}

// serve serves h on a free loopback port until the parts close.
func (st *startup) serve(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	st.onClose(srv.Shutdown)
	return "http://" + ln.Addr().String(), nil
}

// backendGroup drives every backend of the run as one.
type backendGroup struct {
	client       *azcosmos.Client // the runner's own, to read documents back
	parts        []*backendPart
	startVersion int     // schema version before any upgrade
	compression  float64 // of the scenario clock, to turn scenario time into real time
	sensors      *sensorsPart
	log          *slog.Logger
}

var (
	_ Backend       = (*backendGroup)(nil)
	_ Upgrader      = (*backendGroup)(nil)
	_ Finisher      = (*backendGroup)(nil)
	_ NodeRestarter = (*backendGroup)(nil)
)

func (g *backendGroup) IngestURL() string { return g.parts[0].url }

// targets says where each tenant's sensors deliver, with their tokens.
func (g *backendGroup) targets() map[string]fleetTarget {
	out := map[string]fleetTarget{}
	for _, p := range g.parts {
		for id, info := range p.tenants {
			out[id] = fleetTarget{url: p.url, tokens: info.Tokens}
		}
	}
	return out
}

// Drain drains every backend.
func (g *backendGroup) Drain(ctx context.Context) error {
	var errs []error
	for _, p := range g.parts {
		errs = append(errs, p.b.Drain(ctx))
	}
	return errors.Join(errs...)
}

// Conservation reads every stored profile back and compares it with what was acknowledged.
func (g *backendGroup) Conservation(ctx context.Context) ([]TenantConservation, error) {
	var out []TenantConservation
	for _, p := range g.parts {
		rep, err := p.b.VerifyConservation(ctx)
		if err != nil {
			return out, err
		}
		out = append(out, conservationOf(rep, nil)...)
	}
	return out, nil
}

// conservationOf is a backend's conservation report per tenant, of the tenants keep
// accepts (nil: all), sorted.
func conservationOf(rep backend.ConservationReport, keep func(string) bool) []TenantConservation {
	var out []TenantConservation
	for _, id := range slices.Sorted(maps.Keys(rep.Tenants)) {
		if keep != nil && !keep(id) {
			continue
		}
		tc := rep.Tenants[id]
		out = append(out, TenantConservation{Tenant: id, Acked: tc.Acked,
			Stored: tc.Acked - tc.Lost + tc.Extra, EntitiesWrong: int64(tc.Mismatched),
			Extra: tc.Extra, LostToCrash: tc.LostToCrash})
	}
	return out
}

// Upgrade deploys a schema generation on every backend.
func (g *backendGroup) Upgrade(ctx context.Context, version int) error {
	var errs []error
	for _, p := range g.parts {
		errs = append(errs, p.b.Upgrade(ctx, version))
	}
	return errors.Join(errs...)
}

// RestartNode restarts node (from 1) of every backend at once, as one rolling deploy or
// one kill of that node across the deployments the run compares, and says per backend
// what it stored or dropped and how long the node was down.
func (g *backendGroup) RestartNode(ctx context.Context, restart NodeRestart) (RestartOutcome,
	error) {
	opts := backend.RestartOptions{Mode: restart.Mode, Downtime: restart.Downtime,
		GracePeriod: restart.GracePeriod}
	reps := make([]backend.RestartReport, len(g.parts))
	errs := make([]error, len(g.parts))
	var wg sync.WaitGroup
	for i, p := range g.parts {
		wg.Go(func() { reps[i], errs[i] = p.b.RestartNode(ctx, restart.Node-1, opts) })
	}
	wg.Wait()
	var out RestartOutcome
	var notes []string
	for i, rep := range reps {
		out.Stored += rep.Stored
		out.Dropped += rep.Dropped
		out.Down = max(out.Down, rep.Down)
		note := restartNote(restart.Node, rep)
		if len(g.parts) > 1 {
			note = g.parts[i].policy + ": " + note
		}
		notes = append(notes, note)
	}
	out.Details = strings.Join(notes, "; ")
	return out, errors.Join(errs...)
}

// restartNote says what one backend's restart of node (from 1) did.
func restartNote(node int, rep backend.RestartReport) string {
	note := fmt.Sprintf("node %d (%s) %s restart: ", node, rep.Node, rep.Mode)
	switch {
	case rep.Killed:
		note += fmt.Sprintf("%d events stored, then killed past its grace period: "+
			"%d acknowledged events dropped unstored", rep.Stored, rep.Dropped)
	case rep.Mode == backend.RestartCrash:
		note += fmt.Sprintf("%d acknowledged events dropped unstored", rep.Dropped)
	default:
		note += fmt.Sprintf("%d events stored first", rep.Stored)
	}
	return note + ", down " + reports.FormatSeconds(rep.Down.Seconds())
}

// databases lists the tenants' databases of every backend.
func (g *backendGroup) databases() []string {
	var out []string
	for _, p := range g.parts {
		for _, id := range slices.Sorted(maps.Keys(p.tenants)) {
			out = append(out, p.prefix+id)
		}
	}
	return out
}

// stored is the events every backend has stored so far.
func (g *backendGroup) stored() int64 {
	var n int64
	for _, p := range g.parts {
		n += p.b.Stats().EventsStored
	}
	return n
}

// sampler returns the sampler of every backend's counters.
func (g *backendGroup) sampler(s *scenarios.Scenario, env Env) Sampler {
	bs := &backendsSampler{parts: g.parts, log: env.Logger}
	if upgrades(s) {
		bs.versions = &versionCounter{group: g}
	}
	return bs
}

// upgrades says whether the scenario's timeline upgrades the schema version.
func upgrades(s *scenarios.Scenario) bool {
	for _, e := range s.Timeline {
		if e.Action == scenarios.ActionUpgrade {
			return true
		}
	}
	return false
}
