package main

import (
	"bytes"
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
	require.Contains(t, stdout, "against the baseline:")
}
