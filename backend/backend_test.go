package backend

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/backend/throttle"
	"github.com/stampede-load/stampede/emulator"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func startEmulator(t *testing.T, cfg emulator.Config) *emulator.Server {
	t.Helper()
	srv, err := emulator.Start(context.Background(), cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func newBackend(t *testing.T, srv *emulator.Server, mutate func(*Config)) *Backend {
	t.Helper()
	return newBackendAt(t, srv.Endpoint(), srv.Key(), mutate)
}

func newBackendAt(t *testing.T, endpoint, key string, mutate func(*Config)) *Backend {
	t.Helper()
	cfg := Config{Endpoint: endpoint, Key: key, Nodes: 2, FlushInterval: 20 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, b.Start(ctx))
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func onboard(t *testing.T, b *Backend, id string, sensors ...string) TenantInfo {
	t.Helper()
	info, err := b.Onboard(context.Background(), TenantSpec{ID: id, Sensors: sensors})
	require.NoError(t, err)
	require.Len(t, info.Tokens, len(sensors))
	return info
}

// makeBatch builds batch seq of sensor with n events over 12 users, mixed kinds.
func makeBatch(tenant, sensor string, seq uint64, n int) *api.Batch {
	kinds := []api.Kind{api.KindLogonSuccess, api.KindKerberosTGS, api.KindNTLM, api.KindDNSLookup,
		api.KindLDAPQuery, api.KindKerberosAS}
	b := &api.Batch{Tenant: tenant, Sensor: sensor, Sequence: seq, ID: api.BatchID(sensor, seq)}
	for i := range n {
		k := kinds[(int(seq)+i)%len(kinds)]
		e := api.Event{Kind: k, Time: t0.Add(time.Duration(int(seq)*n+i) * time.Second),
			Source:     api.EntityRef{Type: api.EntityUser, Name: fmt.Sprintf("user%02d", (int(seq)*7+i)%12)},
			SourceHost: fmt.Sprintf("ws%02d", i%5), Target: api.EntityRef{Type: api.EntityComputer, Name: "fs1"}}
		switch k {
		case api.KindKerberosTGS:
			e.Target = api.EntityRef{Type: api.EntityService, Name: "cifs/fs1"}
			e.Encryption = api.EncAES256
		case api.KindDNSLookup, api.KindLDAPQuery:
			e.Query = "fs1.corp"
			e.Target = api.EntityRef{Type: api.EntityComputer, Name: "dc1"}
		}
		b.Events = append(b.Events, e)
	}
	return b
}

func post(t *testing.T, h http.Handler, token string, batch *api.Batch) (*httptest.ResponseRecorder, api.Ack) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, api.IngestPath, bytes.NewReader(api.AppendBatchJSON(nil, batch)))
	req.Header.Set("Content-Type", api.ContentTypeJSON)
	req.Header.Set("Authorization", api.Bearer(token))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var ack api.Ack
	if rec.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ack))
	}
	return rec, ack
}

// ingestSome posts batches from every sensor, each sent twice (a retry), and returns the
// number of events acknowledged.
func ingestSome(t *testing.T, b *Backend, info TenantInfo, batches, perBatch int, firstSeq uint64) int64 {
	t.Helper()
	h := b.Handler()
	var acked int64
	for sensor, token := range info.Tokens {
		for s := range batches {
			batch := makeBatch(info.ID, sensor, firstSeq+uint64(s), perBatch)
			rec, ack := post(t, h, token, batch)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			require.False(t, ack.Duplicate)
			acked += int64(ack.Accepted)
			rec, ack = post(t, h, token, batch)
			require.Equal(t, http.StatusOK, rec.Code)
			require.True(t, ack.Duplicate, "a resent batch is a duplicate")
			require.Zero(t, ack.Accepted)
		}
	}
	return acked
}

func requireConserved(t *testing.T, b *Backend, wantAcked int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, b.Drain(ctx))
	rep, err := b.VerifyConservation(ctx)
	require.NoError(t, err)
	var acked, stored int64
	for id, tc := range rep.Tenants {
		require.Zero(t, tc.Mismatched, "tenant %s: %+v", id, tc)
		acked += tc.Acked
		stored += tc.Stored
	}
	require.True(t, rep.OK, "%+v", rep)
	require.Equal(t, wantAcked, acked)
	require.Equal(t, wantAcked, stored)
}

func TestConservationAfterDrain(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	a := onboard(t, b, "tenant-a", "dc1", "dc2", "dc3")
	c := onboard(t, b, "tenant-b", "dc1")
	acked := ingestSome(t, b, a, 8, 50, 1)
	acked += ingestSome(t, b, c, 8, 50, 1)
	requireConserved(t, b, acked)

	s := b.Stats()
	require.Equal(t, acked, s.EventsAcked)
	require.Equal(t, acked, s.EventsStored)
	require.Equal(t, int64(32), s.BatchesDuplicate)
	require.Zero(t, s.ParseErrors)
	require.Positive(t, s.CosmosWrites)
}

// flakyThrottler answers every third data request with 429.
type flakyThrottler struct{ n atomic.Int64 }

func (f *flakyThrottler) Admit(emulator.PartitionRef, time.Time) (time.Duration, bool) {
	return time.Millisecond, f.n.Add(1)%3 != 0
}
func (f *flakyThrottler) Consume(emulator.PartitionRef, time.Time, float64) {}

func TestConservationUnderThrottling(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Throttler: &flakyThrottler{}})
	// One retry only, so some writes exhaust the policy and must be kept for the next flush.
	b := newBackend(t, srv, func(c *Config) { c.Throttle = throttle.Config{MaxRetries: 1} })
	a := onboard(t, b, "tenant-t", "dc1", "dc2")
	acked := ingestSome(t, b, a, 10, 40, 1)
	requireConserved(t, b, acked)
	s := b.Stats()
	require.Positive(t, s.Throttle.Throttled)
	require.Positive(t, s.Throttle.Retries)
	require.Positive(t, s.Throttle.Exhausted, "writes must have failed and been retried later")
}

// lossyTransport forwards every request but, for every fourth document replace, drops the
// response as if the connection broke: the write landed, the client cannot know.
type lossyTransport struct {
	n    atomic.Int64
	lost atomic.Int64
}

func (l *lossyTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || req.Method != http.MethodPut || !strings.Contains(req.URL.Path, "/docs/") {
		return resp, err
	}
	if l.n.Add(1)%4 != 0 || resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	_ = resp.Body.Close()
	l.lost.Add(1)
	return nil, fmt.Errorf("read response: %w", errConnReset)
}

var errConnReset = fmt.Errorf("connection reset by peer")

func TestConservationWithLostResponses(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	lossy := &lossyTransport{}
	b := newBackend(t, srv, func(c *Config) { c.Transport = lossy })
	a := onboard(t, b, "tenant-l", "dc1", "dc2")
	var acked int64
	for round := range 4 { // several flushes, so later writes replace earlier documents
		acked += ingestSome(t, b, a, 3, 30, uint64(1+round*3))
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		require.NoError(t, b.Drain(ctx))
		cancel()
	}
	requireConserved(t, b, acked)
	require.Positive(t, lossy.lost.Load(), "the test must have lost some responses")
	// A write found landed (by a 412 and the fence) counts its events as stored once.
	require.Equal(t, acked, b.Stats().EventsStored)
}

func TestIngestRejections(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	a := onboard(t, b, "tenant-a", "dc1")
	other := onboard(t, b, "tenant-b", "dc9")
	h := b.Handler()
	good := api.AppendBatchJSON(nil, makeBatch("tenant-a", "dc1", 1, 3))

	tests := []struct {
		name        string
		token       string
		body        []byte
		contentType string
		encoding    string
		wantStatus  int
		wantField   string
	}{
		{"no token", "", good, api.ContentTypeJSON, "", http.StatusUnauthorized, ""},
		{"unknown token", "nope", good, api.ContentTypeJSON, "", http.StatusUnauthorized, ""},
		{"token of another tenant", other.Tokens["dc9"], good, api.ContentTypeJSON, "", http.StatusForbidden, "tenant"},
		{"wrong content type", a.Tokens["dc1"], good, "text/plain", "", http.StatusUnsupportedMediaType, ""},
		{"unknown encoding", a.Tokens["dc1"], good, api.ContentTypeJSON, "br", http.StatusUnsupportedMediaType, ""},
		{"bad kind names the field", a.Tokens["dc1"], []byte(`{"tenant":"tenant-a","sensor":"dc1","seq":1,` +
			`"id":"dc1:1","events":[{"kind":"teleport","time":"2026-12-03T09:00:00.000Z","src":` +
			`{"type":"user","name":"x"},"result":"success"}]}`), api.ContentTypeJSON, "", http.StatusBadRequest,
			"events[0].kind"},
		{"mismatched id", a.Tokens["dc1"], []byte(`{"tenant":"tenant-a","sensor":"dc1","seq":2,"id":"dc1:3",` +
			`"events":[{"kind":"ntlm","time":"2026-12-03T09:00:00.000Z","src":{"type":"user","name":"x"},` +
			`"result":"success"}]}`), api.ContentTypeJSON, "", http.StatusBadRequest, "id"},
		{"truncated json names where", a.Tokens["dc1"], []byte(`{"tenant":`), api.ContentTypeJSON, "",
			http.StatusBadRequest, "tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, api.IngestPath, bytes.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.contentType)
			req.Header.Set("Content-Encoding", tt.encoding)
			if tt.token != "" {
				req.Header.Set("Authorization", api.Bearer(tt.token))
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			var p api.Problem
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &p))
			require.Equal(t, tt.wantStatus, p.Status)
			require.Equal(t, tt.wantField, p.Field)
		})
	}
	require.Zero(t, b.Stats().EventsAcked, "nothing rejected may be acknowledged")
}

func TestIngestGzipAndPushback(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.MaxQueuedEvents = 10; c.FlushInterval = time.Hour })
	a := onboard(t, b, "tenant-z", "dc1")
	h := b.Handler()

	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	_, _ = zw.Write(api.AppendBatchJSON(nil, makeBatch("tenant-z", "dc1", 1, 5)))
	require.NoError(t, zw.Close())
	req := httptest.NewRequest(http.MethodPost, api.IngestPath, &zipped)
	req.Header.Set("Content-Type", api.ContentTypeJSON)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", api.Bearer(a.Tokens["dc1"]))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())

	// A batch larger than the whole queue can never be admitted: pushed back, not dropped.
	rec, _ = post(t, h, a.Tokens["dc1"], makeBatch("tenant-z", "dc1", 2, 11))
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	require.Equal(t, "1", rec.Header().Get("Retry-After"))
	// The pushed-back batch was not marked seen: a smaller retry with that sequence is new.
	rec, ack := post(t, h, a.Tokens["dc1"], makeBatch("tenant-z", "dc1", 2, 4))
	require.Equal(t, http.StatusOK, rec.Code)
	require.False(t, ack.Duplicate)
	require.Equal(t, int64(1), b.Stats().Pushback429)
}

func TestHealthReadyMetrics(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	h := b.Handler()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready",
		"/metrics": "stampede_backend_events_acked_total", "/v1/stats": "EventsAcked"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, rec.Code, path)
		require.Contains(t, rec.Body.String(), want, path)
	}
	require.NoError(t, b.Close())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	require.Equal(t, http.StatusServiceUnavailable, rec.Code)
}

func TestOnboardOffboardAndRestart(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, nil)
	a := onboard(t, b, "tenant-r", "dc1")
	acked := ingestSome(t, b, a, 2, 10, 1)
	ctx := context.Background()
	require.NoError(t, b.Drain(ctx))
	require.NoError(t, b.Close())

	// A new process finds the tenant and accepts the same token.
	b2 := newBackend(t, srv, nil)
	require.Equal(t, []string{"tenant-r"}, b2.Tenants())
	rec, ack := post(t, b2.Handler(), a.Tokens["dc1"], makeBatch("tenant-r", "dc1", 100, 10))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	require.Equal(t, 10, ack.Accepted)
	require.NoError(t, b2.Drain(ctx))
	rep, err := b2.VerifyConservation(ctx)
	require.NoError(t, err)
	require.Equal(t, acked+10, rep.Tenants["tenant-r"].Stored)
	require.Equal(t, acked, rep.Tenants["tenant-r"].Extra, "the first process's events count as extra")

	dbs, err := store.ListDatabases(ctx, b2.client())
	require.NoError(t, err)
	require.Contains(t, dbs, "tenant-r")
	require.NoError(t, b2.Offboard(ctx, "tenant-r"))
	dbs, err = store.ListDatabases(ctx, b2.client())
	require.NoError(t, err)
	require.NotContains(t, dbs, "tenant-r")
	rec, _ = post(t, b2.Handler(), a.Tokens["dc1"], makeBatch("tenant-r", "dc1", 101, 1))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}
