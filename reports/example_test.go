package reports_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/stampede-load/stampede/reports"
)

// Example shows a run's life as the runner drives it: record on the timeline, evaluate the
// thresholds and invariants, and finish the summary for the writers.
func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	rec, err := reports.NewRecorder(reports.RecorderConfig{Now: clock})
	if err != nil {
		panic(err)
	}
	latency, _ := rec.Trend(reports.MetricIngestLatency, reports.Labels{"tenant": "contoso"})
	acked, _ := rec.Counter(reports.MetricEventsAcked, reports.Labels{"tenant": "contoso"})
	lost, _ := rec.Counter(reports.MetricEventsLost, nil)

	for sec := range 10 {
		for i := range 100 {
			latency.ObserveDuration(time.Duration(5+i%20+sec) * time.Millisecond)
		}
		acked.Add(5000)
		lost.Add(0)
		now = now.Add(time.Second)
	}

	thresholds, err := reports.ParseThresholds(reports.DefaultCatalog(),
		map[string][]reports.ThresholdSpec{
			"ingest_latency": {{Threshold: "p(99)<40ms"}, {Threshold: "p(99)<25ms", Window: "5s-"}},
			"events_acked":   {{Threshold: "rate>=5000"}},
		})
	if err != nil {
		panic(err)
	}
	s := &reports.Summary{Scenario: reports.Scenario{Name: "example", Seed: 42}}
	rec.Fill(s)
	reports.EvaluateAll(s, thresholds)
	reports.CheckInvariants(s)
	s.Finalize()

	for _, t := range s.Thresholds {
		fmt.Println(strings.TrimSpace(t.Verdict + " " + t.Metric + " " + t.Expression + " " + t.Window))
	}
	fmt.Println("run:", s.Run.Verdict)
	// Then reports.WriteRunFolder(dir, s) writes summary.json, junit.xml, summary.md and
	// report.html.

	// Output:
	// pass events_acked rate>=5000
	// pass ingest_latency p(99)<40ms
	// fail ingest_latency p(99)<25ms 5s-
	// run: fail
}
