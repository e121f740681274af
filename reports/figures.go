package reports

import (
	"fmt"
	"strconv"
)

// Figure is one headline number of a run, formatted for people.
type Figure struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// keyFigureSpecs are the metric aggregates KeyFigures reports when the run has them.
var keyFigureSpecs = []struct {
	name, metric string
	agg          Aggregation
	unit         Unit
}{
	{"events acknowledged per second", MetricEventsAcked, Aggregation{Name: "rate"}, UnitNone},
	{"events acknowledged", MetricEventsAcked, Aggregation{Name: "count"}, UnitCount},
	{"events lost", MetricEventsLost, Aggregation{Name: "count"}, UnitCount},
	{"events dropped by crash restarts", MetricEventsLostCrash, Aggregation{Name: "count"},
		UnitCount},
	{"ingest latency p(50)", MetricIngestLatency, Aggregation{"p", 50}, UnitSeconds},
	{"ingest latency p(99)", MetricIngestLatency, Aggregation{"p", 99}, UnitSeconds},
	{"ingest latency max", MetricIngestLatency, Aggregation{Name: "max"}, UnitSeconds},
	{"Cosmos DB latency p(99)", MetricCosmosLatency, Aggregation{"p", 99}, UnitSeconds},
	{"429 ratio", MetricThrottleRatio, Aggregation{Name: "rate"}, UnitRatio},
	{"429 responses", MetricCosmosThrottled, Aggregation{Name: "count"}, UnitCount},
	{"scale actions", MetricScaleActions, Aggregation{Name: "count"}, UnitCount},
	{"RU/s consumed (mean)", MetricRUConsumed, Aggregation{Name: "rate"}, UnitNone},
	{"RU/s provisioned (mean)", MetricRUProvisioned, Aggregation{Name: "avg"}, UnitNone},
}

// KeyFigures picks the headline numbers of a run that has the data for them: throughput,
// latency, throttling, scaling, failover, migrations and cost.
func KeyFigures(s *Summary) []Figure {
	var out []Figure
	for _, f := range keyFigureSpecs {
		if len(s.Find(f.metric, nil)) == 0 {
			continue
		}
		if v, ok := s.Aggregate(f.metric, nil, f.agg, whole(s.Run.DurationSeconds)); ok {
			out = append(out, Figure{f.name, formatValue(v, f.unit)})
		}
	}
	out = append(out, failoverFigures(s)...)
	out = append(out, migrationFigures(s)...)
	return append(out, costFigures(s)...)
}

func failoverFigures(s *Summary) []Figure {
	if len(s.Failovers) == 0 {
		return nil
	}
	var rto float64
	var rpo int64
	for _, f := range s.Failovers {
		rto = max(rto, f.RTOSeconds)
		rpo += f.RPOCount
	}
	return []Figure{{"failover RTO (worst)", FormatSeconds(rto)},
		{"failover RPO (writes lost)", strconv.FormatInt(rpo, 10)}}
}

func migrationFigures(s *Summary) []Figure {
	if len(s.Migrations) == 0 {
		return nil
	}
	var fly, batch, remaining int64
	for _, m := range s.Migrations {
		fly, batch, remaining = fly+m.OnTheFly, batch+m.Batch, remaining+m.Remaining
	}
	return []Figure{{"documents migrated on the fly / by batch",
		fmt.Sprintf("%d / %d", fly, batch)}, {"documents left at an old version",
		strconv.FormatInt(remaining, 10)}}
}

func costFigures(s *Summary) []Figure {
	var out []Figure
	for _, c := range s.Costs {
		out = append(out, Figure{"cost " + c.Scope, fmt.Sprintf("%.0f RU/s-h = %.2f %s",
			c.RUHours, c.Money, c.Currency)})
	}
	return out
}
