package reports

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func TestParseThreshold(t *testing.T) {
	cat := DefaultCatalog()
	tests := []struct {
		name, metric string
		spec         ThresholdSpec
		wantAgg      Aggregation
		wantOp       Op
		wantLimit    float64
		wantSel      Labels
	}{
		{"percentile in ms", "ingest_latency", ThresholdSpec{Threshold: "p(99)<250ms"},
			Aggregation{"p", 99}, OpLess, 0.25, nil},
		{"percentile in s with spaces", "ingest_latency", ThresholdSpec{Threshold: " p(95) <= 1s"},
			Aggregation{"p", 95}, OpLessEq, 1, nil},
		{"bare number is ms for durations", "cosmos_latency", ThresholdSpec{Threshold: "avg<100"},
			Aggregation{"avg", 0}, OpLess, 0.1, nil},
		{"minutes", "ingest_latency", ThresholdSpec{Threshold: "max<0.5m"},
			Aggregation{"max", 0}, OpLess, 30, nil},
		{"fractional percentile", "ingest_latency", ThresholdSpec{Threshold: "p(99.9)<2s"},
			Aggregation{"p", 99.9}, OpLess, 2, nil},
		{"median", "ingest_latency", ThresholdSpec{Threshold: "med>=1ms"},
			Aggregation{"med", 0}, OpGreaterEq, 0.001, nil},
		{"rate fraction", "batch_failed", ThresholdSpec{Threshold: "rate<0.05"},
			Aggregation{"rate", 0}, OpLess, 0.05, nil},
		{"rate percent", "cosmos_throttle_ratio", ThresholdSpec{Threshold: "rate<5%"},
			Aggregation{"rate", 0}, OpLess, 0.05, nil},
		{"counter count", "events_lost", ThresholdSpec{Threshold: "count==0"},
			Aggregation{"count", 0}, OpEqual, 0, nil},
		{"counter rate per second", "events_acked", ThresholdSpec{Threshold: "rate>1e5"},
			Aggregation{"rate", 0}, OpGreater, 1e5, nil},
		{"gauge value", "region_up", ThresholdSpec{Threshold: "value>0"},
			Aggregation{"value", 0}, OpGreater, 0, nil},
		{"gauge duration", "replication_lag", ThresholdSpec{Threshold: "max<30s"},
			Aggregation{"max", 0}, OpLess, 30, nil},
		{"selector", "cosmos_latency{op:upsert, container:Alert}",
			ThresholdSpec{Threshold: "p(99)!=0"},
			Aggregation{"p", 99}, OpNotEqual, 0, Labels{"op": "upsert", "container": "Alert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseThreshold(cat, tt.metric, tt.spec)
			require.NoError(t, err)
			require.Equal(t, tt.wantAgg, got.Agg)
			require.Equal(t, tt.wantOp, got.Op)
			require.InDelta(t, tt.wantLimit, got.Limit, 1e-12)
			require.Equal(t, tt.wantSel, got.Selector)
		})
	}
}

func TestParseThresholdErrors(t *testing.T) {
	cat := DefaultCatalog()
	tests := []struct {
		name, metric string
		spec         ThresholdSpec
		wantField    string
		wantColumn   int
		wantIn       string
	}{
		{"unknown metric suggests", "ingest_latncy", ThresholdSpec{Threshold: "p(99)<1s"},
			"metric", 1, `did you mean "ingest_latency"`},
		{"aggregation not for kind", "events_lost", ThresholdSpec{Threshold: "p(99)<1"},
			"threshold", 1, "want one of count, rate"},
		{"unclosed percentile", "ingest_latency", ThresholdSpec{Threshold: "p(99<250ms"},
			"threshold", 5, `expected ")"`},
		{"percentile out of range", "ingest_latency", ThresholdSpec{Threshold: "p(101)<1s"},
			"threshold", 3, "between 0 and 100"},
		{"missing operator", "ingest_latency", ThresholdSpec{Threshold: "avg 1s"},
			"threshold", 5, "expected an operator"},
		{"bad unit for duration", "ingest_latency", ThresholdSpec{Threshold: "avg<1h"},
			"threshold", 6, "want ms, s or m"},
		{"percent on counter", "events_lost", ThresholdSpec{Threshold: "count<5%"},
			"threshold", 8, "write a bare number"},
		{"trailing junk", "events_lost", ThresholdSpec{Threshold: "count==0 or"},
			"threshold", 10, "unexpected"},
		{"missing number", "events_lost", ThresholdSpec{Threshold: "count=="},
			"threshold", 8, "expected a number"},
		{"bad window", "ingest_latency", ThresholdSpec{Threshold: "avg<1s", Window: "30s"},
			"window", 1, "FROM-TO"},
		{"reversed window", "ingest_latency", ThresholdSpec{Threshold: "avg<1s", Window: "60s-30s"},
			"window", 5, "ends before it starts"},
		{"window and phase", "ingest_latency",
			ThresholdSpec{Threshold: "avg<1s", Window: "1s-2s", Phase: "burst"},
			"window", 0, "not both"},
		{"bad delay", "ingest_latency",
			ThresholdSpec{Threshold: "avg<1s", AbortOnFail: true, DelayAbortEval: "soon"},
			"delayAbortEval", 1, "duration"},
		{"bad selector", "cosmos_latency{op}", ThresholdSpec{Threshold: "avg<1s"},
			"metric", 16, "key:value"},
		{"unclosed selector", "cosmos_latency{op:read", ThresholdSpec{Threshold: "avg<1s"},
			"metric", 23, `missing "}"`},
		{"label the metric does not have", "ingest_latency{region:x}",
			ThresholdSpec{Threshold: "avg<1s"}, "metric", 16, "want one of tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseThreshold(cat, tt.metric, tt.spec)
			var te *ThresholdError
			require.ErrorAs(t, err, &te)
			require.Equal(t, tt.wantField, te.Field)
			require.Equal(t, tt.wantColumn, te.Column, "error: %v", err)
			require.Contains(t, err.Error(), tt.wantIn)
		})
	}
}

func TestParseThresholdUnknownMetricIsTyped(t *testing.T) {
	_, err := ParseThreshold(DefaultCatalog(), "events_lots", ThresholdSpec{Threshold: "count==0"})
	var um *UnknownMetricError
	require.True(t, errors.As(err, &um))
	require.Equal(t, "events_lost", um.Suggestions[0])
}

func TestParseWindow(t *testing.T) {
	th, err := ParseThreshold(DefaultCatalog(), "ingest_latency",
		ThresholdSpec{Threshold: "avg<1s", Window: "30s-1m0.5s", AbortOnFail: true,
			DelayAbortEval: "10s"})
	require.NoError(t, err)
	require.Equal(t, Window{30, 61}, th.Window)
	require.Equal(t, 10*time.Second, th.DelayAbortEval)

	th, err = ParseThreshold(DefaultCatalog(), "ingest_latency",
		ThresholdSpec{Threshold: "avg<1s", Window: "1m-"})
	require.NoError(t, err)
	require.Equal(t, Window{60, unbounded}, th.Window)
}

func TestThresholdSpecYAML(t *testing.T) {
	src := `
ingest_latency:
  - p(99)<250ms
  - threshold: p(99)<1s
    phase: burst
    abortOnFail: true
    delayAbortEval: 5s
`
	var specs map[string][]ThresholdSpec
	require.NoError(t, yaml.Unmarshal([]byte(src), &specs))
	require.Equal(t, []ThresholdSpec{{Threshold: "p(99)<250ms"},
		{Threshold: "p(99)<1s", Phase: "burst", AbortOnFail: true, DelayAbortEval: "5s"}},
		specs["ingest_latency"])
	ths, err := ParseThresholds(DefaultCatalog(), specs)
	require.NoError(t, err)
	require.Len(t, ths, 2)
}

func TestParseThresholdsReportsEveryProblem(t *testing.T) {
	_, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		"nope":           {{Threshold: "count==0"}},
		"ingest_latency": {{Threshold: "rate<1"}, {Threshold: "p(99)<1s"}},
	})
	require.ErrorContains(t, err, `unknown metric "nope"`)
	require.ErrorContains(t, err, `aggregation "rate" not allowed`)
}

func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p(99)<250ms", "p(95)<=1s", "avg<100", "rate<0.05", "rate<5%",
		"count==0", "value>0", "max<30s", "med!=1e3", "p(99.9) >= 1.5m", "p(", "<", "1e"} {
		f.Add("ingest_latency", s, "30s-60s")
		f.Add("batch_failed", s, "")
		f.Add("events_lost{tenant:t1}", s, "-1m")
	}
	cat := DefaultCatalog()
	f.Fuzz(func(t *testing.T, metric, expr, window string) {
		th, err := ParseThreshold(cat, metric, ThresholdSpec{Threshold: expr, Window: window})
		if err != nil {
			var te *ThresholdError
			require.ErrorAs(t, err, &te)
			require.LessOrEqual(t, te.Column, len(te.Input)+1)
			return
		}
		require.NotEmpty(t, th.Op)
		if window != "" {
			require.Less(t, th.Window.From, th.Window.To)
		}
	})
}
