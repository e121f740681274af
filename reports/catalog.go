package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MetricDef describes one metric: what it is, how it accumulates and which way is better.
type MetricDef struct {
	Name        string `json:"name"`
	Kind        Kind   `json:"kind"`
	Unit        Unit   `json:"unit"`
	Better      Better `json:"better"`
	Description string `json:"description"`
	// Labels lists the label keys the metric may carry.
	Labels []string `json:"labels,omitempty"`
}

// Catalog is a set of metric definitions looked up by name. The zero value is empty; it is
// safe for concurrent reads once built.
type Catalog struct {
	defs map[string]MetricDef
}

// NewCatalog builds a catalogue from defs; duplicate or malformed definitions are errors.
func NewCatalog(defs ...MetricDef) (*Catalog, error) {
	c := &Catalog{defs: make(map[string]MetricDef, len(defs))}
	return c, c.Add(defs...)
}

// Add registers more definitions (runner- or scenario-specific metrics).
func (c *Catalog) Add(defs ...MetricDef) error {
	if c.defs == nil {
		c.defs = make(map[string]MetricDef, len(defs))
	}
	var errs []error
	for _, d := range defs {
		if err := d.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := c.defs[d.Name]; dup {
			errs = append(errs, fmt.Errorf("metric %q defined twice", d.Name))
			continue
		}
		c.defs[d.Name] = d
	}
	return errors.Join(errs...)
}

func (d MetricDef) validate() error {
	if !validMetricName(d.Name) {
		return fmt.Errorf("metric name %q: want lowercase letters, digits and '_'", d.Name)
	}
	switch d.Kind {
	case KindCounter, KindRate, KindTrend, KindGauge:
	default:
		return fmt.Errorf("metric %q: kind %q: want counter, rate, trend or gauge", d.Name, d.Kind)
	}
	switch d.Better {
	case LowerIsBetter, HigherIsBetter, NeitherBetter:
	default:
		return fmt.Errorf("metric %q: better %q: want lower, higher or none", d.Name, d.Better)
	}
	return nil
}

func validMetricName(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Lookup returns the definition of name, or an error that suggests the closest known names.
func (c *Catalog) Lookup(name string) (MetricDef, error) {
	if d, ok := c.defs[name]; ok {
		return d, nil
	}
	return MetricDef{}, &UnknownMetricError{Name: name, Suggestions: c.Closest(name, 3)}
}

// Defs returns every definition sorted by name.
func (c *Catalog) Defs() []MetricDef {
	out := make([]MetricDef, 0, len(c.defs))
	for _, d := range c.defs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b MetricDef) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Closest returns up to n known names nearest to name by edit distance, closest first; only
// names within half of name's length (at least 3 edits) are offered.
func (c *Catalog) Closest(name string, n int) []string {
	type cand struct {
		name string
		dist int
	}
	limit := max(3, len(name)/2)
	var cands []cand
	for known := range c.defs {
		d := editDistance(name, known)
		if strings.Contains(known, name) || strings.Contains(name, known) {
			d = min(d, limit)
		}
		if d <= limit {
			cands = append(cands, cand{known, d})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.name, b.name))
	})
	out := make([]string, 0, n)
	for i := 0; i < len(cands) && i < n; i++ {
		out = append(out, cands[i].name)
	}
	return out
}

// UnknownMetricError is returned when a metric name is not in the catalogue.
type UnknownMetricError struct {
	Name        string
	Suggestions []string
}

// Error names the unknown metric and the closest known names.
func (e *UnknownMetricError) Error() string {
	if len(e.Suggestions) == 0 {
		return fmt.Sprintf("unknown metric %q", e.Name)
	}
	return fmt.Sprintf("unknown metric %q (did you mean %s?)", e.Name, quoteJoin(e.Suggestions))
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// editDistance is the Levenshtein distance between a and b, over bytes (metric names are
// ASCII).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
