package reports

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// oneHourRun is a one-hour run with a realistic number of series: 10 tenants, 5 containers
// x 4 operations of Cosmos DB latency, RU/s per container, 2 regions, schema versions;
// 90 series of which 30 are latency histograms with 50 samples per second each.
func oneHourRun(b *testing.B) *Summary {
	b.Helper()
	s := synthRun{seed: 1, seconds: 3600, tenants: 10, samples: 50}.build(b)
	ths, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		MetricIngestLatency: {{Threshold: "p(99)<250ms"}, {Threshold: "p(99)<1s", Phase: "burst"}},
		MetricCosmosLatency: {{Threshold: "p(95)<50ms", Window: "10m-20m"}},
		MetricBatchFailed:   {{Threshold: "rate<1%"}},
		MetricEventsAcked:   {{Threshold: "rate>10000"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	EvaluateAll(s, ths)
	CheckInvariants(s)
	s.Finalize()
	b.Logf("%d series, %d seconds", len(s.Metrics), s.Run.DurationSeconds)
	return s
}

// BenchmarkReportOneHour measures writing all four report files of a one-hour run; the
// target is under 2 s per operation.
func BenchmarkReportOneHour(b *testing.B) {
	s := oneHourRun(b)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteRunFolder(dir, s); err != nil {
			b.Fatal(err)
		}
	}
	for name, unit := range map[string]string{FileSummaryJSON: "json-MB", FileHTML: "html-MB"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(info.Size())/1e6, unit)
	}
}

// BenchmarkWriters measures each writer of a one-hour run on its own.
func BenchmarkWriters(b *testing.B) {
	s := oneHourRun(b)
	for _, w := range []struct {
		name  string
		write func(io.Writer, *Summary) error
	}{{"json", WriteJSON}, {"junit", WriteJUnit}, {"markdown", WriteMarkdown}, {"html", WriteHTML}} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := w.write(io.Discard, s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrendObserve measures the recorder's hot path: one latency observation.
func BenchmarkTrendObserve(b *testing.B) {
	r, err := NewRecorder(RecorderConfig{})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := r.Trend(MetricIngestLatency, Labels{"tenant": "t1"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tr.Observe(0.001 + float64(i%5000)*1e-5)
		i++
	}
}

// BenchmarkCompareOneHour measures comparing two one-hour runs.
func BenchmarkCompareOneHour(b *testing.B) {
	base := oneHourRun(b)
	cur := synthRun{seed: 2, seconds: 3600, tenants: 10, samples: 50}.build(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(base, cur, CompareConfig{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAbortCheckOneHour compares what an abort-on-fail check costs an hour into a run:
// a whole Fill against Recorder.CheckAbort, which copies only the metrics the abortOnFail
// thresholds name (here batch_failed).
func BenchmarkAbortCheckOneHour(b *testing.B) {
	r := synthRun{seed: 1, seconds: 3600, tenants: 10, samples: 50}.record(b)
	ths, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		MetricBatchFailed:   {{Threshold: "rate<1%", AbortOnFail: true}},
		MetricIngestLatency: {{Threshold: "p(99)<250ms"}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("fill", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var s Summary
			r.Fill(&s)
			_ = CheckAbort(&s, ths, time.Hour)
		}
	})
	b.Run("check-abort", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.CheckAbort(ths, time.Hour)
		}
	})
}
