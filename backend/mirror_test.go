package backend

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

// TestRebuildLostAccountFromMirror loses the primary account entirely and starts a backend
// against a new, empty one: it restores the tenant from the mirror, and the sensor's token,
// issued before the loss, still works.
func TestRebuildLostAccountFromMirror(t *testing.T) {
	mirrorSrv := startEmulator(t, emulator.Config{})
	mirror := &Mirror{Endpoint: mirrorSrv.Endpoint(), Key: mirrorSrv.Key()}
	primary, err := emulator.Start(context.Background(), emulator.Config{})
	require.NoError(t, err)

	b := newBackend(t, primary, func(c *Config) { c.Mirror = mirror })
	a := onboard(t, b, "tenant-dr", "dc1", "dc2")
	ingestSome(t, b, a, 2, 10, 1)
	ctx := context.Background()
	require.NoError(t, b.Drain(ctx))
	require.NoError(t, b.Close())
	require.NoError(t, primary.Close()) // the account is gone, data and all

	fresh := startEmulator(t, emulator.Config{})
	b2 := newBackend(t, fresh, func(c *Config) { c.Mirror = mirror })
	require.Equal(t, []string{"tenant-dr"}, b2.Tenants())
	acked := ingestSome(t, b2, a, 2, 10, 100) // the old tokens, unchanged
	requireConserved(t, b2, acked)

	require.NoError(t, b2.Offboard(ctx, "tenant-dr"))
	dbs, err := store.ListDatabases(ctx, b2.mirror)
	require.NoError(t, err)
	require.NotContains(t, dbs, "tenant-dr", "offboarding deletes the mirrored configuration")
	rec, _ := post(t, b2.Handler(), a.Tokens["dc1"], makeBatch("tenant-dr", "dc1", 500, 1))
	require.Equal(t, http.StatusUnauthorized, rec.Code)
}
