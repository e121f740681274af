package backend

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
)

// TestWriteBehindHoldsThroughFailover takes the write region down while sensors keep
// posting: ingest keeps acknowledging (sensors see no errors), flushes fail and are kept,
// and once the account fails over to the second region the drain stores everything.
func TestWriteBehindHoldsThroughFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the SDK's regional retries")
	}
	for _, mode := range []emulator.OutageMode{emulator.Outage503, emulator.OutageRefuse} {
		t.Run(string(mode), func(t *testing.T) {
			acct, err := emulator.StartAccount(context.Background(), emulator.Config{},
				emulator.RegionsConfig{Regions: []string{"East US", "West US"}})
			require.NoError(t, err)
			t.Cleanup(func() { _ = acct.Close() })
			b := newBackendAt(t, acct.Endpoint(), acct.Key(), func(c *Config) {
				c.PreferredRegions = []string{"East US", "West US"}
			})
			a := onboard(t, b, "tenant-f", "dc1", "dc2")
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()

			acked := ingestSome(t, b, a, 3, 20, 1)
			require.NoError(t, b.Drain(ctx))
			time.Sleep(100 * time.Millisecond) // let replication catch up: no RPO in this test

			require.NoError(t, acct.RegionDown(ctx, "East US", mode))
			acked += ingestSome(t, b, a, 3, 20, 10) // every post must still be acknowledged
			outage, cancelOutage := context.WithTimeout(ctx, 500*time.Millisecond)
			require.Error(t, b.Drain(outage), "nothing can be stored while the write region is down")
			cancelOutage()
			require.NoError(t, acct.Failover(ctx, "West US"))
			acked += ingestSome(t, b, a, 3, 20, 20)

			requireConserved(t, b, acked)
			require.Empty(t, acct.Report().LostWrites)
			if mode == emulator.Outage503 {
				// Refused connections are retried inside the SDK until the failover; 503s
				// fail the write at once and the flusher keeps it for the next cycle.
				require.Positive(t, b.Stats().FlushFailures, "flushes must have failed during the outage")
			}
		})
	}
}

// TestFlushBacksOffDuringOutage sends every Cosmos DB request of the backend into a dead
// transport: a cycle stops after its first failing writes instead of trying every entity,
// and everything is stored once the transport heals.
func TestFlushBacksOffDuringOutage(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	dead := &switchTransport{}
	b := newBackend(t, srv, func(c *Config) {
		c.Transport, c.FlushConcurrency, c.Nodes = dead, 2, 1
		c.FlushInterval = time.Hour // cycles run by Drain only
	})
	a := onboard(t, b, "tenant-o", "dc1")
	dead.down.Store(true)
	acked := ingestSome(t, b, a, 6, 40, 1) // 12 users: more entities than 2*FlushConcurrency
	short, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	require.Error(t, b.Drain(short))
	require.Positive(t, b.Stats().FlushSkipped)
	dead.down.Store(false)
	requireConserved(t, b, acked)
}

// switchTransport fails every request while down, as a network partition would.
type switchTransport struct{ down atomic.Bool }

func (s *switchTransport) Do(req *http.Request) (*http.Response, error) {
	if s.down.Load() {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestSilentOutageFailsOverWithoutWaitingForTheRegion takes the write region down in timeout
// mode (connections accepted, never answered) and lets the service fail over by itself:
// per-attempt timeouts fail the writes to the silent region, the node replaces its client and
// everything is stored in the new write region while the old one is still down.
func TestSilentOutageFailsOverWithoutWaitingForTheRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the node's client replacement")
	}
	b, acct, acked, _ := silentOutage(t, 20*time.Second)
	require.Positive(t, b.Stats().ClientResets)
	requireConserved(t, b, acked)
	require.Empty(t, acct.Report().LostWrites)
}

// TestSilentOutageRecoversWithinAFewAttemptTimeouts bounds the time from a silent outage to
// everything stored in the new write region: a cycle ends at its first timed-out attempt and
// the writes whose outcome is unknown are sent again with the cached ETag, without reading
// through the silent region first (which costs the SDK's three same-region retries).
func TestSilentOutageRecoversWithinAFewAttemptTimeouts(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the node's client replacement")
	}
	b, _, acked, took := silentOutage(t, 20*time.Second)
	// Attempt timeout 300 ms, failover after 500 ms, client replaced after 1 s of failures:
	// about 1.5 s; reading through the silent region first took 5-9 s.
	require.Less(t, took, 3500*time.Millisecond, "time from the outage to everything stored")
	requireConserved(t, b, acked)
}

// silentOutage stores some events, takes the write region down in timeout mode with a
// service-managed failover after 500 ms, ingests more for the same entities and drains them
// within deadline. It returns the events acknowledged and the time from the outage to the
// end of the drain.
func silentOutage(t *testing.T, deadline time.Duration) (*Backend, *emulator.Account, int64,
	time.Duration) {
	t.Helper()
	acct, err := emulator.StartAccount(context.Background(), emulator.Config{},
		emulator.RegionsConfig{Regions: []string{"East US", "West US"},
			ServiceManagedFailover: true, FailoverDelay: 500 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = acct.Close() })
	b, err := New(Config{Endpoint: acct.Endpoint(), Key: acct.Key(), Nodes: 2,
		FlushInterval: 20 * time.Millisecond, RequestTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	b.resetAfter = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	require.NoError(t, b.Start(ctx))
	t.Cleanup(func() { _ = b.Close() })
	a := onboard(t, b, "tenant-s", "dc1", "dc2")
	acked := ingestSome(t, b, a, 3, 20, 1)
	require.NoError(t, b.Drain(ctx))
	time.Sleep(100 * time.Millisecond) // let replication catch up: no RPO in this test

	require.NoError(t, acct.RegionDown(ctx, "East US", emulator.OutageTimeout))
	start := time.Now()
	acked += ingestSome(t, b, a, 3, 20, 10)
	// The region stays down: everything must be stored in West US within the deadline.
	within, cancelWithin := context.WithTimeout(ctx, deadline)
	defer cancelWithin()
	require.NoError(t, b.Drain(within), "writes must move to the new write region")
	return b, acct, acked, time.Since(start)
}
