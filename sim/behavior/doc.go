// Package behavior generates the everyday events one sensor (domain controller) of an
// organisation observes: Kerberos AS and TGS exchanges, NTLM, LDAP queries, DNS lookups
// and the matching Windows security events, plus the directory churn (entities created,
// changed, disabled) the organisation's first sensor reports.
//
// Popularity is skewed (a few servers and services take most of the traffic, some users
// are far busier than others), the actors follow the organisation's working hours on the
// scenario clock (off hours belong to service accounts and machines), and the mix of kinds
// is configurable. When events are due is not decided here: pace schedules them and the
// generator fills in each event for its due offset. Content depends only on the seed, the
// organisation, the sensor and the sequence of due offsets, never on the wall clock.
//
// The churn is a History computed from the seed and shared by the generators of one
// organisation (NewTenant): every sensor sees its homed users created, disabled, promoted
// or given a new password at the same offsets, and only the first sensor reports them.
//
// Attacks are injected separately (sim/attack).
package behavior
