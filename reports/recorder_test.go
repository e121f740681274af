package reports

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a manually advanced clock for recorder tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestRecorder(t *testing.T, maxLabels int) (*Recorder, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	r, err := NewRecorder(RecorderConfig{Now: clk.Now, MaxLabelSets: maxLabels})
	require.NoError(t, err)
	return r, clk
}

func TestRecorderTimeline(t *testing.T) {
	r, clk := newTestRecorder(t, 0)
	acked, err := r.Counter(MetricEventsAcked, Labels{"tenant": "t1"})
	require.NoError(t, err)
	prov, err := r.Gauge(MetricRUProvisioned, Labels{"container": "Alert"})
	require.NoError(t, err)
	failed, err := r.Rate(MetricBatchFailed, nil)
	require.NoError(t, err)
	lat, err := r.Trend(MetricIngestLatency, nil)
	require.NoError(t, err)

	r.StartPhase("steady")
	acked.Add(10)
	prov.Set(400)
	failed.Add(true)
	failed.Add(false)
	lat.ObserveDuration(10 * time.Millisecond)
	clk.Advance(2500 * time.Millisecond)
	r.StartPhase("burst")
	acked.Add(5)
	lat.ObserveDuration(30 * time.Millisecond)
	r.Event(EventScale, Labels{"container": "Alert"}, "400 -> 800 RU/s")
	clk.Advance(time.Second)
	prov.Set(800)

	var s Summary
	r.Fill(&s)
	require.Equal(t, 4, s.Run.DurationSeconds)
	require.Equal(t, []Phase{{"steady", 0, 2}, {"burst", 2, 4}}, s.Phases)
	require.Len(t, s.Events, 3)
	require.InDelta(t, 2.5, s.Events[2].AtSeconds, 1e-9)

	got := s.Find(MetricEventsAcked, nil)
	require.Len(t, got, 1)
	require.Equal(t, Samples{10, 0, 5, 0}, got[0].Values)

	g := s.Find(MetricRUProvisioned, Labels{"container": "Alert"})[0]
	require.Equal(t, Samples{400, 400, 400, 800}, g.Values, "gauges carry forward")

	rt := s.Find(MetricBatchFailed, nil)[0]
	require.Equal(t, Samples{1, 0, 0, 0}, rt.Values)
	require.Equal(t, Samples{2, 0, 0, 0}, rt.Totals)

	tr := s.Find(MetricIngestLatency, nil)[0]
	require.Len(t, tr.Seconds, 4)
	require.Nil(t, tr.Seconds[1])
	require.EqualValues(t, 2, tr.Histogram.Count())
	require.InDelta(t, 0.030, tr.Histogram.Max(), 0.0001)
}

func TestRecorderRejectsWrongUse(t *testing.T) {
	r, _ := newTestRecorder(t, 0)
	_, err := r.Counter("events_akced", nil)
	require.ErrorContains(t, err, `did you mean "events_acked"`)
	_, err = r.Gauge(MetricEventsAcked, nil)
	require.ErrorContains(t, err, "is a counter, not a gauge")
	_, err = r.Counter(MetricEventsAcked, Labels{"url": "http://x"})
	require.ErrorContains(t, err, `label "url" not allowed`)
}

func TestRecorderBoundsLabelSets(t *testing.T) {
	r, _ := newTestRecorder(t, 2)
	for _, tenant := range []string{"a", "b", "c", "d"} {
		c, err := r.Counter(MetricEventsAcked, Labels{"tenant": tenant})
		require.NoError(t, err)
		c.Add(1)
	}
	var s Summary
	r.Fill(&s)
	var keys []string
	for _, m := range s.Metrics {
		keys = append(keys, m.Key())
	}
	require.Equal(t, []string{"events_acked{tenant:a}", "events_acked{tenant:b}",
		"events_acked{tenant:other}"}, keys)
	require.Equal(t, Samples{2}, s.Find(MetricEventsAcked, Labels{"tenant": "other"})[0].Values)
}

func TestRecorderConcurrent(t *testing.T) {
	r, clk := newTestRecorder(t, 0)
	lat, err := r.Trend(MetricCosmosLatency, Labels{"op": "upsert"})
	require.NoError(t, err)
	acked, err := r.Counter(MetricEventsAcked, nil)
	require.NoError(t, err)
	abort, err := ParseThreshold(DefaultCatalog(), MetricCosmosLatency,
		ThresholdSpec{Threshold: "p(99)<1s", AbortOnFail: true})
	require.NoError(t, err)
	// One sample before the reader starts: an empty trend fails its threshold by design
	// (no samples is not a pass), which is not what this test is about.
	lat.ObserveDuration(time.Millisecond)
	acked.Add(1)
	var wg sync.WaitGroup
	wg.Go(func() {
		// Reading while recording, as the runner's abort checks and progress do.
		for range 20 {
			var s Summary
			r.Fill(&s)
			if res := r.CheckAbort([]Threshold{abort}, time.Hour); res != nil {
				t.Errorf("abort while recording: %+v", *res) // t.Errorf: not the test goroutine
				return
			}
		}
	})
	for w := range 4 {
		wg.Go(func() {
			for i := range 1000 {
				lat.ObserveDuration(time.Duration(w*1000+i) * time.Microsecond)
				acked.Add(1)
				if i%250 == 0 && w == 0 {
					clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	var s Summary
	r.Fill(&s)
	require.Equal(t, 4001.0, s.Find(MetricEventsAcked, nil)[0].Values.Sum(whole(100)))
	require.EqualValues(t, 4001, s.Find(MetricCosmosLatency, nil)[0].Histogram.Count())
}

func TestSamplesJSONNull(t *testing.T) {
	b, err := Samples{1, math.NaN(), 2.5}.MarshalJSON()
	require.NoError(t, err)
	require.Equal(t, "[1,null,2.5]", string(b))
	var got Samples
	require.NoError(t, got.UnmarshalJSON(b))
	require.True(t, math.IsNaN(got[1]))
	require.Equal(t, 2.5, got[2])
}

// TestTrendPacksExactly records more observations in a second than are kept raw, so both
// paths (raw values and the dense histogram) are used, and checks nothing is lost or moved.
func TestTrendPacksExactly(t *testing.T) {
	r, clk := newTestRecorder(t, 0)
	tr, err := r.Trend(MetricCosmosLatency, nil)
	require.NoError(t, err)
	want := NewHistogram(UnitSeconds)
	for sec, n := range []int{10, pendingLimit + 500, 0, 3} {
		for i := range n {
			v := float64((i*7919)%40000+sec) * 1e-6
			tr.Observe(v)
			want.Record(v)
		}
		if sec == 1 {
			// A late observation lands in its own second.
			tr.ObserveAt(r.Start(), 0.5)
			want.Record(0.5)
		}
		clk.Advance(time.Second)
	}
	var s Summary
	r.Fill(&s)
	got := s.Find(MetricCosmosLatency, nil)[0]
	require.EqualValues(t, 11, got.Seconds[0].Count())
	require.EqualValues(t, pendingLimit+500, got.Seconds[1].Count())
	require.Nil(t, got.Seconds[2])
	require.Equal(t, want.Count(), got.Histogram.Count())
	for _, p := range []float64{0, 10, 50, 90, 99, 99.99, 100} {
		require.Equal(t, want.Quantile(p), got.Histogram.Quantile(p), "p%g", p)
	}
}
