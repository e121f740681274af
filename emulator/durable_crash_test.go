package emulator

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"
	"github.com/stretchr/testify/require"
)

const (
	crashDirEnv = "STAMPEDE_TEST_CRASH_DIR"
	// crashMultiEnv makes the child an account of two regions that both take writes.
	crashMultiEnv = "STAMPEDE_TEST_CRASH_MULTI"
)

// TestDurableCrashChild is the emulator process the crash test kills: it serves an account
// on the data directory named by the environment and prints its endpoint. It does nothing
// in a normal test run.
func TestDurableCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("runs only as the child process of TestDurableSurvivesKill9")
	}
	rc := RegionsConfig{Regions: []string{"A"}, DataDir: dir, SnapshotBytes: 64 << 10}
	if os.Getenv(crashMultiEnv) != "" {
		// Replication lags, so the kill leaves writes of each region unreplicated.
		rc.Regions, rc.MultiRegionWrites = []string{"A", "B"}, true
		rc.Lag = Lag{Distribution: LagUniform, Min: 5 * time.Millisecond, Max: 50 * time.Millisecond}
	}
	a, err := StartAccount(context.Background(), Config{}, rc)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("ENDPOINT", a.Endpoint())
	select {} // until killed
}

// startCrashChild re-executes the test binary as an emulator on dir (of two writing
// regions with multi).
func startCrashChild(t *testing.T, dir string, multi bool) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDurableCrashChild$")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	if multi {
		cmd.Env = append(cmd.Env, crashMultiEnv+"=1")
	}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if ep, ok := strings.CutPrefix(lines.Text(), "ENDPOINT "); ok {
			go func() {
				for lines.Scan() {
				}
			}()
			return cmd, ep
		}
		require.NotContains(t, lines.Text(), "ERROR")
	}
	t.Fatal("the child emulator exited without serving")
	return nil, ""
}

// crashClient is an SDK client of endpoint, sending writes and reads to the preferred
// regions first.
func crashClient(t *testing.T, endpoint string, preferred ...string) *azcosmos.Client {
	t.Helper()
	cred, err := azcosmos.NewKeyCredential(DefaultKey)
	require.NoError(t, err)
	c, err := azcosmos.NewClientWithKey(endpoint, cred,
		&azcosmos.ClientOptions{PreferredRegions: preferred})
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// TestDurableSurvivesKill9 kills the emulator process with SIGKILL during a write load and
// checks, after a restart on the same data directory, every write that was acknowledged:
// created documents exist and each writer's counter document is at least as far as its
// last acknowledged replace. With two writing regions, half the writers write in each, and
// every acknowledged write must be in both regions after the restart, replicated or not
// when the process died.
func TestDurableSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills emulator processes")
	}
	for _, tc := range []struct {
		name    string
		multi   bool
		regions [][]string // the preferred regions of each writer's client, in turn
	}{
		{"one region", false, [][]string{nil}},
		{"two writing regions", true, [][]string{{"A", "B"}, {"B", "A"}}},
	} {
		t.Run(tc.name, func(t *testing.T) { killDuringLoad(t, tc.multi, tc.regions) })
	}
}

func killDuringLoad(t *testing.T, multi bool, regions [][]string) {
	dir := t.TempDir()
	cmd, endpoint := startCrashChild(t, dir, multi)
	containers := make([]*azcosmos.ContainerClient, len(regions))
	for i, pref := range regions {
		client := crashClient(t, endpoint, pref...)
		if i == 0 {
			containers[i] = regionContainer(t, client)
			continue
		}
		var err error
		containers[i], err = client.NewContainer("db", "c")
		require.NoError(t, err)
	}

	const writers = 8
	created := make([][]string, writers)
	counters := make([]int, writers)
	var progress [writers]atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := containers[w%len(containers)]
			created[w], counters[w] = crashLoad(ctx, c, w, &progress[w])
		}()
	}
	// Kill mid-load: once every writer has had writes acknowledged (a loaded machine may
	// take a while), and a little later.
	require.Eventually(t, func() bool {
		for w := range writers {
			if progress[w].Load() == 0 {
				return false
			}
		}
		return true
	}, 30*time.Second, 10*time.Millisecond)
	time.Sleep(500 * time.Millisecond)
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no flush, no shutdown
	_ = cmd.Wait()
	cancel()
	wg.Wait()
	_, wals, err := listGenerations(dir)
	require.NoError(t, err)
	spares, err := filepath.Glob(filepath.Join(dir, "spare-*"))
	require.NoError(t, err)
	t.Logf("killed at log generation %d with %d spare segments", wals[len(wals)-1], len(spares))

	_, endpoint = startCrashChild(t, dir, multi)
	for _, pref := range regions {
		c2, err := crashClient(t, endpoint, pref...).NewContainer("db", "c")
		require.NoError(t, err)
		total := 0
		for w := range writers {
			require.NotZero(t, counters[w], "writer %d had a replace acknowledged", w)
			require.GreaterOrEqual(t, readN(t, c2, fmt.Sprintf("counter-%d", w), nil),
				counters[w], "writer %d's counter read in %v", w, pref)
			for _, id := range created[w] {
				require.NotEqual(t, -1, readN(t, c2, id, nil),
					"acknowledged create %s lost (read in %v)", id, pref)
			}
			total += len(created[w])
		}
		t.Logf("checked %d acknowledged creates and %d counters after kill -9, read in %v",
			total, writers, pref)
	}
}

// crashLoad writes until ctx ends or a write fails (the process died): creates of new
// documents and replaces of one counter document. It returns the acknowledged creates and
// the last acknowledged counter value.
func crashLoad(ctx context.Context, c *azcosmos.ContainerClient, w int, progress *atomic.Int64) (
	[]string, int,
) {
	pk := azcosmos.NewPartitionKeyString("p")
	counterID := fmt.Sprintf("counter-%d", w)
	if _, err := c.UpsertItem(ctx, pk, docJSON(counterID, 0), nil); err != nil {
		return nil, 0
	}
	var created []string
	counter := 0
	for i := 0; ctx.Err() == nil; i++ {
		id := fmt.Sprintf("w%d-%d", w, i)
		if _, err := c.CreateItem(ctx, pk, docJSON(id, i), nil); err != nil {
			return created, counter
		}
		created = append(created, id)
		if _, err := c.ReplaceItem(ctx, pk, counterID, docJSON(counterID, i+1), nil); err != nil {
			return created, counter
		}
		counter = i + 1
		progress.Store(int64(counter))
	}
	return created, counter
}
