package backend

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
)

// TestFlushSpreadsEntitiesThatChangedTogether changes 240 entities in the same second, as
// the start of a tenant's load does, and runs a cycle every second of a fake wall clock:
// the cycles write them evenly before they are MaxFlushDelay old, not all in the one cycle
// where they come due together. Entities new to the node are created without a read.
func TestFlushSpreadsEntitiesThatChangedTogether(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	var fakeNow atomic.Int64
	fakeNow.Store(t0.UnixNano())
	b, err := New(Config{Endpoint: srv.Endpoint(), Key: srv.Key(), Nodes: 1,
		FlushInterval: time.Hour, MaxFlushDelay: 12 * time.Second, FlushEvents: 1 << 30})
	require.NoError(t, err)
	b.wallNow = func() time.Time { return time.Unix(0, fakeNow.Load()) }
	require.NoError(t, b.Start(context.Background()))
	t.Cleanup(func() { _ = b.Close() })
	onboard(t, b, "wave", "dc1")
	tn, n, ctx := b.tenantList()[0], b.nodes[0], context.Background()
	require.Zero(t, n.flush(ctx, false), "a first cycle, with nothing to write")

	const entities = 240
	batch := &api.Batch{Tenant: "wave", Sensor: "dc1", Sequence: 1, ID: api.BatchID("dc1", 1)}
	for i := range entities {
		batch.Events = append(batch.Events, api.Event{Kind: api.KindLogonSuccess, Time: t0,
			Source:     api.EntityRef{Type: api.EntityUser, Name: fmt.Sprintf("user%03d", i)},
			SourceHost: "ws01", Target: api.EntityRef{Type: api.EntityComputer, Name: "fs1"}})
	}
	_, rej := b.admit(tn, batch)
	require.Nil(t, rej)
	require.Eventually(t, func() bool { return b.queued.Load() == 0 }, 5*time.Second, time.Millisecond)

	var taken []int
	for range 12 {
		fakeNow.Add(int64(time.Second))
		before := n.dirtyCount()
		require.Zero(t, n.flush(ctx, false))
		taken = append(taken, before-n.dirtyCount())
	}
	require.Zero(t, n.dirtyCount(), "every entity written before it is MaxFlushDelay old")
	for i, got := range taken[:11] {
		require.InDelta(t, entities/11, got, 3, "cycle %d of %v", i+1, taken)
	}
	require.Less(t, b.Stats().CosmosReads, int64(entities/10),
		"new entities are created without reading first")
	requireConserved(t, b, entities)
}
