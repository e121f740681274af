package runner

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// Reasons an external backend target cannot run something.
const (
	noBackendAccount = "the external backend's Cosmos DB account is its own: its regions, " +
		"backups and write regions cannot be driven from here"
	noBackendScaling = "the external backend's scaling policy is set by its own flags " +
		"(stampede backend --scaling), not by the scenario"
)

// EventUnmeasured is the summary event that lists what a run could not measure.
const EventUnmeasured = "unmeasured"

// externalUnmeasured are the metrics only the embedded emulator and the runner's own
// Cosmos DB client record: against an external backend they are missing, never zero.
var externalUnmeasured = []string{reports.MetricRUConsumed, reports.MetricRUProvisioned,
	reports.MetricPartitions, reports.MetricDocsBySchema, reports.MetricScaleActions,
	reports.MetricReplicationLag, reports.MetricRegionUp, reports.MetricFailoverRTO,
	reports.MetricFailoverRPO, reports.MetricFailoverRPOAge}

// statsTimeout bounds one read of the external backend's counters, within the second
// between samples.
const statsTimeout = 900 * time.Millisecond

// externalBackendCapabilities is what a run against an external backend can do: sensors,
// upgrades and node restarts over the admin API, nothing of the account.
func externalBackendCapabilities() Capabilities {
	caps := Capabilities{Unsupported: map[string]string{
		FeatureRegions:                             noBackendAccount,
		FeatureMultiRegionWrites:                   noBackendAccount,
		ScalingFeature(scenarios.ScalingElastic):   noBackendScaling,
		ScalingFeature(scenarios.ScalingAutoscale): noBackendScaling,
	}}
	for _, a := range []string{scenarios.ActionRegionDown, scenarios.ActionRegionUp,
		scenarios.ActionFailover, scenarios.ActionBackup, scenarios.ActionRestore} {
		caps.Unsupported[a] = noBackendAccount
	}
	for _, m := range externalUnmeasured {
		caps.Unsupported[MetricFeature(m)] = "the Cosmos DB account, documents and scaler " +
			"of an external backend are not read from here: " + m + " is not measured"
	}
	return caps
}

// startExternalBackend onboards the scenario's tenants on the backend at
// s.Target.BackendURL over its admin API and starts the sensors against it.
func startExternalBackend(ctx context.Context, s *scenarios.Scenario, env Env) (*Parts, error) {
	tokenEnv := s.Target.AdminTokenEnv
	token := env.Getenv(tokenEnv)
	if token == "" {
		return nil, fmt.Errorf("target.adminTokenEnv: environment variable %s is empty", tokenEnv)
	}
	admin := newAdminClient(s.Target.BackendURL, token, tokenEnv)
	eb := &externalBackend{admin: admin, log: env.Logger, tenants: map[string]bool{},
		sampler: &backendsSampler{log: env.Logger}}
	parts, err := eb.start(ctx, s, env)
	if err != nil {
		admin.close()
		return nil, err
	}
	return parts, nil
}

func (eb *externalBackend) start(ctx context.Context, s *scenarios.Scenario,
	env Env) (*Parts, error) {
	tenants, err := planTenants(s)
	if err != nil {
		return nil, err
	}
	statsCtx, cancel := context.WithTimeout(ctx, adminCallTimeout)
	base, err := eb.admin.stats(statsCtx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("external backend %s: %w", s.Target.BackendURL, err)
	}
	eb.baseline = base
	eb.sampler.startFrom(base)
	targets := map[string]fleetTarget{}
	for _, t := range tenants {
		info, err := eb.admin.onboard(ctx, backend.TenantSpec{ID: t.id, Sensors: t.sensorIDs(),
			WorkStart: t.org.WorkStart, WorkEnd: t.org.WorkEnd,
			UTCOffsetHours: int(t.org.UTCOffset / time.Hour)})
		if err != nil {
			return nil, fmt.Errorf("onboard tenant %s: %w", t.id, err)
		}
		eb.tenants[t.id] = true
		targets[t.id] = fleetTarget{url: eb.admin.base, tokens: info.Tokens}
	}
	sensors, err := newSensors(s, tenants, targets, NewLoadPlan(s), env)
	if err != nil {
		return nil, fmt.Errorf("sensor fleet: %w", err)
	}
	eb.sensors = sensors
	return &Parts{Database: externalAccount{}, Backend: eb, Sensors: sensors,
		Samplers: []Sampler{eb},
		Close:    func(context.Context) error { eb.admin.close(); return nil }}, nil
}

// externalAccount is the Cosmos DB account of an external backend: not known here.
type externalAccount struct{}

func (externalAccount) Endpoint() string { return "" }

// externalBackend is a backend in another process, driven over its admin API. Its tenants
// stay onboarded after the run, as the embedded run leaves its account as it is.
type externalBackend struct {
	admin    *adminClient
	log      *slog.Logger
	tenants  map[string]bool // onboarded by this run; others of the backend are not checked
	baseline backend.Stats   // the counters before this run
	sensors  *sensorsPart

	mu          sync.Mutex // serialises sampling
	sampler     *backendsSampler
	statsFailed int // samples missed because the counters could not be read
}

var (
	_ Backend       = (*externalBackend)(nil)
	_ Upgrader      = (*externalBackend)(nil)
	_ NodeRestarter = (*externalBackend)(nil)
	_ Finisher      = (*externalBackend)(nil)
	_ Sampler       = (*externalBackend)(nil)
)

func (eb *externalBackend) IngestURL() string { return eb.admin.base }

// Drain asks the backend to store everything it acknowledged.
func (eb *externalBackend) Drain(ctx context.Context) error { return eb.admin.drain(ctx) }

// Conservation asks the backend to compare stored counters with acknowledged events, for
// the tenants of this run.
func (eb *externalBackend) Conservation(ctx context.Context) ([]TenantConservation, error) {
	rep, err := eb.admin.conservation(ctx)
	if err != nil {
		return nil, err
	}
	var missing []string
	for id := range eb.tenants {
		if _, ok := rep.Tenants[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("the backend no longer serves tenants %s (restarted, or "+
			"offboarded during the run?)", strings.Join(missing, ", "))
	}
	return conservationOf(rep, func(id string) bool { return eb.tenants[id] }), nil
}

// Upgrade deploys a schema generation on the backend.
func (eb *externalBackend) Upgrade(ctx context.Context, version int) error {
	return eb.admin.upgrade(ctx, version)
}

// RestartNode restarts one node of the backend and says what it stored or dropped.
func (eb *externalBackend) RestartNode(ctx context.Context, restart NodeRestart) (RestartOutcome,
	error) {
	rep, err := eb.admin.restartNode(ctx, restart)
	out := RestartOutcome{Stored: rep.Stored, Dropped: rep.Dropped, Down: rep.Down}
	if rep.Node != "" {
		out.Details = restartNote(restart.Node, rep)
	}
	return out, err
}

// Sample reads the backend's counters and records the same backend series as an embedded
// run. A second whose counters cannot be read is missing from the series.
func (eb *externalBackend) Sample(rec *reports.Recorder) {
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	st, err := eb.admin.stats(ctx)
	eb.mu.Lock()
	defer eb.mu.Unlock()
	if err != nil {
		if eb.statsFailed == 0 {
			eb.log.Warn("external backend counters not read; the second is missing", "err", err)
		}
		eb.statsFailed++
		return
	}
	eb.sampler.record(rec, []backend.Stats{st})
}

// Finish scores detections per kind from the backend's counters (its stored alerts are not
// read from here) and lists what the run could not measure.
func (eb *externalBackend) Finish(ctx context.Context, s *reports.Summary) {
	if truth := eb.sensors.GroundTruth(); len(truth) > 0 {
		if st, err := eb.admin.stats(ctx); err != nil {
			eb.log.Warn("detections not scored", "err", err)
		} else {
			s.Detections = detectionsByKind(truth, counterDelta(eb.baseline.Detections,
				st.Detections))
		}
	}
	eb.mu.Lock()
	failed := eb.statsFailed
	eb.mu.Unlock()
	msg := "not measured against an external backend: " + strings.Join(externalUnmeasured,
		", ") + "; documents left at an older schema version; detections matched per " +
		"alert kind only"
	if failed > 0 {
		msg += fmt.Sprintf("; %d samples of the backend's counters missed", failed)
	}
	s.Events = append(s.Events, reports.Event{Kind: EventUnmeasured, Message: msg})
}

// counterDelta is now minus before, per key, for counters that only grow.
func counterDelta(before, now map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(now))
	for k, n := range now {
		if d := n - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// startFrom makes the first sample count from the backend's counters at st, not from 0:
// an external backend has usually served before this run.
func (bs *backendsSampler) startFrom(st backend.Stats) {
	bs.last = sumOf([]backend.Stats{st})
	bs.flushSeen = []*hdr.Snapshot{st.FlushLatency}
	seen := map[backend.CosmosOp]*backend.LatencyHistogram{}
	for k, op := range st.Cosmos {
		seen[k] = op.All()
	}
	bs.cosmosSeen = []map[backend.CosmosOp]*backend.LatencyHistogram{seen}
}
