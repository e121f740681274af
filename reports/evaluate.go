package reports

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Evaluate checks t against the summary and returns its result. A trend, rate or gauge with
// no samples in the window fails (a threshold must never pass silently on missing data); a
// counter with no samples counts 0.
func (t Threshold) Evaluate(s *Summary) ThresholdResult {
	res := ThresholdResult{Metric: t.Source, Expression: t.Expression, Window: t.WindowText,
		Phase: t.Phase, Limit: t.Limit, Unit: string(t.resultUnit()), AbortOnFail: t.AbortOnFail,
		Verdict: VerdictFail}
	sp, err := s.spanFor(t)
	if err != nil {
		res.Message = err.Error()
		return res
	}
	series := s.Find(t.Metric, t.Selector)
	if len(series) == 0 && t.Def.Kind == KindCounter {
		series = []*Series{{Name: t.Metric, Kind: KindCounter, Unit: t.Def.Unit}}
	}
	v, ok := aggregate(series, t.Agg, sp, s.Run.DurationSeconds)
	if !ok {
		res.Message = fmt.Sprintf("no samples of %s in %s", t.Source, describeSpan(sp))
		return res
	}
	res.Observed = v
	if t.Op.Holds(v, t.Limit) {
		res.Verdict = VerdictPass
		return res
	}
	res.Message = fmt.Sprintf("%s of %s was %s, want %s %s", t.Agg, t.Source,
		formatValue(v, t.resultUnit()), t.Op, formatValue(t.Limit, t.resultUnit()))
	return res
}

// resultUnit is the unit of the aggregate: counts for count, per second for a counter's
// rate, a ratio for a rate metric, otherwise the metric's unit.
func (t Threshold) resultUnit() Unit {
	switch {
	case t.Agg.Name == "count":
		return UnitCount
	case t.Agg.Name == "rate" && t.Def.Kind == KindRate:
		return UnitRatio
	case t.Agg.Name == "rate":
		return Unit(string(t.Def.Unit) + "/s")
	}
	return t.Def.Unit
}

// EvaluateAll evaluates every threshold and stores the results in s.Thresholds.
func EvaluateAll(s *Summary, ths []Threshold) {
	s.Thresholds = make([]ThresholdResult, 0, len(ths))
	for _, t := range ths {
		s.Thresholds = append(s.Thresholds, t.Evaluate(s))
	}
}

// CheckAbort evaluates the abortOnFail thresholds on the data so far, elapsed into the run,
// and returns the first that fails, or nil. A threshold is only checked once its delay has
// passed since the start of its window (or phase, or run); windowed thresholds are checked
// on the part of the window seen so far. Call it every few seconds with a summary filled by
// Recorder.Fill.
func CheckAbort(s *Summary, ths []Threshold, elapsed time.Duration) *ThresholdResult {
	for _, t := range ths {
		if !t.AbortOnFail {
			continue
		}
		sp, err := s.spanFor(t)
		if err != nil {
			continue // the phase has not started yet
		}
		from := time.Duration(sp[0].From) * time.Second
		if elapsed < from+t.DelayAbortEval {
			continue
		}
		if res := t.Evaluate(s); res.Verdict == VerdictFail {
			return &res
		}
	}
	return nil
}

func describeSpan(sp Span) string {
	parts := make([]string, len(sp))
	for i, w := range sp {
		parts[i] = fmt.Sprintf("%d-%d", w.From, w.To)
		if w.To == unbounded {
			parts[i] = fmt.Sprintf("%d to the end", w.From)
		}
	}
	return "seconds " + strings.Join(parts, ", ")
}

// formatValue renders v in unit u for messages and reports: durations as ms or s, ratios
// as percentages.
func formatValue(v float64, u Unit) string {
	switch u {
	case UnitSeconds:
		return FormatSeconds(v)
	case UnitRatio:
		return strconv.FormatFloat(v*100, 'g', 4, 64) + "%"
	case UnitCount, UnitNone:
		return formatNumber(v)
	case "count/s":
		return formatNumber(v) + "/s"
	}
	return formatNumber(v) + " " + string(u)
}

// formatNumber writes whole numbers in full and others with 6 significant digits.
func formatNumber(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// FormatSeconds renders a duration given in seconds with a readable unit.
func FormatSeconds(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 0.001:
		return strconv.FormatFloat(v*1e6, 'f', 0, 64) + "µs"
	case v < 1:
		return strconv.FormatFloat(v*1e3, 'g', 4, 64) + "ms"
	case v < 120:
		return strconv.FormatFloat(v, 'g', 4, 64) + "s"
	}
	return strconv.FormatFloat(v/60, 'g', 4, 64) + "m"
}
