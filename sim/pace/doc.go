// Package pace owns time in the simulator: the scenario clock (real elapsed time to
// scenario time, with a compression factor), rate profiles (constant, ramp, burst, diurnal,
// and timeline multipliers on top), and the open-model schedule that turns a profile into
// absolute event times.
//
// Schedules are pure functions of the profile: the k-th event of a sensor is due at the
// same offset from the start of the run whatever the machine, its load or the backend do.
// Pacing against the wall clock, and measuring how late events are, is the fleet's job
// (package sim); this package never reads the wall clock.
package pace
