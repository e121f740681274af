// Package runner executes a scenario: it starts the parts its target needs, applies the
// timeline at its offsets while the sensors send load, drains, checks the conservation
// invariant, collects every metric on one timeline at one-second resolution, and writes the
// run folder through the reports package.
//
// [Run] takes a loaded scenario and a [Starter]. The Starter of this build,
// [NewEmbeddedStarter], starts the emulator, the reference backend and the sensor fleet in
// one process (the embedded target), or the parts an external target still needs. The
// runner drives them through small interfaces ([Database], [Backend], [Sensors], and the
// optional [RegionController], [Upgrader], [NodeRestarter], [BackupTaker]), so wiring a
// part is implementing one interface.
//
// Before anything starts, [Check] compares the scenario with the build's [Capabilities]:
// a timeline action or feature whose part is not in the build is refused as "not supported
// by this build", naming the field, never silently skipped.
//
// Load follows a [LoadPlan] derived from the timeline (bursts, ramps, sweeps); discrete
// actions (region down and up, failover, upgrade, node restart, backup, restore) run at
// their offsets, and a failed action fails the run's timeline_applied invariant. Besides
// the invariants of the reports package the runner checks conservation (stored counters
// equal acknowledged events; counting twice is never allowed).
//
// Progress goes to Options.Progress: one line rewritten in place on a terminal, a line
// every five seconds otherwise.
package runner
