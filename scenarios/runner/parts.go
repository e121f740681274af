package runner

import (
	"context"
	"log/slog"
	"time"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// Parts are the running pieces of one run, started by a Starter. Database, Backend and
// Sensors are required; the optional abilities (regions, upgrades, restarts, backups) are
// found by type assertion on the part that owns them, so a part that lands later is wired
// by implementing one interface.
type Parts struct {
	Database Database
	Backend  Backend
	Sensors  Sensors
	// Samplers are polled once a second to record metrics; parts usually are samplers.
	Samplers []Sampler
	// Close stops everything the Starter started, in reverse order.
	Close func(ctx context.Context) error
}

// Database is the Cosmos DB account of a run.
type Database interface {
	// Endpoint is the account URL the backend connects to.
	Endpoint() string
}

// Backend is the system under test, as the runner drives it.
type Backend interface {
	// IngestURL is the base URL sensors post batches to.
	IngestURL() string
	// Drain flushes everything acknowledged to Cosmos DB; it returns when nothing is
	// pending or ctx ends.
	Drain(ctx context.Context) error
	// Conservation compares, per tenant, the events the backend acknowledged with the
	// counters stored in Cosmos DB (the conservation invariant of docs/design.md).
	Conservation(ctx context.Context) ([]TenantConservation, error)
}

// TenantConservation is the conservation check of one tenant after a drain.
type TenantConservation struct {
	Tenant string
	// Acked is what the backend acknowledged; Stored what the stored counters sum to.
	Acked, Stored int64
	// EntitiesWrong counts entities whose stored counter differs from their acked events.
	EntitiesWrong int64
	// Extra is the events stored beyond what was acknowledged, summed over the entities
	// with more (counted twice); LostToCrash the events missing on entities a crash restart
	// dropped events from, up to what it dropped from each.
	Extra, LostToCrash int64
}

// Lost is how many acknowledged events are missing (negative: counted twice).
func (c TenantConservation) Lost() int64 { return c.Acked - c.Stored }

// Missing is the events missing summed over the entities short of their acknowledged
// events, whatever other entities hold too many.
func (c TenantConservation) Missing() int64 { return c.Lost() + c.Extra }

// Sensors is the fleet of synthetic sensors.
type Sensors interface {
	// Run generates load for the scenario's duration, scaling each tenant's base rate by
	// plan, then delivers what the sensors still buffer, recording sensor-side metrics into
	// rec. ctx ending aborts it. It returns when every sensor stopped.
	Run(ctx context.Context, plan *LoadPlan, rec *reports.Recorder) error
	// Totals returns the events sent, acknowledged and failed so far, for progress lines.
	Totals() Totals
}

// Totals are running totals of the sensors.
type Totals struct {
	Sent, Acked, Failed int64
}

// Sampler records the metrics of one part for the second that just ended.
type Sampler interface {
	Sample(rec *reports.Recorder)
}

// finalSampler records, after the drain, figures too costly to take every second.
type finalSampler interface {
	FinalSample(ctx context.Context, rec *reports.Recorder)
}

// RegionController takes regions down and up and fails over (emulator regions, issue #4).
type RegionController interface {
	RegionDown(ctx context.Context, region, mode string) error
	RegionUp(ctx context.Context, region string) error
	Failover(ctx context.Context, region string) error
}

// Upgrader moves the backend to a new document schema version while it runs.
type Upgrader interface {
	Upgrade(ctx context.Context, schemaVersion int) error
}

// NodeRestarter restarts one backend node as a process restart would. It returns once
// the node runs again, with what the restart did, for the run's timeline and its loss
// accounting.
type NodeRestarter interface {
	RestartNode(ctx context.Context, restart NodeRestart) (RestartOutcome, error)
}

// NodeRestart is one restart-node entry of the timeline.
type NodeRestart struct {
	Node     int    // numbered from 1
	Mode     string // one of scenarios.RestartModes; empty: graceful
	Downtime time.Duration
	// GracePeriod bounds a graceful stop, past which the node is killed; 0: the backend's
	// default.
	GracePeriod time.Duration
}

// RestartOutcome is what a restart did, summed over the backends of the run.
type RestartOutcome struct {
	// Stored is the events graceful stops stored before the node went down.
	Stored int64
	// Dropped is the acknowledged events the backends reported dropping unstored (a crash,
	// or a graceful stop killed past its grace period): what acceptedRPO may accept.
	Dropped int64
	// Down is the longest time from the call to the node running again.
	Down time.Duration
	// Details says per backend what the restart did.
	Details string
}

// BackupTaker takes a backup of the account, and restores the latest one. Each returns
// what it did, for the run's timeline.
type BackupTaker interface {
	Backup(ctx context.Context) (string, error)
	Restore(ctx context.Context) (string, error)
}

// Finisher adds the figures known only at the end of a run (failovers, migrations, costs,
// detections) to the summary.
type Finisher interface {
	Finish(ctx context.Context, s *reports.Summary)
}

// Starter starts the parts a scenario's target needs.
type Starter interface {
	// Capabilities says what this build can do, before anything starts.
	Capabilities(target scenarios.Target) Capabilities
	// Start starts the parts and onboards the tenants; load starts after it returns.
	Start(ctx context.Context, s *scenarios.Scenario, env Env) (*Parts, error)
}

// Env is what a Starter gets besides the scenario.
type Env struct {
	// Getenv reads the environment (the Cosmos key of an external target).
	Getenv func(string) string
	// Logger receives lifecycle messages of the parts; never nil.
	Logger *slog.Logger
	// Clock is the scenario clock; it begins when load starts, after Start returns.
	Clock *RunClock
}

// Capabilities lists what a build supports for a target; a scenario that needs more fails
// Check with "not supported by this build", never silently skipping an event.
type Capabilities struct {
	// Missing explains, when set, why the target cannot run at all in this build.
	Missing string
	// Unsupported maps a timeline action, an account feature or a scaling policy to the
	// reason it is not supported.
	Unsupported map[string]string
}
