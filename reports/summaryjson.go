package reports

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// JSONSchema is the JSON Schema (draft 2020-12) of summary.json, also committed as
// reports/schema.json.
//
//go:embed schema.json
var JSONSchema []byte

// WriteJSON writes s as summary.json. Call s.Finalize first.
func WriteJSON(w io.Writer, s *Summary) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write summary json: %w", err)
	}
	return bw.Flush()
}

// ErrNotSummary is returned by ReadJSON for JSON that is not a Stampede summary.
var ErrNotSummary = errors.New("not a stampede summary (no schemaVersion)")

// ReadJSON reads a summary.json. It rejects summaries of an unknown schema version.
func ReadJSON(r io.Reader) (*Summary, error) {
	var s Summary
	if err := json.NewDecoder(bufio.NewReader(r)).Decode(&s); err != nil {
		return nil, fmt.Errorf("read summary json: %w", err)
	}
	switch {
	case s.SchemaVersion == 0:
		return nil, ErrNotSummary
	case s.SchemaVersion > SchemaVersion:
		return nil, fmt.Errorf("summary schema version %d is newer than this build reads (%d)",
			s.SchemaVersion, SchemaVersion)
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("read summary json: %w", err)
	}
	return &s, nil
}

// Validate checks the summary's internal consistency: series kinds, lengths and histograms.
func (s *Summary) Validate() error {
	var errs []error
	if s.Run.DurationSeconds < 0 || s.Run.DurationSeconds > maxRunSeconds {
		errs = append(errs, fmt.Errorf("run duration %d s: want 0 to %d", s.Run.DurationSeconds,
			maxRunSeconds))
	}
	seen := make(map[string]bool, len(s.Metrics))
	for i := range s.Metrics {
		m := &s.Metrics[i]
		key := m.Key()
		if seen[key] {
			errs = append(errs, fmt.Errorf("metric %s appears twice", key))
		}
		seen[key] = true
		if err := m.validate(s.Run.DurationSeconds); err != nil {
			errs = append(errs, fmt.Errorf("metric %s: %w", key, err))
		}
	}
	return errors.Join(errs...)
}

// maxRunSeconds bounds the timeline of a summary read from a file: 31 days.
const maxRunSeconds = 31 * 24 * 3600

func (m *Series) validate(duration int) error {
	if m.Len() > duration {
		return fmt.Errorf("%d samples for a %d s run", m.Len(), duration)
	}
	trendFields := m.Histogram != nil || len(m.Seconds) > 0
	switch m.Kind {
	case KindCounter, KindGauge:
		if len(m.Totals) > 0 || trendFields {
			return fmt.Errorf("a %s has only values", m.Kind)
		}
	case KindRate:
		if len(m.Totals) != len(m.Values) || trendFields {
			return fmt.Errorf("a rate has as many values as totals (%d and %d), nothing else",
				len(m.Values), len(m.Totals))
		}
	case KindTrend:
		if len(m.Values) > 0 || len(m.Totals) > 0 {
			return errors.New("a trend has only histograms")
		}
		want := geometryFor(m.Unit)
		for _, h := range append([]*Histogram{m.Histogram}, m.Seconds...) {
			if h != nil && h.g != want {
				return fmt.Errorf("histogram geometry %q does not fit unit %q", h.g.id, m.Unit)
			}
		}
	default:
		return fmt.Errorf("kind %q: want counter, rate, trend or gauge", m.Kind)
	}
	return nil
}
