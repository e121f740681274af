package runner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/reports"
)

// TestEmbeddedEndToEnd runs a few seconds of a scenario on the real parts: emulator with
// throttling, two backends (manual and autoscale) and the sensor fleet, with a burst and an
// upgrade, and checks what a user relies on: every acknowledged event is stored, the
// sensors' count of acknowledged events matches the backend's, and the run passes.
func TestEmbeddedEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	s := mustParse(t, `
name: e2e
duration: 4s
drain: 30s
tenants:
  - {name: manual, size: tiny, rate: 300}
  - {name: auto, size: tiny, rate: 300, scaling: {policy: autoscale, maxRU: 10000}}
backend:
  flushInterval: 250ms
  scaling: {policy: manual, ru: 4000}
timeline:
  - {at: 1s, action: burst, duration: 1s, multiplier: 2}
  - {at: 2s, action: upgrade, schemaVersion: 2}
thresholds:
  events_acked: [count>0]
  ingest_latency: [p(99)<10s]
`)
	res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
		OutDir: t.TempDir()})
	require.NoError(t, err)
	sum := res.Summary
	require.True(t, res.Passed, "invariants %+v thresholds %+v", sum.Invariants, sum.Thresholds)

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
	var conservation reports.InvariantResult
	for _, inv := range sum.Invariants {
		if inv.Name == InvariantConservation {
			conservation = inv
		}
	}
	require.Equal(t, reports.VerdictPass, conservation.Verdict, conservation.Message)

	var policies []string
	for _, c := range sum.Costs {
		policies = append(policies, c.Policy)
		require.Positive(t, c.RUHours, "policy %s billed nothing", c.Policy)
	}
	require.ElementsMatch(t, []string{"manual", "autoscale"}, policies)
	require.NotEmpty(t, sum.Migrations, "the upgrade must report migrations")
}
