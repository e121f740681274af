package reports

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromiumPath finds a headless browser, or skips the test with the reason.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed: install it (apt-get install -y chromium) to check that " +
		"report.html renders in a real browser")
	return ""
}

func runChromium(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	out, err := cmd.Output()
	require.NoError(t, err, "chromium %v", args)
	return out
}

func TestReportHTMLRendersInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromiumPath(t)
	dir := t.TempDir()
	s := finishedSynth(t, synthRun{seed: 21, seconds: 90})
	require.NoError(t, WriteRunFolder(dir, s))
	page := "file://" + filepath.Join(dir, FileHTML)

	dom := string(runChromium(t, bin, "--dump-dom", page))
	requireHas(t, dom, `id="verdict"`)
	require.Equal(t, 6, strings.Count(dom, "<svg"), "every chart is parsed as SVG")
	for _, id := range []string{"rate", "latency", "ru", "throttle", "regions", "schema"} {
		requireHas(t, dom, `id="chart-`+id+`"`)
	}
	require.Greater(t, strings.Count(dom, "<path"), 30, "the charts draw lines")
	requireHas(t, dom, `id="detection-table"`)

	shot := filepath.Join(dir, "report.png")
	runChromium(t, bin, "--screenshot="+shot, "--window-size=1200,4800", page)
	info, err := os.Stat(shot)
	require.NoError(t, err)
	require.Greater(t, info.Size(), int64(20_000), "a screenshot with charts is not tiny")
	if out := os.Getenv("STAMPEDE_REPORT_SCREENSHOT"); out != "" {
		b, err := os.ReadFile(shot)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(out, b, 0o644))
	}
}
