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

// KeyFigures picks the headline numbers of a run that has the data for them: throughput,
// latency, throttling, scaling, failover, migrations and cost.
func KeyFigures(s *Summary) []Figure {
	var out []Figure
	add := func(name string, v float64, ok bool, u Unit) {
		if ok {
			out = append(out, Figure{name, formatValue(v, u)})
		}
	}
	whole := whole(s.Run.DurationSeconds)
	agg := func(metric, a string, pct float64) (float64, bool) {
		if len(s.Find(metric, nil)) == 0 {
			return 0, false
		}
		return s.Aggregate(metric, nil, Aggregation{Name: a, Percentile: pct}, whole)
	}
	v, ok := agg(MetricEventsAcked, "rate", 0)
	add("events acknowledged per second", v, ok, UnitNone)
	v, ok = agg(MetricEventsAcked, "count", 0)
	add("events acknowledged", v, ok, UnitCount)
	v, ok = agg(MetricEventsLost, "count", 0)
	add("events lost", v, ok, UnitCount)
	for _, p := range []float64{50, 99} {
		v, ok = agg(MetricIngestLatency, "p", p)
		add(fmt.Sprintf("ingest latency p(%g)", p), v, ok, UnitSeconds)
	}
	v, ok = agg(MetricIngestLatency, "max", 0)
	add("ingest latency max", v, ok, UnitSeconds)
	v, ok = agg(MetricCosmosLatency, "p", 99)
	add("Cosmos DB latency p(99)", v, ok, UnitSeconds)
	v, ok = agg(MetricThrottleRatio, "rate", 0)
	add("429 ratio", v, ok, UnitRatio)
	v, ok = agg(MetricCosmosThrottled, "count", 0)
	add("429 responses", v, ok, UnitCount)
	v, ok = agg(MetricScaleActions, "count", 0)
	add("scale actions", v, ok, UnitCount)
	v, ok = agg(MetricRUConsumed, "rate", 0)
	add("RU/s consumed (mean)", v, ok, UnitNone)
	v, ok = agg(MetricRUProvisioned, "avg", 0)
	add("RU/s provisioned (mean)", v, ok, UnitNone)
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
