package backend

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/scaler"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

func TestElasticScalingRaisesThrottledContainer(t *testing.T) {
	srv := startEmulator(t, emulator.Config{Throttler: &flakyThrottler{}})
	cred, err := azcosmos.NewKeyCredential(srv.Key())
	require.NoError(t, err)
	client, err := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
	require.NoError(t, err)
	sc, err := scaler.New(scaler.Config{Client: client, Window: time.Hour})
	require.NoError(t, err)
	scalerSrv := httptest.NewServer(sc.Handler())
	t.Cleanup(scalerSrv.Close)

	b := newBackend(t, srv, func(c *Config) { c.Scaling = ScalingElastic; c.ScalerURL = scalerSrv.URL })
	a := onboard(t, b, "tenant-e", "dc1")
	acked := ingestSome(t, b, a, 5, 40, 1)
	requireConserved(t, b, acked)
	require.Eventually(t, func() bool { return b.Stats().ScaleRequests > 0 }, 5*time.Second, 10*time.Millisecond)

	ctx := context.Background()
	require.Eventually(t, func() bool {
		sc.ScaleUp(ctx)
		for _, d := range sc.Decisions() {
			if d.Database == "tenant-e" && d.Container == store.UniqueEntityProfile && d.Action == "raise" {
				return true
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "decisions: %+v", sc.Decisions())
	cc, err := client.NewContainer("tenant-e", store.UniqueEntityProfile)
	require.NoError(t, err)
	tp, err := store.ReadThroughput(ctx, cc)
	require.NoError(t, err)
	require.Equal(t, int32(800), tp.RU)
}

func TestAutoscalePolicyProvisionsAutoscale(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.Scaling = ScalingAutoscale; c.AutoscaleMaxRU = 4000 })
	onboard(t, b, "tenant-as", "dc1")
	ctx := context.Background()
	for _, spec := range store.Containers {
		tp, err := store.ReadThroughput(ctx, b.nodes[0].container("tenant-as", spec.Name))
		require.NoError(t, err)
		require.Equal(t, store.Throughput{Mode: store.ModeAutoscale, RU: 4000}, tp, spec.Name)
	}
}
