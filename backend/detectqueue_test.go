package backend

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/detect"
	"github.com/stampede-load/stampede/emulator"
)

// guessingBatch is batch seq of sensor: n failed password guesses for one account.
func guessingBatch(tenant, sensor string, seq uint64, n int) *api.Batch {
	b := &api.Batch{Tenant: tenant, Sensor: sensor, Sequence: seq, ID: api.BatchID(sensor, seq)}
	for i := range n {
		b.Events = append(b.Events, api.Event{Kind: api.KindLogonFailure,
			Time:       t0.Add(time.Duration(int(seq)*n+i) * time.Second),
			Source:     api.EntityRef{Type: api.EntityUser, Name: "victim"},
			SourceHost: "ws01", Result: api.ResultBadPassword,
			Target: api.EntityRef{Type: api.EntityComputer, Name: fmt.Sprintf("srv%d", i%3)}})
	}
	return b
}

// TestIngestDoesNotWaitForDetection stalls a tenant's detection queue, as a busy engine
// would: batches are still acknowledged at once until MaxQueuedEvents events wait for the
// rules (then 429), and Drain returns only once the rules have seen every one.
func TestIngestDoesNotWaitForDetection(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.MaxQueuedEvents = 100 })
	a := onboard(t, b, "tenant-d", "dc1")
	h, token := b.Handler(), a.Tokens["dc1"]
	tn := b.tenantList()[0]
	tn.detectMu.Lock()
	tn.detectRunning = true // no goroutine starts: the rules look busy
	tn.detectMu.Unlock()

	for seq := uint64(1); seq <= 2; seq++ {
		rec, ack := post(t, h, token, guessingBatch("tenant-d", "dc1", seq, 40))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		require.Equal(t, 40, ack.Accepted)
	}
	require.Eventually(t, func() bool { return b.queued.Load() == 0 }, 5*time.Second,
		5*time.Millisecond, "the nodes fold the batches")
	third := guessingBatch("tenant-d", "dc1", 3, 40)
	rec, _ := post(t, h, token, third)
	require.Equal(t, http.StatusTooManyRequests, rec.Code, "80 events wait for the rules, bound 100")
	require.Empty(t, b.Stats().Detections, "nothing observed while the rules are stalled")

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var unflushed *UnflushedError
	require.True(t, errors.As(b.Drain(short), &unflushed), "Drain waits for the rules")

	tn.detectMu.Lock()
	tn.detectRunning = false
	tn.detectMu.Unlock()
	go tn.observeQueued()
	require.Eventually(t, func() bool {
		rec, _ := post(t, h, token, third) // a sensor retrying after the 429
		return rec.Code == http.StatusOK
	}, 5*time.Second, 5*time.Millisecond, "accepted once the rules caught up")
	requireConserved(t, b, 120)
	require.Equal(t, int64(1), b.Stats().Detections[detect.BruteForce])
}
