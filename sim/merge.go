package sim

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// setLag stores h as t's encoded lag histogram and its summary.
func (t *Totals) setLag(h *hdrhistogram.Histogram) {
	// Encoding an in-memory histogram only fails on a programming error.
	t.Lag, _ = h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	t.LagP50 = micros(h.ValueAtQuantile(50))
	t.LagP99 = micros(h.ValueAtQuantile(99))
	t.LagMax = micros(h.Max())
}

// LagHistogram decodes t.Lag (an empty histogram when t.Lag is empty).
func (t Totals) LagHistogram() (*hdrhistogram.Histogram, error) {
	if len(t.Lag) == 0 {
		return newLagHistogram(), nil
	}
	h, err := hdrhistogram.Decode(t.Lag)
	if err != nil {
		return nil, fmt.Errorf("decode lag histogram: %w", err)
	}
	return h, nil
}

// MergeTotals combines the totals of the shards of one fleet (or of several runs) as if
// one process had run them: counts, statuses, sensors, saturated seconds and attacks add
// up, lag histograms merge exactly, Elapsed is the longest, and Rate is recomputed. The
// result has Shard -1 and Shards len(parts).
func MergeTotals(parts ...Totals) (Totals, error) {
	out := Totals{Shard: -1, Shards: len(parts), Statuses: map[int]int64{},
		Tenants: map[string]TenantTotals{}}
	lag := newLagHistogram()
	for i, p := range parts {
		h, err := p.LagHistogram()
		if err != nil {
			return Totals{}, fmt.Errorf("merge totals %d: %w", i, err)
		}
		lag.Merge(h)
		out.Seed = p.Seed
		out.add(p)
	}
	out.setLag(lag)
	if out.Elapsed > 0 {
		out.Rate = float64(out.Generated) / out.Elapsed.Seconds()
	}
	return out, nil
}

func (t *Totals) add(p Totals) {
	t.Sensors += p.Sensors
	t.Elapsed = max(t.Elapsed, p.Elapsed)
	t.Generated += p.Generated
	t.Acked += p.Acked
	t.Duplicates += p.Duplicates
	t.Dropped += p.Dropped
	t.Rejected += p.Rejected
	t.Failed += p.Failed
	t.Unsent += p.Unsent
	t.Missed += p.Missed
	t.Batches += p.Batches
	t.Retries += p.Retries
	t.TransportErrors += p.TransportErrors
	t.SaturatedSeconds += p.SaturatedSeconds
	for code, n := range p.Statuses {
		t.Statuses[code] += n
	}
	t.Attacks = append(t.Attacks, p.Attacks...)
	for id, pt := range p.Tenants {
		tt := t.Tenants[id]
		tt.Generated += pt.Generated
		tt.Acked += pt.Acked
		tt.Missed += pt.Missed
		t.Tenants[id] = tt
	}
}
