// Package detect owns the backend's detections: rules that read a tenant's event stream and
// what the backend has learned (known hosts and peers per account) and raise or update alerts
// for each attack kind the simulator injects.
//
// One [Engine] serves one tenant and is shared by the tenant's backend nodes in a process. It
// keeps sliding windows on the scenario clock (event times), bounded per key, and reports
// alerts as [Alert] values; the backend coalesces them and stores them in the Alert container.
// An alert is identified by its kind and the entity it concerns, so a repeated detection
// updates the open alert (count, last seen, evidence) instead of raising a new one.
//
// Rules (thresholds in [Config]):
//
//	brute_force          many failed authentications for one account in a window
//	password_spray       failed authentications for many distinct accounts from one host
//	kerberoasting        one account requesting RC4 service tickets for many distinct services
//	pass_the_hash        NTLM use of an account from a host it never used, or logon type 9
//	pass_the_ticket      a service ticket used from a host other than where the account got its TGT
//	reconnaissance       directory enumeration: large or sensitive LDAP queries from one source
//	lateral_movement     one account logging on to many computers it never touched, in a window
//
// Limits: state lives in memory, so detections restart cold after a restart, and when several
// backend processes share a tenant each sees only its share of the hosts (rules keyed by host
// then fire later).
package detect
