package reports

import "fmt"

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
//     When the scenario accepts an RPO, up to min(accepted, events carried by the writes the
//     failovers lost) may be lost, all in events (Failover.RPOEvents, not RPOCount, which
//     counts writes). It fails when events_lost was never measured: a run that did not check
//     conservation has not proven it.
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
	lost, _ := aggregate(series, Aggregation{Name: "count"},
		Span{whole(s.Run.DurationSeconds)}, s.Run.DurationSeconds)
	res.Observed = lost
	if s.Scenario.AcceptedRPO > 0 {
		var rpo int64
		for _, f := range s.Failovers {
			rpo += f.RPOEvents
		}
		res.Allowed = float64(min(rpo, s.Scenario.AcceptedRPO))
	}
	if lost <= res.Allowed {
		res.Verdict = VerdictPass
		return res
	}
	res.Message = fmt.Sprintf("%g acknowledged events lost, %g allowed", lost, res.Allowed)
	if res.Allowed > 0 {
		res.Message += " (accepted RPO of the failovers)"
	}
	return res
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
