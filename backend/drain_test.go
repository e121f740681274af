package backend

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator"
)

// stallTransport holds every document write until released, ignoring the request's context,
// as a server that stops answering would with no client timeout.
type stallTransport struct {
	stalling atomic.Bool
	release  chan struct{}
}

func (s *stallTransport) Do(req *http.Request) (*http.Response, error) {
	if s.stalling.Load() && strings.Contains(req.URL.Path, "/docs") {
		<-s.release
	}
	return http.DefaultTransport.RoundTrip(req)
}

// TestDrainHonoursDeadlineWhileCycleStuck starts a background flush cycle whose writes never
// return, then drains with a short deadline: Drain must return on time and say how many
// acknowledged events are still unstored, instead of waiting for the stuck cycle.
func TestDrainHonoursDeadlineWhileCycleStuck(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	stall := &stallTransport{release: make(chan struct{})}
	b := newBackend(t, srv, func(c *Config) {
		c.Transport, c.Nodes, c.FlushEvents = stall, 1, 1
		c.FlushInterval = 50 * time.Millisecond
	})
	a := onboard(t, b, "tenant-d", "dc1")
	stall.stalling.Store(true)
	acked := ingestSome(t, b, a, 4, 30, 1)
	require.Eventually(t, func() bool { return b.nodes[0].inFlight.Load() > 0 }, 5*time.Second,
		10*time.Millisecond, "the background cycle must have taken the changes")

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	unstick := time.AfterFunc(3*time.Second, func() { close(stall.release) }) // bounds a failure
	start := time.Now()
	err := b.Drain(ctx)
	took := time.Since(start)
	if unstick.Stop() {
		close(stall.release)
	}

	require.Less(t, took, 2*time.Second, "Drain must honour its deadline")
	var unflushed *UnflushedError
	require.ErrorAs(t, err, &unflushed)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.Equal(t, acked, unflushed.Events+unflushed.Queued, "every acked event is unstored")

	stall.stalling.Store(false)
	requireConserved(t, b, acked)
}
