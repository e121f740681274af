package reports

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Kind is how a metric accumulates, after k6's four metric types.
type Kind string

// The metric kinds.
const (
	KindCounter Kind = "counter"
	KindRate    Kind = "rate"
	KindTrend   Kind = "trend"
	KindGauge   Kind = "gauge"
)

// Unit is the unit a metric's values are expressed in, in summaries and thresholds.
type Unit string

// Units. Durations are always expressed in seconds in the model; thresholds accept ms, s and
// m suffixes and convert.
const (
	UnitSeconds  Unit = "s"
	UnitCount    Unit = "count"
	UnitRU       Unit = "RU"
	UnitRUPerSec Unit = "RU/s"
	UnitRatio    Unit = "ratio"
	UnitBytes    Unit = "bytes"
	UnitNone     Unit = ""
)

// Better says which direction of change is an improvement, for baseline comparisons.
type Better string

// Directions.
const (
	LowerIsBetter  Better = "lower"
	HigherIsBetter Better = "higher"
	// NeitherBetter marks metrics whose change is reported but never judged (RU/s
	// provisioned depends on policy, not on quality).
	NeitherBetter Better = "none"
)

// Series is one metric with one label set over the run's timeline. Which fields are filled
// depends on Kind:
//
//   - counter: Values[i] is the increment during second i.
//   - gauge: Values[i] is the level at the end of second i, carried forward; NaN (null in
//     JSON) before the first value.
//   - rate: Values[i] counts the true samples and Totals[i] all samples of second i.
//   - trend: Seconds[i] is the histogram of second i (nil when empty) and Histogram the
//     whole run; Values is empty.
type Series struct {
	Name   string `json:"name"`
	Labels Labels `json:"labels,omitempty"`
	Kind   Kind   `json:"kind"`
	Unit   Unit   `json:"unit"`

	Values Samples `json:"values,omitempty"`
	Totals Samples `json:"totals,omitempty"`

	Histogram *Histogram   `json:"histogram,omitempty"`
	Seconds   []*Histogram `json:"seconds,omitempty"`
}

// MarshalJSON writes the series by hand: a one-hour run has hundreds of thousands of
// per-second values and histograms, too many for reflection to be quick.
func (s *Series) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 64+len(s.Values)*8+len(s.Totals)*8+len(s.Seconds)*64)
	head, err := json.Marshal(struct {
		Name   string `json:"name"`
		Labels Labels `json:"labels,omitempty"`
		Kind   Kind   `json:"kind"`
		Unit   Unit   `json:"unit"`
	}{s.Name, s.Labels, s.Kind, s.Unit})
	if err != nil {
		return nil, err
	}
	b = append(b, head[:len(head)-1]...) // without the closing brace
	if len(s.Values) > 0 {
		b = s.Values.appendJSON(append(b, `,"values":`...))
	}
	if len(s.Totals) > 0 {
		b = s.Totals.appendJSON(append(b, `,"totals":`...))
	}
	if s.Histogram != nil {
		enc, err := s.Histogram.encode()
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, `,"histogram":"`...), enc...), '"') // base64: no escaping
	}
	if len(s.Seconds) > 0 {
		b = appendSecondsJSON(append(b, `,"seconds":`...), s.Seconds)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Series) UnmarshalJSON(b []byte) error {
	type plain Series
	var p plain
	if err := jsonUnmarshalStrict(b, &p); err != nil {
		return err
	}
	*s = Series(p)
	return nil
}

func appendSecondsJSON(b []byte, seconds []*Histogram) []byte {
	var scratch []byte
	b = append(b, '[')
	for i, h := range seconds {
		if i > 0 {
			b = append(b, ',')
		}
		if h == nil {
			b = append(b, "null"...)
			continue
		}
		// The sparse encoding is base64, which needs no JSON escaping.
		b = append(b, '"')
		b, scratch = h.appendSparse(b, scratch)
		b = append(b, '"')
	}
	return append(b, ']')
}

// Key is the series identity, name followed by its labels ("cosmos_latency{op:read}").
func (s *Series) Key() string { return seriesKey(s.Name, s.Labels) }

// Len is the number of seconds the series covers.
func (s *Series) Len() int {
	if s.Kind == KindTrend {
		return len(s.Seconds)
	}
	return len(s.Values)
}

// Samples are per-second values. NaN means "no value" and is written as JSON null.
type Samples []float64

// MarshalJSON writes the samples compactly, NaN and infinities as null.
func (s Samples) MarshalJSON() ([]byte, error) {
	return s.appendJSON(make([]byte, 0, 2+len(s)*4)), nil
}

func (s Samples) appendJSON(b []byte) []byte {
	b = append(b, '[')
	for i, v := range s {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	return append(b, ']')
}

// UnmarshalJSON reads an array of numbers and nulls (null becomes NaN).
func (s *Samples) UnmarshalJSON(b []byte) error {
	var raw []*float64
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Samples, len(raw))
	for i, p := range raw {
		out[i] = math.NaN()
		if p != nil {
			out[i] = *p
		}
	}
	*s = out
	return nil
}

// Window is a half-open range of seconds [From, To) of the run timeline.
type Window struct {
	From, To int
}

// clamp limits w to [0, n).
func (w Window) clamp(n int) Window {
	w.From = max(0, min(w.From, n))
	w.To = max(w.From, min(w.To, n))
	return w
}

// whole is the window of an entire timeline of n seconds.
func whole(n int) Window { return Window{0, n} }

// Sum adds the values in w, ignoring NaN.
func (s Samples) Sum(w Window) float64 {
	w = w.clamp(len(s))
	var t float64
	for _, v := range s[w.From:w.To] {
		if !math.IsNaN(v) {
			t += v
		}
	}
	return t
}

// durationSeconds converts a duration to the model's unit for durations.
func durationSeconds(d time.Duration) float64 { return d.Seconds() }
