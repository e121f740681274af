package reports

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCompareSameBuildIsNoChange(t *testing.T) {
	const runs = 6
	summaries := make([]*Summary, runs)
	for i := range summaries {
		summaries[i] = synthRun{seed: uint64(100 + i), seconds: 120, samples: 30}.build(t)
	}
	var total, unchanged int
	for i := 0; i < runs; i += 2 {
		c, err := Compare(summaries[i], summaries[i+1], CompareConfig{})
		require.NoError(t, err)
		for _, m := range c.Metrics {
			total++
			if m.Verdict == ChangeNone {
				unchanged++
			} else {
				t.Logf("seed pair %d: %s %s %s (%+.3g, CI %.3g..%.3g, n_eff %.0f)", i, m.Metric,
					m.Stat, m.Verdict, m.Diff, m.DiffLow, m.DiffHigh, m.EffectiveSamples)
			}
		}
		require.False(t, c.Regressed(), "same build must not regress")
	}
	require.Greater(t, total, 30)
	require.GreaterOrEqual(t, float64(unchanged)/float64(total), 0.95,
		"%d of %d metrics unchanged", unchanged, total)
}

func TestCompareCatchesShifts(t *testing.T) {
	base := synthRun{seed: 7, seconds: 120, samples: 30}.build(t)
	slower := synthRun{seed: 8, seconds: 120, samples: 30, latencyFactor: 1.25}.build(t)
	fewer := synthRun{seed: 9, seconds: 120, samples: 30, rateFactor: 0.85}.build(t)

	verdicts := func(c *Comparison) map[string]string {
		out := map[string]string{}
		for _, m := range c.Metrics {
			out[m.Metric+" "+m.Stat] = m.Verdict
		}
		return out
	}
	c, err := Compare(base, slower, CompareConfig{})
	require.NoError(t, err)
	require.True(t, c.Regressed())
	v := verdicts(c)
	require.Equal(t, ChangeRegression, v["ingest_latency p(99)"])
	require.Equal(t, ChangeRegression, v["cosmos_latency med"])
	require.Equal(t, ChangeNone, v["events_acked rate"])

	c, err = Compare(base, fewer, CompareConfig{})
	require.NoError(t, err)
	v = verdicts(c)
	require.Equal(t, ChangeRegression, v["events_acked rate"], "lower throughput is worse")
	require.Equal(t, ChangeNeutral, v["ru_consumed rate"], "RU consumed has no better side")

	// Faster is never a regression, and an improvement in all but an unlucky pair (a long
	// excursion of the drift in one run widens the interval honestly).
	improved := 0
	for i := range 10 {
		base := synthRun{seed: uint64(30 + 2*i), seconds: 120, samples: 30}.build(t)
		faster := synthRun{seed: uint64(31 + 2*i), seconds: 120, samples: 30,
			latencyFactor: 0.7}.build(t)
		c, err = Compare(base, faster, CompareConfig{})
		require.NoError(t, err)
		require.False(t, c.Regressed())
		if verdicts(c)["ingest_latency med"] == ChangeImprovement {
			improved++
		}
	}
	require.GreaterOrEqual(t, improved, 9)
}

func TestCompareSmallShiftBelowFloorIsNoChange(t *testing.T) {
	base := synthRun{seed: 11, seconds: 120, samples: 30}.build(t)
	tiny := synthRun{seed: 12, seconds: 120, samples: 30, latencyFactor: 1.01}.build(t)
	c, err := Compare(base, tiny, CompareConfig{})
	require.NoError(t, err)
	require.False(t, c.Regressed())
}

func TestCompareSamplesStatistics(t *testing.T) {
	// Constant, equal series: no change with a zero-width interval.
	fives := []float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}
	mc := compareSamples(fives, fives, false, CompareConfig{}.withDefaults())
	require.Equal(t, 0.0, mc.Diff)
	require.Equal(t, ChangeNone, verdictFor(mc, CompareConfig{}.withDefaults()))
	require.Nil(t, mc.PValue, "nothing to test: left out of the gate's family")

	// From zero to non-zero (events lost appearing) is a change even without a relative one.
	lost := []float64{0, 0, 1, 0, 2, 0, 0, 1, 0, 0, 3, 0, 0, 1, 0, 0, 2, 1, 0, 1}
	mc = compareSamples(make([]float64, 40), append(lost, lost...), true,
		CompareConfig{}.withDefaults())
	mc.Better = LowerIsBetter
	require.Nil(t, mc.Change)
	require.Equal(t, ChangeRegression, verdictFor(mc, CompareConfig{}.withDefaults()))

	// A number constant within each run (an RTO) has no noise to test a difference against:
	// "changed" when at least the minimum change, else "no change"; never a regression.
	for _, paired := range []bool{true, false} {
		mc = compareSamples(fill(12, 1.0), fill(12, 1.5), paired, CompareConfig{}.withDefaults())
		mc.Better = LowerIsBetter
		require.Equal(t, ChangeNeutral, verdictFor(mc, CompareConfig{}.withDefaults()))
		require.Nil(t, mc.PValue)
		require.InDelta(t, 0.5, *mc.Change, 1e-12)
		mc = compareSamples(fill(12, 1.0), fill(12, 1.004), paired,
			CompareConfig{}.withDefaults())
		require.Equal(t, ChangeNone, verdictFor(mc, CompareConfig{}.withDefaults()))
	}

	// Too few samples.
	mc = compareSamples([]float64{1, 2, 3}, []float64{2, 3, 4}, false, CompareConfig{}.withDefaults())
	require.Equal(t, ChangeInsufficient, mc.Verdict)
}

func TestEffectiveSizeShrinksWithAutocorrelation(t *testing.T) {
	// A slow random walk is strongly autocorrelated; white noise is not.
	rng := rand.New(rand.NewPCG(1, 2))
	walk, noise := make([]float64, 400), make([]float64, 400)
	x := 0.0
	for i := range walk {
		x += rng.NormFloat64()
		walk[i] = x
		noise[i] = rng.NormFloat64()
	}
	require.Less(t, effectiveSize(walk), 40.0)
	require.Greater(t, effectiveSize(noise), 300.0)
	require.Equal(t, 5.0, effectiveSize([]float64{1, 1, 1, 1, 1}), "constant series")
}

func TestCompareConfigValidate(t *testing.T) {
	_, err := Compare(&Summary{}, &Summary{}, CompareConfig{Confidence: 1.5, MinSamples: 1,
		FamilyErrorRate: -0.1})
	require.ErrorContains(t, err, "confidence 1.5")
	require.ErrorContains(t, err, "family error rate -0.1")
	require.ErrorContains(t, err, "min samples 1")
}

// TestCompareFalsePositiveRate reproduces the figures in docs/reports.md: 30 pairs of runs
// of the same build, paired and unpaired, at the defaults (99%, 5% minimum change) and at
// 95% without a minimum change, per metric and for the gate.
func TestCompareFalsePositiveRate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 60 runs")
	}
	const pairs = 30
	runs := make([]*Summary, 2*pairs)
	for i := range runs {
		runs[i] = synthRun{seed: uint64(1000 + i), seconds: 120, samples: 10}.build(t)
	}
	for _, tc := range []struct {
		name    string
		cfg     CompareConfig
		atLeast float64
	}{
		{"paired, defaults", CompareConfig{}, 0.99},
		{"paired, 95%, no floor", CompareConfig{Confidence: 0.95, MinChange: -1}, 0.94},
		{"welch, defaults", CompareConfig{Pairing: PairNever}, 0.99},
		{"welch, 95%, no floor",
			CompareConfig{Pairing: PairNever, Confidence: 0.95, MinChange: -1}, 0.94},
	} {
		var total, unchanged, failed int
		for i := 0; i < len(runs); i += 2 {
			c, err := Compare(runs[i], runs[i+1], tc.cfg)
			require.NoError(t, err)
			total += len(c.Metrics)
			unchanged += c.Counts[ChangeNone]
			if c.Regressed() {
				failed++
			}
		}
		t.Logf("%s: %d of %d unchanged, gate failed %d of %d", tc.name, unchanged, total,
			failed, pairs)
		require.GreaterOrEqual(t, float64(unchanged)/float64(total), tc.atLeast, tc.name)
		require.LessOrEqual(t, failed, 3, "%s: gate at 5%% family-wise error", tc.name)
	}
}

// TestPairingSeesThroughTheTimeline compares runs whose throughput follows a scripted step
// (a burst): an 8% drop is hidden in the step's variance unpaired, and plain when paired.
func TestPairingSeesThroughTheTimeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	run := func(factor float64) *Summary {
		vals := make(Samples, 120)
		for i := range vals {
			level := 1000.0
			if i >= 60 {
				level = 10000
			}
			vals[i] = level * factor * (1 + rng.NormFloat64()*0.01)
		}
		return &Summary{Scenario: Scenario{Name: "step"}, Run: RunInfo{DurationSeconds: 120},
			Phases: []Phase{{"steady", 0, 60}, {"burst", 60, 120}},
			Metrics: []Series{{Name: MetricEventsAcked, Kind: KindCounter, Unit: UnitCount,
				Values: vals}}}
	}
	base, slower := run(1), run(0.92)

	paired, err := Compare(base, slower, CompareConfig{})
	require.NoError(t, err)
	require.Equal(t, TestPaired, paired.Test)
	require.Equal(t, ChangeRegression, paired.Metrics[0].Verdict)

	welch, err := Compare(base, slower, CompareConfig{Pairing: PairNever})
	require.NoError(t, err)
	require.Equal(t, TestWelch, welch.Test)
	require.Equal(t, ChangeNone, welch.Metrics[0].Verdict)

	other := run(1)
	other.Phases[1].Name = "failover"
	c, err := Compare(base, other, CompareConfig{})
	require.NoError(t, err)
	require.Equal(t, TestWelch, c.Test, "different timelines are not paired")
}

func fill(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestSignedPercent(t *testing.T) {
	for _, tc := range []struct {
		change float64
		want   string
	}{
		{0.1234, "+12.3%"},
		{-0.05, "-5.0%"},
		{0, "+0.0%"},
		{8.4e16, ">+10000%"},
		{-66.3, "-6630.0%"},
		{-663, "<-10000%"},
	} {
		require.Equal(t, tc.want, signedPercent(tc.change), "%g", tc.change)
	}
}
