package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource(SchemaID, doc))
	sch, err := c.Compile(SchemaID)
	require.NoError(t, err)
	return sch
}

func finishedSynth(t *testing.T, run synthRun) *Summary {
	t.Helper()
	s := run.build(t)
	ths, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		MetricIngestLatency: {{Threshold: "p(99)<250ms"}, {Threshold: "p(50)<1ms", Phase: "burst"}},
		MetricEventsLost:    {{Threshold: "count==0"}},
	})
	require.NoError(t, err)
	EvaluateAll(s, ths)
	CheckInvariants(s)
	s.Finalize()
	return s
}

func TestSummaryJSONMatchesSchema(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 1, seconds: 30})
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, s))

	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.NoError(t, compileSchema(t).Validate(doc))
}

func TestSchemaRejectsBrokenSummaries(t *testing.T) {
	sch := compileSchema(t)
	s := finishedSynth(t, synthRun{seed: 2, seconds: 5})
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, s))
	good := buf.String()
	for name, broken := range map[string]string{
		"wrong version":   strings.Replace(good, `"schemaVersion":1`, `"schemaVersion":2`, 1),
		"unknown verdict": strings.Replace(good, `"verdict":"fail"`, `"verdict":"maybe"`, 1),
		"unknown field":   strings.Replace(good, `"run":{`, `"run":{"extra":1,`, 1),
	} {
		require.NotEqual(t, good, broken, name)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(broken))
		require.NoError(t, err)
		require.Error(t, sch.Validate(doc), name)
	}
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	s := finishedSynth(t, synthRun{seed: 3, seconds: 20})
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, s))
	got, err := ReadJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)

	var again bytes.Buffer
	require.NoError(t, WriteJSON(&again, got))
	require.JSONEq(t, buf.String(), again.String())

	for i := range s.Metrics {
		want, have := &s.Metrics[i], &got.Metrics[i]
		if want.Kind != KindTrend {
			continue
		}
		require.Equal(t, want.Histogram.Count(), have.Histogram.Count())
		require.Equal(t, want.Histogram.Quantile(99), have.Histogram.Quantile(99))
		for sec := range want.Seconds {
			require.Equal(t, want.Seconds[sec].Count(), have.Seconds[sec].Count())
			require.Equal(t, want.Seconds[sec].Quantile(50), have.Seconds[sec].Quantile(50))
		}
	}
}

func TestReadJSONRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", "{", "read summary json"},
		{"no version", `{"run":{}}`, "not a stampede summary"},
		{"newer", `{"schemaVersion":9}`, "newer than this build"},
		{"bad histogram", `{"schemaVersion":1,"run":{"durationSeconds":1},"metrics":[` +
			`{"name":"ingest_latency","kind":"trend","unit":"s","histogram":"x:"}]}`, "histogram"},
		{"too long", `{"schemaVersion":1,"run":{"durationSeconds":1},"metrics":[` +
			`{"name":"events_acked","kind":"counter","unit":"count","values":[1,2]}]}`,
			"2 samples for a 1 s run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadJSON(strings.NewReader(tt.in))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestHistogramEncodingsAgree(t *testing.T) {
	h := NewHistogram(UnitSeconds)
	for i := range 5000 {
		h.Record(float64(i%997) * 1e-4)
	}
	sparse, err := json.Marshal(h)
	require.NoError(t, err)
	h.standard = true
	standard, err := json.Marshal(h)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(standard), `"u=HISTF`), string(standard[:12]))
	// Without its prefix it is a standard V2 histogram any HdrHistogram library reads.
	plain, err := hdr.Decode(standard[3 : len(standard)-1])
	require.NoError(t, err)
	require.Equal(t, h.Count(), plain.TotalCount())
	require.Equal(t, h.Quantile(99), float64(plain.ValueAtPercentile(99))*1e-6)

	var a, b Histogram
	require.NoError(t, json.Unmarshal(sparse, &a))
	require.NoError(t, json.Unmarshal(standard, &b))
	for _, p := range []float64{0, 50, 90, 99, 99.9, 100} {
		require.Equal(t, h.Quantile(p), a.Quantile(p))
		require.Equal(t, h.Quantile(p), b.Quantile(p))
	}
}

func FuzzDecodeHistogram(f *testing.F) {
	h := NewHistogram(UnitSeconds)
	h.Record(0.01)
	h.Record(2)
	s, _ := h.encode()
	f.Add(s)
	f.Add("n:")
	f.Add("u:AQE")
	f.Add("u=HISTFAAAAB")
	f.Fuzz(func(t *testing.T, in string) {
		d, err := decodeHistogram(in)
		if err != nil {
			return
		}
		_ = d.Quantile(99)
		_, err = d.encode()
		require.NoError(t, err)
	})
}

// FuzzReadJSON feeds arbitrary summaries to everything that reads one from a file:
// compare, thresholds, invariants and the writers must never panic.
func FuzzReadJSON(f *testing.F) {
	var buf bytes.Buffer
	s := synthRun{seed: 1, seconds: 3, tenants: 1, samples: 2}.build(f)
	CheckInvariants(s)
	s.Finalize()
	if err := WriteJSON(&buf, s); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add(`{"schemaVersion":1,"run":{"durationSeconds":2},"metrics":[{"name":"events_acked",` +
		`"kind":"counter","unit":"count","values":[1,null]}]}`)
	f.Add(`{"schemaVersion":1,"run":{"durationSeconds":2},"phases":[{"name":"p","startSeconds":5,` +
		`"endSeconds":1}],"metrics":[{"name":"ingest_latency","kind":"trend","unit":"s",` +
		`"seconds":[null,"u:AQE"]}]}`)
	th, err := ParseThresholds(DefaultCatalog(), map[string][]ThresholdSpec{
		MetricIngestLatency: {{Threshold: "p(99)<1s", Phase: "p"}},
		MetricEventsAcked:   {{Threshold: "rate>1", Window: "1s-"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ReadJSON(strings.NewReader(in))
		if err != nil || s.Run.DurationSeconds > 1000 {
			return // long timelines are valid but too slow to fuzz
		}
		_, err = Compare(s, s, CompareConfig{})
		require.NoError(t, err)
		EvaluateAll(s, th)
		CheckInvariants(s)
		s.Finalize()
		require.NoError(t, WriteMarkdown(io.Discard, s))
		require.NoError(t, WriteJUnit(io.Discard, s))
		require.NoError(t, Merge(s, s))
	})
}
