package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func runStampede(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := mainWithArgs(t.Context(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestRunExitCodesWithoutRunning(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nduration: 1m\ntenants: [{name: a, rate: 1}]\n"+
		"timeline: [{at: 1s, action: brust}]\n"), 0o644))
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOutput string
	}{
		{"list", []string{"run", "--list"}, ExitOK, "ci-gate"},
		{"validate a built-in", []string{"run", "throttle-burst", "--validate"}, ExitOK, "is valid"},
		{"unknown built-in", []string{"run", "ci-gat"}, ExitBadInput, `did you mean "ci-gate"?`},
		{"invalid file", []string{"run", bad}, ExitBadInput, "bad.yaml:4:29: timeline[0].action"},
		{"bad flag", []string{"run", "--duration", "soon"}, ExitBadInput, "invalid value"},
		{"override breaks the timeline", []string{"run", "ci-gate", "--duration", "5s",
			"--validate"}, ExitBadInput, "after the end of the run"},
		{"two scenarios", []string{"run", "ci-gate", "soak"}, ExitBadInput, "one scenario"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runStampede(t, tt.args...)
			require.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout, stderr)
			require.Contains(t, stdout+stderr, tt.wantOutput)
		})
	}
}

// TestRunExitCodesOfARun runs a few seconds of real load twice: once passing (0) and once
// with a threshold no run can meet (99), and checks the run folder is written either way.
func TestRunExitCodesOfARun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	dir := t.TempDir()
	scenario := filepath.Join(dir, "short.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(`
name: short
duration: 3s
tenants: [{name: a, size: tiny, rate: 200}]
backend: {flushInterval: 250ms}
thresholds:
  events_acked: [count>0]
`), 0o644))
	out := filepath.Join(dir, "pass")
	code, stdout, stderr := runStampede(t, "run", scenario, "--out", out)
	require.Equal(t, ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "short: PASS")
	require.FileExists(t, filepath.Join(out, "summary.json"))

	failing := filepath.Join(dir, "failing.yaml")
	require.NoError(t, os.WriteFile(failing, []byte(`
name: failing
duration: 3s
tenants: [{name: a, size: tiny, rate: 200}]
backend: {flushInterval: 250ms}
thresholds:
  events_acked: [count<1]
`), 0o644))
	out = filepath.Join(dir, "fail")
	code, stdout, stderr = runStampede(t, "run", failing, "--out", out, "--baseline",
		filepath.Join(dir, "pass", "summary.json"))
	require.Equal(t, ExitThresholds, code, "stdout: %s\nstderr: %s", stdout, stderr)
	require.Contains(t, stdout, "failing: FAIL")
	require.FileExists(t, filepath.Join(out, "comparison.json"))
	require.FileExists(t, filepath.Join(out, "comparison.md"))
	require.Contains(t, stdout, "against the baseline:")
}

// TestRunBaselineGate checks that a run whose thresholds hold still fails with 99 when it
// regressed against its baseline, unless regressions are only to be reported. The runs last
// long enough for the comparison's minimum of per-second samples.
func TestRunBaselineGate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts")
	}
	dir := t.TempDir()
	write := func(name string, rate int) string {
		path := filepath.Join(dir, name+".yaml")
		require.NoError(t, os.WriteFile(path, fmt.Appendf(nil, `
name: %s
duration: 12s
tenants: [{name: a, size: tiny, rate: %d}]
backend: {flushInterval: 250ms}
thresholds:
  events_acked: [count>0]
`, name, rate), 0o644))
		return path
	}
	fast, slow := write("fast", 1000), write("slow", 50)
	code, _, stderr := runStampede(t, "run", fast, "--baseline-family-error", "2")
	require.Equal(t, ExitBadInput, code, "stderr: %s", stderr)
	require.Contains(t, stderr, "family error rate 2")
	code, stdout, stderr := runStampede(t, "run", fast, "--out", filepath.Join(dir, "base"))
	require.Equal(t, ExitOK, code, "stdout: %s\nstderr: %s", stdout, stderr)
	baseline := filepath.Join(dir, "base", "summary.json")

	tests := []struct {
		name     string
		extra    []string
		wantCode int
	}{
		{"regression fails the run", nil, ExitThresholds},
		{"report only", []string{"--baseline-report-only"}, ExitOK},
		// -95% acknowledged events is below a 99% minimum change, so it does not count.
		{"minimum change", []string{"--baseline-min-change", "0.99"}, ExitOK},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprint("slow", i))
			args := append([]string{"run", slow, "--out", out, "--baseline", baseline},
				tt.extra...)
			code, stdout, stderr := runStampede(t, args...)
			require.Equal(t, tt.wantCode, code, "stdout: %s\nstderr: %s", stdout, stderr)
			require.Contains(t, stdout, "slow: PASS", "the thresholds themselves hold")
			require.FileExists(t, filepath.Join(out, "comparison.md"))
			if tt.wantCode == ExitThresholds {
				require.Contains(t, stderr, "events_acked")
				require.Contains(t, stderr, "regressions against the baseline")
			}
		})
	}
}
