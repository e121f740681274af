package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestEmulatorRegionFlags pins how `stampede emulator` reads its account flags: bad values
// are bad input (exit 2) naming the flag, and a valid account starts, prints one line per
// region and stops with its context.
func TestEmulatorRegionFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"bad consistency", []string{"emulator", "--regions", "a,b", "--consistency", "linear"},
			"--consistency"},
		{"bad lag", []string{"emulator", "--regions", "a,b", "--replication-lag", "soon"},
			"--replication-lag"},
		{"duplicate region", []string{"emulator", "--regions", "West US,westus"}, "listed twice"},
		{"restore without backup", []string{"emulator", "restore"}, "--backup FILE is required"},
		{"control without verb", []string{"emulator", "control"}, "name an operation"},
		{"control bad mode", []string{"emulator", "control", "--mode", "flaky", "down", "a"},
			"outage mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := mainWithArgs(context.Background(), tt.args, &stdout, &stderr)
			require.Equal(t, ExitBadInput, got, "stderr:\n%s", stderr.String())
			require.Contains(t, stderr.String(), tt.wantStderr)
		})
	}

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	got := mainWithArgs(ctx, []string{"emulator", "--addr", "127.0.0.1:0", "--regions",
		"westus2,eastus2", "--replication-lag", "uniform:1ms-5ms"}, &stdout, &stderr)
	require.Equal(t, ExitOK, got, "stderr:\n%s", stderr.String())
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	require.Len(t, lines, 3)
	require.Contains(t, lines[1], `name="westus2"`)
	require.Contains(t, lines[1], "role=write")
	require.Contains(t, lines[2], "role=read")
}
