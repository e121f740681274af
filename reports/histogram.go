package reports

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// geometry fixes how a histogram maps values to buckets. Two histograms merge exactly only
// when their geometries are equal, so a summary uses exactly two of them, one per unit family.
type geometry struct {
	id      byte
	lowest  int64
	highest int64
	digits  int
	// scale converts a recorded integer to the metric's unit.
	scale float64
}

var (
	// durationGeometry records microseconds from 1 µs to 1 h at 3 significant digits (0.1%).
	durationGeometry = geometry{id: 'u', lowest: 1, highest: 3_600_000_000, digits: 3, scale: 1e-6}
	// valueGeometry records non-negative integers up to 10^12 at 3 significant digits.
	valueGeometry = geometry{id: 'n', lowest: 1, highest: 1_000_000_000_000, digits: 3, scale: 1}
)

func geometryFor(u Unit) geometry {
	if u == UnitSeconds {
		return durationGeometry
	}
	return valueGeometry
}

func geometryByID(id byte) (geometry, bool) {
	switch id {
	case durationGeometry.id:
		return durationGeometry, true
	case valueGeometry.id:
		return valueGeometry, true
	}
	return geometry{}, false
}

func (g geometry) newPacked() *hdr.PackedHistogram {
	return hdr.NewPacked(g.lowest, g.highest, g.digits)
}
func (g geometry) newDense() *hdr.Histogram { return hdr.New(g.lowest, g.highest, g.digits) }

// toInt converts a value in the metric's unit to the recorded integer, clamped to the range.
func (g geometry) toInt(v float64) int64 {
	if math.IsNaN(v) || v <= 0 {
		return 0
	}
	x := math.Round(v / g.scale)
	if x >= float64(g.highest) {
		return g.highest
	}
	return int64(x)
}

// Histogram is a mergeable HDR histogram of a trend metric, in the metric's unit (seconds
// for latencies). It is not safe for concurrent mutation.
type Histogram struct {
	g geometry
	p *hdr.PackedHistogram
	// standard selects the HdrHistogram V2 encoding in JSON (used for whole-run
	// histograms); otherwise the sparse encoding is written.
	standard bool
}

// NewHistogram returns an empty histogram for values of unit u. Durations (UnitSeconds)
// resolve 1 µs to 1 h; other units resolve integers up to 10^12; both at 3 significant
// digits. Values outside the range are clamped to it.
func NewHistogram(u Unit) *Histogram {
	g := geometryFor(u)
	return &Histogram{g: g, p: g.newPacked()}
}

// Record adds one value in the histogram's unit.
func (h *Histogram) Record(v float64) { _ = h.p.RecordValue(h.g.toInt(v)) }

// RecordDuration adds one duration to a duration histogram.
func (h *Histogram) RecordDuration(d time.Duration) { h.Record(durationSeconds(d)) }

// Merge adds o's counts to h. It fails when the two were made for different unit families.
func (h *Histogram) Merge(o *Histogram) error {
	if o == nil {
		return nil
	}
	if h.g != o.g {
		return fmt.Errorf("merge histograms: geometry %q and %q differ", h.g.id, o.g.id)
	}
	h.p.Merge(o.p)
	return nil
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	return &Histogram{g: h.g, p: h.p.Clone(), standard: h.standard}
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.p.TotalCount() }

// Min is the smallest recorded value (0 when empty).
func (h *Histogram) Min() float64 { return float64(h.p.Min()) * h.g.scale }

// Max is the largest recorded value, to the histogram's precision (0 when empty).
func (h *Histogram) Max() float64 { return float64(h.p.Max()) * h.g.scale }

// Mean is the mean of recorded values (0 when empty).
func (h *Histogram) Mean() float64 { return h.p.Mean() * h.g.scale }

// Quantile returns the value at percentile p (0..100); 0 when empty.
func (h *Histogram) Quantile(p float64) float64 {
	return float64(h.p.ValueAtPercentile(p)) * h.g.scale
}

// mergeInto adds h's counts to a dense histogram of the same geometry.
func (h *Histogram) mergeInto(d *hdr.Histogram) { h.p.MergeInto(d) }

// fromDense packs a dense histogram into a new Histogram of geometry g.
func fromDense(g geometry, d *hdr.Histogram) *Histogram {
	p := g.newPacked()
	p.MergeFrom(d)
	return &Histogram{g: g, p: p}
}

// Encodings in JSON: "<id>=<V2 base64>" for the standard HdrHistogram V2 compressed form and
// "<id>:<base64 of varint pairs>" for the sparse form, where <id> names the geometry
// ('u' microseconds, 'n' plain numbers). An empty sparse histogram is "<id>:".
const (
	standardSep = '='
	sparseSep   = ':'
)

// MarshalJSON writes the histogram as a string in one of the two encodings.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	s, err := h.encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(s)
}

func (h *Histogram) encode() (string, error) {
	if h.standard {
		b, err := h.p.EncodeV2()
		if err != nil {
			return "", fmt.Errorf("encode histogram: %w", err)
		}
		return string(h.g.id) + string(standardSep) + string(b), nil
	}
	b, _ := h.appendSparse(nil, nil)
	return string(b), nil
}

// appendSparse appends the sparse encoding ("u:" and base64) to dst, using scratch for the
// binary form; it returns the extended dst and scratch for reuse.
func (h *Histogram) appendSparse(dst, scratch []byte) ([]byte, []byte) {
	scratch = h.sparse(scratch[:0])
	dst = append(dst, h.g.id, sparseSep)
	return base64.RawStdEncoding.AppendEncode(dst, scratch), scratch
}

// sparse appends to buf, per populated bucket in ascending order, the uvarint of the bucket
// value's distance from the previous one and the uvarint of its count.
func (h *Histogram) sparse(buf []byte) []byte {
	var prev int64
	for v, c := range h.p.ForEachBucket {
		buf = binary.AppendUvarint(buf, uint64(v-prev))
		buf = binary.AppendUvarint(buf, uint64(c))
		prev = v
	}
	return buf
}

// UnmarshalJSON reads either encoding.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("histogram: %w", err)
	}
	d, err := decodeHistogram(s)
	if err != nil {
		return err
	}
	*h = *d
	return nil
}

var errHistogramFormat = errors.New(`histogram: want "u=", "n=", "u:" or "n:" followed by base64`)

func decodeHistogram(s string) (*Histogram, error) {
	if len(s) < 2 {
		return nil, errHistogramFormat
	}
	g, ok := geometryByID(s[0])
	if !ok {
		return nil, errHistogramFormat
	}
	switch s[1] {
	case standardSep:
		p, err := hdr.DecodePacked([]byte(s[2:]))
		if err != nil {
			return nil, fmt.Errorf("histogram: %w", err)
		}
		if p.SignificantFigures() != int64(g.digits) || p.LowestTrackableValue() != g.lowest ||
			p.HighestTrackableValue() != g.highest {
			return nil, fmt.Errorf("histogram: geometry does not match %q", g.id)
		}
		return &Histogram{g: g, p: p, standard: true}, nil
	case sparseSep:
		return decodeSparse(g, s[2:])
	}
	return nil, errHistogramFormat
}

func decodeSparse(g geometry, s string) (*Histogram, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	h := &Histogram{g: g, p: g.newPacked()}
	var value uint64
	for len(raw) > 0 {
		delta, n := binary.Uvarint(raw)
		if n <= 0 {
			return nil, errors.New("histogram: truncated bucket value")
		}
		raw = raw[n:]
		count, m := binary.Uvarint(raw)
		if m <= 0 {
			return nil, errors.New("histogram: truncated bucket count")
		}
		raw = raw[m:]
		value += delta
		if value > uint64(g.highest)*2 || count > math.MaxInt64 {
			return nil, fmt.Errorf("histogram: bucket %d out of range", value)
		}
		if err := h.p.RecordValues(int64(value), int64(count)); err != nil {
			return nil, fmt.Errorf("histogram: %w", err)
		}
	}
	return h, nil
}
