package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
)

// sendUntilAcked posts batch until the backend acknowledges it, waiting out 429 and 503 as
// a sensor does, and returns the events it accepted. It runs off the test goroutine, so it
// returns errors instead of failing the test.
func sendUntilAcked(ctx context.Context, h http.Handler, token string, batch *api.Batch) (int64,
	error) {
	body := api.AppendBatchJSON(nil, batch)
	for {
		req := httptest.NewRequest(http.MethodPost, api.IngestPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", api.ContentTypeJSON)
		req.Header.Set("Authorization", api.Bearer(token))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			var ack api.Ack
			if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil {
				return 0, err
			}
			return int64(ack.Accepted), nil
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
				return 0, err
			}
		default:
			return 0, fmt.Errorf("batch %d: status %d: %s", batch.Sequence, rec.Code, rec.Body)
		}
	}
}

// ingestWhile keeps every sensor of info sending batches (each sent twice, as a retry would)
// until stop is closed, and returns the events acknowledged.
func ingestWhile(t *testing.T, b *Backend, info TenantInfo, stop <-chan struct{}) func() int64 {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var acked int64
	errs := make(chan error, len(info.Tokens))
	for sensor, token := range info.Tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				batch := makeBatch(info.ID, sensor, seq, 25)
				n, err := sendUntilAcked(t.Context(), b.Handler(), token, batch)
				if err == nil {
					_, err = sendUntilAcked(t.Context(), b.Handler(), token, batch) // duplicate
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				acked += n
				mu.Unlock()
			}
		}()
	}
	return func() int64 {
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		return acked
	}
}

// TestGracefulRestartUnderIngest restarts each node gracefully, one with downtime, while
// sensors keep sending: ingest pushes back while a node is down (its share waits in its
// inbox), nothing acknowledged is lost or counted twice, the restarted nodes store what
// they held before going down, and they read their profiles back from Cosmos DB (their
// cached documents are gone).
func TestGracefulRestartUnderIngest(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.MaxQueuedEvents = 500 })
	a := onboard(t, b, "tenant-r", "dc1", "dc2", "dc3")
	stop := make(chan struct{})
	wait := ingestWhile(t, b, a, stop)

	require.Eventually(t, func() bool { return b.Stats().EventsStored > 500 }, 10*time.Second,
		10*time.Millisecond)
	ctx := t.Context()
	first, err := b.RestartNode(ctx, 0, RestartOptions{})
	require.NoError(t, err)
	require.Equal(t, RestartGraceful, first.Mode)
	require.Zero(t, first.Dropped)
	readsBefore := b.Stats().CosmosReads
	second, err := b.RestartNode(ctx, 1, RestartOptions{Mode: RestartGraceful,
		Downtime: 300 * time.Millisecond})
	require.NoError(t, err)
	require.GreaterOrEqual(t, second.Down, 300*time.Millisecond)
	require.Positive(t, b.Stats().Pushback429, "ingest pushed back while node 1 was down")
	time.Sleep(300 * time.Millisecond) // more load on the restarted nodes
	close(stop)
	acked := wait()

	requireConserved(t, b, acked)
	s := b.Stats()
	require.Equal(t, int64(2), s.NodeRestarts)
	require.Greater(t, s.CosmosReads, readsBefore, "profiles read back after the restart")
	require.Positive(t, first.Stored+second.Stored, "the nodes stored what they held")
}

// TestCrashRestartLosesWhatTheNodeHeld kills a node holding unflushed events: the restart
// reports them dropped, and the conservation check finds exactly those missing, never
// hiding the loss; the node then works again.
func TestCrashRestartLosesWhatTheNodeHeld(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.Nodes, c.FlushInterval = 1, time.Hour })
	a := onboard(t, b, "tenant-c", "dc1")
	acked := ingestSome(t, b, a, 4, 30, 1)

	rep, err := b.RestartNode(t.Context(), 0, RestartOptions{Mode: RestartCrash})
	require.NoError(t, err)
	require.Equal(t, acked, rep.Dropped, "nothing was flushed: everything is dropped")
	dropped := b.CrashDropped()["tenant-c"]
	var sum int64
	for _, n := range dropped {
		sum += n
	}
	require.Equal(t, rep.Dropped, sum, "the drops are kept per entity: %v", dropped)
	require.Equal(t, b.Acknowledged()["tenant-c"], dropped,
		"each entity lost exactly what it had acknowledged")
	after := ingestSome(t, b, a, 2, 30, 100)

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Drain(ctx))
	cons, err := b.VerifyConservation(ctx)
	require.NoError(t, err)
	require.False(t, cons.OK)
	tc := cons.Tenants["tenant-c"]
	require.Equal(t, acked+after, tc.Acked)
	require.Equal(t, tc.Acked, tc.Folded, "the dropped events stay in the ledger")
	require.Equal(t, rep.Dropped, tc.Lost)
	require.Equal(t, tc.Lost, tc.LostToCrash, "every loss is on an entity the crash dropped from")
	require.Equal(t, after, tc.Stored, "events after the restart are stored")
	require.Zero(t, tc.Extra)
}

func TestRestartNodeRefusesBadInput(t *testing.T) {
	be, _ := idleBackend(t, 2)
	ctx := t.Context()
	_, err := be.RestartNode(ctx, 0, RestartOptions{Mode: "reboot", Downtime: -time.Second})
	require.ErrorContains(t, err, `restart mode "reboot": want one of [graceful crash]`)
	require.ErrorContains(t, err, "downtime -1s: must not be negative")
	_, err = be.RestartNode(ctx, 2, RestartOptions{})
	require.ErrorContains(t, err, "restart node 2: want 0 to 1")
	_, err = be.RestartNode(ctx, 0, RestartOptions{})
	require.ErrorContains(t, err, "backend not running")
}

// TestCloseEndsARestart closes the backend while a node is down for a long downtime: the
// restart ends at once with an error, and Close waits for it instead of leaving loops
// running.
func TestCloseEndsARestart(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	done := make(chan error, 1)
	go func() {
		_, err := b.RestartNode(context.Background(), 0, RestartOptions{Downtime: time.Minute})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the node is down
	start := time.Now()
	require.NoError(t, b.Close())
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("the restart did not end with Close")
	}
	require.Less(t, time.Since(start), 5*time.Second)
}

// TestGracefulRestartKilledPastGracePeriod restarts a node gracefully while Cosmos DB is
// unreachable: it cannot store what it holds, so past its grace period it is killed as an
// orchestrator would, and the report says what was dropped; nothing else is lost.
func TestGracefulRestartKilledPastGracePeriod(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	dead := &switchTransport{}
	b := newBackend(t, srv, func(c *Config) { c.Nodes, c.Transport = 1, dead })
	a := onboard(t, b, "tenant-k", "dc1")
	stored := ingestSome(t, b, a, 2, 30, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Drain(ctx))
	dead.down.Store(true)
	held := ingestSome(t, b, a, 2, 30, 10)

	start := time.Now()
	rep, err := b.RestartNode(ctx, 0, RestartOptions{GracePeriod: 300 * time.Millisecond})
	require.NoError(t, err)
	require.Less(t, time.Since(start), 5*time.Second)
	require.True(t, rep.Killed)
	require.Equal(t, held, rep.Dropped)
	require.Zero(t, rep.Stored)

	dead.down.Store(false)
	require.NoError(t, b.Drain(ctx))
	cons, err := b.VerifyConservation(ctx)
	require.NoError(t, err)
	tc := cons.Tenants["tenant-k"]
	require.Equal(t, stored, tc.Stored)
	require.Equal(t, held, tc.Lost)
	require.Equal(t, held, tc.LostToCrash, "the kill dropped exactly the missing events")
}
