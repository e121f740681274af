package scaler

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

func setup(t *testing.T, now func() time.Time) (*Scaler, *azcosmos.ContainerClient) {
	t.Helper()
	srv, err := emulator.Start(context.Background(), emulator.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, store.CreateTenant(ctx, client, "t1", store.Throughput{Mode: store.ModeManual, RU: 400}))
	s, err := New(Config{Client: client, Ceiling: 1600, Now: now})
	require.NoError(t, err)
	cc, err := client.NewContainer("t1", store.UniqueEntityProfile)
	require.NoError(t, err)
	return s, cc
}

func throughput(t *testing.T, cc *azcosmos.ContainerClient) int32 {
	t.Helper()
	tp, err := store.ReadThroughput(context.Background(), cc)
	require.NoError(t, err)
	return tp.RU
}

func TestScaleUpAggregatesAndStopsAtCeiling(t *testing.T) {
	s, cc := setup(t, nil)
	ctx := context.Background()
	for range 7 { // one burst seen by many nodes
		s.Request(ScaleRequest{Database: "t1", Container: store.UniqueEntityProfile})
	}
	s.ScaleUp(ctx)
	require.Equal(t, int32(800), throughput(t, cc), "seven requests raise once")
	s.ScaleUp(ctx)
	require.Len(t, s.Decisions(), 1, "no requests, no decision")

	for range 3 {
		s.Request(ScaleRequest{Database: "t1", Container: store.UniqueEntityProfile})
		s.ScaleUp(ctx)
	}
	require.Equal(t, int32(1600), throughput(t, cc))
	d := s.Decisions()
	require.Len(t, d, 4)
	first := d[0]
	first.Time, first.Wall = time.Time{}, time.Time{}
	require.Equal(t, Decision{Database: "t1", Container: store.UniqueEntityProfile, Action: "raise",
		From: 400, To: 800, Requests: 7, Reason: "7 scale-up requests in 5s"}, first)
	require.Equal(t, "hold", d[3].Action)
	require.Contains(t, d[3].Reason, "ceiling")
}

func TestScaleDownOnlyOffHours(t *testing.T) {
	clock := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC) // 10:00 UTC, 11:00 local
	s, cc := setup(t, func() time.Time { return clock })
	ctx := context.Background()
	s.SetSchedule("t1", Schedule{WorkStart: 8, WorkEnd: 18, UTCOffsetHours: 1})
	s.Request(ScaleRequest{Database: "t1", Container: store.UniqueEntityProfile})
	s.ScaleUp(ctx)
	require.Equal(t, int32(800), throughput(t, cc))
	s.Report(UsageReport{Database: "t1", Container: store.UniqueEntityProfile, RequestUnits: 1500, Seconds: 5})

	s.ScaleDown(ctx)
	require.Equal(t, int32(800), throughput(t, cc), "working hours: no scale-down")

	clock = time.Date(2026, 12, 3, 20, 0, 0, 0, time.UTC) // 21:00 local
	s.ScaleDown(ctx)
	// Peak 300 RU/s plus 30% headroom is 390, below the floor of 400.
	require.Equal(t, int32(400), throughput(t, cc))
	last := s.Decisions()[len(s.Decisions())-1]
	require.Equal(t, "lower", last.Action)
	require.Equal(t, clock, last.Time)
	require.Contains(t, last.Reason, "off working hours")
}

func TestHTTPAPI(t *testing.T) {
	s, _ := setup(t, nil)
	h := s.Handler()
	send := func(method, path string, body any) int {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, path, bytes.NewReader(raw)))
		return rec.Code
	}
	require.Equal(t, http.StatusAccepted, send("POST", "/v1/scale-up", ScaleRequest{Database: "t1", Container: "Alert"}))
	require.Equal(t, http.StatusBadRequest, send("POST", "/v1/scale-up", ScaleRequest{}))
	require.Equal(t, http.StatusAccepted, send("POST", "/v1/usage", []UsageReport{{Database: "t1",
		Container: "Alert", RequestUnits: 10, Seconds: 1}}))
	require.Equal(t, http.StatusNoContent, send("PUT", "/v1/tenants/t1", Schedule{WorkStart: 9, WorkEnd: 17}))
	require.Equal(t, http.StatusBadRequest, send("PUT", "/v1/tenants/t1", Schedule{WorkStart: 19, WorkEnd: 17}))
	s.ScaleUp(context.Background())
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/decisions", nil))
	var got []Decision
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	require.Len(t, got, 1)
	require.Equal(t, "raise", got[0].Action)
}

func TestConfigValidate(t *testing.T) {
	err := Config{StepFactor: 0.5, Floor: 100, Headroom: -1}.Validate()
	for _, want := range []string{"Client", "StepFactor", "Floor", "Headroom"} {
		require.ErrorContains(t, err, want)
	}
}
