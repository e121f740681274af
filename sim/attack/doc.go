// Package attack plans attacks against a synthetic organisation and records their ground
// truth: brute force, password spray, Kerberoasting, pass-the-ticket, pass-the-hash,
// reconnaissance and lateral movement. Each planned attack carries the events to inject
// (with their due offsets, into one sensor's stream) and an Attack record with its kind,
// entities, sensor, start and end, so that a report can score detections against it.
//
// Plans are pure functions of (seed, organisation, specs, clock); every shard of a fleet
// computes the same plan and injects the attacks whose sensor it owns.
package attack
