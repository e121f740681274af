package backend

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// TestCoalescingWritesPer1000Events feeds a small simulated tenant (500 users, 250
// computers, 4 sensors) at 2,000 events/s for three minutes of a fake wall clock, runs a flush
// cycle every default interval, and requires at most 20 Cosmos DB writes per 1,000 events
// stored at steady state (after the first minute, which creates every document).
func TestCoalescingWritesPer1000Events(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates three minutes of load")
	}
	srv := startEmulator(t, emulator.Config{})
	var fakeNow atomic.Int64
	fakeNow.Store(t0.UnixNano())
	// The flush loops never tick (cycles run by hand below); due-ness uses the defaults.
	interval := DefaultFlushInterval
	b, err := New(Config{Endpoint: srv.Endpoint(), Key: srv.Key(), Nodes: 2, FlushInterval: time.Hour,
		MaxFlushDelay: flushDelayIntervals * interval})
	require.NoError(t, err)
	b.wallNow = func() time.Time { return time.Unix(0, fakeNow.Load()) }
	require.NoError(t, b.Start(context.Background()))
	t.Cleanup(func() { _ = b.Close() })

	o, err := org.New(3, org.Spec{Tenant: "coal", Users: 500, Computers: 250, Sensors: 4})
	require.NoError(t, err)
	info, err := b.Onboard(context.Background(), TenantSpec{ID: "coal", Sensors: o.SensorIDs})
	require.NoError(t, err)
	_ = info
	tn := b.tenantList()[0]
	clock := pace.Clock{Compression: 60}
	var gens []*behavior.Generator
	for dc := range o.SensorIDs {
		g, err := behavior.NewGenerator(uint64(dc+1), o, dc, behavior.Config{}, clock)
		require.NoError(t, err)
		gens = append(gens, g)
	}

	const rate, seconds, warmup = 2000, 180, 60
	ctx := context.Background()
	var seq uint64
	var base Stats
	for sec := range seconds {
		for dc, g := range gens {
			seq++
			batch := &api.Batch{Tenant: "coal", Sensor: o.SensorIDs[dc], Sequence: seq,
				ID: api.BatchID(o.SensorIDs[dc], seq), Events: make([]api.Event, rate/len(gens))}
			for i := range batch.Events {
				g.Fill(&batch.Events[i], time.Duration(sec)*time.Second+
					time.Duration(i)*time.Second/time.Duration(len(batch.Events)))
			}
			_, rej := b.admit(tn, batch)
			require.Nil(t, rej)
		}
		fakeNow.Add(int64(time.Second))
		if (sec+1)%int(interval/time.Second) != 0 {
			continue
		}
		require.Eventually(t, func() bool { return b.queued.Load() == 0 }, 10*time.Second, time.Millisecond)
		for _, n := range b.nodes {
			require.Zero(t, n.flush(ctx, false))
		}
		if sec+1 == warmup {
			base = b.Stats()
		}
	}
	end := b.Stats()
	writes, stored := end.CosmosWrites-base.CosmosWrites, end.EventsStored-base.EventsStored
	perThousand := float64(writes) * 1000 / float64(stored)
	t.Logf("steady state: %d writes for %d events stored: %.1f writes per 1,000 events "+
		"(flush interval %v, %d events or %v per entity), %.1f RU per write, %.0f RU per 1,000 events",
		writes, stored, perThousand, interval, b.cfg.FlushEvents, b.cfg.MaxFlushDelay,
		(end.RequestCharge-base.RequestCharge)/float64(writes),
		(end.RequestCharge-base.RequestCharge)*1000/float64(stored))
	require.LessOrEqual(t, perThousand, 20.0)
	requireConserved(t, b, end.EventsAcked)
}
