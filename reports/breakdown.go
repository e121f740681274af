package reports

import (
	"slices"
)

// breakdownColumns are the figures of the per-phase and per-tenant tables of report.html.
var breakdownColumns = []struct {
	title, metric string
	agg           Aggregation
	unit          Unit
}{
	{"events acked/s", MetricEventsAcked, Aggregation{Name: "rate"}, UnitNone},
	{"ingest p(50)", MetricIngestLatency, Aggregation{"p", 50}, UnitSeconds},
	{"ingest p(99)", MetricIngestLatency, Aggregation{"p", 99}, UnitSeconds},
	{"batches failed", MetricBatchFailed, Aggregation{Name: "rate"}, UnitRatio},
	{"429s", MetricCosmosThrottled, Aggregation{Name: "count"}, UnitCount},
}

// breakdown is a table of the breakdown columns, one row per phase or tenant.
type breakdown struct {
	Head []string
	Rows [][]string
}

// breakdownRow formats the columns for the series selected by sel over the span; a column
// without data is "-".
func breakdownRow(s *Summary, first string, sel Labels, sp Span) []string {
	row := []string{first}
	for _, c := range breakdownColumns {
		series := s.Find(c.metric, sel)
		v, ok := aggregate(series, c.agg, sp, s.Run.DurationSeconds)
		if len(series) == 0 || !ok {
			row = append(row, "-")
			continue
		}
		row = append(row, formatValue(v, c.unit))
	}
	return row
}

func breakdownHead(first string) []string {
	head := []string{first}
	for _, c := range breakdownColumns {
		head = append(head, c.title)
	}
	return head
}

// phaseBreakdown has one row per phase occurrence, in time order.
func phaseBreakdown(s *Summary) breakdown {
	b := breakdown{Head: breakdownHead("phase")}
	for _, p := range s.Phases {
		name := p.Name + " (" + FormatSeconds(float64(p.StartSeconds)) + "-" +
			FormatSeconds(float64(p.EndSeconds)) + ")"
		b.Rows = append(b.Rows, breakdownRow(s, name, nil, Span{{p.StartSeconds, p.EndSeconds}}))
	}
	return b
}

// tenantBreakdown has one row per tenant label value seen on any breakdown metric.
func tenantBreakdown(s *Summary) breakdown {
	var tenants []string
	for _, m := range s.Metrics {
		if t, ok := m.Labels["tenant"]; ok && !slices.Contains(tenants, t) {
			tenants = append(tenants, t)
		}
	}
	slices.Sort(tenants)
	b := breakdown{Head: breakdownHead("tenant")}
	for _, t := range tenants {
		b.Rows = append(b.Rows, breakdownRow(s, t, Labels{"tenant": t},
			Span{whole(s.Run.DurationSeconds)}))
	}
	return b
}
