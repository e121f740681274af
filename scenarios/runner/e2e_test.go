package runner

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/internal/msemulator"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// TestEmbeddedEndToEnd runs each scenario of testdata/runs for a few seconds on the real
// parts (emulator, backends, sensor fleet) and checks the "# expect:" lines at its top, plus
// what every run must show: the sensors' count of acknowledged events matches the
// backend's, and what the backend acknowledged is what it stored.
func TestEmbeddedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	files, err := filepath.Glob("../testdata/runs/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			s, err := scenarios.Parse(filepath.Base(file), data)
			require.NoError(t, err)
			res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
				OutDir: t.TempDir()})
			require.NoError(t, err)
			checkAcks(t, res)
			for _, want := range expectations(data) {
				checkExpectation(t, res, want)
			}
		})
	}
}

func checkAcks(t *testing.T, res *Result) {
	sum := res.Summary
	acked, _ := sum.Aggregate(reports.MetricEventsAcked, nil, reports.Aggregation{Name: "count"},
		reports.Window{From: 0, To: sum.Run.DurationSeconds})
	require.Positive(t, acked)
	var backendAcked, stored int64
	for _, c := range res.Conservation {
		backendAcked += c.Acked
		stored += c.Stored
	}
	require.Equal(t, int64(acked), backendAcked, "sensors and backend disagree on acks")
	require.Equal(t, backendAcked, stored, "acknowledged events must all be stored")
}

// expectations returns the fields of each "# expect:" line.
func expectations(data []byte) [][]string {
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# expect: "); ok {
			out = append(out, strings.Fields(rest))
		}
	}
	return out
}

func checkExpectation(t *testing.T, res *Result, want []string) {
	sum := res.Summary
	switch want[0] {
	case "verdict":
		require.Equal(t, want[1], sum.Run.Verdict, "invariants %+v thresholds %+v",
			sum.Invariants, sum.Thresholds)
	case "invariant":
		for _, inv := range sum.Invariants {
			if inv.Name == want[1] {
				require.Equal(t, want[2], inv.Verdict, inv.Message)
				return
			}
		}
		t.Fatalf("no invariant %s", want[1])
	case "costs":
		var policies []string
		for _, c := range sum.Costs {
			require.Positive(t, c.RUHours, "policy %s billed nothing", c.Policy)
			policies = append(policies, c.Policy)
		}
		require.ElementsMatch(t, want[1:], policies)
	case "migrations":
		require.NotEmpty(t, sum.Migrations)
	case "failovers":
		n, err := strconv.Atoi(want[1])
		require.NoError(t, err)
		require.Len(t, sum.Failovers, n)
		for _, f := range sum.Failovers {
			require.GreaterOrEqual(t, f.RTOSeconds, 0.0, "the backend never stored again")
		}
	case "rto": // rto MIN MAX: every failover's RTO in seconds lies within [MIN, MAX]
		lo, err := strconv.ParseFloat(want[1], 64)
		require.NoError(t, err)
		hi, err := strconv.ParseFloat(want[2], 64)
		require.NoError(t, err)
		require.NotEmpty(t, sum.Failovers)
		for _, f := range sum.Failovers {
			require.GreaterOrEqual(t, f.RTOSeconds, lo, "%+v", f)
			require.LessOrEqual(t, f.RTOSeconds, hi, "%+v", f)
		}
	case "events":
		kinds := map[string]bool{}
		for _, e := range sum.Events {
			kinds[e.Kind] = true
		}
		for _, k := range want[1:] {
			require.True(t, kinds[k], "no %s event", k)
		}
	case "message":
		checkMessage(t, sum, want[1], strings.Join(want[2:], " "))
	case "series":
		checkSeries(t, sum, want[1], want[2], want[3:])
	default:
		t.Fatalf("unknown expectation %q", want)
	}
}

// checkMessage checks that an event of kind says what it did, and did not fail.
func checkMessage(t *testing.T, sum *reports.Summary, kind, substr string) {
	t.Helper()
	for _, e := range sum.Events {
		if e.Kind == kind {
			require.Contains(t, e.Message, substr)
			require.NotContains(t, e.Message, "failed")
			return
		}
	}
	t.Fatalf("no %s event", kind)
}

// checkSeries checks that the run recorded metric with the labels given as "key=value",
// and that its aggregate agg over the whole run is positive.
func checkSeries(t *testing.T, sum *reports.Summary, metric, agg string, labels []string) {
	t.Helper()
	sel := reports.Labels{}
	for _, kv := range labels {
		k, v, ok := strings.Cut(kv, "=")
		require.True(t, ok, "label %q: want key=value", kv)
		sel[k] = v
	}
	require.NotEmpty(t, sum.Find(metric, sel), "no %s series with labels %v", metric, sel)
	got, ok := sum.Aggregate(metric, sel, reports.Aggregation{Name: agg},
		reports.Window{From: 0, To: sum.Run.DurationSeconds})
	require.True(t, ok, "%s %v: no %s", metric, sel, agg)
	require.Positive(t, got, "%s %v: %s", metric, sel, agg)
}

// TestExternalCosmosTarget runs backend and sensors here against an account this process
// did not start for the run, as with real Azure: an emulator started by the test, its key
// given through the environment variable the scenario names.
func TestExternalCosmosTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	srv, err := emulator.Start(t.Context(), emulator.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	s, err := scenarios.Parse("external.yaml", []byte(`
name: external
duration: 3s
tenants: [{name: a, size: tiny, rate: 200}]
backend: {flushInterval: 250ms}
target:
  kind: external
  cosmos: {endpoint: "`+srv.Endpoint()+`", keyEnv: TEST_COSMOS_KEY}
`))
	require.NoError(t, err)
	getenv := func(name string) string {
		if name == "TEST_COSMOS_KEY" {
			return srv.Key()
		}
		return ""
	}
	res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
		Getenv: getenv})
	require.NoError(t, err)
	checkAcks(t, res)
	require.True(t, res.Passed, "%+v", res.Summary.Invariants)
	require.Contains(t, res.Summary.Environment.Target, srv.Endpoint())

	_, err = Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
		Getenv: func(string) string { return "" }})
	require.ErrorContains(t, err, "TEST_COSMOS_KEY")
}

// TestMicrosoftEmulatorTarget runs backend and sensors against Microsoft's Linux emulator,
// started for the run in Docker. Without a Docker engine the run must fail at once with an
// error that says so, rather than hang or run against something else.
func TestMicrosoftEmulatorTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Microsoft's emulator or checks why it cannot")
	}
	s, err := scenarios.Parse("microsoft.yaml", []byte(`
name: microsoft
duration: 3s
tenants: [{name: a, size: tiny, rate: 100}]
backend: {flushInterval: 250ms}
target:
  kind: external
  cosmos: {emulator: microsoft}
`))
	require.NoError(t, err)
	opts := Options{Scenario: s, Starter: NewEmbeddedStarter()}
	if msemulator.DockerAnswers(t.Context(), msemulator.DefaultPingTimeout) != nil {
		start := time.Now()
		_, err := Run(t.Context(), opts)
		require.ErrorIs(t, err, msemulator.ErrNoDocker)
		require.ErrorContains(t, err, "target.cosmos.emulator microsoft")
		require.Less(t, time.Since(start), 2*msemulator.DefaultPingTimeout)
		t.Skip("no Docker engine: checked only that the run refuses with a clear error")
	}
	res, err := Run(t.Context(), opts)
	require.NoError(t, err)
	checkAcks(t, res)
}
