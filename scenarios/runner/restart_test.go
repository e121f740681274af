package runner

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// TestRestartNodeDuringRun restarts backend nodes in the middle of short embedded runs:
// graceful restarts (one with downtime) keep every acknowledged event, and a crash loses
// what the node held, which the conservation invariant reports instead of hiding.
func TestRestartNodeDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	for _, tc := range []struct {
		name, timeline string
		passed         bool
	}{
		{"graceful", `
  - {at: 1s, action: restart-node, node: 1}
  - {at: 2s, action: restart-node, node: 2, mode: graceful, duration: 500ms}`, true},
		{"crash", `
  - {at: 2s, action: restart-node, node: 2, mode: crash}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse("restart.yaml", []byte(`
name: restart
duration: 4s
tenants: [{name: a, size: tiny, rate: 300}]
backend: {nodes: 2, flushInterval: 1s}
timeline:`+tc.timeline+"\n"))
			require.NoError(t, err)
			res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
				OutDir: t.TempDir()})
			require.NoError(t, err)
			sum := res.Summary

			var restarts []string
			for _, e := range sum.Events {
				if e.Kind == reports.EventRestart {
					restarts = append(restarts, e.Message)
				}
			}
			require.Len(t, restarts, strings.Count(tc.timeline, "restart-node"))
			for _, msg := range restarts {
				require.NotContains(t, msg, "failed")
				require.NotContains(t, msg, "not supported")
				require.Contains(t, msg, tc.name+" restart")
			}
			lost := invariant(t, sum, reports.InvariantEventsLost)
			if tc.passed {
				checkAcks(t, res)
				require.Equal(t, reports.VerdictPass, lost.Verdict, lost.Message)
				require.Zero(t, lost.Observed)
				require.True(t, res.Passed, "%+v", sum.Invariants)
				return
			}
			require.Contains(t, restarts[0], "acknowledged events dropped unstored")
			require.False(t, res.Passed)
			require.Equal(t, reports.VerdictFail, lost.Verdict)
			require.Positive(t, lost.Observed, "the crash lost what the node held")
		})
	}
}

func invariant(t *testing.T, sum *reports.Summary, name string) reports.InvariantResult {
	t.Helper()
	var names []string
	for _, inv := range sum.Invariants {
		if inv.Name == name {
			return inv
		}
		names = append(names, inv.Name)
	}
	t.Fatalf("no invariant %s in %v", name, names)
	return reports.InvariantResult{}
}
