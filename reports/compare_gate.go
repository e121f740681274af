package reports

// GateMethod names the multiple-comparison correction the gate applies.
const GateMethod = "holm-bonferroni"

// GateResult is the run-level verdict of a comparison, the one a CI gate acts on.
//
// Each metric's own verdict is a test at the comparison's confidence, so comparing twenty
// metrics of two runs of the same build finds a "regression" by chance far more often than
// one time in twenty. The gate therefore tests the metrics that can regress (those with a
// better direction and enough data) as one family: their p-values are adjusted with
// Holm–Bonferroni, and a regression fails the gate only when its adjusted p-value is at most
// FamilyErrorRate. Two runs of the same build then fail the gate with probability at most
// FamilyErrorRate, whatever the correlation between the metrics.
type GateResult struct {
	Method string `json:"method"`
	// FamilyErrorRate is the most often two runs of the same build fail the gate.
	FamilyErrorRate float64 `json:"familyErrorRate"`
	// Tested is the number of metrics in the family.
	Tested int  `json:"tested"`
	Failed bool `json:"failed"`
	// Regressions lists the failing metrics as "metric stat".
	Regressions []string `json:"regressions,omitempty"`
}

// applyGate adjusts the p-values of the metrics that can regress for their number and
// decides the gate at the family-wise error rate alpha.
func (c *Comparison) applyGate(alpha float64) {
	c.Gate = GateResult{Method: GateMethod, FamilyErrorRate: alpha}
	var family []int
	var ps []float64
	for i, mc := range c.Metrics {
		c.Metrics[i].HolmPValue, c.Metrics[i].FailsGate = nil, false
		if mc.Better != NeitherBetter && mc.PValue != nil {
			family = append(family, i)
			ps = append(ps, *mc.PValue)
		}
	}
	c.Gate.Tested = len(family)
	for k, adjusted := range holmAdjust(ps) {
		mc := &c.Metrics[family[k]]
		mc.HolmPValue = ptr(adjusted)
		mc.FailsGate = mc.Verdict == ChangeRegression && adjusted <= alpha
		if mc.FailsGate {
			c.Gate.Regressions = append(c.Gate.Regressions, mc.Metric+" "+mc.Stat)
		}
	}
	c.Gate.Failed = len(c.Gate.Regressions) > 0
}
