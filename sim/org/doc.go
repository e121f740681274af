// Package org builds synthetic organisations (tenants) from a seed: users (with
// administrators and service accounts), workstations, servers with their service principal
// names, domain controllers (one sensor each), groups, a time zone and working hours.
//
// An Org is a pure function of (seed, Spec): every shard of a fleet builds the same Org and
// takes its share of the sensors. Entity names are precomputed strings so that event
// generation never formats a name. What an Org does over time (behaviour, directory churn,
// attacks) lives in sim/behavior and sim/attack.
//
// Start with New(seed, Spec{Tenant: "t0001", Users: 500}).
package org
