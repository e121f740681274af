package runner

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// TestRestartNodeDuringRun restarts backend nodes in the middle of short embedded runs:
// graceful restarts (one with downtime) keep every acknowledged event; a crash loses what
// the node held, which the invariants report instead of hiding unless acceptedRPO accepts
// it, and then only as far as the backend reported dropping it.
func TestRestartNodeDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the embedded parts for a few seconds")
	}
	for _, tc := range []struct {
		name, timeline, accepted string
		mode                     string
		passed                   bool
	}{
		{"graceful", `
  - {at: 1s, action: restart-node, node: 1, gracePeriod: 20s}
  - {at: 2s, action: restart-node, node: 2, mode: graceful, duration: 500ms}`, "",
			scenarios.RestartGraceful, true},
		{"crash", `
  - {at: 2s, action: restart-node, node: 2, mode: crash}`, "", scenarios.RestartCrash, false},
		{"crash accepted", `
  - {at: 2s, action: restart-node, node: 2, mode: crash}`, "acceptedRPO: 1000000\n",
			scenarios.RestartCrash, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := scenarios.Parse("restart.yaml", []byte(`
name: restart
duration: 4s
tenants: [{name: a, size: tiny, rate: 300}]
backend: {nodes: 2, flushInterval: 1s}
`+tc.accepted+`timeline:`+tc.timeline+"\n"))
			require.NoError(t, err)
			res, err := Run(t.Context(), Options{Scenario: s, Starter: NewEmbeddedStarter(),
				OutDir: t.TempDir()})
			require.NoError(t, err)
			sum := res.Summary

			ends := checkRestartWindows(t, sum, strings.Count(tc.timeline, "restart-node"),
				tc.mode)
			crashed := crashDropped(sum)
			lost := invariant(t, sum, reports.InvariantEventsLost)
			conserved := invariant(t, sum, InvariantConservation)
			if tc.mode == scenarios.RestartGraceful {
				checkAcks(t, res)
				require.Zero(t, crashed)
				require.Equal(t, reports.VerdictPass, lost.Verdict, lost.Message)
				require.Zero(t, lost.Observed)
				require.True(t, res.Passed, "%+v", sum.Invariants)
				return
			}
			require.Contains(t, ends[0], "acknowledged events dropped unstored")
			require.Positive(t, crashed, "the backend reported what the crash dropped")
			require.Positive(t, lost.Observed, "the crash lost what the node held")
			require.LessOrEqual(t, lost.Observed, float64(crashed),
				"the crash explains every event lost")
			if !tc.passed {
				require.False(t, res.Passed)
				require.Equal(t, reports.VerdictFail, lost.Verdict)
				require.Equal(t, reports.VerdictFail, conserved.Verdict)
				require.Contains(t, lost.Message, "more than acceptedRPO 0")
				return
			}
			require.Equal(t, reports.VerdictPass, lost.Verdict, lost.Message)
			require.Contains(t, lost.Message, "dropped unstored by crash restarts")
			require.Equal(t, reports.VerdictPass, conserved.Verdict, conserved.Message)
			require.True(t, res.Passed, "%+v", sum.Invariants)
		})
	}
}

// checkRestartWindows checks that each restart left a start event ("node 2 restarting
// (crash)") followed by an end event ("node 2 back after ..."), and returns the ends.
func checkRestartWindows(t *testing.T, sum *reports.Summary, restarts int,
	mode string) []string {
	t.Helper()
	var starts, ends []string
	var startAt []float64
	for _, e := range sum.Events {
		if e.Kind != reports.EventRestart {
			continue
		}
		switch e.Labels["stage"] {
		case "start":
			starts = append(starts, e.Message)
			startAt = append(startAt, e.AtSeconds)
		case "end":
			require.Greater(t, e.AtSeconds, startAt[len(ends)], "ends after it started")
			ends = append(ends, e.Message)
		default:
			t.Fatalf("restart event without a stage: %+v", e)
		}
	}
	require.Len(t, starts, restarts)
	require.Len(t, ends, restarts)
	for i := range restarts {
		require.Regexp(t, `^node \d restarting \(`+mode, starts[i])
		require.Regexp(t, `^node \d back after [\d.]+(µs|ms|s): stored \d+, dropped \d+ \(`,
			ends[i])
		require.NotContains(t, ends[i], "failed")
		require.Contains(t, ends[i], mode+" restart")
	}
	return ends
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

// TestConservationAcceptsOnlyWhatCrashesDropped: with acceptedRPO 100 and crash restarts
// that dropped 12 events, losing up to 12 passes, but only from the entities the crashes
// dropped them from; losing more, elsewhere, or counting twice, fails.
func TestConservationAcceptsOnlyWhatCrashesDropped(t *testing.T) {
	for _, tc := range []struct {
		name          string
		crashed       float64
		accepted      int64
		acked, stored int64
		// extra is what entities hold beyond their acked events; lostToCrash the part of the
		// loss on entities a crash dropped events from, up to what it dropped from each.
		extra, lostToCrash int64
		verdict            string
		split              *LossSplit // set when a failover lost writes
	}{
		{"no loss", 0, 0, 500, 500, 0, 0, reports.VerdictPass, nil},
		{"crash loss accepted", 12, 100, 500, 488, 0, 12, reports.VerdictPass, nil},
		{"crash loss not accepted", 12, 0, 500, 488, 0, 12, reports.VerdictFail, nil},
		{"crash loss beyond accepted", 12, 10, 500, 488, 0, 12, reports.VerdictFail, nil},
		{"loss beyond what the crash dropped", 12, 100, 500, 470, 0, 12, reports.VerdictFail,
			nil},
		{"as many lost as dropped, but from other entities", 12, 100, 500, 488, 0, 0,
			reports.VerdictFail, nil},
		{"loss without a crash", 0, 100, 500, 488, 0, 0, reports.VerdictFail, nil},
		{"counted twice after a crash", 12, 100, 500, 510, 10, 0, reports.VerdictFail, nil},
		{"counted twice on one entity, dropped from another", 12, 100, 500, 500, 12, 12,
			reports.VerdictFail, nil},
		{"failover and crash losses accepted", 12, 100, 500, 480, 0, 12, reports.VerdictPass,
			&LossSplit{RPO: map[int]int64{0: 8}, Crash: 12}},
		{"loss beyond failover and crash", 12, 100, 500, 479, 0, 12, reports.VerdictFail,
			&LossSplit{RPO: map[int]int64{0: 8}, Crash: 12, Other: 1}},
		{"failover and crash beyond accepted", 12, 19, 500, 480, 0, 12, reports.VerdictFail,
			&LossSplit{RPO: map[int]int64{0: 8}, Crash: 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := reports.NewRecorder(reports.RecorderConfig{})
			require.NoError(t, err)
			c, err := rec.Counter(reports.MetricEventsLostCrash, reports.Labels{"node": "1"})
			require.NoError(t, err)
			c.Add(tc.crashed)
			sum := &reports.Summary{}
			rec.Fill(sum)
			r := &run{s: &scenarios.Scenario{AcceptedRPO: tc.accepted},
				conserved: []TenantConservation{{Tenant: "a", Acked: tc.acked,
					Stored: tc.stored, EntitiesWrong: 3, Extra: tc.extra,
					LostToCrash: tc.lostToCrash}}, rpo: tc.split}
			if tc.acked == tc.stored && tc.extra == 0 {
				r.conserved[0].EntitiesWrong = 0
			}
			res := r.conservationInvariant(sum)
			require.Equal(t, tc.verdict, res.Verdict, res.Message)
			want := tc.acked - tc.stored + tc.extra
			if tc.split != nil {
				want = tc.split.total() + tc.split.Crash + tc.split.Other
			}
			require.Equal(t, float64(want), res.Observed)
		})
	}
}

// restartingBackend records the restart asked of it and answers out and err.
type restartingBackend struct {
	got []NodeRestart
	out RestartOutcome
	err error
}

func (b *restartingBackend) IngestURL() string           { return "http://127.0.0.1:1" }
func (b *restartingBackend) Drain(context.Context) error { return nil }
func (b *restartingBackend) Conservation(context.Context) ([]TenantConservation, error) {
	return nil, nil
}

func (b *restartingBackend) RestartNode(_ context.Context, r NodeRestart) (RestartOutcome,
	error) {
	b.got = append(b.got, r)
	return b.out, b.err
}

// TestRestartStepMarksItsWindow applies restart-node entries to a backend that records
// them: the entry's mode, downtime and grace period reach it, a start event precedes the
// end event, and what it dropped is counted in events_lost_crash even when it failed.
func TestRestartStepMarksItsWindow(t *testing.T) {
	for _, tc := range []struct {
		name       string
		entry      scenarios.Event
		out        RestartOutcome
		err        error
		want       NodeRestart
		start, end string
	}{
		{"crash", scenarios.Event{Node: 2, Mode: scenarios.RestartCrash},
			RestartOutcome{Dropped: 57, Down: 180 * time.Microsecond, Details: "n1 crash"}, nil,
			NodeRestart{Node: 2, Mode: scenarios.RestartCrash},
			"node 2 restarting (crash)",
			"node 2 back after 180µs: stored 0, dropped 57 (n1 crash)"},
		{"graceful with grace period and downtime", scenarios.Event{Node: 1,
			Duration:    scenarios.Duration(2 * time.Second),
			GracePeriod: scenarios.Duration(45 * time.Second)},
			RestartOutcome{Stored: 300, Down: 3100 * time.Millisecond, Details: "n0"}, nil,
			NodeRestart{Node: 1, Downtime: 2 * time.Second, GracePeriod: 45 * time.Second},
			"node 1 restarting (graceful, down for 2s)",
			"node 1 back after 3.1s: stored 300, dropped 0 (n0)"},
		{"killed, and failed", scenarios.Event{Node: 1}, RestartOutcome{Dropped: 5,
			Down: time.Second, Details: "n0 killed"}, errors.New("new client: refused"),
			NodeRestart{Node: 1}, "node 1 restarting (graceful)",
			"node 1 failed: new client: refused; node 1 back after 1s: stored 0, dropped 5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := &restartingBackend{out: tc.out, err: tc.err}
			rec, err := reports.NewRecorder(reports.RecorderConfig{})
			require.NoError(t, err)
			r := &run{s: &scenarios.Scenario{}, rec: rec, parts: &Parts{Backend: be},
				opts: Options{Logger: slog.New(slog.DiscardHandler)}}
			tc.entry.Action = scenarios.ActionRestartNode
			r.applyStep(t.Context(), r.restartStep(tc.entry))

			require.Equal(t, []NodeRestart{tc.want}, be.got)
			sum := &reports.Summary{}
			rec.Fill(sum)
			require.Len(t, sum.Events, 2)
			require.Equal(t, "start", sum.Events[0].Labels["stage"])
			require.Equal(t, tc.start, sum.Events[0].Message)
			require.Equal(t, "end", sum.Events[1].Labels["stage"])
			require.Contains(t, sum.Events[1].Message, tc.end)
			require.Equal(t, tc.out.Dropped, crashDropped(sum))
			if tc.err == nil {
				require.Empty(t, r.actionErrs)
				return
			}
			require.Len(t, r.actionErrs, 1, "the failure fails the timeline invariant")
		})
	}
}
