package backend

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
)

// TestPushbackOnUnstoredAgeAndVolume fails every Cosmos DB request, so acknowledged events
// stay unstored: once they pass the volume or age bound, ingest answers 503 with Retry-After
// instead of acknowledging more, and the same batch is accepted (not a duplicate) once
// storage caught up.
func TestPushbackOnUnstoredAgeAndVolume(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Config)
	}{
		{"volume", func(c *Config) { c.MaxUnstoredEvents = 100 }},
		{"age", func(c *Config) { c.MaxUnstoredAge = 200 * time.Millisecond }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startEmulator(t, emulator.Config{})
			dead := &switchTransport{}
			b := newBackend(t, srv, func(c *Config) {
				c.Transport = dead
				tc.mutate(c)
			})
			a := onboard(t, b, "tenant-p", "dc1")
			dead.down.Store(true)
			acked := ingestSome(t, b, a, 3, 40, 1) // 120 events, acknowledged
			seq := uint64(10)
			next := makeBatch("tenant-p", "dc1", seq, 40)
			require.Eventually(t, func() bool {
				rec, ack := post(t, b.Handler(), a.Tokens["dc1"], next)
				if rec.Code == http.StatusOK { // not behind yet: try a new batch
					acked += int64(ack.Accepted)
					seq++
					next = makeBatch("tenant-p", "dc1", seq, 40)
					return false
				}
				return rec.Code == http.StatusServiceUnavailable &&
					rec.Header().Get(api.HeaderRetryAfter) != ""
			}, 5*time.Second, 20*time.Millisecond, "ingest must push back while events are unstored")
			require.Equal(t, acked, b.Stats().EventsAcked, "nothing acknowledged while pushing back")
			rec, ack := post(t, b.Handler(), a.Tokens["dc1"], makeBatch("tenant-p", "dc1", 1, 40))
			require.Equal(t, http.StatusOK, rec.Code, "a duplicate is acknowledged while behind")
			require.True(t, ack.Duplicate)

			dead.down.Store(false)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			require.NoError(t, b.Drain(ctx))
			require.Eventually(t, func() bool {
				rec, ack := post(t, b.Handler(), a.Tokens["dc1"], next)
				return rec.Code == http.StatusOK && !ack.Duplicate && ack.Accepted == 40
			}, 5*time.Second, 20*time.Millisecond, "the retried batch is accepted once stored")
			requireConserved(t, b, acked+40)
		})
	}
}

// TestAdmissionDoesNotWaitForApply holds a node's state lock, as applying a large batch
// does: admission must not wait for it (every ingest request checks every node).
func TestAdmissionDoesNotWaitForApply(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	a := onboard(t, b, "tenant-w", "dc1")
	n := b.nodes[0]
	n.mu.Lock()
	done := make(chan int, 1)
	go func() {
		rec, _ := post(t, b.Handler(), a.Tokens["dc1"], makeBatch("tenant-w", "dc1", 1, 20))
		done <- rec.Code
	}()
	select {
	case code := <-done:
		n.mu.Unlock()
		require.Equal(t, http.StatusOK, code)
	case <-time.After(2 * time.Second):
		n.mu.Unlock()
		t.Fatal("admission waited for the node's apply lock")
	}
}
