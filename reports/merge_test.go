package reports

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMergeShardsIsExact splits one run's observations over two shards and checks the
// merged summary equals the single run bucket for bucket.
func TestMergeShardsIsExact(t *testing.T) {
	whole, wholeClk := newTestRecorder(t, 0)
	shards := make([]*Recorder, 2)
	clocks := make([]*fakeClock, 2)
	for i := range shards {
		shards[i], clocks[i] = newTestRecorder(t, 0)
	}
	trend := func(r *Recorder) *Trend {
		tr, err := r.Trend(MetricIngestLatency, Labels{"tenant": "a"})
		require.NoError(t, err)
		return tr
	}
	counter := func(r *Recorder) *Counter {
		c, err := r.Counter(MetricEventsAcked, nil)
		require.NoError(t, err)
		return c
	}
	for sec := range 20 {
		for i := range 200 {
			v := float64((sec*7919+i*104729)%50000) * 1e-6
			trend(whole).Observe(v)
			counter(whole).Add(1)
			trend(shards[i%2]).Observe(v)
			counter(shards[i%2]).Add(1)
		}
		wholeClk.Advance(1e9)
		clocks[0].Advance(1e9)
		clocks[1].Advance(1e9)
	}
	var want, a, b Summary
	whole.Fill(&want)
	shards[0].Fill(&a)
	shards[1].Fill(&b)

	// Merge the shards as read back from summary.json, as a distributed run would.
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, &b))
	bRead, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	require.Error(t, err, "an unfinalized summary has no schema version")
	b.Finalize()
	buf.Reset()
	require.NoError(t, WriteJSON(&buf, &b))
	bRead, err = ReadJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.NoError(t, Merge(&a, bRead))

	gotT, wantT := a.Find(MetricIngestLatency, nil)[0], want.Find(MetricIngestLatency, nil)[0]
	require.Equal(t, wantT.Histogram.Count(), gotT.Histogram.Count())
	for _, p := range []float64{1, 50, 90, 99, 99.9, 100} {
		require.Equal(t, wantT.Histogram.Quantile(p), gotT.Histogram.Quantile(p), "p%g", p)
	}
	for sec := range wantT.Seconds {
		require.Equal(t, wantT.Seconds[sec].Quantile(99), gotT.Seconds[sec].Quantile(99))
	}
	require.Equal(t, want.Find(MetricEventsAcked, nil)[0].Values,
		a.Find(MetricEventsAcked, nil)[0].Values)
}

func TestMergeRejectsDifferentRuns(t *testing.T) {
	a := &Summary{Scenario: Scenario{Name: "x", Seed: 1}}
	b := &Summary{Scenario: Scenario{Name: "x", Seed: 2}}
	require.ErrorContains(t, Merge(a, b), "differ")
}

func TestMergeDetections(t *testing.T) {
	a := &Summary{Detections: []Detection{{AttackKind: "dcsync", Injected: 2, TruePositives: 2,
		MeanDelaySeconds: 1}}}
	b := &Summary{Detections: []Detection{{AttackKind: "dcsync", Injected: 2, TruePositives: 1,
		FalseNegatives: 1, MeanDelaySeconds: 4}}}
	require.NoError(t, Merge(a, b))
	require.Equal(t, Detection{AttackKind: "dcsync", Injected: 4, TruePositives: 3,
		FalseNegatives: 1, MeanDelaySeconds: 2}, a.Detections[0])
}

// TestMergeShardsEvaluatesRecordedThresholds checks that merging keeps every gate: a
// threshold each shard passes on its own is evaluated again on the merged data, where it
// fails, and an aborted shard makes the merged run aborted.
func TestMergeShardsEvaluatesRecordedThresholds(t *testing.T) {
	ths, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		MetricEventsAcked: {{Threshold: "count<10000"}},
	})
	require.NoError(t, err)
	shards := []*Summary{steppedRun(t), steppedRun(t)}
	for _, s := range shards {
		EvaluateAll(s, ths)
		require.Equal(t, VerdictPass, s.Thresholds[0].Verdict, "6,000 events per shard")
		s.Finalize()
	}
	shards[1].Run.Aborted, shards[1].Run.AbortReason = true, "p(99) over the limit"

	merged, err := MergeShards(DefaultCatalog(), shards...)
	require.NoError(t, err)
	require.Len(t, merged.Thresholds, 1)
	require.Equal(t, VerdictFail, merged.Thresholds[0].Verdict)
	require.Equal(t, 12_000.0, merged.Thresholds[0].Observed)
	require.Len(t, merged.Invariants, 3)
	require.Equal(t, VerdictFail, merged.Run.Verdict)
	require.True(t, merged.Run.Aborted)
	require.Equal(t, "p(99) over the limit", merged.Run.AbortReason)
}

func TestRecordedThresholdsRejectsUnknownMetric(t *testing.T) {
	s := &Summary{Thresholds: []ThresholdResult{{Metric: "no_such_metric",
		Expression: "count==0"}}}
	_, err := MergeShards(DefaultCatalog(), s, s)
	require.ErrorContains(t, err, `unknown metric "no_such_metric"`)
}
