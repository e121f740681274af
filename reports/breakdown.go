package reports

import (
	"slices"
)

// breakdownColumn is one figure of a breakdown table.
type breakdownColumn struct {
	title, metric string
	agg           Aggregation
	unit          Unit
}

// breakdownColumns are the figures of the per-phase and per-tenant tables of report.html.
var breakdownColumns = []breakdownColumn{
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

// containerColumns are the figures of the per-container table of report.html.
var containerColumns = []breakdownColumn{
	{"RU/s consumed (mean)", MetricRUConsumed, Aggregation{Name: "rate"}, UnitNone},
	{"RU/s provisioned (mean)", MetricRUProvisioned, Aggregation{Name: "avg"}, UnitNone},
	{"RU/s provisioned (max)", MetricRUProvisioned, Aggregation{Name: "max"}, UnitNone},
	{"429s", MetricCosmosThrottled, Aggregation{Name: "count"}, UnitCount},
	{"scale actions", MetricScaleActions, Aggregation{Name: "count"}, UnitCount},
	{"Cosmos DB p(99)", MetricCosmosLatency, Aggregation{"p", 99}, UnitSeconds},
}

// breakdownRow formats the columns for the series selected by sel over the span; a column
// without data is "-".
func breakdownRow(s *Summary, cols []breakdownColumn, first string, sel Labels, sp Span) []string {
	row := []string{first}
	for _, c := range cols {
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

func breakdownHead(cols []breakdownColumn, first string) []string {
	head := []string{first}
	for _, c := range cols {
		head = append(head, c.title)
	}
	return head
}

// phaseBreakdown has one row per phase occurrence, in time order.
func phaseBreakdown(s *Summary) breakdown {
	b := breakdown{Head: breakdownHead(breakdownColumns, "phase")}
	for _, p := range s.Phases {
		name := p.Name + " (" + FormatSeconds(float64(p.StartSeconds)) + "-" +
			FormatSeconds(float64(p.EndSeconds)) + ")"
		b.Rows = append(b.Rows, breakdownRow(s, breakdownColumns, name, nil,
			Span{{p.StartSeconds, p.EndSeconds}}))
	}
	return b
}

// tenantBreakdown has one row per tenant label value seen on any metric.
func tenantBreakdown(s *Summary) breakdown {
	return labelBreakdown(s, "tenant", breakdownColumns)
}

// containerBreakdown has one row per container label value seen on any metric.
func containerBreakdown(s *Summary) breakdown {
	return labelBreakdown(s, "container", containerColumns)
}

// labelBreakdown has one row per value of label over the whole run.
func labelBreakdown(s *Summary, label string, cols []breakdownColumn) breakdown {
	var values []string
	for _, m := range s.Metrics {
		if v, ok := m.Labels[label]; ok && !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	slices.Sort(values)
	b := breakdown{Head: breakdownHead(cols, label)}
	for _, v := range values {
		b.Rows = append(b.Rows, breakdownRow(s, cols, v, Labels{label: v},
			Span{whole(s.Run.DurationSeconds)}))
	}
	return b
}
