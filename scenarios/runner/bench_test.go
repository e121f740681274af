package runner

import (
	"runtime/debug"
	"testing"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// The collector settings of a whole run in one process (see BenchmarkEndToEnd100k); the same
// as GOGC=400 GOMEMLIMIT=4GiB in the environment of stampede run.
const (
	embeddedGCPercent   = 400
	embeddedMemoryLimit = 4 << 30
)

// BenchmarkEndToEnd100k runs testdata/perf/throughput-100k.yaml (100,000 events/s for 60 s
// through sensors, backend and the throttling emulator in this process) and reports the
// acknowledged rate, the events lost and the ingest p99. One iteration is one whole run:
//
//	go test -run '^$' -bench EndToEnd100k -benchtime 1x ./scenarios/runner/
func BenchmarkEndToEnd100k(b *testing.B) {
	s, err := scenarios.Load("../testdata/perf/throughput-100k.yaml")
	if err != nil {
		b.Fatal(err)
	}
	// The run keeps about 350 MB live (profiles, caches, queues) and allocates about 100 MB/s,
	// most of it in the Cosmos DB SDK per request: at the default GOGC of 100 the collector
	// ran every second or so and marked for half of it, taking CPU and adding assists and
	// write barriers to ingest. 400 (with a 4 GiB limit as a backstop) cut ingest p99 from
	// 299-806 ms to 183-285 ms in three pairs of 30 s runs back to back.
	defer debug.SetGCPercent(debug.SetGCPercent(embeddedGCPercent))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(embeddedMemoryLimit))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Run(b.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter()})
		if err != nil {
			b.Fatal(err)
		}
		sum := res.Summary
		whole := reports.Window{From: 0, To: sum.Run.DurationSeconds}
		acked, _ := sum.Aggregate(reports.MetricEventsAcked, nil,
			reports.Aggregation{Name: "count"}, whole)
		lost, _ := sum.Aggregate(reports.MetricEventsLost, nil,
			reports.Aggregation{Name: "count"}, whole)
		p99, _ := sum.Aggregate(reports.MetricIngestLatency, nil,
			reports.Aggregation{Name: "p", Percentile: 99}, whole)
		b.ReportMetric(acked/s.Duration.D().Seconds(), "acked-events/s")
		b.ReportMetric(lost, "events-lost")
		b.ReportMetric(p99*1000, "ingest-p99-ms")
		if !res.Passed {
			b.Logf("run failed: invariants %+v thresholds %+v", sum.Invariants, sum.Thresholds)
		}
	}
}
