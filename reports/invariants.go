package reports

import (
	"fmt"
	"strings"
)

// Names of the invariants every run checks.
const (
	InvariantEventsLost  = "events_lost"
	InvariantParseErrors = "migration_parse_errors"
	InvariantLostUpdates = "lost_updates"
)

// CheckInvariants evaluates the invariants every run must hold and stores them in
// s.Invariants:
//
//   - events lost == 0: acknowledged events missing at drain (the conservation invariant).
//     When the scenario accepts an RPO, up to min(accepted, explained) may be lost, where
//     explained is the events carried by the writes the failovers lost (Failover.RPOEvents,
//     not RPOCount, which counts writes) plus the events crash restarts dropped unstored
//     (events_lost_crash, as the backend reported them). A loss beyond what those explain
//     fails whatever the scenario accepts. It fails when events_lost was never measured: a
//     run that did not check conservation has not proven it.
//   - migration parse errors == 0, from the metric or the migration figures (the larger).
//   - lost updates == 0, likewise.
func CheckInvariants(s *Summary) {
	s.Invariants = []InvariantResult{
		eventsLostInvariant(s),
		zeroInvariant(s, InvariantParseErrors, MetricParseErrors,
			"no read may fail to parse a document after an upgrade",
			func(m Migration) int64 { return m.ParseErrors }),
		zeroInvariant(s, InvariantLostUpdates, MetricLostUpdates,
			"no update may be lost to a race between the migrator and live writers",
			func(m Migration) int64 { return m.LostUpdates }),
	}
}

func eventsLostInvariant(s *Summary) InvariantResult {
	res := InvariantResult{Name: InvariantEventsLost,
		Description: "every acknowledged event is counted in Cosmos DB at drain",
		Verdict:     VerdictFail}
	series := s.Find(MetricEventsLost, nil)
	if len(series) == 0 {
		res.Message = "events_lost was not measured: conservation was not checked"
		return res
	}
	wholeRun := Span{whole(s.Run.DurationSeconds)}
	lost, _ := aggregate(series, Aggregation{Name: "count"}, wholeRun, s.Run.DurationSeconds)
	res.Observed = lost
	var failover int64
	for _, f := range s.Failovers {
		failover += f.RPOEvents
	}
	crashed, _ := aggregate(s.Find(MetricEventsLostCrash, nil), Aggregation{Name: "count"},
		wholeRun, s.Run.DurationSeconds)
	crash := int64(crashed)
	res.Allowed = float64(min(failover+crash, s.Scenario.AcceptedRPO))
	if lost == 0 {
		res.Verdict = VerdictPass
		return res
	}
	explained := lossExplanation(failover, crash)
	switch {
	case explained == "":
		res.Message = fmt.Sprintf("%g acknowledged events lost, none explained by a failover "+
			"or a crash restart", lost)
	case lost > float64(failover+crash):
		res.Message = fmt.Sprintf("%g acknowledged events lost, only %d explained (%s): %g "+
			"lost otherwise", lost, failover+crash, explained, lost-float64(failover+crash))
	case lost > res.Allowed:
		res.Message = fmt.Sprintf("%g acknowledged events lost (%s), more than acceptedRPO %d",
			lost, explained, s.Scenario.AcceptedRPO)
	default:
		res.Verdict = VerdictPass
		res.Message = fmt.Sprintf("%g acknowledged events lost, all explained (%s) and "+
			"within acceptedRPO %d", lost, explained, s.Scenario.AcceptedRPO)
	}
	return res
}

// lossExplanation names what may explain a loss: the failovers' lost writes and the crash
// restarts' dropped events, with their counts; empty when neither lost anything.
func lossExplanation(failover, crash int64) string {
	var parts []string
	if failover > 0 {
		parts = append(parts, fmt.Sprintf("%d carried by writes failovers lost", failover))
	}
	if crash > 0 {
		parts = append(parts, fmt.Sprintf("%d dropped unstored by crash restarts", crash))
	}
	return strings.Join(parts, " and ")
}

func zeroInvariant(s *Summary, name, metric, desc string,
	fromMigration func(Migration) int64) InvariantResult {
	res := InvariantResult{Name: name, Description: desc, Verdict: VerdictPass}
	fromMetric, _ := aggregate(s.Find(metric, nil), Aggregation{Name: "count"},
		Span{whole(s.Run.DurationSeconds)}, s.Run.DurationSeconds)
	var fromFigures int64
	for _, m := range s.Migrations {
		fromFigures += fromMigration(m)
	}
	// Both sources count the same failures; taking the larger never double counts and never
	// hides one that only one source saw.
	res.Observed = max(fromMetric, float64(fromFigures))
	if res.Observed > 0 {
		res.Verdict = VerdictFail
		res.Message = fmt.Sprintf("%g %s, want 0", res.Observed, metric)
	}
	return res
}
