// Package runner executes a scenario: it starts the parts its target needs, applies the
// timeline at its offsets while the sensors send load, drains, checks the conservation
// invariant, collects every metric on one timeline at one-second resolution, and writes the
// run folder through the reports package.
//
// # Use
//
//	s, err := scenarios.Builtin("ci-gate")
//	res, err := runner.Run(ctx, runner.Options{Scenario: s,
//		Starter: runner.NewEmbeddedStarter(), OutDir: "runs/ci", Progress: os.Stderr})
//	// res.Passed, res.Summary, res.Capacity
//
// # Parts
//
// The runner drives the parts through small interfaces: [Database], [Backend] and
// [Sensors], and the optional [RegionController], [Upgrader], [NodeRestarter],
// [BackupTaker], [Sampler] and [Finisher], found by type assertion, so wiring a part is
// implementing one interface. [NewEmbeddedStarter] starts, in this process:
//
//   - the emulator: one server with provisioned throughput (429s, offers, autoscale,
//     accounting, billing) for a one-region account, or a multi-region account (outages,
//     failover, replication lag, lost-write reports, multi-region writes, backups and
//     restore drills) for two regions or more, or for one region when the timeline takes
//     backups; the throughput accounting of every region is sampled;
//   - one reference backend per scaling policy in use (so fixed, elastic and autoscale run
//     side by side on the same load), with the elastic scaler service where needed, each
//     serving its ingest API on a loopback port, and the tenants onboarded;
//   - the sim fleet, delivering each sensor's batches with that sensor's own token and
//     measuring ingest latency from each batch's intended send time.
//
// With an external Cosmos DB account as the target, the backends and sensors run here
// against it (the key comes from the environment variable the scenario names).
//
// With an external backend as the target (target.backendURL, a `stampede backend` or any
// process serving its HTTP API), only the sensors run here. The runner onboards the
// tenants over the backend's admin API (bearer token from the variable target.adminTokenEnv
// names), reads /v1/stats once a second into the same backend series as an embedded run
// (counted from the counters at start, not from 0), upgrades and restarts nodes over the
// API, drains with POST /v1/admin/drain and checks conservation with GET
// /v1/admin/conservation, for its own tenants only. The account is the backend's: region,
// failover, backup and restore actions, several regions, elastic or autoscale policies and
// thresholds on the metrics only the emulator records (RU/s, partitions, documents per
// schema version, scale decisions, replication and failover figures) are refused by
// [Check]; the summary lists what was not measured in an "unmeasured" event, and scores
// detections per alert kind (the stored alerts are not read from here). Tenants stay
// onboarded after the run.
//
// Before anything starts, [Check] compares the scenario with the build's [Capabilities]:
// a timeline action or feature whose part is not in the build is refused as "not supported
// by this build", naming the field, never silently skipped. Options.SkipUnsupported runs
// the rest and lists what was skipped in the summary.
//
// # Load, timeline and phases
//
// Load follows a [LoadPlan] derived from the timeline (bursts, ramps, sweeps), handed to the
// fleet as rate changes. Discrete actions (region down and up, failover, upgrade) run at
// their offsets; a failed action fails the run's timeline_applied invariant. Every event
// opens a phase named after it; outside events the phase is "steady".
//
// # Verdict
//
// Besides the invariants of the reports package the runner checks conservation: after the
// drain the backend reads every stored profile back and compares it with what it
// acknowledged, entity by entity. Counting twice is never allowed. After a forced failover
// that lost acknowledged writes, the events lost are split into those carried by the lost
// writes (the measured RPO, accepted up to the scenario's acceptedRPO) and the rest (never
// accepted). A sweep is judged step by step into a [Capacity].
//
// Progress goes to Options.Progress: one line rewritten in place on a terminal, a line
// every five seconds otherwise. Libraries stay quiet otherwise; lifecycle goes to
// Options.Logger.
package runner
