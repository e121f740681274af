package reports

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// steppedRun has ingest latency of 10 ms for seconds 0-29 and 100 ms for seconds 30-59, in
// phases "steady" and "burst", and counts 1 lost event at second 45.
func steppedRun(t *testing.T) *Summary {
	t.Helper()
	r, clk := newTestRecorder(t, 0)
	lat, err := r.Trend(MetricIngestLatency, Labels{"tenant": "a"})
	require.NoError(t, err)
	lost, err := r.Counter(MetricEventsLost, nil)
	require.NoError(t, err)
	acked, err := r.Counter(MetricEventsAcked, nil)
	require.NoError(t, err)
	lag, err := r.Gauge(MetricReplicationLag, Labels{"region": "b"})
	require.NoError(t, err)
	r.StartPhase("steady")
	for sec := range 60 {
		if sec == 30 {
			r.StartPhase("burst")
		}
		v := 0.010
		if sec >= 30 {
			v = 0.100
		}
		for range 10 {
			lat.Observe(v)
		}
		acked.Add(100)
		lost.Add(0)
		if sec == 45 {
			lost.Add(1)
		}
		lag.Set(float64(sec) / 10)
		clk.Advance(time.Second)
	}
	s := &Summary{}
	r.Fill(s)
	return s
}

func TestThresholdEvaluate(t *testing.T) {
	s := steppedRun(t)
	tests := []struct {
		metric string
		spec   ThresholdSpec
		want   string
		obs    float64
	}{
		{"ingest_latency", ThresholdSpec{Threshold: "p(99)<50ms"}, VerdictFail, 0.100},
		{"ingest_latency", ThresholdSpec{Threshold: "p(99)<50ms", Phase: "steady"}, VerdictPass, 0.010},
		{"ingest_latency", ThresholdSpec{Threshold: "p(99)<50ms", Window: "0s-30s"}, VerdictPass, 0.010},
		{"ingest_latency", ThresholdSpec{Threshold: "p(99)<50ms", Window: "29s-31s"}, VerdictFail, 0.100},
		// Percentiles are rounded up to the histogram precision (0.1%).
		{"ingest_latency", ThresholdSpec{Threshold: "med<=10.01ms", Window: "-30s"}, VerdictPass, 0.010},
		{"ingest_latency{tenant:a}", ThresholdSpec{Threshold: "count==600"}, VerdictPass, 600},
		{"ingest_latency{tenant:b}", ThresholdSpec{Threshold: "p(99)<1s"}, VerdictFail, 0},
		{"events_lost", ThresholdSpec{Threshold: "count==0"}, VerdictFail, 1},
		{"events_lost", ThresholdSpec{Threshold: "count==0", Phase: "steady"}, VerdictPass, 0},
		{"events_acked", ThresholdSpec{Threshold: "rate>=100"}, VerdictPass, 100},
		{"sends_dropped", ThresholdSpec{Threshold: "count==0"}, VerdictPass, 0},
		{"replication_lag", ThresholdSpec{Threshold: "max<5s"}, VerdictFail, 5.9},
		{"replication_lag", ThresholdSpec{Threshold: "value<=5.9s"}, VerdictPass, 5.9},
		{"ingest_latency", ThresholdSpec{Threshold: "avg<1s", Phase: "failover"}, VerdictFail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.metric+" "+tt.spec.Threshold+" "+tt.spec.Window+tt.spec.Phase, func(t *testing.T) {
			th, err := ParseThreshold(DefaultCatalog(), tt.metric, tt.spec)
			require.NoError(t, err)
			res := th.Evaluate(s)
			require.Equal(t, tt.want, res.Verdict, res.Message)
			require.InDelta(t, tt.obs, res.Observed, tt.obs*0.001+1e-9)
			if res.Verdict == VerdictFail {
				require.NotEmpty(t, res.Message)
			}
		})
	}
}

func TestCheckAbort(t *testing.T) {
	s := steppedRun(t)
	th, err := ParseThreshold(DefaultCatalog(), "ingest_latency",
		ThresholdSpec{Threshold: "p(99)<50ms", AbortOnFail: true, DelayAbortEval: "40s"})
	require.NoError(t, err)
	plain, err := ParseThreshold(DefaultCatalog(), "events_lost", ThresholdSpec{Threshold: "count==0"})
	require.NoError(t, err)
	ths := []Threshold{plain, th}

	require.Nil(t, CheckAbort(s, ths, 39*time.Second), "still within the delay")
	got := CheckAbort(s, ths, 41*time.Second)
	require.NotNil(t, got)
	require.Equal(t, "p(99)<50ms", got.Expression)
	require.True(t, got.AbortOnFail)
}

func TestCheckInvariants(t *testing.T) {
	s := steppedRun(t)
	CheckInvariants(s)
	require.Len(t, s.Invariants, 3)
	require.Equal(t, VerdictFail, s.Invariants[0].Verdict, "one event lost")
	require.Equal(t, VerdictPass, s.Invariants[1].Verdict)
	require.Equal(t, VerdictPass, s.Invariants[2].Verdict)

	// An accepted RPO covers a loss the failover reported.
	s.Scenario.AcceptedRPO = 10
	s.Failovers = []Failover{{RPOCount: 1, RPOEvents: 1}}
	CheckInvariants(s)
	require.Equal(t, VerdictPass, s.Invariants[0].Verdict)
	require.Equal(t, 1.0, s.Invariants[0].Allowed)

	// A migration figure fails its invariant even without the metric.
	s.Migrations = []Migration{{LostUpdates: 2}}
	CheckInvariants(s)
	require.Equal(t, VerdictFail, s.Invariants[2].Verdict)
	require.Equal(t, 2.0, s.Invariants[2].Observed)

	s.Finalize()
	require.Equal(t, VerdictFail, s.Run.Verdict)
}

// TestEventsLostRPOInEvents checks the accepted RPO is compared in events: a failover's
// RPOCount counts lost writes, each of which may carry many events or none.
func TestEventsLostRPOInEvents(t *testing.T) {
	tests := []struct {
		name     string
		accepted int64
		failover []Failover
		want     string
	}{
		{"lost events carried by lost writes, accepted", 100,
			[]Failover{{RPOCount: 1, RPOEvents: 1}}, VerdictPass},
		{"more writes lost than events does not widen the allowance", 100,
			[]Failover{{RPOCount: 50, RPOEvents: 0}}, VerdictFail},
		{"events of several failovers add up", 100,
			[]Failover{{RPOCount: 1}, {RPOCount: 1, RPOEvents: 1}}, VerdictPass},
		{"accepted RPO bounds the allowance", 0,
			[]Failover{{RPOCount: 1, RPOEvents: 1}}, VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := steppedRun(t) // one event lost
			s.Scenario.AcceptedRPO = tt.accepted
			s.Failovers = tt.failover
			CheckInvariants(s)
			require.Equal(t, tt.want, s.Invariants[0].Verdict, s.Invariants[0].Message)
		})
	}
}

func TestEventsLostMustBeMeasured(t *testing.T) {
	s := &Summary{Run: RunInfo{DurationSeconds: 10}}
	CheckInvariants(s)
	require.Equal(t, VerdictFail, s.Invariants[0].Verdict)
	require.Contains(t, s.Invariants[0].Message, "not measured")
}

func TestRecorderCheckAbort(t *testing.T) {
	r, clk := newTestRecorder(t, 0)
	lat, err := r.Trend(MetricIngestLatency, nil)
	require.NoError(t, err)
	acked, err := r.Counter(MetricEventsAcked, nil)
	require.NoError(t, err)
	slow, err := ParseThreshold(DefaultCatalog(), MetricIngestLatency,
		ThresholdSpec{Threshold: "p(99)<50ms", AbortOnFail: true, DelayAbortEval: "2s"})
	require.NoError(t, err)
	ths := []Threshold{slow}

	lat.Observe(0.010)
	acked.Add(1)
	clk.Advance(3 * time.Second)
	require.Nil(t, r.CheckAbort(ths, 3*time.Second))
	lat.Observe(0.200)
	lat.Observe(0.200)
	got := r.CheckAbort(ths, 3*time.Second)
	require.NotNil(t, got)
	require.InDelta(t, 0.200, got.Observed, 0.001)
	require.Nil(t, r.CheckAbort([]Threshold{{Metric: MetricIngestLatency}}, time.Hour),
		"no abortOnFail thresholds")
}

func TestPhaseThresholdCoversEveryOccurrence(t *testing.T) {
	s := steppedRun(t)
	// steady 0-20, burst 20-40 (100 ms from second 30), steady again 40-60.
	s.Phases = []Phase{{"steady", 0, 20}, {"burst", 20, 40}, {"steady", 40, 60}}
	th, err := ParseThreshold(DefaultCatalog(), MetricIngestLatency,
		ThresholdSpec{Threshold: "p(99)<50ms", Phase: "steady"})
	require.NoError(t, err)
	res := th.Evaluate(s)
	require.Equal(t, VerdictFail, res.Verdict, "the second steady phase is slow")

	acked, err := ParseThreshold(DefaultCatalog(), MetricEventsAcked,
		ThresholdSpec{Threshold: "count==4000", Phase: "steady"})
	require.NoError(t, err)
	require.Equal(t, VerdictPass, acked.Evaluate(s).Verdict, "40 seconds of 100 events")
}
