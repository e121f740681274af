package backend

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

// bruteForce is a batch that raises a brute_force alert for user "victim".
func bruteForce(tenant, sensor string, seq uint64) *api.Batch {
	b := &api.Batch{Tenant: tenant, Sensor: sensor, Sequence: seq, ID: api.BatchID(sensor, seq)}
	for i := range 25 {
		b.Events = append(b.Events, api.Event{Kind: api.KindLogonFailure, Result: api.ResultBadPassword,
			Time:   t0.Add(time.Duration(int(seq)*100+i) * time.Second),
			Source: api.EntityRef{Type: api.EntityUser, Name: "victim"}, SourceHost: "evil"})
	}
	return b
}

func waitMigrated(t *testing.T, b *Backend, gen int) MigrationStats {
	t.Helper()
	var ms MigrationStats
	require.Eventually(t, func() bool {
		ms = b.Stats().Migration
		return !ms.BatchRunning && ms.BatchDone == gen
	}, 30*time.Second, 10*time.Millisecond, "batch migration did not finish: %+v", ms)
	return ms
}

func TestUpgradeMigratesOnTheFlyAndInBatch(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	b := newBackend(t, srv, func(c *Config) { c.Generation = 1 })
	a := onboard(t, b, "tenant-m", "dc1", "dc2")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	acked := ingestSome(t, b, a, 4, 30, 1)
	rec, ack := post(t, b.Handler(), a.Tokens["dc1"], bruteForce("tenant-m", "dc1", 50))
	require.Equal(t, 200, rec.Code, rec.Body.String())
	acked += int64(ack.Accepted)
	require.NoError(t, b.Drain(ctx))
	versions, err := b.DocumentVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, map[int]int64{1: 13}, versions[store.UniqueEntityProfile], "12 users and the victim")
	require.Equal(t, map[int]int64{1: 1}, versions[store.Alert])

	require.NoError(t, b.Upgrade(ctx, 3))
	// Live writers keep going while the batch migrator runs.
	acked += ingestSome(t, b, a, 3, 30, 10)
	rec, ack = post(t, b.Handler(), a.Tokens["dc2"], bruteForce("tenant-m", "dc2", 60))
	require.Equal(t, 200, rec.Code)
	acked += int64(ack.Accepted)
	require.NoError(t, b.Drain(ctx))
	ms := waitMigrated(t, b, 3)

	versions, err = b.DocumentVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, map[int]int64{3: 13}, versions[store.UniqueEntityProfile])
	require.Equal(t, map[int]int64{2: 1}, versions[store.Alert])
	migrated := ms.OnTheFly[store.UniqueEntityProfile] + ms.Batch[store.UniqueEntityProfile]
	require.Equal(t, int64(13), migrated, "every v1 profile migrated exactly once: %+v", ms)
	require.Zero(t, b.Stats().ParseErrors)
	requireConserved(t, b, acked)
	require.Error(t, b.Upgrade(ctx, 2), "downgrades are refused")
}

func TestBatchMigrationResumesAfterRestart(t *testing.T) {
	srv := startEmulator(t, emulator.Config{})
	ctx := context.Background()
	b := newBackend(t, srv, func(c *Config) { c.Generation = 1 })
	a := onboard(t, b, "tenant-x", "dc1")
	ingestSome(t, b, a, 2, 20, 1)
	require.NoError(t, b.Drain(ctx))
	// The deployment recorded the upgrade, then the process died before migrating.
	require.NoError(t, b.writeCheckpoint(ctx, b.tenantList()[0], migrationDoc{Generation: 3, State: "running"}))
	require.NoError(t, b.Close())

	b2 := newBackend(t, srv, func(c *Config) { c.Generation = 1 })
	ms := waitMigrated(t, b2, 3)
	require.Equal(t, 3, b2.Generation())
	require.Equal(t, int64(12), ms.Batch[store.UniqueEntityProfile])
	versions, err := b2.DocumentVersions(ctx)
	require.NoError(t, err)
	require.Equal(t, map[int]int64{3: 12}, versions[store.UniqueEntityProfile])
}
