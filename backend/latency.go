package backend

import (
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync/atomic"
	"time"
)

// The latency histogram layout, in microseconds: below 128 µs one bucket per microsecond;
// above, 64 buckets per power of two, each less than 1/64 of its values wide, so a bucket's
// midpoint is within 0.8% of every value in it; up to 2^33 µs (about 2.4 hours), where
// longer values are counted in the last bucket.
const (
	latencyLinear    = 128
	latencyPerOctave = 64
	latencyMaxShift  = 26
	latencyBuckets   = latencyMaxShift*latencyPerOctave + latencyLinear
)

// latencyBucket returns the bucket of a latency of us microseconds.
func latencyBucket(us int64) int {
	if us < latencyLinear {
		return int(max(us, 0))
	}
	shift := bits.Len64(uint64(us)) - 7 // leaves the top 7 bits: 64 to 127
	if shift > latencyMaxShift {
		return latencyBuckets - 1
	}
	return shift*latencyPerOctave + int(us>>shift)
}

// latencyBounds returns the microseconds bucket i holds, [low, high).
func latencyBounds(i int) (low, high int64) {
	if i < latencyLinear {
		return int64(i), int64(i) + 1
	}
	shift := i/latencyPerOctave - 1
	top := int64(i - shift*latencyPerOctave)
	return top << shift, (top + 1) << shift
}

func latencyMid(i int) time.Duration {
	low, high := latencyBounds(i)
	return time.Duration(low+high) * time.Microsecond / 2
}

// latencyCounts is a histogram recorded with one atomic add, safe for concurrent use.
type latencyCounts [latencyBuckets]atomic.Int64

func (c *latencyCounts) record(d time.Duration) { c[latencyBucket(d.Microseconds())].Add(1) }

// snapshot copies the counts. Records made meanwhile may be partly included; every bucket
// only grows, so a later snapshot never holds less than an earlier one.
func (c *latencyCounts) snapshot() *LatencyHistogram {
	var buf [latencyBuckets]int64
	h := &LatencyHistogram{}
	last := -1
	for i := range c {
		if n := c[i].Load(); n != 0 {
			buf[i], last = n, i
			h.total += n
		}
	}
	h.counts = slices.Clone(buf[:last+1])
	return h
}

// LatencyHistogram is a snapshot of latencies, cumulative since the backend started. It
// resolves 1 µs up to 128 µs and less than 0.8% of the value above, up to about 2.4 hours.
// Histograms merge exactly by adding counts ([LatencyHistogram.Merge]), across nodes,
// backends and processes; the difference of two snapshots of one backend is what happened
// between them ([LatencyHistogram.Sub]). The zero value is empty. It is not safe for
// concurrent mutation.
type LatencyHistogram struct {
	counts []int64 // per bucket, trimmed after the last non-empty one
	total  int64
}

// Count returns the number of latencies recorded; 0 for a nil histogram.
func (h *LatencyHistogram) Count() int64 {
	if h == nil {
		return 0
	}
	return h.total
}

// Merge adds o's latencies to h.
func (h *LatencyHistogram) Merge(o *LatencyHistogram) {
	if o == nil {
		return
	}
	if grow := len(o.counts) - len(h.counts); grow > 0 {
		h.counts = append(h.counts, make([]int64, grow)...)
	}
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.total += o.total
}

// Sub returns the latencies h holds beyond prev, an earlier snapshot of the same histogram
// (nil: all of h).
func (h *LatencyHistogram) Sub(prev *LatencyHistogram) *LatencyHistogram {
	out := &LatencyHistogram{counts: slices.Clone(h.counts)}
	if prev != nil {
		for i := range min(len(prev.counts), len(out.counts)) {
			out.counts[i] = max(out.counts[i]-prev.counts[i], 0)
		}
	}
	last := -1
	for i, n := range out.counts {
		if n != 0 {
			out.total += n
			last = i
		}
	}
	out.counts = out.counts[:last+1]
	return out
}

// Buckets calls fn for every non-empty bucket in increasing order, with the latencies it
// holds ([low, high)) and how many.
func (h *LatencyHistogram) Buckets(fn func(low, high time.Duration, count int64)) {
	if h == nil {
		return
	}
	for i, n := range h.counts {
		if n != 0 {
			low, high := latencyBounds(i)
			fn(time.Duration(low)*time.Microsecond, time.Duration(high)*time.Microsecond, n)
		}
	}
}

// Quantile returns the latency below which the fraction q (0 to 1) of the recorded ones
// fall, as the midpoint of its bucket; 0 when empty.
func (h *LatencyHistogram) Quantile(q float64) time.Duration {
	if h.Count() == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(min(max(q, 0), 1)*float64(h.total))), 1)
	var seen int64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return latencyMid(i)
		}
	}
	return latencyMid(len(h.counts) - 1)
}

// Mean returns the mean latency from bucket midpoints; 0 when empty.
func (h *LatencyHistogram) Mean() time.Duration {
	if h.Count() == 0 {
		return 0
	}
	var sum float64
	for i, n := range h.counts {
		sum += float64(latencyMid(i)) * float64(n)
	}
	return time.Duration(sum / float64(h.total))
}

// latencyJSON is the JSON form: readable percentiles, and the non-empty buckets as
// [index, count] pairs so that it decodes without loss.
type latencyJSON struct {
	Count   int64      `json:"count"`
	P50     float64    `json:"p50_seconds"`
	P99     float64    `json:"p99_seconds"`
	Max     float64    `json:"max_seconds"`
	Buckets [][2]int64 `json:"buckets"`
}

// MarshalJSON implements json.Marshaler.
func (h *LatencyHistogram) MarshalJSON() ([]byte, error) {
	j := latencyJSON{Count: h.Count(), P50: h.Quantile(0.5).Seconds(),
		P99: h.Quantile(0.99).Seconds(), Max: h.Quantile(1).Seconds(), Buckets: [][2]int64{}}
	for i, n := range h.counts {
		if n != 0 {
			j.Buckets = append(j.Buckets, [2]int64{int64(i), n})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler, reading the buckets.
func (h *LatencyHistogram) UnmarshalJSON(b []byte) error {
	var j latencyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*h = LatencyHistogram{}
	for _, p := range j.Buckets {
		i, n := p[0], p[1]
		if i < 0 || i >= latencyBuckets || n < 0 || int(i) < len(h.counts) ||
			h.total+n < h.total {
			return fmt.Errorf("latency histogram: bucket [%d, %d]: want increasing indexes "+
				"below %d and counts from 0 (total below 2^63)", i, n, latencyBuckets)
		}
		h.counts = append(h.counts, make([]int64, int(i)+1-len(h.counts))...)
		h.counts[i] = n
		h.total += n
	}
	return nil
}
