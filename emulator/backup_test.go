package emulator

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

// scenarioClock is a settable clock, safe for concurrent use.
type scenarioClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *scenarioClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *scenarioClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// waitBackups waits until the account lists n backups.
func waitBackups(t *testing.T, a *Account, n int) []BackupInfo {
	t.Helper()
	var infos []BackupInfo
	require.Eventually(t, func() bool {
		var err error
		infos, err = a.Backups()
		require.NoError(t, err)
		return len(infos) == n
	}, 5*time.Second, 10*time.Millisecond)
	return infos
}

func TestBackupOnScenarioClockAndRestore(t *testing.T) {
	dir := t.TempDir()
	clock := &scenarioClock{t: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	bc := BackupConfig{Dir: filepath.Join(dir, "backups"), Interval: time.Hour,
		Retention: 3 * time.Hour, Clock: clock.now}
	a := startRegions(t, RegionsConfig{Regions: []string{"A", "B"}, Backup: bc})
	c := regionContainer(t, regionClient(t, a))
	want := durableWorkload(t, c, 40)

	clock.advance(time.Hour)
	first := waitBackups(t, a, 1)[0]
	require.Equal(t, clock.now(), first.At)
	require.Equal(t, 30, first.Documents, "40 created, 10 deleted")

	// Changes after the backup must not appear in the restore.
	pk := azcosmos.NewPartitionKeyString("p")
	_, err := c.CreateItem(testCtx(t), pk, docJSON("later", 1), nil)
	require.NoError(t, err)
	_, err = c.DeleteItem(testCtx(t), pk, "d0", nil)
	require.NoError(t, err)
	_, err = c.ReplaceItem(testCtx(t), pk, "d4", docJSON("d4", 444), nil)
	require.NoError(t, err)

	geo, err := os.ReadFile(first.GeoPath)
	require.NoError(t, err)
	local, err := os.ReadFile(first.Path)
	require.NoError(t, err)
	require.Equal(t, local, geo, "the geo-redundant copy is identical")

	restored, err := StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"C"}, RestoreFrom: first.GeoPath,
			DataDir: filepath.Join(dir, "restored")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = restored.Close() })
	rc, err := regionClient(t, restored).NewContainer("db", "c")
	require.NoError(t, err)
	for id, n := range want {
		require.Equal(t, n, readN(t, rc, id, nil), id)
	}
	require.Equal(t, -1, readN(t, rc, "later", nil))

	// Retention: after five backups an hour apart, those older than 3 h are gone in both
	// locations.
	var infos []BackupInfo
	for range 4 {
		clock.advance(time.Hour)
		require.Eventually(t, func() bool {
			infos, err = a.Backups()
			return err == nil && len(infos) > 0 && infos[len(infos)-1].At.Equal(clock.now())
		}, 5*time.Second, 10*time.Millisecond)
	}
	infos = waitBackups(t, a, 4) // pruning follows the newest backup's write
	require.Equal(t, clock.now().Add(-3*time.Hour), infos[0].At)
	geoInfos, err := ListBackups(bc.Dir + "-geo")
	require.NoError(t, err)
	require.Equal(t, infos, geoInfos)
}

func TestRestoreRefusesDamagedBackupAndUsedDataDir(t *testing.T) {
	dir := t.TempDir()
	a := startRegions(t, RegionsConfig{Regions: []string{"A"},
		Backup: BackupConfig{Dir: filepath.Join(dir, "b")}})
	regionContainer(t, regionClient(t, a))
	info, err := a.Backup(testCtx(t))
	require.NoError(t, err)

	used := filepath.Join(dir, "used")
	b := startDurable(t, used, -1)
	regionContainer(t, regionClient(t, b))
	require.NoError(t, b.Close())
	_, err = StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A"}, DataDir: used, RestoreFrom: info.Path})
	require.ErrorContains(t, err, "restore into a new one")

	raw, err := os.ReadFile(info.Path)
	require.NoError(t, err)
	raw[len(raw)/2] ^= 1
	require.NoError(t, os.WriteFile(info.Path, raw, 0o644))
	_, err = StartAccount(context.Background(), Config{},
		RegionsConfig{Regions: []string{"A"}, RestoreFrom: info.Path})
	require.ErrorContains(t, err, "is damaged")

	require.ErrorContains(t, BackupConfig{Interval: time.Hour, Retention: time.Minute}.Validate(),
		"shorter than the interval")
}
