package runner

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend"
	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

const testAdminToken = "admin-s3cret"

// serveExternalBackend serves a backend on an emulator over loopback as `stampede backend`
// does (ingest, stats and the admin API on one listener) and returns its base URL.
func serveExternalBackend(t *testing.T) (*backend.Backend, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	srv, err := emulator.Start(ctx, emulator.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	b, err := backend.New(backend.Config{Endpoint: srv.Endpoint(), Key: srv.Key(), Nodes: 2,
		FlushInterval: 200 * time.Millisecond, Generation: 2})
	require.NoError(t, err)
	require.NoError(t, b.Start(ctx))
	t.Cleanup(func() { _ = b.Close() })
	mux := http.NewServeMux()
	mux.Handle("/", b.Handler())
	mux.Handle("/v1/admin/", b.AdminHandler(testAdminToken))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return b, "http://" + ln.Addr().String()
}

const externalTenants = "tenants: [{name: a, size: tiny, rate: 300}]\n"

func externalScenario(t *testing.T, url, extra string) *scenarios.Scenario {
	t.Helper()
	if !strings.Contains(extra, "tenants:") {
		extra += externalTenants
	}
	s, err := scenarios.Parse("external.yaml", []byte(`
name: external
duration: 4s
drain: 20s
backend: {nodes: 2, schemaVersion: 2}
target: {kind: external, backendURL: "`+url+`", adminTokenEnv: TEST_ADMIN_TOKEN}
`+extra))
	require.NoError(t, err)
	return s
}

func adminEnv(token string) func(string) string {
	return func(k string) string {
		if k == "TEST_ADMIN_TOKEN" {
			return token
		}
		return ""
	}
}

// TestExternalBackendRun runs sensors here against a backend in "another process" (its
// own HTTP listener): the runner onboards over the admin API, samples /v1/stats into the
// backend series, upgrades and restarts a node over the API, drains and checks
// conservation there, for its own tenants only.
func TestExternalBackendRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an emulator, a backend and sensors for a few seconds")
	}
	b, url := serveExternalBackend(t)
	// A tenant of the backend that is not the scenario's: neither checked nor counted.
	_, err := b.Onboard(t.Context(), backend.TenantSpec{ID: "other", Sensors: []string{"s1"}})
	require.NoError(t, err)

	s := externalScenario(t, url, `timeline:
  - {at: 1s, action: upgrade, schemaVersion: 3}
  - {at: 2s, action: restart-node, node: 2, duration: 300ms}
tenants:
  - {name: a, size: tiny, rate: 300, attacks: [{kind: brute-force, at: 1s, duration: 2s}]}
`)
	res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
		Getenv: adminEnv(testAdminToken), OutDir: t.TempDir()})
	require.NoError(t, err)
	sum := res.Summary
	require.Equal(t, reports.VerdictPass, invariant(t, sum, InvariantConservation).Verdict,
		invariant(t, sum, InvariantConservation).Message)
	require.True(t, res.Passed, "%+v", sum.Invariants)
	require.Len(t, res.Conservation, 1)
	require.Equal(t, "a", res.Conservation[0].Tenant)
	checkAcks(t, res)

	require.Equal(t, 3, b.Generation(), "the upgrade reached the backend")
	require.Equal(t, int64(1), b.Stats().NodeRestarts, "the restart reached the backend")
	ends := checkRestartWindows(t, sum, 1, scenarios.RestartGraceful)
	require.Contains(t, ends[0], "node 2 (")

	for _, m := range []string{reports.MetricCosmosRequests, reports.MetricBackendPending,
		reports.MetricFlushLatency, reports.MetricCosmosLatency} {
		require.NotEmpty(t, sum.Find(m, nil), "backend series %s", m)
	}
	requests, _ := sum.Aggregate(reports.MetricCosmosRequests, nil,
		reports.Aggregation{Name: "count"}, reports.Window{From: 0, To: sum.Run.DurationSeconds})
	require.Positive(t, requests)
	require.Empty(t, sum.Find(reports.MetricRUConsumed, nil), "not measured: missing, not 0")
	var unmeasured string
	for _, e := range sum.Events {
		if e.Kind == EventUnmeasured {
			unmeasured = e.Message
		}
	}
	require.Contains(t, unmeasured, reports.MetricRUConsumed)
	require.Len(t, sum.Detections, 1, "scored per kind from the backend's counters")
	require.Equal(t, "brute_force", sum.Detections[0].AttackKind)
	require.Equal(t, int64(1), sum.Detections[0].Injected)
}

// TestExternalBackendFirstSampleCountsThisRun checks the backend's counters from before the
// run are not recorded as the first second's traffic.
func TestExternalBackendFirstSampleCountsThisRun(t *testing.T) {
	bs := &backendsSampler{}
	before := backend.Stats{EventsAcked: 5000, EventsStored: 5000,
		Cosmos: map[backend.CosmosOp]backend.CosmosOpStats{}}
	before.Throttle.Requests = 1000
	bs.startFrom(before)
	now := before
	now.Throttle.Requests = 1007
	now.EventsAcked = 5010
	rec, err := reports.NewRecorder(reports.RecorderConfig{})
	require.NoError(t, err)
	bs.record(rec, []backend.Stats{now})
	var sum reports.Summary
	rec.Fill(&sum)
	got, ok := sum.Aggregate(reports.MetricCosmosRequests, nil, reports.Aggregation{Name: "count"},
		reports.Window{From: 0, To: 1})
	require.True(t, ok)
	require.Equal(t, 7.0, got)
}

func TestExternalBackendStartErrors(t *testing.T) {
	_, url := serveExternalBackend(t)
	s := externalScenario(t, url, "")
	for _, tc := range []struct {
		name, token, want string
	}{
		{"token variable empty", "", "target.adminTokenEnv: environment variable " +
			"TEST_ADMIN_TOKEN is empty"},
		{"wrong token", "not-the-token", "refused the admin token of $TEST_ADMIN_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
				Getenv: adminEnv(tc.token)})
			require.ErrorContains(t, err, tc.want)
		})
	}
	t.Run("restart of a node the backend does not have", func(t *testing.T) {
		admin := newAdminClient(url+"/", testAdminToken, "TEST_ADMIN_TOKEN")
		_, err := admin.restartNode(t.Context(), NodeRestart{Node: 3})
		require.ErrorContains(t, err, "restart node 3 (the admin API counts from 0): POST "+
			"/v1/admin/nodes/2/restart: 400 Bad Request: node 2: want an index from 0 to 1")
	})
	t.Run("backend down", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		down := "http://" + ln.Addr().String()
		require.NoError(t, ln.Close())
		_, err = Run(t.Context(), Options{Scenario: externalScenario(t, down, ""),
			Starter: NewEmbeddedStarter(), Getenv: adminEnv(testAdminToken)})
		require.ErrorContains(t, err, "external backend "+down)
	})
}

// TestExternalBackendCapabilities: what the account of an external backend would have to
// do is refused before anything starts, naming the field.
func TestExternalBackendCapabilities(t *testing.T) {
	s := externalScenario(t, "http://10.0.0.5:8080", `account: {regions: [east, west]}
timeline:
  - {at: 1s, action: failover, region: west}
  - {at: 2s, action: upgrade, schemaVersion: 3}
thresholds:
  "ru_consumed{container:UniqueEntityProfile}": [count<1000000]
  ingest_latency: [p(99)<1s]
`)
	err := Check(s, NewEmbeddedStarter().Capabilities(s.Target))
	require.ErrorIs(t, err, ErrUnsupported)
	var ue *UnsupportedError
	require.True(t, errors.As(err, &ue))
	msg := err.Error()
	for _, want := range []string{"account.regions", "timeline[0].action",
		"thresholds.ru_consumed{container:UniqueEntityProfile}: not supported by this build: " +
			"the Cosmos DB account, documents and scaler of an external backend are not read from here"} {
		require.Contains(t, msg, want)
	}
	require.NotContains(t, msg, "timeline[1]", "upgrade goes over the admin API")
	require.NotContains(t, msg, "ingest_latency")
	require.Len(t, ue.Problems, 3, msg)
	require.False(t, strings.Contains(msg, "target.backendURL"))
}

// TestSkipUnsupportedDropsUnmeasurableThresholds checks that a threshold on a metric this
// target cannot measure is listed as skipped, never evaluated: ru_consumed would read 0
// from an external backend and pass count==0 on nothing.
func TestSkipUnsupportedDropsUnmeasurableThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an emulator, a backend and sensors for a few seconds")
	}
	_, url := serveExternalBackend(t)
	s := externalScenario(t, url, `thresholds:
  ru_consumed: [count==0]
  events_acked: [count>0]
`)
	opts := Options{Scenario: s, Starter: NewEmbeddedStarter(), Getenv: adminEnv(testAdminToken)}
	_, err := Run(t.Context(), opts)
	require.ErrorIs(t, err, ErrUnsupported, "refused without --skip-unsupported")

	opts.SkipUnsupported = true
	res, err := Run(t.Context(), opts)
	require.NoError(t, err)
	var evaluated []string
	for _, th := range res.Summary.Thresholds {
		evaluated = append(evaluated, th.Metric)
	}
	require.Equal(t, []string{reports.MetricEventsAcked}, evaluated)
	skipped := invariant(t, res.Summary, InvariantSkipped)
	require.Contains(t, skipped.Message, "thresholds."+reports.MetricRUConsumed)
}
