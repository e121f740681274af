package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExitCodes pins the exit-code contract of the binary (docs/design.md): 0 success, 2 bad
// input, 1 anything else, and that bad input names the problem on stderr.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	require.NoError(t, os.WriteFile(broken, []byte(`{"schemaVersion":1,`), 0o600))
	summary := filepath.Join("testdata", "ci-gate-summary.json")
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("name: x\nduration: soon\n"), 0o600))

	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
		wantStdout string
	}{
		{name: "no command", args: nil, want: ExitBadInput, wantStderr: "usage: stampede"},
		{name: "help", args: []string{"help"}, want: ExitOK, wantStderr: "commands:"},
		{name: "unknown command", args: []string{"frobnicate"}, want: ExitBadInput,
			wantStderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"run", "--no-such-flag"}, want: ExitBadInput,
			wantStderr: "no-such-flag"},
		{name: "flag help", args: []string{"emulator", "-h"}, want: ExitOK},
		{name: "list scenarios", args: []string{"run", "--list"}, want: ExitOK,
			wantStdout: "ci-gate"},
		{name: "validate built-in", args: []string{"run", "--validate", "ci-gate"}, want: ExitOK},
		{name: "unknown scenario", args: []string{"run", "--validate", "no-such-scenario"},
			want: ExitBadInput, wantStderr: "no-such-scenario"},
		{name: "bad scenario file names file and line", args: []string{"run", "--validate", bad},
			want: ExitBadInput, wantStderr: "bad.yaml:2"},
		{name: "compare missing file", args: []string{"report", "compare",
			filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")},
			want: ExitBadInput, wantStderr: "a.json"},
		{name: "compare truncated summary", args: []string{"report", "compare", broken, summary},
			want: ExitBadInput, wantStderr: "broken.json"},
		{name: "compare a run with itself", args: []string{"report", "compare", summary, summary},
			want: ExitOK, wantStdout: "0 regressions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := mainWithArgs(context.Background(), tt.args, &stdout, &stderr)
			require.Equal(t, tt.want, got, "exit code; stderr:\n%s", stderr.String())
			require.True(t, strings.Contains(stderr.String(), tt.wantStderr),
				"stderr %q does not contain %q", stderr.String(), tt.wantStderr)
			require.True(t, strings.Contains(stdout.String(), tt.wantStdout),
				"stdout %q does not contain %q", stdout.String(), tt.wantStdout)
		})
	}
}
