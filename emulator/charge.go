package emulator

import (
	"encoding/json"
	"math"
)

// The RU model. Every figure comes from docs/emulator.md "RU model", which cites
// Microsoft's published request-unit documentation:
//
//   - point read: 1 KB = 1 RU, 4 KB = 1.3, 64 KB = 10, sub-linear in between;
//   - write without indexing: 1 KB = 5 RU, 4 KB = 7, 64 KB = 48;
//   - indexing adds 0.7 RU per indexed term, so a 1 KB YCSB document (11 terms) costs 12.7
//     RU to insert (Microsoft's YCSB recipes provision about 13 RU per insert);
//   - replace, upsert-over-existing and patch cost 1.25 x an insert (YCSB: 16.2 / 13);
//   - a query page costs 1 RU plus the read cost of each result's size plus 0.01 RU per
//     document evaluated, plus 2.5 RU for each further physical partition it spans (one
//     10 KB result: 3.2 RU, as the documented 3.19 RU example).
const (
	ruPerIndexTerm      = 0.7
	replaceFactor       = 1.25
	queryBaseRU         = 1.0
	queryPerEvaluatedRU = 0.01
	queryPerPartitionRU = 2.5
)

// curve is a piecewise-linear function of size in KB.
type curve [][2]float64

func (c curve) at(kb float64) float64 {
	if kb <= c[0][0] {
		return c[0][1]
	}
	for i := 1; i < len(c); i++ {
		if kb <= c[i][0] {
			x0, y0, x1, y1 := c[i-1][0], c[i-1][1], c[i][0], c[i][1]
			return y0 + (y1-y0)*(kb-x0)/(x1-x0)
		}
	}
	last, prev := c[len(c)-1], c[len(c)-2]
	return last[1] + (last[1]-prev[1])*(kb-last[0])/(last[0]-prev[0])
}

var (
	pointReadCurve   = curve{{1, 1}, {4, 1.3}, {64, 10}}
	queryResultCurve = curve{{0, 0}, {1, 1}, {4, 1.3}, {64, 10}}
	writeCurve       = curve{{1, 5}, {4, 7}, {64, 48}}
)

func kb(n int) float64 { return float64(n) / 1024 }

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// readCharge is a point read of a document of n bytes.
func readCharge(n int) float64 { return round2(pointReadCurve.at(kb(n))) }

// createCharge is an insert of body under the container's indexing policy.
func (m *containerMeta) createCharge(body []byte) float64 {
	terms := m.indexedTerms(body)
	return round2(writeCurve.at(kb(len(body))) + ruPerIndexTerm*float64(terms))
}

// replaceCharge is a replace, patch or upsert over an existing document.
func (m *containerMeta) replaceCharge(body []byte) float64 {
	return round2(replaceFactor * m.createCharge(body))
}

// strongReadFactor multiplies reads under Strong and Bounded Staleness, which read from two
// replicas (a local minority) instead of one.
const strongReadFactor = 2

// readFactor is the multiplier of this request's read charges: 2 when the effective
// consistency (the account's, or a weaker one the request asks for) is Strong or Bounded
// Staleness, else 1.
func (rq *request) readFactor() float64 {
	level := rq.s.consistency
	if level == "" {
		level = Session
	}
	if v := rq.header(hdrConsistencyLevel); v != "" {
		if asked, err := ParseConsistency(v); err == nil && asked.rank() > level.rank() {
			level = asked
		}
	}
	if level == Strong || level == BoundedStaleness {
		return strongReadFactor
	}
	return 1
}

// queryResultCharge is the part of a query page charged for one result of n bytes.
func queryResultCharge(n int) float64 { return queryResultCurve.at(kb(n)) }

// indexing summarises an indexing policy for the charge model.
type indexing struct {
	none     bool // indexingMode none: nothing indexed
	included int  // explicitly included paths when "/*" is excluded
	all      bool // every path indexed (the default)
}

func parseIndexing(raw json.RawMessage) indexing {
	var p struct {
		IndexingMode  string `json:"indexingMode"`
		IncludedPaths []struct {
			Path string `json:"path"`
		} `json:"includedPaths"`
		ExcludedPaths []struct {
			Path string `json:"path"`
		} `json:"excludedPaths"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return indexing{all: true}
	}
	if p.IndexingMode == "none" || p.IndexingMode == "None" {
		return indexing{none: true}
	}
	for _, e := range p.ExcludedPaths {
		if e.Path == "/*" {
			return indexing{included: len(p.IncludedPaths)}
		}
	}
	return indexing{all: true}
}

// indexedTerms counts the terms a write indexes: every scalar value when all paths are
// indexed, else one per included path.
func (m *containerMeta) indexedTerms(body []byte) int {
	switch {
	case m.index.none:
		return 0
	case !m.index.all:
		return m.index.included
	}
	return countScalars(body) - systemScalars
}

// systemScalars is the number of scalar system properties in a stored body.
const systemScalars = 5

// countScalars counts the scalar values (not keys) of valid JSON without decoding it.
func countScalars(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			k := j + 1
			for k < len(b) && (b[k] == ' ' || b[k] == '\t' || b[k] == '\n' || b[k] == '\r') {
				k++
			}
			if k >= len(b) || b[k] != ':' {
				n++
			}
			i = j + 1
		case c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n':
			n++
			for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
				i++
			}
		default:
			i++
		}
	}
	return n
}
