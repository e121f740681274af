package reports

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// lossRun records a run of 10 s that lost `lost` acknowledged events at drain, whose crash
// restarts dropped `crashed` events unstored and whose failovers lost writes carrying
// `failover` events, with acceptedRPO `accepted`.
func lossRun(t *testing.T, lost, crashed, failover, accepted int64) *Summary {
	t.Helper()
	r, clk := newTestRecorder(t, 0)
	lostC, err := r.Counter(MetricEventsLost, nil)
	require.NoError(t, err)
	clk.Advance(3 * time.Second)
	if crashed > 0 {
		crash, err := r.Counter(MetricEventsLostCrash, Labels{"node": "2"})
		require.NoError(t, err)
		crash.Add(float64(crashed))
	}
	clk.Advance(6 * time.Second)
	lostC.Add(float64(lost))
	clk.Advance(time.Second)
	s := &Summary{}
	r.Fill(s)
	s.Scenario.AcceptedRPO = accepted
	if failover > 0 {
		s.Failovers = []Failover{{RPOEvents: failover}}
	}
	return s
}

func TestEventsLostInvariantAcceptsExplainedLosses(t *testing.T) {
	tests := []struct {
		name                              string
		lost, crashed, failover, accepted int64
		verdict                           string
		allowed                           float64
		message                           string
	}{
		{"nothing lost", 0, 0, 0, 0, VerdictPass, 0, ""},
		{"nothing lost after a crash", 0, 12, 0, 100, VerdictPass, 12, ""},
		{"crash loss within accepted", 12, 12, 0, 100, VerdictPass, 12,
			"12 acknowledged events lost, all explained (12 dropped unstored by crash " +
				"restarts) and within acceptedRPO 100"},
		{"an in-flight write of the crash landed", 9, 12, 0, 100, VerdictPass, 12,
			"all explained"},
		{"crash loss beyond accepted", 12, 12, 0, 10, VerdictFail, 10,
			"12 acknowledged events lost (12 dropped unstored by crash restarts), more " +
				"than acceptedRPO 10"},
		{"crash loss with nothing accepted", 12, 12, 0, 0, VerdictFail, 0,
			"more than acceptedRPO 0"},
		{"loss a crash does not explain", 30, 12, 0, 100, VerdictFail, 12,
			"30 acknowledged events lost, only 12 explained (12 dropped unstored by crash " +
				"restarts): 18 lost otherwise"},
		{"loss with neither crash nor failover", 5, 0, 0, 100, VerdictFail, 0,
			"5 acknowledged events lost, none explained by a failover or a crash restart"},
		{"failover and crash together", 20, 12, 8, 100, VerdictPass, 20,
			"(8 carried by writes failovers lost and 12 dropped unstored by crash restarts)"},
		{"failover and crash beyond both", 21, 12, 8, 100, VerdictFail, 20,
			"1 lost otherwise"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := lossRun(t, tc.lost, tc.crashed, tc.failover, tc.accepted)
			res := eventsLostInvariant(s)
			require.Equal(t, tc.verdict, res.Verdict, res.Message)
			require.Equal(t, float64(tc.lost), res.Observed)
			require.Equal(t, tc.allowed, res.Allowed)
			if tc.message == "" {
				require.Empty(t, res.Message)
				return
			}
			require.Contains(t, res.Message, tc.message)
		})
	}
}

// TestWritersSayWhyALossWasAccepted: a passed events_lost invariant carries its reason
// into JUnit and Markdown, so a reader sees the loss was a crash's and accepted, and the
// crash losses show as a key figure.
func TestWritersSayWhyALossWasAccepted(t *testing.T) {
	s := lossRun(t, 12, 12, 0, 100)
	CheckInvariants(s)
	s.Finalize()
	why := "all explained (12 dropped unstored by crash restarts) and within acceptedRPO 100"

	var junit bytes.Buffer
	require.NoError(t, WriteJUnit(&junit, s))
	var got junitSuites
	require.NoError(t, xml.Unmarshal(junit.Bytes(), &got))
	var output string
	for _, suite := range got.Suites {
		for _, c := range suite.Cases {
			if strings.HasPrefix(c.Name, InvariantEventsLost+":") {
				require.Nil(t, c.Failure)
				output = c.Output
			}
		}
	}
	require.Contains(t, output, why)

	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, s))
	require.Contains(t, md.String(), why)
	require.Contains(t, md.String(), "| events dropped by crash restarts | 12 |",
		"the crash losses are a key figure of their own")
}

func TestRestartBandsPairStartAndEnd(t *testing.T) {
	ev := func(at float64, target, stage string) Event {
		return Event{AtSeconds: at, Kind: EventRestart,
			Labels: Labels{"target": target, "stage": stage}}
	}
	events := []Event{
		ev(2, "node 1", "start"), ev(2.5, "node 2", "start"),
		{AtSeconds: 3, Kind: EventScale, Labels: Labels{"stage": "end"}},
		ev(4, "node 2", "end"), ev(5.5, "node 1", "end"),
		ev(7, "node 1", "end"),   // no start: no band
		ev(9, "node 2", "start"), // still restarting at the end: no band
	}
	require.Equal(t, []chartBand{{2.5, 4}, {2, 5.5}}, restartBands(events))
}
