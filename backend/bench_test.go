package backend

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stampede-load/stampede/backend/api"
)

// benchBackend is a backend with one registered tenant and no Cosmos DB traffic: New does no
// I/O and the benchmark never flushes.
func benchBackend(b *testing.B, nodes int) (*Backend, *tenant) {
	b.Helper()
	be, err := New(Config{Endpoint: "http://127.0.0.1:1", Key: "dGVzdGtleQ==", Nodes: nodes,
		// Nothing is ever flushed here (no Cosmos DB), so the bounds that push back on
		// unflushed work are lifted: the benchmark measures ingest, not push-back.
		MaxDirty: 1 << 30, MaxQueuedEvents: 1 << 30, MaxUnstoredEvents: 1 << 40})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = be.Close() })
	t, err := be.newTenant(TenantSpec{ID: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	be.register(t, nil)
	be.ready.Store(true)
	return be, t
}

// realisticBatch draws events over 2,000 users and 300 hosts with the kind mix of a domain
// controller's sensor.
func realisticBatch(seq uint64, n int) []byte {
	kinds := []api.Kind{api.KindKerberosTGS, api.KindKerberosTGS, api.KindKerberosAS, api.KindNTLM,
		api.KindLogonSuccess, api.KindLogonSuccess, api.KindDNSLookup, api.KindLDAPQuery,
		api.KindTicketRequest, api.KindCredentialValidation, api.KindLogonFailure}
	batch := &api.Batch{Tenant: "bench", Sensor: "dc1", Sequence: seq, ID: api.BatchID("dc1", seq)}
	for i := range n {
		// Each user works from one workstation and uses a few servers.
		x := int(seq)*n + i
		u := x * 7919 % 2000
		srv := (u + x%3) % 40
		e := api.Event{Kind: kinds[x%len(kinds)], Time: t0.Add(time.Duration(x) * 10 * time.Millisecond),
			Source:     api.EntityRef{Type: api.EntityUser, Name: fmt.Sprintf("user%04d", u)},
			SourceHost: fmt.Sprintf("ws%03d", u%300),
			Target:     api.EntityRef{Type: api.EntityComputer, Name: fmt.Sprintf("srv%02d", srv)}}
		switch e.Kind {
		case api.KindKerberosTGS, api.KindTicketRequest:
			e.Target = api.EntityRef{Type: api.EntityService, Name: fmt.Sprintf("cifs/srv%02d", srv)}
			e.Encryption = api.EncAES256
		case api.KindDNSLookup, api.KindLDAPQuery:
			e.Query = "(sAMAccountName=user)"
		case api.KindLogonFailure:
			e.Result = api.ResultBadPassword
		}
		batch.Events = append(batch.Events, e)
	}
	return api.AppendBatchJSON(nil, batch)
}

// applyInboxes folds every queued work item, as the nodes' apply loops would.
func (b *Backend) applyInboxes() {
	for _, n := range b.nodes {
		n.inboxMu.Lock()
		items := n.inbox
		n.inbox = nil
		n.inboxMu.Unlock()
		for _, w := range items {
			n.apply(w)
		}
	}
}

// BenchmarkIngest measures decode, validation, dedupe, detection and the profile update of
// one 500-event batch, without HTTP and without Cosmos DB. Target: 300,000 events/s per core.
func BenchmarkIngest(b *testing.B) {
	for _, nodes := range []int{1, 2} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			be, t := benchBackend(b, nodes)
			const perBatch, bodies = 500, 64
			var raw [bodies][]byte
			for i := range raw {
				raw[i] = realisticBatch(uint64(i+1), perBatch)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(raw[0])))
			cpu0 := processCPU()
			i := 0
			for b.Loop() {
				if i%bodies == 0 {
					t.dedupe.sensors = nil // reuse the bodies: forget their sequence numbers
				}
				batch, rej := decodeBatch(raw[i%bodies])
				if rej != nil {
					b.Fatal(rej.err)
				}
				if _, rej := be.admitShared(t, &batch.Batch, batch); rej != nil {
					b.Fatal(rej.err)
				}
				be.applyInboxes()
				i++
			}
			b.ReportMetric(float64(i*perBatch)/b.Elapsed().Seconds(), "events/s")
			// CPU time consumed by the process (GC included): on a shared machine wall time
			// also counts waiting for a core; events per CPU-second is the per-core figure.
			b.ReportMetric(float64(i*perBatch)/(processCPU()-cpu0).Seconds(), "events/cpu-s")
		})
	}
}

// processCPU returns the user plus system CPU time of the process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
