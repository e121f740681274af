package backend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/emulator"
)

// ingestQuietly posts batches firstSeq.. of every sensor in info once, for use off the test
// goroutine: it reports failures as an error instead of failing the test.
func ingestQuietly(b *Backend, info TenantInfo, batches, perBatch int, firstSeq uint64) (int64, error) {
	h := b.Handler()
	var acked int64
	for sensor, token := range info.Tokens {
		for s := range batches {
			body := api.AppendBatchJSON(nil, makeBatch(info.ID, sensor, firstSeq+uint64(s), perBatch))
			req := httptest.NewRequest(http.MethodPost, api.IngestPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", api.ContentTypeJSON)
			req.Header.Set("Authorization", api.Bearer(token))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			var ack api.Ack
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &ack) != nil {
				return acked, fmt.Errorf("batch %d of %s: %d %s", s+1, sensor, rec.Code, rec.Body)
			}
			acked += int64(ack.Accepted)
		}
	}
	return acked, nil
}

// TestTwoProcessesShareTenant runs two backends (as two processes would, each with its own
// clients and node names) against one account; the tenant's sensors deliver to either, so
// both write the same profiles concurrently. If-Match and the per-node fences must make the
// stored counters equal everything both acknowledged.
func TestTwoProcessesShareTenant(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b1 := newBackend(t, srv, func(c *Config) { c.NodeNames = []string{"p1n0", "p1n1"} })
	info := onboard(t, b1, "tenant-s", "dc1", "dc2")
	b2 := newBackend(t, srv, func(c *Config) { c.NodeNames = []string{"p2n0", "p2n1"} })
	require.Equal(t, []string{"tenant-s"}, b2.Tenants(), "the second process loads the tenant")

	one := TenantInfo{ID: info.ID, Tokens: map[string]string{"dc1": info.Tokens["dc1"]}}
	two := TenantInfo{ID: info.ID, Tokens: map[string]string{"dc2": info.Tokens["dc2"]}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	// Both processes take load at once and flush concurrently.
	type result struct {
		acked int64
		err   error
	}
	done := make(chan result)
	go func() { n, err := ingestQuietly(b1, one, 20, 30, 1); done <- result{n, err} }()
	acked2 := ingestSome(t, b2, two, 20, 30, 1)
	r := <-done
	require.NoError(t, r.err)
	acked1 := r.acked
	require.NoError(t, b1.Drain(ctx))
	require.NoError(t, b2.Drain(ctx))
	// Each now caches ETags the other made stale: the next writes must conflict and merge.
	acked1 += ingestSome(t, b1, one, 5, 30, 100)
	require.NoError(t, b1.Drain(ctx))
	acked2 += ingestSome(t, b2, two, 5, 30, 100)
	require.NoError(t, b2.Drain(ctx))
	rep, err := b1.VerifyConservation(ctx)
	require.NoError(t, err)
	tc := rep.Tenants["tenant-s"]
	require.Equal(t, acked1+acked2, tc.Stored)
	require.Equal(t, acked2, tc.Extra, "what the other process stored shows as extra here")
	require.Zero(t, tc.Lost)
	require.Positive(t, b1.Stats().Conflicts+b2.Stats().Conflicts, "the processes must have raced")
}
