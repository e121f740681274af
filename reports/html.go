package reports

import (
	"bufio"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed report.html.tmpl
var htmlTemplateText string

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"seconds":  FormatSeconds,
	"value":    func(v float64, u string) string { return formatValue(v, Unit(u)) },
	"pct":      func(v float64) string { return fmt.Sprintf("%.1f%%", v*100) },
	"scope":    scopeText,
	"labels":   func(l Labels) string { return strings.Trim(l.String(), "{}") },
	"headline": comparisonHeadline,
}).Parse(htmlTemplateText))

type htmlChart struct {
	ID, Title, Caption string
	SVG                template.HTML
}

type htmlData struct {
	S          *Summary
	Cmp        *Comparison
	Changes    []htmlChange
	Passed     bool
	Failed     []ThresholdResult
	FailedI    []InvariantResult
	Figures    []Figure
	Charts     []htmlChart
	Phases     breakdown
	Tenants    breakdown
	Containers breakdown
}

// WriteHTML writes report.html: one self-contained file (inline CSS and SVG, no scripts,
// nothing fetched) with the verdict, failed gates, key figures, the charts (rate, latency
// percentiles, RU/s consumed against provisioned with scale actions, 429s, replication lag
// and region timeline, schema versions) and tables of gates, failovers, migrations, cost,
// detections and events, and the effective scenario.
func WriteHTML(w io.Writer, s *Summary) error { return writeHTML(w, s, nil) }

// htmlChange is one row of the baseline comparison table.
type htmlChange struct {
	Metric, Stat, Base, New, Change, Interval, Verdict string
}

func writeHTML(w io.Writer, s *Summary, cmp *Comparison) error {
	d := htmlData{S: s, Cmp: cmp, Passed: s.Run.Verdict == VerdictPass, Figures: KeyFigures(s),
		Phases: phaseBreakdown(s), Tenants: tenantBreakdown(s),
		Containers: containerBreakdown(s)}
	if cmp != nil {
		for _, mc := range cmp.sortedChanges() {
			d.Changes = append(d.Changes, htmlChange{mc.Metric, mc.Stat, mc.formatBase(),
				mc.formatNew(), mc.formatChange(), mc.formatInterval(), mc.Verdict})
		}
	}
	for _, t := range s.Thresholds {
		if t.Verdict != VerdictPass {
			d.Failed = append(d.Failed, t)
		}
	}
	for _, i := range s.Invariants {
		if i.Verdict != VerdictPass {
			d.FailedI = append(d.FailedI, i)
		}
	}
	tl := newTimeline(s)
	for _, c := range tl.charts() {
		svg, err := c.svg(tl.bucket, s.Run.DurationSeconds)
		if err != nil {
			return fmt.Errorf("write html: %w", err)
		}
		// The SVG comes from gonum/plot, which escapes the text it draws.
		d.Charts = append(d.Charts, htmlChart{c.ID, c.Title, c.Caption, template.HTML(svg)})
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := htmlTemplate.Execute(bw, d); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return bw.Flush()
}
