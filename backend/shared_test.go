package backend

import (
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

func cloneBatch(b *api.Batch) *api.Batch {
	c := *b
	c.Events = slices.Clone(b.Events)
	return &c
}

// folded is what the nodes hold for one entity.
type folded struct {
	acked  int64
	counts [16]int64
	hourly [24]int64
}

func ackedPerEntity(b *Backend) map[api.EntityRef]folded {
	out := map[api.EntityRef]folded{}
	for _, n := range b.nodes {
		n.mu.Lock()
		for k, e := range n.entities {
			f := folded{acked: e.acked}
			if e.slot != nil {
				f.counts, f.hourly = e.slot.delta.Counts, e.slot.delta.Hourly
			}
			out[k.ref] = f
		}
		n.mu.Unlock()
	}
	return out
}

func idleBackend(t *testing.T, nodes int) (*Backend, *tenant) {
	t.Helper()
	be, err := New(Config{Endpoint: "http://127.0.0.1:1", Key: "dGVzdGtleQ==", Nodes: nodes,
		MaxDirty: 1 << 30, MaxQueuedEvents: 1 << 30})
	require.NoError(t, err)
	t.Cleanup(func() { _ = be.Close() })
	tn, err := be.newTenant(TenantSpec{ID: "bench"})
	require.NoError(t, err)
	be.register(tn, nil)
	be.ready.Store(true)
	return be, tn
}

func ingestBody(t *testing.T, be *Backend, tn *tenant, body []byte) {
	t.Helper()
	src, rej := decodeBatch(body)
	require.Nil(t, rej)
	_, rej = be.admitShared(tn, &src.Batch, src)
	require.Nil(t, rej)
}

// TestSharedBatchHeldUntilApplied decodes new batches while earlier ones still wait in the
// nodes' inboxes: a batch returned to the pool too early would be overwritten and its
// events folded wrong.
func TestSharedBatchHeldUntilApplied(t *testing.T) {
	for _, nodes := range []int{1, 3} {
		be, tn := idleBackend(t, nodes)
		ref, refT := idleBackend(t, nodes) // the same events from batches never pooled
		for seq := uint64(1); seq <= 8; seq++ {
			body := realisticBatch(seq, 200)
			ingestBody(t, be, tn, body) // not applied yet: the nodes hold the batch
			src, rej := decodeBatch(body)
			require.Nil(t, rej)
			_, rej = ref.admit(refT, cloneBatch(&src.Batch))
			require.Nil(t, rej)
			src.release()
		}
		be.applyInboxes()
		ref.applyInboxes()
		require.Equal(t, ackedPerEntity(ref), ackedPerEntity(be))
	}
}

// TestIngestReusesEventMemory bounds the bytes allocated per 500-event batch through
// decode, admission and apply: without the pool each batch allocates its events slice
// (about 200 KB with its growth).
func TestIngestReusesEventMemory(t *testing.T) {
	be, tn := idleBackend(t, 2)
	const batches = 64
	var bodies [batches][]byte
	for i := range bodies {
		bodies[i] = realisticBatch(uint64(i+1), 500)
	}
	run := func() {
		tn.dedupe.sensors = nil
		for _, body := range bodies {
			ingestBody(t, be, tn, body)
			be.applyInboxes()
		}
	}
	run() // warm the pools and the node maps
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run()
	runtime.ReadMemStats(&after)
	perBatch := (after.TotalAlloc - before.TotalAlloc) / batches
	require.Less(t, perBatch, uint64(50_000), "bytes allocated per 500-event batch")
}
