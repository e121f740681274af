package sim

import (
	"bufio"
	"container/heap"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
)

// RecordTotals is the outcome of Record.
type RecordTotals struct {
	// Events is the number of lines written.
	Events int64 `json:"events"`
	// Sensors is the number of sensors this shard recorded.
	Sensors int `json:"sensors"`
	// Attacks is the ground truth of the attacks in the recording.
	Attacks []attack.Attack `json:"attacks"`
}

// Record writes the stream this shard's sensors would send over Config.Duration to w as
// newline-delimited JSON (api.AppendRecordJSON), without pacing, batching or a sink: it
// runs as fast as it can. Lines are ordered by due offset, then by sensor position in the
// fleet, so the same seed and config give the same bytes, and the recordings of the shards
// of a fleet hold, together, exactly the lines of the unsharded recording (each sensor's
// lines in the same order). It stops early, with ctx's error, when ctx is done.
func Record(ctx context.Context, cfg Config, w io.Writer) (RecordTotals, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return RecordTotals{}, fmt.Errorf("record: %w", err)
	}
	tenants, streams, err := plan(cfg)
	if err != nil {
		return RecordTotals{}, fmt.Errorf("record: %w", err)
	}
	totals := RecordTotals{Sensors: len(streams), Attacks: groundTruth(tenants, cfg)}
	bw := bufio.NewWriterSize(w, 1<<20)
	h := make(streamHeap, 0, len(streams))
	for _, s := range streams {
		if at, ok := s.peek(); ok {
			h = append(h, heapItem{at: at, s: s})
		}
	}
	heap.Init(&h)
	var e api.Event
	var line []byte
	for len(h) > 0 {
		if totals.Events%65536 == 0 && ctx.Err() != nil {
			return totals, ctx.Err()
		}
		s := h[0].s
		s.next(&e)
		line = api.AppendRecordJSON(line[:0], s.tenant, s.sensor, &e)
		if _, err := bw.Write(line); err != nil {
			return totals, fmt.Errorf("record: %w", err)
		}
		totals.Events++
		if at, ok := s.peek(); ok {
			h[0].at = at
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	if err := bw.Flush(); err != nil {
		return totals, fmt.Errorf("record: %w", err)
	}
	return totals, nil
}

type heapItem struct {
	at time.Duration
	s  *stream
}

// streamHeap orders streams by next due offset, then fleet position.
type streamHeap []heapItem

func (h streamHeap) Len() int { return len(h) }
func (h streamHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].s.index < h[j].s.index
}
func (h streamHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *streamHeap) Push(x any)   { *h = append(*h, x.(heapItem)) }
func (h *streamHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
