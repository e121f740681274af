package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// SchemaVersion is the version of the summary.json schema written by this package. It changes
// only when a field changes meaning or is removed; new optional fields keep the version.
const SchemaVersion = 1

// SchemaID names the summary.json schema; it is the $id of schema.json.
const SchemaID = "https://stampede-load.github.io/schema/summary-v1.json"

// Verdict outcomes of a run, a threshold or an invariant.
const (
	VerdictPass = "pass"
	VerdictFail = "fail"
)

// Summary is everything one run measured and concluded. It is what summary.json holds and
// what every writer renders. The zero value is an empty run; Validate checks consistency.
type Summary struct {
	Schema        string `json:"$schema,omitempty"`
	SchemaVersion int    `json:"schemaVersion"`

	Run         RunInfo     `json:"run"`
	Scenario    Scenario    `json:"scenario"`
	Environment Environment `json:"environment"`

	// Metrics holds every series of the run, sorted by name then labels.
	Metrics []Series `json:"metrics"`
	Events  []Event  `json:"events"`
	Phases  []Phase  `json:"phases"`

	Failovers  []Failover  `json:"failovers"`
	Migrations []Migration `json:"migrations"`
	Costs      []Cost      `json:"costs"`
	Detections []Detection `json:"detections"`

	Invariants []InvariantResult `json:"invariants"`
	Thresholds []ThresholdResult `json:"thresholds"`
}

// RunInfo identifies a run and carries its overall verdict.
type RunInfo struct {
	// ID is a free-form run identifier (for example a timestamp and the scenario name).
	ID    string    `json:"id,omitempty"`
	Start time.Time `json:"start"`
	// DurationSeconds is the length of the timeline: every series has at most this many
	// per-second samples.
	DurationSeconds int `json:"durationSeconds"`
	// Verdict is VerdictPass when every threshold and invariant held, VerdictFail otherwise.
	Verdict string `json:"verdict"`
	// Aborted is set when an abortOnFail threshold stopped the run early.
	Aborted     bool   `json:"aborted,omitempty"`
	AbortReason string `json:"abortReason,omitempty"`
}

// Scenario is the effective scenario the run executed, echoed so a run can be reproduced.
type Scenario struct {
	Name string `json:"name"`
	Seed uint64 `json:"seed"`
	// Format of Effective: "yaml" or "json".
	Format string `json:"format,omitempty"`
	// Effective is the scenario after defaults and flags were applied, as raw text.
	Effective string `json:"effective,omitempty"`
	// AcceptedRPO is the number of acknowledged events the scenario accepts losing to
	// asynchronous failovers and crash restarts together; the events-lost invariant
	// tolerates up to what the failovers' lost writes and the crashes' dropped events
	// explain, and no more than this.
	AcceptedRPO int64 `json:"acceptedRPO,omitempty"`
}

// Environment describes where the run executed.
type Environment struct {
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`
	Hostname  string `json:"hostname,omitempty"`
	GitCommit string `json:"gitCommit,omitempty"`
	// Target is "embedded" or the external endpoints the run drove.
	Target string `json:"target,omitempty"`
}

// Event is something that happened at a point of the run: a scale action, a region going
// down or up, a failover, an upgrade, a phase change, a node restart.
type Event struct {
	// AtSeconds is the offset from the run start, with sub-second precision.
	AtSeconds float64 `json:"atSeconds"`
	// Kind is one of the Event* constants or a runner-defined word.
	Kind   string `json:"kind"`
	Labels Labels `json:"labels,omitempty"`
	// Message is a short human-readable description ("UniqueEntity 4000 -> 8000 RU/s").
	Message string `json:"message,omitempty"`
}

// Event kinds the report charts know how to draw.
const (
	EventScale      = "scale"
	EventRegionDown = "region_down"
	EventRegionUp   = "region_up"
	EventFailover   = "failover"
	EventUpgrade    = "upgrade"
	EventPhase      = "phase"
	EventRestart    = "restart"
	EventAbort      = "abort"
)

// Phase is a named stretch of the timeline, [StartSeconds, EndSeconds). Thresholds may be
// scoped to a phase by name.
type Phase struct {
	Name         string `json:"name"`
	StartSeconds int    `json:"startSeconds"`
	EndSeconds   int    `json:"endSeconds"`
}

// Failover is one regional failover and what it cost.
type Failover struct {
	FromRegion string `json:"fromRegion"`
	ToRegion   string `json:"toRegion"`
	// Kind is "manual" or "service-managed".
	Kind string `json:"kind,omitempty"`
	// OutageAtSeconds is when the write region went down (offset from the run start).
	OutageAtSeconds float64 `json:"outageAtSeconds"`
	// RTOSeconds is the time from the outage to the first acknowledged write in the new
	// region; negative when the run ended before a write succeeded.
	RTOSeconds float64 `json:"rtoSeconds"`
	// RPOCount is the number of acknowledged writes lost; RPOAgeSeconds the age of the oldest
	// lost write at the failover (how far replication was behind).
	RPOCount      int64   `json:"rpoCount"`
	RPOAgeSeconds float64 `json:"rpoAgeSeconds"`
	// RPOEvents is the acknowledged events carried by the writes this failover lost, found
	// at drain by comparing stored counters with acknowledged events: the unit of the
	// scenario's accepted RPO and of events_lost. One lost write may carry many events.
	RPOEvents int64 `json:"rpoEvents,omitempty"`
	// SensorErrors is how many sensor batches failed while the failover was in progress.
	SensorErrors int64 `json:"sensorErrors"`
}

// Migration is one schema upgrade and how its documents moved.
type Migration struct {
	Container   string  `json:"container"`
	FromVersion int     `json:"fromVersion"`
	ToVersion   int     `json:"toVersion"`
	AtSeconds   float64 `json:"atSeconds"`
	OnTheFly    int64   `json:"onTheFly"`
	Batch       int64   `json:"batch"`
	// Remaining is the number of documents still at an older version at the end of the run.
	Remaining   int64 `json:"remaining"`
	ParseErrors int64 `json:"parseErrors"`
	LostUpdates int64 `json:"lostUpdates"`
	// CompletedAtSeconds is when no document was left at an older version; negative if never.
	CompletedAtSeconds float64 `json:"completedAtSeconds"`
}

// Cost is the throughput bill of one scaling policy (or container) over the run.
type Cost struct {
	// Scope names what is billed: a policy ("elastic"), a tenant or a container.
	Scope  string `json:"scope"`
	Policy string `json:"policy,omitempty"`
	// RUHours is provisioned RU/s integrated over scenario-clock hours (billing follows the
	// scenario clock, docs/design.md "Time").
	RUHours float64 `json:"ruHours"`
	// Money is RUHours priced at PricePer100RUHour, in Currency.
	Money             float64 `json:"money"`
	Currency          string  `json:"currency,omitempty"`
	PricePer100RUHour float64 `json:"pricePer100RUHour,omitempty"`
	// ThrottledRequests is the 429s left under this policy; ConsumedRU the RUs actually used.
	ThrottledRequests int64   `json:"throttledRequests"`
	ConsumedRU        float64 `json:"consumedRU"`
}

// Detection compares one attack kind's alerts with the injected ground truth.
type Detection struct {
	AttackKind     string `json:"attackKind"`
	Injected       int64  `json:"injected"`
	TruePositives  int64  `json:"truePositives"`
	FalsePositives int64  `json:"falsePositives"`
	FalseNegatives int64  `json:"falseNegatives"`
	// MeanDelaySeconds is the mean time from injection to alert over true positives.
	MeanDelaySeconds float64 `json:"meanDelaySeconds"`
}

// Precision is TP / (TP + FP), or 1 when nothing was raised.
func (d Detection) Precision() float64 {
	if d.TruePositives+d.FalsePositives == 0 {
		return 1
	}
	return float64(d.TruePositives) / float64(d.TruePositives+d.FalsePositives)
}

// Recall is TP / (TP + FN), or 1 when nothing was injected.
func (d Detection) Recall() float64 {
	if d.TruePositives+d.FalseNegatives == 0 {
		return 1
	}
	return float64(d.TruePositives) / float64(d.TruePositives+d.FalseNegatives)
}

// InvariantResult is the outcome of one always-checked invariant.
type InvariantResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Verdict     string `json:"verdict"`
	// Observed and Allowed are the measured value and the largest value that passes.
	Observed float64 `json:"observed"`
	Allowed  float64 `json:"allowed"`
	Message  string  `json:"message,omitempty"`
}

// ThresholdResult is the outcome of one threshold.
type ThresholdResult struct {
	// Metric is the metric as written, with its label selector ("cosmos_latency{op:upsert}").
	Metric string `json:"metric"`
	// Expression is the threshold as written ("p(99)<250ms").
	Expression string `json:"expression"`
	Window     string `json:"window,omitempty"`
	Phase      string `json:"phase,omitempty"`
	Verdict    string `json:"verdict"`
	// Observed is the aggregate's value and Limit the right-hand side, both in Unit.
	Observed float64 `json:"observed"`
	Limit    float64 `json:"limit"`
	Unit     string  `json:"unit,omitempty"`
	// AbortOnFail records whether a failure stopped the run.
	AbortOnFail bool   `json:"abortOnFail,omitempty"`
	Message     string `json:"message,omitempty"`
}

// Passed reports whether every threshold and invariant held.
func (s *Summary) Passed() bool {
	for _, t := range s.Thresholds {
		if t.Verdict != VerdictPass {
			return false
		}
	}
	for _, inv := range s.Invariants {
		if inv.Verdict != VerdictPass {
			return false
		}
	}
	return true
}

// Finalize sets the schema fields and the overall verdict from the threshold and invariant
// results, and sorts the metrics by name and the events by time. Call it before writing.
func (s *Summary) Finalize() {
	s.Schema = SchemaID
	s.SchemaVersion = SchemaVersion
	s.Run.Verdict = VerdictPass
	if !s.Passed() || s.Run.Aborted {
		s.Run.Verdict = VerdictFail
	}
	slices.SortFunc(s.Metrics, compareSeries)
	sortEvents(s.Events)
}

// Find returns the series of metric name whose labels include every pair in sel (all series
// of that name when sel is empty).
func (s *Summary) Find(name string, sel Labels) []*Series {
	var out []*Series
	for i := range s.Metrics {
		m := &s.Metrics[i]
		if m.Name == name && m.Labels.Match(sel) {
			out = append(out, m)
		}
	}
	return out
}

// sortEvents puts events in time order, keeping the order of simultaneous ones.
func sortEvents(es []Event) {
	slices.SortStableFunc(es, func(a, b Event) int { return cmp.Compare(a.AtSeconds, b.AtSeconds) })
}

// Labels are the dimensions of a series (tenant, container, region, op). Keep their values
// bounded: never ids, URLs or error texts.
type Labels map[string]string

// Match reports whether l has every key of sel with the same value.
func (l Labels) Match(sel Labels) bool {
	for k, v := range sel {
		if l[k] != v {
			return false
		}
	}
	return true
}

// String renders l as {k1:v1,k2:v2} with keys sorted, or "" when empty.
func (l Labels) String() string {
	if len(l) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s:%s", k, l[k])
	}
	b.WriteByte('}')
	return b.String()
}

// seriesKey is the identity of a series: its name and labels.
func seriesKey(name string, l Labels) string { return name + l.String() }
