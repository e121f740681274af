package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ar1Run is a synthetic run of `metrics` gauges whose per-second values are
// 0.1·(1 + sd·x_t) seconds, with x_t a stationary AR(1) series of coefficient phi and unit
// variance: each gauge is "lower is better", like a latency, and neighbouring seconds are as
// correlated as a GC pause or a hot partition makes real ones. factor multiplies metric 0.
type ar1Run struct {
	seed    uint64
	seconds int
	metrics int
	phi, sd float64
	factor  float64
}

func (r ar1Run) build() *Summary {
	rng := rand.New(rand.NewPCG(r.seed, 0x5eed))
	s := &Summary{Scenario: Scenario{Name: "ar1", Seed: r.seed},
		Run: RunInfo{DurationSeconds: r.seconds}, Phases: []Phase{{"steady", 0, r.seconds}}}
	for m := range r.metrics {
		vals := make(Samples, r.seconds)
		x := rng.NormFloat64()
		for i := range vals {
			x = r.phi*x + math.Sqrt(1-r.phi*r.phi)*rng.NormFloat64()
			vals[i] = 0.1 * (1 + r.sd*x)
			if m == 0 && r.factor != 0 {
				vals[i] *= r.factor
			}
		}
		s.Metrics = append(s.Metrics, Series{Name: ar1MetricName(m), Kind: KindGauge,
			Unit: UnitSeconds, Values: vals})
	}
	return s
}

func ar1MetricName(i int) string { return fmt.Sprintf("latency_%02d", i) }

func ar1Catalog(t testing.TB, metrics int) *Catalog {
	t.Helper()
	c, err := NewCatalog()
	require.NoError(t, err)
	for i := range metrics {
		require.NoError(t, c.Add(MetricDef{Name: ar1MetricName(i), Kind: KindGauge,
			Unit: UnitSeconds, Better: LowerIsBetter, Description: "synthetic"}))
	}
	return c
}

func TestGateCatchesLatencyShiftedThirtyPercent(t *testing.T) {
	base := synthRun{seed: 21, seconds: 120, samples: 30}.build(t)
	slower := synthRun{seed: 22, seconds: 120, samples: 30, latencyFactor: 1.3}.build(t)
	c, err := Compare(base, slower, CompareConfig{})
	require.NoError(t, err)
	require.True(t, c.Regressed(), "%+v", c.Gate)
	require.Contains(t, c.Gate.Regressions, "ingest_latency med")
	require.Contains(t, c.Gate.Regressions, "cosmos_latency p(99)")
	require.NotContains(t, c.Gate.Regressions, "events_acked rate")

	// The same shift in one 60 s AR(1) series (phi 0.7, 10% noise) among twenty.
	cfg := CompareConfig{Catalog: ar1Catalog(t, 20)}
	run := ar1Run{seconds: 60, metrics: 20, phi: 0.7, sd: 0.1}
	a, b := run, run
	a.seed, b.seed, b.factor = 1, 2, 1.3
	c, err = Compare(a.build(), b.build(), cfg)
	require.NoError(t, err)
	require.Equal(t, []string{"latency_00 value"}, c.Gate.Regressions)
}

func TestSameDistributionAR1IsNoChange(t *testing.T) {
	run := ar1Run{seconds: 120, metrics: 20, phi: 0.7, sd: 0.1}
	a, b := run, run
	a.seed, b.seed = 3, 4
	for _, pairing := range []Pairing{PairAuto, PairNever} {
		c, err := Compare(a.build(), b.build(),
			CompareConfig{Catalog: ar1Catalog(t, 20), Pairing: pairing})
		require.NoError(t, err)
		require.Equal(t, 20, c.Counts[ChangeNone], "pairing %d", pairing)
		require.False(t, c.Regressed())
		require.Equal(t, 20, c.Gate.Tested)
	}
}

// TestGateErrorRatesOverSeeds compares many pairs of same-distribution AR(1) runs (phi 0.7,
// 20 metrics) and checks the two promises at 95% confidence per metric and a 5% family-wise
// error rate: each metric says "no change" at least 95% of the time, and the gate fails at
// most about 5% of the time, with the default minimum change and, stricter, with none (the
// statistics alone).
func TestGateErrorRatesOverSeeds(t *testing.T) {
	pairs := 200
	if testing.Short() {
		pairs = 50
	}
	const metrics = 20
	catalog := ar1Catalog(t, metrics)
	for _, tc := range []struct {
		name    string
		seconds int
		cfg     CompareConfig
	}{
		{"120 s", 120, CompareConfig{}},
		{"60 s", 60, CompareConfig{}},
		{"120 s, no minimum change", 120, CompareConfig{MinChange: -1}},
		{"60 s, no minimum change", 60, CompareConfig{MinChange: -1}},
		{"300 s, no minimum change", 300, CompareConfig{MinChange: -1}},
		{"120 s, unpaired, no minimum change", 120, CompareConfig{MinChange: -1,
			Pairing: PairNever}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Catalog, cfg.Confidence = catalog, 0.95
			run := ar1Run{seconds: tc.seconds, metrics: metrics, phi: 0.7, sd: 0.1}
			var total, unchanged, failed int
			for i := range pairs {
				a, b := run, run
				a.seed, b.seed = uint64(10_000+2*i), uint64(10_001+2*i)
				c, err := Compare(a.build(), b.build(), cfg)
				require.NoError(t, err)
				total += len(c.Metrics)
				unchanged += c.Counts[ChangeNone]
				if c.Regressed() {
					failed++
				}
			}
			noChange, gateFail := float64(unchanged)/float64(total), float64(failed)/float64(pairs)
			t.Logf("no change %d of %d (%.1f%%), gate failed %d of %d (%.1f%%)", unchanged,
				total, 100*noChange, failed, pairs, 100*gateFail)
			require.GreaterOrEqual(t, noChange, 0.95)
			// 5% nominal; at 200 pairs the binomial standard error is 1.5 points.
			require.LessOrEqual(t, gateFail, 0.07)
		})
	}
}

func TestHolmAdjust(t *testing.T) {
	got := holmAdjust([]float64{0.01, 0.04, 0.03, 0.005})
	require.InDeltaSlice(t, []float64{0.03, 0.06, 0.06, 0.02}, got, 1e-12)
	require.Equal(t, []float64{1, 1}, holmAdjust([]float64{0.6, 0.9}), "capped at 1")
	require.Empty(t, holmAdjust(nil))
}

func TestTPValue(t *testing.T) {
	require.InDelta(t, 0.05, tPValue(2.228, 1, 10), 1e-3)
	require.InDelta(t, 0.05, tPValue(-1.96, 1, 1e6), 1e-3)
	require.Equal(t, 1.0, tPValue(0, 0, 5))
	require.Equal(t, 0.0, tPValue(3, 0, 5), "a change with no noise at all")
}

func TestGateNeedsFamilyWiseSignificance(t *testing.T) {
	// Twenty metrics that can regress: one at p = 0.03 is a regression on its own but not
	// for the gate (Holm needs 0.05/20); one at p = 0.001 fails the gate.
	c := &Comparison{}
	for i := range 20 {
		mc := MetricChange{Metric: ar1MetricName(i), Stat: "value", Better: LowerIsBetter,
			PValue: ptr(0.5 + float64(i)/100), Verdict: ChangeNone}
		c.Metrics = append(c.Metrics, mc)
	}
	c.Metrics[3].PValue, c.Metrics[3].Verdict = ptr(0.03), ChangeRegression
	c.applyGate(0.05)
	require.False(t, c.Regressed())
	require.Equal(t, 20, c.Gate.Tested)
	require.InDelta(t, 0.6, *c.Metrics[3].HolmPValue, 1e-12)

	c.Metrics[7].PValue, c.Metrics[7].Verdict = ptr(0.001), ChangeRegression
	c.applyGate(0.05)
	require.True(t, c.Regressed())
	require.Equal(t, []string{"latency_07 value"}, c.Gate.Regressions)
	require.True(t, c.Metrics[7].FailsGate)

	// An improvement, however significant, never fails the gate; nor does a metric
	// without a better direction (it is not even in the family).
	c.Metrics[7].Verdict = ChangeImprovement
	c.Metrics[8].Better, c.Metrics[8].PValue, c.Metrics[8].Verdict = NeitherBetter,
		ptr(1e-9), ChangeNeutral
	c.applyGate(0.05)
	require.False(t, c.Regressed())
	require.Equal(t, 19, c.Gate.Tested)
	require.Nil(t, c.Metrics[8].HolmPValue)
}
