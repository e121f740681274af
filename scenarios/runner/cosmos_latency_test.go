package runner

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// TestCosmosLatencyThresholds runs the embedded parts for a few seconds with thresholds on
// cosmos_latency: each is evaluated against the backend's real Cosmos DB calls, so one
// that the calls meet passes, one they cannot meet fails with the value observed, and one
// on an operation the backend never sends fails for lack of samples.
func TestCosmosLatencyThresholds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	s, err := scenarios.Parse("cosmos-latency.yaml", []byte(`
name: cosmos-latency
duration: 3s
tenants: [{name: a, size: tiny, rate: 300}]
backend: {flushInterval: 250ms}
thresholds:
  "cosmos_latency{op:replace,container:UniqueEntityProfile}": ["p(99)<30s"]
  "cosmos_latency{container:UniqueEntityProfile}": ["max<0.001ms"]
  "cosmos_latency{op:batch}": ["p(50)<1s"]
`))
	require.NoError(t, err)
	res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
		OutDir: t.TempDir()})
	require.NoError(t, err)
	checkAcks(t, res)

	byMetric := map[string]reports.ThresholdResult{}
	for _, th := range res.Summary.Thresholds {
		byMetric[th.Metric] = th
	}
	held := byMetric["cosmos_latency{op:replace,container:UniqueEntityProfile}"]
	require.Equal(t, reports.VerdictPass, held.Verdict, held.Message)
	require.Positive(t, held.Observed, "a p(99) of real calls")

	missed := byMetric["cosmos_latency{container:UniqueEntityProfile}"]
	require.Equal(t, reports.VerdictFail, missed.Verdict)
	require.Greater(t, missed.Observed, 1e-6, missed.Message)

	never := byMetric["cosmos_latency{op:batch}"]
	require.Equal(t, reports.VerdictFail, never.Verdict)
	require.Contains(t, never.Message, "no samples")

	calls, ok := res.Summary.Aggregate(reports.MetricCosmosLatency,
		reports.Labels{"container": "UniqueEntityProfile"}, reports.Aggregation{Name: "count"},
		reports.Window{From: 0, To: res.Summary.Run.DurationSeconds})
	require.True(t, ok)
	require.Positive(t, calls)
}
