package reports

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// Comparison verdicts.
const (
	ChangeRegression   = "regression"
	ChangeImprovement  = "improvement"
	ChangeNone         = "no change"
	ChangeNeutral      = "changed"
	ChangeInsufficient = "insufficient data"
)

// Defaults of CompareConfig.
const (
	DefaultConfidence      = 0.99
	DefaultFamilyErrorRate = 0.05
	DefaultMinChange       = 0.05
	DefaultMinSamples      = 10
)

// CompareConfig tunes Compare. The zero value uses the defaults.
type CompareConfig struct {
	// Confidence of each metric's interval and verdict, in (0, 1); 0 means
	// DefaultConfidence.
	Confidence float64
	// FamilyErrorRate is the most often two runs of the same build may fail the gate
	// (Comparison.Regressed), all metrics together, in (0, 1); 0 means
	// DefaultFamilyErrorRate. See GateResult.
	FamilyErrorRate float64
	// MinChange is the smallest relative change that counts as a regression or improvement
	// even when statistically significant (0.05 = 5%); 0 means DefaultMinChange, a negative
	// value means no floor.
	MinChange float64
	// MinSamples is the fewest per-second samples a metric needs on each side; 0 means
	// DefaultMinSamples.
	MinSamples int
	// Catalog gives each metric's better direction; nil means DefaultCatalog().
	Catalog *Catalog
	// Pairing chooses the test: PairAuto (the zero value) pairs seconds when both runs
	// follow the same timeline (same scenario, same phases), PairAlways and PairNever force
	// the paired test or Welch's.
	Pairing Pairing
}

// Pairing chooses between the paired and the unpaired test.
type Pairing int

// Pairings.
const (
	PairAuto Pairing = iota
	PairAlways
	PairNever
)

// Validate reports every problem with the configuration.
func (c CompareConfig) Validate() error {
	var errs []error
	if c.Confidence < 0 || c.Confidence >= 1 {
		errs = append(errs, fmt.Errorf("confidence %g: want 0 < c < 1", c.Confidence))
	}
	if c.FamilyErrorRate < 0 || c.FamilyErrorRate >= 1 {
		errs = append(errs, fmt.Errorf("family error rate %g: want 0 < rate < 1",
			c.FamilyErrorRate))
	}
	if c.Pairing < PairAuto || c.Pairing > PairNever {
		errs = append(errs, fmt.Errorf("pairing %d: want auto, always or never", c.Pairing))
	}
	if c.MinSamples < 0 || c.MinSamples == 1 {
		errs = append(errs, fmt.Errorf("min samples %d: want >= 2", c.MinSamples))
	}
	return errors.Join(errs...)
}

func (c CompareConfig) withDefaults() CompareConfig {
	if c.Confidence == 0 {
		c.Confidence = DefaultConfidence
	}
	if c.FamilyErrorRate == 0 {
		c.FamilyErrorRate = DefaultFamilyErrorRate
	}
	if c.MinChange == 0 {
		c.MinChange = DefaultMinChange
	}
	c.MinChange = max(c.MinChange, 0)
	if c.MinSamples == 0 {
		c.MinSamples = DefaultMinSamples
	}
	if c.Catalog == nil {
		c.Catalog = DefaultCatalog()
	}
	return c
}

// Comparison is the result of comparing a new run against a baseline.
type Comparison struct {
	Base RunRef `json:"base"`
	New  RunRef `json:"new"`
	// Test is TestPaired when seconds were paired (both runs follow the same timeline),
	// else TestWelch.
	Test       string         `json:"test"`
	Confidence float64        `json:"confidence"`
	MinChange  float64        `json:"minChange"`
	Metrics    []MetricChange `json:"metrics"`
	// Counts counts the per-metric verdicts, each at its own confidence level.
	Counts map[string]int `json:"counts"`
	// Gate is the run-level verdict, corrected for testing many metrics at once.
	Gate GateResult `json:"gate"`
}

// RunRef identifies a compared run.
type RunRef struct {
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	ID       string `json:"id,omitempty"`
	Seconds  int    `json:"seconds"`
}

// Regressed reports whether the comparison fails the gate: some metric regressed at the
// family-wise level (see GateResult), not merely at its own.
func (c *Comparison) Regressed() bool { return c.Gate.Failed }

// MetricChange is the comparison of one statistic of one metric.
type MetricChange struct {
	// Metric is the metric name and Stat the per-second statistic compared (rate, value,
	// med, p(99)).
	Metric string `json:"metric"`
	Stat   string `json:"stat"`
	Unit   string `json:"unit,omitempty"`
	Better Better `json:"better"`
	// Base and New are the means of the per-second statistic (geometric means when paired
	// on log ratios).
	Base float64 `json:"base"`
	New  float64 `json:"new"`
	// Diff is New - Base with its confidence interval [DiffLow, DiffHigh].
	Diff     float64 `json:"diff"`
	DiffLow  float64 `json:"diffLow"`
	DiffHigh float64 `json:"diffHigh"`
	// Change is Diff relative to Base (0.1 = +10%), with its interval; absent when Base is 0.
	Change     *float64 `json:"change,omitempty"`
	ChangeLow  *float64 `json:"changeLow,omitempty"`
	ChangeHigh *float64 `json:"changeHigh,omitempty"`
	// Test is TestPaired (second by second differences) or TestWelch.
	Test string `json:"test"`
	// Samples is the number of per-second samples (the smaller side, or the pairs) and
	// EffectiveSamples the effective size after autocorrelation.
	Samples          int     `json:"samples"`
	EffectiveSamples float64 `json:"effectiveSamples"`
	// PValue is the two-sided p-value of the change (absent with insufficient data), and
	// HolmPValue the same adjusted for the number of metrics the gate tests (absent for
	// metrics outside the gate: no better direction, insufficient data).
	PValue     *float64 `json:"pValue,omitempty"`
	HolmPValue *float64 `json:"holmPValue,omitempty"`
	// Verdict is the metric's own verdict at the comparison's confidence; FailsGate is set
	// on the regressions that also hold at the family-wise level and so fail the gate.
	Verdict   string `json:"verdict"`
	FailsGate bool   `json:"failsGate,omitempty"`
}

// Compare compares every metric present in both summaries, one per-second statistic at a
// time: counters by their per-second rate, rates by their per-second ratio, gauges by their
// level, trends by their per-second median and p(99). Label sets of a metric are combined
// first (counters add, trend histograms merge), so the comparison is per metric.
//
// When both runs follow the same timeline (same scenario and phases), seconds are paired and
// the interval comes from the mean of the per-second differences, so the scripted shape of
// the run (a burst, a failover) is not mistaken for noise; otherwise Welch's t-test compares
// the two sets of samples. Neighbouring seconds are correlated (a GC pause or a throttled
// partition spans several), so sample sizes are reduced to their effective size (see
// effectiveSize). A change is a regression or improvement only when the interval excludes zero
// and the relative change is at least MinChange; metrics whose catalogue direction is
// "none" get "changed" instead. The gate (Regressed) then keeps only the regressions that
// remain significant after a Holm–Bonferroni correction across the metrics it tests.
func Compare(base, cur *Summary, cfg CompareConfig) (*Comparison, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("compare config: %w", err)
	}
	cfg = cfg.withDefaults()
	out := &Comparison{Base: runRef(base), New: runRef(cur), Confidence: cfg.Confidence,
		MinChange: cfg.MinChange, Counts: map[string]int{}}
	paired := cfg.Pairing == PairAlways || cfg.Pairing == PairAuto && sameTimeline(base, cur)
	out.Test = TestWelch
	if paired {
		out.Test = TestPaired
	}
	for _, name := range commonMetricNames(base, cur) {
		def, err := cfg.Catalog.Lookup(name)
		if err != nil {
			def = MetricDef{Name: name, Better: NeitherBetter}
		}
		a, b := base.Find(name, nil), cur.Find(name, nil)
		st := statsFor(a[0].Kind)
		sa, sb := st.samples(a), st.samples(b)
		for i, stat := range st.names {
			mc := compareSamples(sa[i], sb[i], paired, cfg)
			mc.Metric, mc.Stat, mc.Unit, mc.Better = name, stat, string(a[0].Unit), def.Better
			mc.Verdict = verdictFor(mc, cfg)
			out.Metrics = append(out.Metrics, mc)
			out.Counts[mc.Verdict]++
		}
	}
	out.applyGate(cfg.FamilyErrorRate)
	return out, nil
}

func runRef(s *Summary) RunRef {
	return RunRef{Scenario: s.Scenario.Name, Seed: s.Scenario.Seed, ID: s.Run.ID,
		Seconds: s.Run.DurationSeconds}
}

// commonMetricNames lists, sorted, the metric names both summaries have with the same kind.
func commonMetricNames(a, b *Summary) []string {
	kinds := map[string]Kind{}
	for _, m := range a.Metrics {
		kinds[m.Name] = m.Kind
	}
	var names []string
	for _, m := range b.Metrics {
		if k, ok := kinds[m.Name]; ok && k == m.Kind && !slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// perSecondStats extracts statistics per second from the series of one metric, one slice
// per name; NaN marks seconds without data.
type perSecondStats struct {
	names   []string
	samples func([]*Series) [][]float64
}

func one(f func([]*Series) []float64) func([]*Series) [][]float64 {
	return func(ss []*Series) [][]float64 { return [][]float64{f(ss)} }
}

func statsFor(k Kind) perSecondStats {
	switch k {
	case KindCounter:
		return perSecondStats{[]string{"rate"}, one(counterPerSecond)}
	case KindRate:
		return perSecondStats{[]string{"rate"}, one(ratePerSecond)}
	case KindGauge:
		return perSecondStats{[]string{"value"}, one(gaugePerSecond)}
	case KindTrend:
		return perSecondStats{[]string{"med", "p(99)"}, trendPerSecond(50, 99)}
	}
	return perSecondStats{}
}

func seriesLen(ss []*Series) int {
	n := 0
	for _, s := range ss {
		n = max(n, s.Len())
	}
	return n
}

func counterPerSecond(ss []*Series) []float64 {
	out := make([]float64, seriesLen(ss))
	for _, s := range ss {
		for i, v := range s.Values {
			out[i] += v
		}
	}
	return out
}

func ratePerSecond(ss []*Series) []float64 {
	n := seriesLen(ss)
	hits, totals := make([]float64, n), make([]float64, n)
	for _, s := range ss {
		for i := range s.Values {
			hits[i] += s.Values[i]
			totals[i] += s.Totals[i]
		}
	}
	for i := range hits {
		hits[i] = hits[i] / totals[i] // NaN when nothing was sampled
	}
	return hits
}

func gaugePerSecond(ss []*Series) []float64 {
	combine := gaugeCombiner(ss[0].Unit)
	out := make([]float64, seriesLen(ss))
	for i := range out {
		v, ok := combinedLevel(ss, i, combine)
		out[i] = v
		if !ok {
			out[i] = math.NaN()
		}
	}
	return out
}

// trendPerSecond computes the percentiles of every second over all series.
func trendPerSecond(pcts ...float64) func([]*Series) [][]float64 {
	return func(ss []*Series) [][]float64 { return percentileSeries(ss, pcts, 1, seriesLen(ss)) }
}

// Tests a comparison may use.
const (
	TestPaired = "paired"
	TestWelch  = "welch"
)

// compareSamples compares the per-second samples a and b (NaN samples dropped): paired
// second by second when the runs follow the same timeline, otherwise with Welch's t-test.
func compareSamples(a, b []float64, paired bool, cfg CompareConfig) MetricChange {
	var mc MetricChange
	if paired {
		mc = pairedChange(a, b, cfg)
	} else {
		mc = welchChange(dropNaN(a), dropNaN(b), cfg)
	}
	if mc.Verdict == "" && mc.Change == nil && mc.Base != 0 {
		rel := func(d float64) *float64 { v := d / math.Abs(mc.Base); return &v }
		mc.Change, mc.ChangeLow, mc.ChangeHigh = rel(mc.Diff), rel(mc.DiffLow), rel(mc.DiffHigh)
	}
	return mc
}

// welchChange is Welch's t-test with each side's sample size reduced to its effective size.
func welchChange(a, b []float64, cfg CompareConfig) MetricChange {
	mc := MetricChange{Test: TestWelch, Samples: min(len(a), len(b))}
	if mc.Samples < cfg.MinSamples {
		mc.Verdict = ChangeInsufficient
		return mc
	}
	meanA, varA := stat.MeanVariance(a, nil)
	meanB, varB := stat.MeanVariance(b, nil)
	na, nb := effectiveSize(a), effectiveSize(b)
	mc.EffectiveSamples = min(na, nb)
	mc.Base, mc.New, mc.Diff = meanA, meanB, meanB-meanA

	se2a, se2b := varA/na, varB/nb
	df := (se2a + se2b) * (se2a + se2b) / (se2a*se2a/degreesOfFreedom(na) + se2b*se2b/degreesOfFreedom(nb))
	se := math.Sqrt(se2a + se2b)
	half := tHalfWidth(se, df, cfg.Confidence)
	mc.DiffLow, mc.DiffHigh = mc.Diff-half, mc.Diff+half
	mc.PValue = ptr(tPValue(mc.Diff, se, df))
	judgeSingleNumber(&mc, varA == 0 && varB == 0)
	return mc
}

// pairedChange compares the runs second by second over the seconds both have. When every
// sample is positive it tests the per-second log ratios ln(b[i]/a[i]), so an effect
// proportional to the load (10% slower in the burst and out of it) is one number; otherwise
// the differences b[i]-a[i]. The sample size is reduced to its effective size. Pairing
// removes what the scenario's timeline makes both runs do (a burst, a failover) from the
// noise.
func pairedChange(a, b []float64, cfg CompareConfig) MetricChange {
	var xs, ys []float64
	positive := true
	for i := range min(len(a), len(b)) {
		if isFinite(a[i]) && isFinite(b[i]) {
			xs, ys = append(xs, a[i]), append(ys, b[i])
			positive = positive && a[i] > 0 && b[i] > 0
		}
	}
	mc := MetricChange{Test: TestPaired, Samples: len(xs)}
	if mc.Samples < cfg.MinSamples {
		mc.Verdict = ChangeInsufficient
		return mc
	}
	mc.Base, mc.New = stat.Mean(xs, nil), stat.Mean(ys, nil)
	ds := make([]float64, len(xs))
	for i := range xs {
		ds[i] = ys[i] - xs[i]
		if positive {
			ds[i] = math.Log(ys[i] / xs[i])
		}
	}
	mean, variance := stat.MeanVariance(ds, nil)
	n := effectiveSize(ds)
	mc.EffectiveSamples = n
	se := math.Sqrt(variance / n)
	df := degreesOfFreedom(n)
	half := tHalfWidth(se, df, cfg.Confidence)
	mc.PValue = ptr(tPValue(mean, se, df))
	judgeSingleNumber(&mc, stat.Variance(xs, nil) == 0 && stat.Variance(ys, nil) == 0)
	if !positive {
		mc.Diff, mc.DiffLow, mc.DiffHigh = mean, mean-half, mean+half
		return mc
	}
	// Base and New become geometric means, so that New/Base-1 is exactly Change.
	mc.Base, mc.New = geometricMean(xs), geometricMean(ys)
	ratio := func(x float64) *float64 { v := math.Expm1(x); return &v }
	mc.Change, mc.ChangeLow, mc.ChangeHigh = ratio(mean), ratio(mean-half), ratio(mean+half)
	mc.Diff, mc.DiffLow, mc.DiffHigh = mc.Base**mc.Change, mc.Base**mc.ChangeLow,
		mc.Base**mc.ChangeHigh
	return mc
}

// judgeSingleNumber handles a metric that is constant within each run (a failover's RTO, a
// partition count, events lost staying 0): its seconds say nothing about how much it varies
// from run to run, so a difference cannot be tested. It gets no p-value, so verdictFor calls
// it "no change" when equal, else "changed" when at least MinChange, never a regression, and
// the gate leaves it out of the family it corrects for (thresholds are what bound such
// numbers).
func judgeSingleNumber(mc *MetricChange, constant bool) {
	if constant {
		mc.PValue = nil
	}
}

func geometricMean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += math.Log(x)
	}
	return math.Exp(sum / float64(len(xs)))
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// sameTimeline reports whether two runs follow the same scenario timeline, so their seconds
// can be paired: the same scenario and the same sequence of phases.
func sameTimeline(a, b *Summary) bool {
	if a.Scenario.Name != b.Scenario.Name || len(a.Phases) != len(b.Phases) {
		return false
	}
	for i := range a.Phases {
		pa, pb := a.Phases[i], b.Phases[i]
		if pa.Name != pb.Name || abs(pa.StartSeconds-pb.StartSeconds) > 2 {
			return false
		}
	}
	return true
}

func abs(x int) int { return max(x, -x) }

func verdictFor(mc MetricChange, cfg CompareConfig) string {
	if mc.Verdict != "" {
		return mc.Verdict
	}
	significant := mc.DiffLow > 0 || mc.DiffHigh < 0 || (mc.DiffLow == mc.DiffHigh && mc.Diff != 0)
	large := mc.Change == nil || math.Abs(*mc.Change) >= cfg.MinChange
	if !significant || !large {
		return ChangeNone
	}
	if mc.PValue == nil { // a single number per run, see judgeSingleNumber
		return ChangeNeutral
	}
	switch {
	case mc.Better == NeitherBetter:
		return ChangeNeutral
	case (mc.Diff > 0) == (mc.Better == HigherIsBetter):
		return ChangeImprovement
	}
	return ChangeRegression
}

func dropNaN(xs []float64) []float64 {
	out := make([]float64, 0, len(xs))
	for _, x := range xs {
		if isFinite(x) {
			out = append(out, x)
		}
	}
	return out
}

func ptr(x float64) *float64 { return &x }
