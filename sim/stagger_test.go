package sim

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/sink"
)

// sentLog records every batch a fleet sends: its sensor, sequence, size and send time.
type sentLog struct {
	mu    sync.Mutex
	sizes map[string][]int
	first map[string]time.Time
}

func (l *sentLog) Send(_ context.Context, b *sink.Batch) (sink.Result, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b.Sequence == 1 {
		l.first[b.Sensor] = time.Now()
	}
	l.sizes[b.Sensor] = append(l.sizes[b.Sensor], len(b.Events))
	return sink.Result{Status: 200}, nil
}

// Sensors started together must not fill and send their batches in step: each sensor's
// first batch is cut at its own seeded fraction of the batch size, so the fleet's sends
// spread over time instead of arriving as one burst per batch period.
func TestSensorsSendOutOfStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := &sentLog{sizes: map[string][]int{}, first: map[string]time.Time{}}
		cfg := Config{Seed: 5, Duration: 2 * time.Second, BatchSize: 50,
			Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 400, Sensors: 8},
				Rate: 1600}}}
		f, err := New(cfg, log)
		require.NoError(t, err)
		totals, err := f.Run(t.Context())
		require.NoError(t, err)
		require.Equal(t, totals.Generated, totals.Acked)

		require.Len(t, log.sizes, 8)
		firstSizes, firstTimes := map[int]bool{}, map[time.Time]bool{}
		for sensor, sizes := range log.sizes {
			require.GreaterOrEqual(t, len(sizes), 3, sensor)
			require.GreaterOrEqual(t, sizes[0], 1, sensor)
			require.LessOrEqual(t, sizes[0], cfg.BatchSize, sensor)
			for _, n := range sizes[1 : len(sizes)-1] {
				require.Equal(t, cfg.BatchSize, n, "sensor %s: after the first, batches are full",
					sensor)
			}
			firstSizes[sizes[0]] = true
			firstTimes[log.first[sensor]] = true
		}
		require.GreaterOrEqual(t, len(firstSizes), 6, "first batch sizes %v", log.sizes)
		require.GreaterOrEqual(t, len(firstTimes), 6, "first sends %v", log.first)
	})
}
