package reports

import (
	"fmt"
	"math"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

func compareSeries(a, b Series) int { return strings.Compare(a.Key(), b.Key()) }

// pad extends the series to n seconds: counters and rates with zeros, trends with empty
// seconds, gauges by carrying their last level forward (also over gaps inside).
func (s *Series) pad(n int) {
	switch s.Kind {
	case KindTrend:
		for len(s.Seconds) < n {
			s.Seconds = append(s.Seconds, nil)
		}
		return
	case KindGauge:
		for len(s.Values) < n {
			s.Values = append(s.Values, math.NaN())
		}
		last := math.NaN()
		for i, v := range s.Values {
			if math.IsNaN(v) {
				s.Values[i] = last
			} else {
				last = v
			}
		}
		return
	case KindRate:
		for len(s.Totals) < n {
			s.Totals = append(s.Totals, 0)
		}
	}
	for len(s.Values) < n {
		s.Values = append(s.Values, 0)
	}
}

// mergeSeconds merges the per-second histograms inside w into one histogram of geometry g.
func mergeSeconds(g geometry, seconds []*Histogram, w Window) *Histogram {
	w = w.clamp(len(seconds))
	d := g.newDense()
	for _, h := range seconds[w.From:w.To] {
		if h != nil {
			h.mergeInto(d)
		}
	}
	return fromDense(g, d)
}

// Span is a set of windows of the timeline, such as every occurrence of a phase.
type Span []Window

// seconds is the number of seconds the span covers inside a timeline of n seconds.
func (sp Span) seconds(n int) int {
	total := 0
	for _, w := range sp {
		w = w.clamp(n)
		total += w.To - w.From
	}
	return total
}

// sum adds the samples inside the span, ignoring NaN.
func (sp Span) sum(xs Samples) float64 {
	var t float64
	for _, w := range sp {
		t += xs.Sum(w)
	}
	return t
}

// aggregate computes agg over the series in the span. ok is false when there is nothing to
// aggregate (an empty trend, rate or gauge); counters are 0 when empty.
func aggregate(series []*Series, agg Aggregation, sp Span, seconds int) (float64, bool) {
	if len(series) == 0 {
		return 0, false
	}
	switch series[0].Kind {
	case KindCounter:
		return aggregateCounter(series, agg, sp, seconds)
	case KindRate:
		var hits, total float64
		for _, s := range series {
			hits += sp.sum(s.Values)
			total += sp.sum(s.Totals)
		}
		return hits / total, total > 0
	case KindTrend:
		return aggregateTrend(series, agg, sp)
	case KindGauge:
		return aggregateGauge(series, agg, sp)
	}
	return 0, false
}

func aggregateCounter(series []*Series, agg Aggregation, sp Span, seconds int) (float64, bool) {
	var sum float64
	for _, s := range series {
		sum += sp.sum(s.Values)
	}
	if agg.Name != "rate" {
		return sum, true
	}
	n := sp.seconds(seconds)
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

func aggregateTrend(series []*Series, agg Aggregation, sp Span) (float64, bool) {
	g := geometryFor(series[0].Unit)
	d := g.newDense()
	for _, s := range series {
		if len(sp) == 1 && sp[0].clamp(len(s.Seconds)) == whole(len(s.Seconds)) &&
			s.Histogram != nil {
			s.Histogram.mergeInto(d)
			continue
		}
		for _, w := range sp {
			mergeWindow(d, []*Series{s}, w)
		}
	}
	if agg.Name == "count" {
		return float64(d.TotalCount()), true
	}
	if d.TotalCount() == 0 {
		return 0, false
	}
	switch agg.Name {
	case "avg":
		return d.Mean() * g.scale, true
	case "min":
		return float64(d.Min()) * g.scale, true
	case "max":
		return float64(d.Max()) * g.scale, true
	case "med":
		return float64(d.ValueAtPercentile(50)) * g.scale, true
	case "p":
		return float64(d.ValueAtPercentile(agg.Percentile)) * g.scale, true
	}
	return 0, false
}

// gaugeStats accumulates the combined level of gauge series second by second.
type gaugeStats struct {
	last, sum, lo, hi float64
	count             int
}

// aggregateGauge combines several gauge series second by second: durations by their maximum
// (the worst replication lag over regions), everything else by their sum (total RU/s over
// containers). Select one label set to gauge a single series.
func aggregateGauge(series []*Series, agg Aggregation, sp Span) (float64, bool) {
	combine := gaugeCombiner(series[0].Unit)
	n := 0
	for _, s := range series {
		n = max(n, len(s.Values))
	}
	st := gaugeStats{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, w := range sp {
		w = w.clamp(n)
		for i := w.From; i < w.To; i++ {
			if v, ok := combinedLevel(series, i, combine); ok {
				st.last, st.sum, st.count = v, st.sum+v, st.count+1
				st.lo, st.hi = min(st.lo, v), max(st.hi, v)
			}
		}
	}
	if st.count == 0 {
		return 0, false
	}
	switch agg.Name {
	case "value":
		return st.last, true
	case "min":
		return st.lo, true
	case "max":
		return st.hi, true
	case "avg":
		return st.sum / float64(st.count), true
	}
	return 0, false
}

// gaugeCombiner says how the levels of several gauge series of unit u add up.
func gaugeCombiner(u Unit) func(a, b float64) float64 {
	if u == UnitSeconds {
		return math.Max
	}
	return func(a, b float64) float64 { return a + b }
}

// combinedLevel is the level of second i over the series, false when none has one.
func combinedLevel(series []*Series, i int, combine func(a, b float64) float64) (float64, bool) {
	v, seen := 0.0, false
	for _, s := range series {
		if i < len(s.Values) && !math.IsNaN(s.Values[i]) {
			v = combineFirst(v, s.Values[i], seen, combine)
			seen = true
		}
	}
	return v, seen
}

// Aggregate computes one aggregation of a metric over a window of the summary's timeline;
// sel selects label sets (nil for all). It returns false when the metric has no samples
// there.
func (s *Summary) Aggregate(name string, sel Labels, agg Aggregation, w Window) (float64, bool) {
	return aggregate(s.Find(name, sel), agg, Span{w}, s.Run.DurationSeconds)
}

// spanFor resolves a threshold's window or phase to seconds of the summary: a phase that
// occurred several times ("steady" before and after a burst) covers every occurrence.
func (s *Summary) spanFor(t Threshold) (Span, error) {
	if t.Phase != "" {
		var sp Span
		for _, p := range s.Phases {
			if p.Name == t.Phase {
				sp = append(sp, Window{p.StartSeconds, p.EndSeconds})
			}
		}
		if len(sp) == 0 {
			return nil, fmt.Errorf("phase %q did not occur in the run", t.Phase)
		}
		return sp, nil
	}
	if t.WindowText != "" {
		return Span{t.Window}, nil
	}
	return Span{whole(s.Run.DurationSeconds)}, nil
}

func combineFirst(acc, v float64, seen bool, combine func(a, b float64) float64) float64 {
	if !seen {
		return v
	}
	return combine(acc, v)
}

// percentileSeries returns, for each of the given percentiles, one value per window of
// width seconds (windows of them from second 0): the percentile of the window's histograms
// of every series merged, or NaN for a window without observations. One dense histogram is
// reused for every window.
func percentileSeries(series []*Series, pcts []float64, width, windows int) [][]float64 {
	out := make([][]float64, len(pcts))
	for i := range out {
		out[i] = make([]float64, windows)
	}
	g := geometryFor(series[0].Unit)
	acc := g.newDense()
	for w := range windows {
		acc.Reset()
		mergeWindow(acc, series, Window{w * width, (w + 1) * width})
		var vals []int64
		if acc.TotalCount() > 0 {
			vals = acc.ValueAtPercentilesSlice(pcts)
		}
		for i := range pcts {
			out[i][w] = math.NaN()
			if vals != nil {
				out[i][w] = float64(vals[i]) * g.scale
			}
		}
	}
	return out
}

// mergeWindow adds the histograms of every series inside w to the dense acc.
func mergeWindow(acc *hdr.Histogram, series []*Series, w Window) {
	for _, s := range series {
		sw := w.clamp(len(s.Seconds))
		for _, h := range s.Seconds[sw.From:sw.To] {
			if h != nil {
				h.mergeInto(acc)
			}
		}
	}
}
