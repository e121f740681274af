package sim

import (
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/cputime"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
	"github.com/stampede-load/stampede/sim/sink"
)

// benchDuration is how long BenchmarkOpenModel100k runs; the target is stated for 60 s:
//
//	go test ./sim -run XXX -bench BenchmarkOpenModel100k -benchtime 1x -sim.duration 60s
//
// STAMPEDE_SIM_DURATION sets it too (flag wins).
var benchDuration = flag.Duration("sim.duration", 0,
	"duration of BenchmarkOpenModel100k (default $STAMPEDE_SIM_DURATION or 5s)")

func openModelDuration(b *testing.B) time.Duration {
	if *benchDuration > 0 {
		return *benchDuration
	}
	if env := os.Getenv("STAMPEDE_SIM_DURATION"); env != "" {
		d, err := time.ParseDuration(env)
		if err != nil {
			b.Fatalf("STAMPEDE_SIM_DURATION=%q: %v", env, err)
		}
		return d
	}
	return 5 * time.Second
}

// BenchmarkOpenModel100k runs 100,000 events/s (two medium tenants, 40 sensors) against an
// accept-everything HTTP server on loopback ("http") and against a discard sink ("discard"),
// and reports the rate achieved against the target and the schedule lag.
func BenchmarkOpenModel100k(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", api.ContentTypeJSON)
		_, _ = io.WriteString(w, `{"accepted":1}`)
	}))
	defer srv.Close()
	httpSink, err := sink.NewHTTPSink(srv.URL, sink.HTTPOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("http", func(b *testing.B) { benchOpenModel(b, httpSink) })
	b.Run("discard", func(b *testing.B) { benchOpenModel(b, &sink.Discard{}) })
}

func benchOpenModel(b *testing.B, s sink.Sink) {
	duration := openModelDuration(b)
	const target = 100_000
	cfg := Config{Seed: 1, Duration: duration, Clock: pace.Clock{Compression: 60},
		Tenants: []TenantSpec{
			{Org: org.Spec{Tenant: "t1", Users: 5000, Sensors: 20}, Rate: target / 2},
			{Org: org.Spec{Tenant: "t2", Users: 5000, Sensors: 20}, Rate: target / 2},
		}}
	var tot Totals
	cpu := cputime.Now()
	stopProbe, probe := sleepProbe()
	for b.Loop() {
		f, err := New(cfg, s)
		if err != nil {
			b.Fatal(err)
		}
		if tot, err = f.Run(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
	stopProbe()
	// The lag a pacer doing nothing saw at the same time: the machine's floor.
	b.ReportMetric(float64(probe.ValueAtQuantile(99))/1e3, "floor-lag-p99-ms")
	b.ReportMetric(tot.Rate, "events/s")
	// The whole process: pacing, encoding, HTTP client and the loopback server.
	b.ReportMetric((cputime.Now()-cpu).Seconds()/tot.Elapsed.Seconds(), "cpu-cores")
	b.ReportMetric(100*(tot.Rate-target)/target, "rate-error-%")
	b.ReportMetric(float64(tot.LagP50)/1e6, "lag-p50-ms")
	b.ReportMetric(float64(tot.LagP99)/1e6, "lag-p99-ms")
	b.ReportMetric(float64(tot.LagMax)/1e6, "lag-max-ms")
	b.ReportMetric(float64(tot.Acked)/float64(max(tot.Generated, 1)), "acked/generated")
	b.ReportMetric(float64(tot.SaturatedSeconds), "saturated-s")
}

// sleepProbe runs, until stopped, a trivial open-model pacer: 10,000 ticks per second on
// absolute due times, each recorded with its lag (microseconds) when the goroutine wakes.
// It does no work, so its lag is the floor the machine imposes at that moment; it is
// weighted per tick like the fleet's, so the two compare. Read lag after stop returns.
func sleepProbe() (stop func(), lag *hdrhistogram.Histogram) {
	lag = hdrhistogram.New(0, lagMaxMicros, lagDigits)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		const tick = 100 * time.Microsecond
		start := time.Now()
		timer := time.NewTimer(tick)
		defer timer.Stop()
		for due := tick; ; {
			select {
			case <-done:
				return
			case <-timer.C:
			}
			now := time.Since(start)
			for ; due <= now; due += tick {
				_ = lag.RecordValue(int64((now - due) / time.Microsecond))
			}
			timer.Reset(due - now)
		}
	}()
	return func() { close(done); <-finished }, lag
}

// BenchmarkStream measures one sensor's stream: schedule, everyday events and injection,
// without batching or encoding (the generation target).
func BenchmarkStream(b *testing.B) {
	cfg := Config{Seed: 1, Duration: time.Hour, Clock: pace.Clock{Compression: 60},
		Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 10_000, Sensors: 1},
			Rate: 1e6}}}.WithDefaults()
	_, streams, err := plan(cfg)
	if err != nil {
		b.Fatal(err)
	}
	s := streams[0]
	var e api.Event
	b.ReportAllocs()
	cpu := cputime.Now()
	for b.Loop() {
		if _, ok := s.next(&e); !ok {
			b.Fatal("stream ended")
		}
	}
	reportRates(b, int64(b.N), cputime.Now()-cpu)
}

// BenchmarkRecord measures Record (stream, merge and NDJSON encoding) of 10 sensors.
func BenchmarkRecord(b *testing.B) {
	cfg := Config{Seed: 1, Duration: 10 * time.Second,
		Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 5000, Sensors: 10},
			Rate: 100_000}}}
	var events int64
	cpu := cputime.Now()
	for b.Loop() {
		tot, err := Record(b.Context(), cfg, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		events += tot.Events
	}
	reportRates(b, events, cputime.Now()-cpu)
}

// reportRates reports events per wall second and per CPU second (the latter is what one
// core achieves, whatever else the machine runs).
func reportRates(b *testing.B, events int64, cpu time.Duration) {
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}
