package reports

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Comparison output formats.
const (
	FormatText     = "text"
	FormatMarkdown = "md"
	FormatJSON     = "json"
)

// ComparisonFormats lists the formats WriteComparison accepts.
var ComparisonFormats = []string{FormatText, FormatMarkdown, FormatJSON}

// verdictOrder puts what needs attention first.
var verdictOrder = map[string]int{ChangeRegression: 0, ChangeImprovement: 1, ChangeNeutral: 2,
	ChangeInsufficient: 3, ChangeNone: 4}

// sortedChanges returns the metric changes, regressions first, then by metric.
func (c *Comparison) sortedChanges() []MetricChange {
	out := slices.Clone(c.Metrics)
	slices.SortStableFunc(out, func(a, b MetricChange) int {
		return cmp.Or(cmp.Compare(verdictOrder[a.Verdict], verdictOrder[b.Verdict]),
			strings.Compare(a.Metric, b.Metric))
	})
	return out
}

// WriteComparison writes c as text (an aligned table), md (a Markdown table for a pull
// request) or json.
func WriteComparison(w io.Writer, c *Comparison, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case FormatMarkdown:
		return writeComparisonMarkdown(w, c)
	case FormatText, "":
		return writeComparisonText(w, c)
	}
	return fmt.Errorf("comparison format %q: want one of %s", format,
		strings.Join(ComparisonFormats, ", "))
}

func comparisonHeadline(c *Comparison) string {
	test := "seconds paired (same timeline)"
	if c.Test != TestPaired {
		test = "unpaired (Welch)"
	}
	return fmt.Sprintf("%d regressions, %d improvements, %d unchanged of %d metrics "+
		"(%s confidence each, %s, changes under %s ignored); %s", c.Counts[ChangeRegression],
		c.Counts[ChangeImprovement], c.Counts[ChangeNone], len(c.Metrics),
		percent(c.Confidence), test, percent(c.MinChange), gateSentence(c.Gate))
}

// gateSentence says what the gate decided and at what family-wise error rate.
func gateSentence(g GateResult) string {
	outcome := "gate passes"
	if g.Failed {
		outcome = fmt.Sprintf("gate fails on %d", len(g.Regressions))
	}
	return fmt.Sprintf("%s (Holm–Bonferroni over %d metrics, %s family-wise error)", outcome,
		g.Tested, percent(g.FamilyErrorRate))
}

// percent formats a fraction as a percentage with no more digits than it needs.
func percent(x float64) string { return strconv.FormatFloat(x*100, 'g', 4, 64) + "%" }

func writeComparisonText(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "base: %s seed %d (%d s)\nnew:  %s seed %d (%d s)\n%s\n\n",
		c.Base.Scenario, c.Base.Seed, c.Base.Seconds, c.New.Scenario, c.New.Seed,
		c.New.Seconds, comparisonHeadline(c))
	tw := tabwriter.NewWriter(bw, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tstat\tbase\tnew\tchange\tinterval\tp (Holm)\tverdict")
	for _, m := range c.sortedChanges() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Metric, m.Stat,
			m.formatBase(), m.formatNew(), m.formatChange(), m.formatInterval(),
			m.formatPValues(), m.formatVerdict())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}

func writeComparisonMarkdown(w io.Writer, c *Comparison) error {
	bw := bufio.NewWriter(w)
	verdict := "✅ no regression"
	if c.Regressed() {
		verdict = "❌ regression"
	}
	fmt.Fprintf(bw, "### Baseline comparison: %s\n\n%s\n\n", verdict, comparisonHeadline(c))
	fmt.Fprintln(bw, "| metric | stat | base | new | change | interval | p (Holm) | verdict |")
	fmt.Fprintln(bw, "|---|---|---|---|---|---|---|---|")
	for _, m := range c.sortedChanges() {
		fmt.Fprintf(bw, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", m.Metric, m.Stat,
			m.formatBase(), m.formatNew(), m.formatChange(), m.formatInterval(),
			m.formatPValues(), m.formatVerdict())
	}
	return bw.Flush()
}

// statUnit is the unit of the compared per-second statistic.
func (m MetricChange) statUnit() Unit {
	switch {
	case m.Stat == "rate" && Unit(m.Unit) == UnitRatio:
		return UnitRatio
	case m.Stat == "rate":
		return Unit(m.Unit + "/s")
	}
	return Unit(m.Unit)
}

func (m MetricChange) formatBase() string { return formatValue(m.Base, m.statUnit()) }
func (m MetricChange) formatNew() string  { return formatValue(m.New, m.statUnit()) }

func (m MetricChange) formatChange() string {
	if m.Verdict == ChangeInsufficient {
		return "-"
	}
	if m.Change == nil {
		return fmt.Sprintf("%+g", m.Diff)
	}
	return signedPercent(*m.Change)
}

func (m MetricChange) formatInterval() string {
	switch {
	case m.Verdict == ChangeInsufficient:
		return "-"
	case m.Change == nil:
		return fmt.Sprintf("[%+.3g, %+.3g]", m.DiffLow, m.DiffHigh)
	}
	return "[" + signedPercent(*m.ChangeLow) + ", " + signedPercent(*m.ChangeHigh) + "]"
}

// formatPValues is the p-value with, for metrics the gate tests, the Holm-adjusted one.
func (m MetricChange) formatPValues() string {
	switch {
	case m.PValue == nil:
		return "-"
	case m.HolmPValue == nil:
		return formatP(*m.PValue)
	}
	return formatP(*m.PValue) + " (" + formatP(*m.HolmPValue) + ")"
}

func formatP(p float64) string {
	if p < 0.001 {
		return "<0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// formatVerdict marks the regressions that fail the gate.
func (m MetricChange) formatVerdict() string {
	if m.FailsGate {
		return m.Verdict + " (fails gate)"
	}
	return m.Verdict
}

// maxShownPercent bounds the percentages a table shows: an interval from a handful of
// effective samples can reach astronomic ratios, which say no more than "above 10000%".
const maxShownPercent = 10000

// signedPercent formats a relative change as a signed percentage.
func signedPercent(x float64) string {
	switch {
	case x*100 > maxShownPercent:
		return fmt.Sprintf(">+%d%%", maxShownPercent)
	case x*100 < -maxShownPercent:
		return fmt.Sprintf("<-%d%%", maxShownPercent)
	}
	return fmt.Sprintf("%+.1f%%", x*100)
}
