package reports

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Merge folds the summary of another shard of the same run into dst, exactly: counters and
// rates add second by second, trend histograms merge bucket by bucket, and a gauge present
// in both keeps the larger level (shards observing the same gauge see the same level).
// Events, failovers, migrations and costs are concatenated; detections of the same attack
// kind add. Threshold and invariant results are cleared: evaluate them again on the merged
// summary. Shards must have the same scenario seed.
func Merge(dst, src *Summary) error {
	if dst.Scenario.Seed != src.Scenario.Seed || dst.Scenario.Name != src.Scenario.Name {
		return fmt.Errorf("merge summaries: scenario %q seed %d and %q seed %d differ",
			dst.Scenario.Name, dst.Scenario.Seed, src.Scenario.Name, src.Scenario.Seed)
	}
	if src.Run.Start.Before(dst.Run.Start) && !src.Run.Start.IsZero() {
		dst.Run.Start = src.Run.Start
	}
	dst.Run.DurationSeconds = max(dst.Run.DurationSeconds, src.Run.DurationSeconds)

	index := make(map[string]int, len(dst.Metrics))
	for i := range dst.Metrics {
		index[dst.Metrics[i].Key()] = i
	}
	var errs []error
	for i := range src.Metrics {
		m := &src.Metrics[i]
		j, ok := index[m.Key()]
		if !ok {
			dst.Metrics = append(dst.Metrics, cloneSeries(m))
			continue
		}
		if err := dst.Metrics[j].merge(m); err != nil {
			errs = append(errs, fmt.Errorf("merge %s: %w", m.Key(), err))
		}
	}
	for i := range dst.Metrics {
		dst.Metrics[i].pad(dst.Run.DurationSeconds)
	}
	slices.SortFunc(dst.Metrics, compareSeries)

	dst.Events = append(dst.Events, src.Events...)
	sortEvents(dst.Events)
	dst.Phases = mergePhases(dst.Phases, src.Phases)
	dst.Failovers = append(dst.Failovers, src.Failovers...)
	dst.Migrations = append(dst.Migrations, src.Migrations...)
	dst.Costs = append(dst.Costs, src.Costs...)
	dst.Detections = mergeDetections(dst.Detections, src.Detections)
	dst.Thresholds, dst.Invariants = nil, nil
	if src.Run.Aborted && !dst.Run.Aborted {
		dst.Run.Aborted, dst.Run.AbortReason = true, src.Run.AbortReason
	}
	return errors.Join(errs...)
}

// MergeShards merges the summaries of the shards of one run into the first one and
// concludes it: the thresholds any shard recorded are parsed again and evaluated on the
// merged data, the invariants are checked and the summary is finalized. A shard's threshold
// that no longer parses against cat is an error, never a gate dropped in silence.
func MergeShards(cat *Catalog, shards ...*Summary) (*Summary, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge summaries: no summary")
	}
	ths, err := RecordedThresholds(cat, shards...)
	if err != nil {
		return nil, err
	}
	merged := shards[0]
	for i, s := range shards[1:] {
		if err := Merge(merged, s); err != nil {
			return nil, fmt.Errorf("summary %d: %w", i+2, err)
		}
	}
	EvaluateAll(merged, ths)
	CheckInvariants(merged)
	merged.Finalize()
	return merged, nil
}

// RecordedThresholds parses again the thresholds whose results the summaries hold (each
// distinct metric, expression, window and phase once), so that a summary changed after its
// run, such as merged shards, can be evaluated anew.
func RecordedThresholds(cat *Catalog, summaries ...*Summary) ([]Threshold, error) {
	type key struct{ metric, expr, window, phase string }
	seen := map[key]bool{}
	var out []Threshold
	var errs []error
	for _, s := range summaries {
		for _, r := range s.Thresholds {
			k := key{r.Metric, r.Expression, r.Window, r.Phase}
			if seen[k] {
				continue
			}
			seen[k] = true
			t, err := ParseThreshold(cat, r.Metric, ThresholdSpec{Threshold: r.Expression,
				Window: r.Window, Phase: r.Phase, AbortOnFail: r.AbortOnFail})
			if err != nil {
				errs = append(errs, fmt.Errorf("recorded threshold: %w", err))
				continue
			}
			out = append(out, t)
		}
	}
	return out, errors.Join(errs...)
}

func cloneSeries(m *Series) Series {
	out := *m
	out.Values = slices.Clone(m.Values)
	out.Totals = slices.Clone(m.Totals)
	if m.Histogram != nil {
		out.Histogram = m.Histogram.Clone()
	}
	out.Seconds = make([]*Histogram, len(m.Seconds))
	for i, h := range m.Seconds {
		if h != nil {
			out.Seconds[i] = h.Clone()
		}
	}
	return out
}

func (s *Series) merge(o *Series) error {
	if s.Kind != o.Kind || s.Unit != o.Unit {
		return fmt.Errorf("kind/unit %s/%s and %s/%s differ", s.Kind, s.Unit, o.Kind, o.Unit)
	}
	n := max(s.Len(), o.Len())
	s.pad(n)
	switch s.Kind {
	case KindCounter, KindRate:
		for i, v := range o.Values {
			s.Values[i] += v
		}
		for i, v := range o.Totals {
			s.Totals[i] += v
		}
	case KindGauge:
		for i, v := range o.Values {
			if math.IsNaN(s.Values[i]) || v > s.Values[i] {
				s.Values[i] = v
			}
		}
	case KindTrend:
		return s.mergeTrend(o)
	}
	return nil
}

func (s *Series) mergeTrend(o *Series) error {
	for i, h := range o.Seconds {
		if h == nil {
			continue
		}
		if s.Seconds[i] == nil {
			s.Seconds[i] = h.Clone()
			continue
		}
		if err := s.Seconds[i].Merge(h); err != nil {
			return err
		}
	}
	if s.Histogram == nil {
		s.Histogram = NewHistogram(s.Unit)
		s.Histogram.standard = true
	}
	return s.Histogram.Merge(o.Histogram)
}

func mergePhases(a, b []Phase) []Phase {
	for _, p := range b {
		if !slices.Contains(a, p) {
			a = append(a, p)
		}
	}
	slices.SortStableFunc(a, func(x, y Phase) int {
		return cmp.Compare(x.StartSeconds, y.StartSeconds)
	})
	return a
}

func mergeDetections(a, b []Detection) []Detection {
	for _, d := range b {
		i := slices.IndexFunc(a, func(x Detection) bool { return x.AttackKind == d.AttackKind })
		if i < 0 {
			a = append(a, d)
			continue
		}
		x := &a[i]
		tp := x.TruePositives + d.TruePositives
		if tp > 0 {
			x.MeanDelaySeconds = (x.MeanDelaySeconds*float64(x.TruePositives) +
				d.MeanDelaySeconds*float64(d.TruePositives)) / float64(tp)
		}
		x.Injected += d.Injected
		x.TruePositives = tp
		x.FalsePositives += d.FalsePositives
		x.FalseNegatives += d.FalseNegatives
	}
	return a
}
