package backend

import (
	"context"
	"testing"

	"github.com/stampede-load/stampede/emulator"
)

// BenchmarkFlushWrite measures one profile write of the flush path (cached ETag, decode,
// apply, encode, replace with If-Match) through azcosmos against the in-process emulator;
// the CPU figure includes the emulator's own work.
func BenchmarkFlushWrite(b *testing.B) {
	srv, err := emulator.Start(context.Background(), emulator.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	be, err := New(Config{Endpoint: srv.Endpoint(), Key: srv.Key(), Nodes: 1, FlushInterval: 1 << 62})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := be.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	if _, err := be.Onboard(ctx, TenantSpec{ID: "bench", Sensors: []string{"dc1"}}); err != nil {
		b.Fatal(err)
	}
	t := be.tenantList()[0]
	raw := realisticBatch(1, 500)
	batch, rej := decodeBatch(raw)
	if rej != nil {
		b.Fatal(rej.err)
	}
	seq := uint64(1)
	ingest := func() {
		batch.Sequence, batch.ID = seq, "" // admit trusts the decoded batch
		seq++
		if _, rej := be.admit(t, &batch.Batch); rej != nil {
			b.Fatal(rej.err)
		}
		be.applyInboxes()
	}
	ingest()
	if err := be.Drain(ctx); err != nil { // create every document first
		b.Fatal(err)
	}
	b.ReportAllocs()
	writes0, cpu0 := be.Stats().CosmosWrites, processCPU()
	for b.Loop() {
		ingest()
		if err := be.Drain(ctx); err != nil {
			b.Fatal(err)
		}
	}
	writes := be.Stats().CosmosWrites - writes0
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(writes), "cpu-µs/write")
	b.ReportMetric(float64(writes)/float64(b.N), "writes/op")
}
