package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes summary.md for a pull-request comment: the verdict, failed gates
// first, the key figures, then every gate, failovers, migrations, cost and detections.
func WriteMarkdown(w io.Writer, s *Summary) error { return writeMarkdown(w, s, nil) }

func writeMarkdown(w io.Writer, s *Summary, cmp *Comparison) error {
	bw := bufio.NewWriter(w)
	m := mdWriter{w: bw}
	m.header(s)
	m.failedGates(s)
	m.comparison(cmp)
	m.figures(s)
	m.gates(s)
	m.failovers(s)
	m.migrations(s)
	m.detections(s)
	return bw.Flush()
}

type mdWriter struct{ w *bufio.Writer }

func (m mdWriter) line(format string, args ...any) { fmt.Fprintf(m.w, format+"\n", args...) }

func (m mdWriter) header(s *Summary) {
	verdict := "✅ PASS"
	if s.Run.Verdict != VerdictPass {
		verdict = "❌ FAIL"
	}
	m.line("## Stampede `%s`: %s", mdEscape(s.Scenario.Name), verdict)
	m.line("")
	info := fmt.Sprintf("seed %d · %d s · %s/%s, %d CPUs · %s", s.Scenario.Seed,
		s.Run.DurationSeconds, s.Environment.OS, s.Environment.Arch, s.Environment.CPUs,
		s.Environment.GoVersion)
	if s.Environment.GitCommit != "" {
		info += " · commit `" + shortCommit(s.Environment.GitCommit) + "`"
	}
	m.line("%s", info)
	if s.Run.Aborted {
		m.line("")
		m.line("**Aborted:** %s", mdEscape(s.Run.AbortReason))
	}
	m.line("")
}

func shortCommit(c string) string { return c[:min(len(c), 12)] }

func (m mdWriter) failedGates(s *Summary) {
	var rows [][]string
	for _, t := range s.Thresholds {
		if t.Verdict != VerdictPass {
			rows = append(rows, []string{"threshold", mdCode(t.Metric + " " + t.Expression +
				scopeText(t)), mdEscape(t.Message)})
		}
	}
	for _, i := range s.Invariants {
		if i.Verdict != VerdictPass {
			rows = append(rows, []string{"invariant", mdCode(i.Name), mdEscape(i.Message)})
		}
	}
	if len(rows) == 0 {
		return
	}
	m.line("### Failed gates")
	m.table([]string{"kind", "gate", "why"}, rows)
}

func scopeText(t ThresholdResult) string {
	switch {
	case t.Window != "":
		return " [window " + t.Window + "]"
	case t.Phase != "":
		return " [phase " + t.Phase + "]"
	}
	return ""
}

// comparison lists what changed against the baseline, regressions first.
func (m mdWriter) comparison(c *Comparison) {
	if c == nil {
		return
	}
	verdict := "no regression"
	if c.Regressed() {
		verdict = "❌ regression"
	}
	m.line("### Baseline: %s", verdict)
	m.line("")
	m.line("%s", comparisonHeadline(c))
	m.line("")
	var rows [][]string
	for _, mc := range c.sortedChanges() {
		if mc.Verdict == ChangeNone {
			continue
		}
		rows = append(rows, []string{mdCode(mc.Metric), mc.Stat, mc.formatBase(),
			mc.formatNew(), mc.formatChange(), mc.formatInterval(), mc.Verdict})
	}
	if len(rows) > 0 {
		m.table([]string{"metric", "stat", "base", "new", "change", "interval", "verdict"}, rows)
	}
}

func (m mdWriter) figures(s *Summary) {
	figs := KeyFigures(s)
	if len(figs) == 0 {
		return
	}
	rows := make([][]string, len(figs))
	for i, f := range figs {
		rows[i] = []string{f.Name, mdEscape(f.Value)}
	}
	m.line("### Key figures")
	m.table([]string{"figure", "value"}, rows)
}

func (m mdWriter) gates(s *Summary) {
	var rows [][]string
	for _, t := range s.Thresholds {
		rows = append(rows, []string{mark(t.Verdict), mdCode(t.Metric + " " + t.Expression +
			scopeText(t)), mdEscape(formatValue(t.Observed, Unit(t.Unit)))})
	}
	for _, i := range s.Invariants {
		observed := fmt.Sprint(i.Observed)
		if i.Verdict == VerdictPass && i.Message != "" { // passed by an allowance: why
			observed += " (" + mdEscape(i.Message) + ")"
		}
		rows = append(rows, []string{mark(i.Verdict), mdCode(i.Name + " <= " +
			fmt.Sprint(i.Allowed)), observed})
	}
	if len(rows) == 0 {
		return
	}
	m.line("<details><summary>All gates (%d)</summary>", len(rows))
	m.line("")
	m.table([]string{"", "gate", "observed"}, rows)
	m.line("</details>")
	m.line("")
}

func mark(verdict string) string {
	if verdict == VerdictPass {
		return "✅"
	}
	return "❌"
}

func (m mdWriter) failovers(s *Summary) {
	if len(s.Failovers) == 0 {
		return
	}
	var rows [][]string
	for _, f := range s.Failovers {
		rows = append(rows, []string{mdEscape(f.FromRegion + " → " + f.ToRegion),
			FormatSeconds(f.OutageAtSeconds), FormatSeconds(f.RTOSeconds),
			fmt.Sprint(f.RPOCount), FormatSeconds(f.RPOAgeSeconds), fmt.Sprint(f.SensorErrors)})
	}
	m.line("### Failovers")
	m.table([]string{"regions", "outage at", "RTO", "RPO (writes)", "RPO age",
		"sensor errors"}, rows)
}

func (m mdWriter) migrations(s *Summary) {
	if len(s.Migrations) == 0 {
		return
	}
	var rows [][]string
	for _, g := range s.Migrations {
		rows = append(rows, []string{mdEscape(g.Container),
			fmt.Sprintf("v%d → v%d", g.FromVersion, g.ToVersion), fmt.Sprint(g.OnTheFly),
			fmt.Sprint(g.Batch), fmt.Sprint(g.Remaining), fmt.Sprint(g.ParseErrors),
			fmt.Sprint(g.LostUpdates)})
	}
	m.line("### Migrations")
	m.table([]string{"container", "upgrade", "on the fly", "batch", "remaining",
		"parse errors", "lost updates"}, rows)
}

func (m mdWriter) detections(s *Summary) {
	if len(s.Detections) == 0 {
		return
	}
	m.line("### Detections")
	m.table([]string{"attack", "injected", "TP", "FP", "FN", "precision", "recall",
		"mean delay"}, detectionRows(s.Detections))
}

func detectionRows(ds []Detection) [][]string {
	rows := make([][]string, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, []string{d.AttackKind, fmt.Sprint(d.Injected),
			fmt.Sprint(d.TruePositives), fmt.Sprint(d.FalsePositives),
			fmt.Sprint(d.FalseNegatives), fmt.Sprintf("%.2f", d.Precision()),
			fmt.Sprintf("%.2f", d.Recall()), FormatSeconds(d.MeanDelaySeconds)})
	}
	return rows
}

func (m mdWriter) table(head []string, rows [][]string) {
	m.line("| %s |", strings.Join(head, " | "))
	seps := make([]string, len(head))
	for i := range seps {
		seps[i] = "---"
	}
	m.line("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		m.line("| %s |", strings.Join(r, " | "))
	}
	m.line("")
}

// mdEscape keeps user text from breaking a table cell or starting markup.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`,
		"_", `\_`, "`", "'")
	return r.Replace(s)
}

// mdCode renders s as inline code, safe inside a table cell.
func mdCode(s string) string {
	return "`" + strings.NewReplacer("`", "'", "|", `\|`, "\n", " ").Replace(s) + "`"
}
