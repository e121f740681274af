package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// The doubles below let these tests drive the runner's own logic (timeline, phases,
// invariants, abort, run folder) in a few seconds; the real parts are exercised by the
// end-to-end test.

type testSensors struct {
	duration  time.Duration
	failRatio float64 // share of batches reported failed
	maxAcked  int64   // most events acknowledged per 100ms; 0 means no limit
	acked     atomic.Int64
	sent      atomic.Int64
}

func (s *testSensors) Run(ctx context.Context, plan *LoadPlan, rec *reports.Recorder) error {
	sent, _ := rec.Counter(reports.MetricEventsSent, nil)
	acked, _ := rec.Counter(reports.MetricEventsAcked, nil)
	failed, _ := rec.Rate(reports.MetricBatchFailed, nil)
	latency, _ := rec.Trend(reports.MetricIngestLatency, nil)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	last := start
	end := time.After(s.duration)
	// Fractions of an event carry over to the next tick: truncating each tick's share lost
	// up to one event per tick, 5% of the rate when load stretched ticks.
	var due, ackable float64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-end:
			return nil
		case <-tick.C:
		}
		// Amounts follow the time that really passed, so a late tick does not skew rates.
		now := time.Now()
		dt := now.Sub(last).Seconds()
		last = now
		due += 1000 * dt * plan.Multiplier("t", now.Sub(start))
		n := int64(due)
		due -= float64(n)
		a := n
		if s.maxAcked > 0 {
			ackable += float64(s.maxAcked) * 10 * dt
			a = min(n, int64(ackable))
			// Unused capacity is not saved up, only the fraction of an event.
			ackable = min(ackable-float64(a), 1)
		}
		sent.Add(float64(n))
		acked.Add(float64(a))
		latency.Observe(0.01)
		s.sent.Add(n)
		s.acked.Add(a)
		failed.AddN(int64(s.failRatio*10), 10)
	}
}

func (s *testSensors) Totals() Totals {
	return Totals{Sent: s.sent.Load(), Acked: s.acked.Load()}
}

type testBackend struct {
	sensors *testSensors
	lost    int64
	drained atomic.Bool
}

func (b *testBackend) IngestURL() string { return "http://127.0.0.1:1" }

func (b *testBackend) Drain(context.Context) error { b.drained.Store(true); return nil }

func (b *testBackend) Conservation(context.Context) ([]TenantConservation, error) {
	acked := b.sensors.acked.Load()
	return []TenantConservation{{Tenant: "t", Acked: acked, Stored: acked - b.lost}}, nil
}

type testDatabase struct {
	mu      sync.Mutex
	actions []string
	failing string
}

func (d *testDatabase) Endpoint() string { return "http://127.0.0.1:2" }

func (d *testDatabase) act(name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.actions = append(d.actions, name)
	if name == d.failing {
		return errors.New("refused")
	}
	return nil
}

func (d *testDatabase) RegionDown(_ context.Context, region, mode string) error {
	return d.act("down " + region + " " + mode)
}

func (d *testDatabase) RegionUp(_ context.Context, region string) error {
	return d.act("up " + region)
}

func (d *testDatabase) Failover(_ context.Context, region string) error {
	return d.act("failover " + region)
}

type testStarter struct{ parts *Parts }

func (s testStarter) Capabilities(scenarios.Target) Capabilities { return Capabilities{} }

func (s testStarter) Start(context.Context, *scenarios.Scenario, Env) (*Parts, error) {
	return s.parts, nil
}

func newTestParts(s *scenarios.Scenario, failRatio float64,
	lost int64) (*Parts, *testDatabase, *testBackend) {
	sensors := &testSensors{duration: s.Duration.D(), failRatio: failRatio}
	be := &testBackend{sensors: sensors, lost: lost}
	db := &testDatabase{}
	return &Parts{Database: db, Backend: be, Sensors: sensors,
		Close: func(context.Context) error { return nil }}, db, be
}

const testScenario = `
name: runner-test
duration: 3s
drain: 2s
account: {regions: [a, b]}
tenants: [{name: t, rate: 1000}]
timeline:
  - {at: 1s, action: burst, duration: 1s, multiplier: 3}
  - {at: 1500ms, action: region-down, region: a, duration: 1s, name: outage}
  - {at: 1600ms, action: failover, region: b}
thresholds:
  events_acked: [count>100]
  batch_failed:
    - {threshold: rate<0.5, abortOnFail: true, delayAbortEval: 1s}
`

func TestRunPasses(t *testing.T) {
	t.Parallel()
	s := mustParse(t, testScenario)
	parts, db, be := newTestParts(s, 0, 0)
	out := t.TempDir()
	var progress bytes.Buffer
	res, err := Run(t.Context(), Options{Scenario: s, Starter: testStarter{parts}, OutDir: out,
		Progress: &progress, ProgressEvery: time.Second})
	require.NoError(t, err)
	require.True(t, res.Passed, "summary: %+v %+v", res.Summary.Invariants,
		res.Summary.Thresholds)
	require.True(t, be.drained.Load())
	require.Equal(t, []string{"down a refuse", "failover b", "up a"}, db.actions)

	var phases []string
	for _, p := range res.Summary.Phases {
		phases = append(phases, p.Name)
	}
	require.Equal(t, []string{"steady", "burst", "outage", "failover"}, phases)
	require.Contains(t, progress.String(), "sent")

	for _, f := range []string{reports.FileJUnit, reports.FileMarkdown, reports.FileHTML,
		"scenario.yaml"} {
		require.FileExists(t, filepath.Join(out, f))
	}
	data, err := os.ReadFile(filepath.Join(out, reports.FileSummaryJSON))
	require.NoError(t, err)
	back, err := reports.ReadJSON(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, reports.VerdictPass, back.Run.Verdict)
	require.Equal(t, "runner-test", back.Scenario.Name)
	_, err = scenarios.Parse("effective", []byte(back.Scenario.Effective))
	require.NoError(t, err, "the effective scenario in summary.json must load back")
}

func TestRunFailsOnLostEvents(t *testing.T) {
	t.Parallel()
	s := mustParse(t, testScenario)
	parts, _, _ := newTestParts(s, 0, 5)
	res, err := Run(t.Context(), Options{Scenario: s, Starter: testStarter{parts}})
	require.NoError(t, err)
	require.False(t, res.Passed)
	verdicts := map[string]string{}
	for _, inv := range res.Summary.Invariants {
		verdicts[inv.Name] = inv.Verdict
	}
	require.Equal(t, reports.VerdictFail, verdicts[reports.InvariantEventsLost])
	require.Equal(t, reports.VerdictFail, verdicts[InvariantConservation])
	require.Equal(t, reports.VerdictPass, verdicts[InvariantTimeline])
}

func TestRunAbortsOnFail(t *testing.T) {
	t.Parallel()
	s := mustParse(t, testScenario)
	s.Duration = scenarios.Duration(20 * time.Second)
	parts, _, _ := newTestParts(s, 0.8, 0)
	start := time.Now()
	res, err := Run(t.Context(), Options{Scenario: s, Starter: testStarter{parts}})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 15*time.Second, "the run must stop early")
	require.True(t, res.Summary.Run.Aborted)
	require.Contains(t, res.Summary.Run.AbortReason, "batch_failed")
	require.False(t, res.Passed)
}

func TestRunTimelineActionFails(t *testing.T) {
	t.Parallel()
	s := mustParse(t, testScenario)
	parts, db, _ := newTestParts(s, 0, 0)
	db.failing = "failover b"
	res, err := Run(t.Context(), Options{Scenario: s, Starter: testStarter{parts}})
	require.NoError(t, err)
	require.False(t, res.Passed)
	for _, inv := range res.Summary.Invariants {
		if inv.Name == InvariantTimeline {
			require.Equal(t, reports.VerdictFail, inv.Verdict)
			require.Contains(t, inv.Message, "refused")
		}
	}
}

func TestRunRefusesUnsupported(t *testing.T) {
	s := mustParse(t, testScenario)
	parts, _, _ := newTestParts(s, 0, 0)
	starter := capsStarter{testStarter{parts}, Capabilities{Unsupported: map[string]string{
		scenarios.ActionFailover: "no regions in this build"}}}
	_, err := Run(t.Context(), Options{Scenario: s, Starter: starter})
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "timeline[2].action: not supported by this build: no regions")
}

type capsStarter struct {
	testStarter
	caps Capabilities
}

func (c capsStarter) Capabilities(scenarios.Target) Capabilities { return c.caps }

func TestRunCapacitySweep(t *testing.T) {
	t.Parallel()
	s := mustParse(t, `
name: sweep
duration: 12s
drain: 1s
tenants: [{name: t, rate: 1000}]
timeline:
  - {at: 0s, action: sweep, duration: 12s, multiplier: 4, steps: 4}
`)
	parts, _, _ := newTestParts(s, 0, 0)
	parts.Sensors.(*testSensors).maxAcked = 250 // 2500 events/s: steps 1 and 2 keep up
	res, err := Run(t.Context(), Options{Scenario: s, Starter: testStarter{parts}})
	require.NoError(t, err)
	c := res.Capacity
	require.NotNil(t, c)
	require.Len(t, c.Steps, 4)
	var kept []bool
	for _, st := range c.Steps {
		kept = append(kept, st.KeptUp)
	}
	require.Equal(t, []bool{true, true, false, false}, kept, "steps: %+v", c.Steps)
	require.True(t, c.Reached)
	require.InDelta(t, 2000, c.Limit, 400, "the limit is the second step's acked rate")
	require.InDelta(t, 3000, c.Steps[2].Target, 1)
}

func TestRunInterruptedStillReports(t *testing.T) {
	t.Parallel()
	s := mustParse(t, testScenario)
	s.Duration = scenarios.Duration(time.Minute)
	parts, _, _ := newTestParts(s, 0, 0)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	out := t.TempDir()
	res, err := Run(ctx, Options{Scenario: s, Starter: testStarter{parts}, OutDir: out})
	require.ErrorIs(t, err, ErrInterrupted)
	require.NotNil(t, res)
	require.True(t, res.Summary.Run.Aborted)
	require.False(t, res.Passed)
	require.FileExists(t, filepath.Join(out, reports.FileSummaryJSON))
}
