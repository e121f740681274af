// Package scenarios owns the scenario format of Stampede: the YAML spec (what load and what
// faults to apply over time, against which target, judged by which thresholds), its loader,
// its validation and the built-in scenarios embedded in the binary.
//
// A scenario is loaded with [Load] (a file), [Builtin] (an embedded scenario by name) or
// [Parse] (bytes). Loading applies defaults and validates the whole file before anything
// starts: every problem is reported at once, each naming the file, line, column and field
// path, and saying what is allowed, with the closest names suggested for misspellings:
//
//	ci-gate.yaml:14:7: timeline[1].action: unknown action "brust"; allowed: burst, ramp, ...;
//	did you mean "burst"?
//
// Durations are Go durations with a unit (90s, 5m, 1h30m). Thresholds use k6's syntax
// (p(99)<250ms, rate<0.05, count==0) over the metric catalogue of the reports package; a
// metric that does not exist is an error, never a silent pass.
//
// The package does not run anything: the runner in scenarios/runner starts the parts a
// scenario's target needs and applies its timeline. See docs/scenarios.md for the format
// with an example for every field.
package scenarios
