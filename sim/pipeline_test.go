package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
	"github.com/stampede-load/stampede/sim/sink"
)

// checkingSink decodes and validates every body as the backend would, and records the
// sequence numbers and sizes it saw per sensor.
type checkingSink struct {
	// start is when the run started and wait its BatchWait, to check Batch.Due.
	start time.Time
	wait  time.Duration
	mu    sync.Mutex
	// closedByAge counts batches due when their wait ran out, after their last event.
	closedByAge int
	seqs        map[string][]uint64
	sizes       []int
	errs        []error
}

func (c *checkingSink) Send(_ context.Context, b *sink.Batch) (sink.Result, error) {
	err := c.check(b)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seqs == nil {
		c.seqs = map[string][]uint64{}
	}
	key := b.Tenant + "/" + b.Sensor
	c.seqs[key] = append(c.seqs[key], b.Sequence)
	c.sizes = append(c.sizes, len(b.Events))
	if err != nil {
		c.errs = append(c.errs, err)
	}
	return sink.Result{Status: 200}, nil
}

func (c *checkingSink) check(b *sink.Batch) error {
	body := b.Body
	if b.Gzip {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return err
		}
	}
	got, err := api.DecodeBatch(body)
	if err != nil {
		return err
	}
	if err := got.Validate(); err != nil {
		return err
	}
	if got.Tenant != b.Tenant || got.ID != b.ID || len(got.Events) != len(b.Events) {
		return fmt.Errorf("batch %s: body does not match the batch", b.ID)
	}
	// Due is when the batch was due to leave, on the (uncompressed) scenario clock whose
	// timestamps are to the millisecond: with its last event when full (or the stream's
	// last), else when its wait ran out, at most BatchWait after its first event. It was
	// sent at most one BatchWait after it was due.
	first := b.Events[0].Time.Sub(pace.DefaultStart)
	last := b.Events[len(b.Events)-1].Time.Sub(pace.DefaultStart)
	due := b.Due.Sub(c.start)
	switch {
	case due < last:
		return fmt.Errorf("batch %s: due at %v, before its last event at %v", b.ID, due, last)
	case due-last < time.Millisecond:
	case due-first > c.wait+time.Millisecond:
		return fmt.Errorf("batch %s: due at %v, more than BatchWait after its first event at "+
			"%v", b.ID, due, first)
	default:
		c.mu.Lock()
		c.closedByAge++
		c.mu.Unlock()
	}
	if age := time.Since(b.Due); age < 0 || age > c.wait {
		return fmt.Errorf("batch %s: sent %v after it was due", b.ID, age)
	}
	return nil
}

func TestPipelineBatchesBySizeAndAge(t *testing.T) {
	tests := []struct {
		name        string
		rate        float64
		size        int
		wait        time.Duration
		gzip        bool
		inFlight    int
		wantBatches int
		wantMaxSize int
	}{
		{"by age", 100, 1000, 250 * time.Millisecond, false, 1, 8, 26},
		{"by size, gzip", 2000, 100, time.Second, true, 1, 40, 100},
		{"in flight", 2000, 100, time.Second, false, 4, 40, 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := Config{Seed: 3, Duration: 2 * time.Second, BatchSize: tt.size,
					BatchWait: tt.wait, Gzip: tt.gzip, InFlight: tt.inFlight,
					Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 100},
						Rate: tt.rate}}}
				c := checkingSink{start: time.Now(), wait: tt.wait}
				f, err := New(cfg, &c)
				require.NoError(t, err)
				tot, err := f.Run(t.Context())
				require.NoError(t, err)
				require.Empty(t, c.errs)
				require.Equal(t, tot.Generated, tot.Acked)
				require.InDelta(t, tt.wantBatches, len(c.sizes), 1)
				if tt.rate*tt.wait.Seconds() < float64(tt.size) {
					require.Positive(t, c.closedByAge,
						"batches closed by age are due when their wait runs out")
				}
				for _, n := range c.sizes {
					require.LessOrEqual(t, n, tt.wantMaxSize)
				}
				for sensor, seqs := range c.seqs {
					if tt.inFlight > 1 {
						// Batches may overtake each other; each arrives once.
						slices.Sort(seqs)
					}
					for i, seq := range seqs {
						require.Equal(t, uint64(i+1), seq, "sensor %s", sensor)
					}
				}
			})
		})
	}
}
