package detect

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/profile"
)

// Alert kinds, one per attack the simulator injects.
const (
	BruteForce      = "brute_force"
	PasswordSpray   = "password_spray"
	Kerberoasting   = "kerberoasting"
	PassTheHash     = "pass_the_hash"
	PassTheTicket   = "pass_the_ticket"
	Recon           = "reconnaissance"
	LateralMovement = "lateral_movement"
)

// Kinds lists every alert kind in a stable order.
var Kinds = []string{BruteForce, PasswordSpray, Kerberoasting, PassTheHash, PassTheTicket,
	Recon, LateralMovement}

var severity = map[string]string{
	BruteForce: "medium", PasswordSpray: "high", Kerberoasting: "high", PassTheHash: "high",
	PassTheTicket: "high", Recon: "medium", LateralMovement: "high",
}

// Config holds the rule thresholds. The zero value means every default.
type Config struct {
	// Window is the sliding window of the counting rules, on the scenario clock (event
	// times). Default 1h. A run whose clock is compressed a lot spreads an attack over more
	// scenario time; raise Window with the compression.
	Window time.Duration
	// BruteForceFailures is how many failed guesses (decayed over Window) for one account
	// raise brute_force, when they are also at least half its authentications. Default 20.
	BruteForceFailures int
	// SprayAccounts is how many distinct accounts failing from one host raise password_spray.
	// Default 10.
	SprayAccounts int
	// RoastServices is how many distinct services with RC4 tickets raise kerberoasting. Default 5.
	RoastServices int
	// ReconQueries is how many enumeration queries from one source raise recon. Default 5.
	ReconQueries int
	// ReconResults is the result count from which one LDAP query counts as enumeration.
	// Default 500.
	ReconResults int
	// LateralHops is how many computers a privileged account reaches by hopping from computers
	// it reached before, that raise lateral_movement. Default 3.
	LateralHops int
	// ForeignTargets is how many distinct targets an account reaches from one computer other
	// than its usual one that raise pass_the_hash (NTLM) or pass_the_ticket (Kerberos).
	// Default 3.
	ForeignTargets int
	// MinHistory is how many events an account needs before its usual computer is known.
	// Default 10.
	MinHistory int
}

// Validate reports every negative field.
func (c Config) Validate() error {
	var errs []error
	if c.Window < 0 {
		errs = append(errs, fmt.Errorf("detect: Window %v: must not be negative", c.Window))
	}
	for name, v := range map[string]int{"BruteForceFailures": c.BruteForceFailures,
		"SprayAccounts": c.SprayAccounts, "RoastServices": c.RoastServices,
		"ReconQueries": c.ReconQueries, "ReconResults": c.ReconResults,
		"LateralHops": c.LateralHops, "ForeignTargets": c.ForeignTargets,
		"MinHistory": c.MinHistory} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("detect: %s %d: must not be negative", name, v))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Window == 0 {
		c.Window = time.Hour
	}
	def(&c.BruteForceFailures, 20)
	def(&c.SprayAccounts, 10)
	def(&c.RoastServices, 5)
	def(&c.ReconQueries, 5)
	def(&c.ReconResults, 500)
	def(&c.LateralHops, 3)
	def(&c.ForeignTargets, 3)
	def(&c.MinHistory, 10)
	return c
}

// Alert is the state of one alert: raised on the first detection, updated by later ones.
type Alert struct {
	ID        string    // "<kind>:<entity document id>"
	Kind      string    // one of Kinds
	Entity    string    // "<type>:<name>" of the account or host concerned
	Severity  string    // "low", "medium" or "high"
	FirstSeen time.Time // scenario time of the first detection
	LastSeen  time.Time // scenario time of the latest detection
	Count     int64     // detections so far
	Evidence  []string  // a few names that triggered the rule (bounded)
}

const maxEvidence = 10

// Engine runs the rules for one tenant. It is safe for concurrent use.
type Engine struct {
	cfg      Config
	mu       sync.Mutex
	accounts map[api.EntityRef]*account
	hosts    map[string]*hostState // per source host (spray)
	alerts   map[string]*Alert
	changed  map[string]bool
	raised   map[string]int64 // distinct alerts per kind
	detected map[string]int64 // detections per kind (a repeat updates its alert)
}

// New returns an engine for cfg.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg.withDefaults(), accounts: map[api.EntityRef]*account{},
		hosts: map[string]*hostState{}, alerts: map[string]*Alert{}, changed: map[string]bool{},
		raised: map[string]int64{}, detected: map[string]int64{}}, nil
}

// relevant reports whether e can feed any rule, so callers skip the lock for the rest.
func relevant(e *api.Event) bool {
	return !e.Kind.IsDirectorySync() && !e.Source.IsZero()
}

// Observe feeds one event to the rules.
func (g *Engine) Observe(e *api.Event) {
	if !relevant(e) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.observe(e)
}

// ObserveAll feeds events to the rules in order, under one lock.
func (g *Engine) ObserveAll(events []api.Event) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range events {
		if relevant(&events[i]) {
			g.observe(&events[i])
		}
	}
}

func (g *Engine) observe(e *api.Event) {
	acct := g.account(e.Source)
	ms := e.Time.UnixMilli()
	g.observeFailure(e, acct, ms)
	g.observeTickets(e, acct, ms)
	g.observeForeignHost(e, acct, ms)
	g.observeRecon(e, acct, ms)
	g.observeLateral(e, acct, ms)
	acct.learn(e)
}

func (g *Engine) account(ref api.EntityRef) *account {
	a := g.accounts[ref]
	if a == nil {
		a = newAccount(g.cfg)
		g.accounts[ref] = a
	}
	return a
}

func isAuth(k api.Kind) bool {
	switch k {
	case api.KindKerberosAS, api.KindNTLM, api.KindLogonFailure, api.KindLogonSuccess,
		api.KindCredentialValidation, api.KindTicketRequest, api.KindKerberosTGS:
		return true
	}
	return false
}

func isGuessFailure(r api.Result) bool {
	return r == api.ResultBadPassword || r == api.ResultUnknownAccount
}

// observeFailure runs brute force (an account's authentications mostly failing, many times,
// in a window) and password spray (one host failing for many accounts).
func (g *Engine) observeFailure(e *api.Event, a *account, ms int64) {
	if !isAuth(e.Kind) {
		return
	}
	failed := isGuessFailure(e.Result)
	tau := float64(g.cfg.Window.Milliseconds())
	a.auths.add(ms, tau, 1)
	var h *hostState
	if e.SourceHost != "" {
		if h = g.hosts[e.SourceHost]; h == nil {
			h = &hostState{failing: newRecent(), succeeding: newRecent()}
			g.hosts[e.SourceHost] = h
		}
		if e.Result == api.ResultSuccess {
			h.succeeding.add(e.Source.Name, ms)
		}
	}
	if !failed {
		return
	}
	f := a.failures.add(ms, tau, 1)
	// +0.5: a burst of exactly N failures has decayed a little by its last one.
	if f+0.5 >= float64(g.cfg.BruteForceFailures) && f >= 0.5*a.auths.v {
		g.raise(BruteForce, e.Source, e.Time, e.SourceHost)
		a.failures.v = 0
	}
	if h == nil {
		return
	}
	// A spray fails for many accounts that do not otherwise work from that computer; a busy
	// server where service accounts fail now and then sees most of them succeed too.
	h.failing.add(e.Source.Name, ms)
	since := ms - g.cfg.Window.Milliseconds()
	if n := h.failing.count(since); n >= g.cfg.SprayAccounts && n >= 2*h.succeeding.count(since) {
		g.raise(PasswordSpray, api.EntityRef{Type: api.EntityComputer, Name: e.SourceHost},
			e.Time, e.Source.Name)
		h.failing.reset()
	}
}

func (g *Engine) observeTickets(e *api.Event, a *account, ms int64) {
	if e.Result != api.ResultSuccess || (e.Kind != api.KindKerberosTGS && e.Kind != api.KindTicketRequest) {
		return
	}
	if e.Encryption == api.EncRC4 && a.roasted.add(e.Target.Name, ms, g.cfg.Window) {
		g.raise(Kerberoasting, e.Source, e.Time, e.Target.Name)
	}
}

// observeForeignHost runs pass-the-hash and pass-the-ticket: an account that works from one
// computer suddenly authenticates from another one to several targets in a window, with NTLM
// (the hash) or with service tickets (the ticket). A logon of type 9 (new credentials) is
// pass-the-hash by itself.
func (g *Engine) observeForeignHost(e *api.Event, a *account, ms int64) {
	if e.Result != api.ResultSuccess {
		return
	}
	if e.Kind == api.KindLogonSuccess && e.LogonType == 9 {
		g.raise(PassTheHash, e.Source, e.Time, e.SourceHost)
		return
	}
	kind := ""
	switch e.Kind {
	case api.KindNTLM, api.KindCredentialValidation:
		kind = PassTheHash
	case api.KindKerberosTGS, api.KindTicketRequest:
		kind = PassTheTicket
	default:
		return
	}
	if e.SourceHost == "" || e.SourceHost == a.home || !a.settled(g.cfg.MinHistory) {
		return
	}
	d := a.foreign[kind]
	if d == nil || a.foreignHost[kind] != e.SourceHost {
		d = newDistinct(g.cfg.ForeignTargets)
		a.foreign[kind], a.foreignHost[kind] = d, e.SourceHost
	}
	if d.add(e.Target.Name, ms, g.cfg.Window) {
		g.raise(kind, e.Source, e.Time, e.SourceHost)
	}
}

// reconExact are filters that enumerate a whole class of objects; reconFragments are
// filter fragments typical of reconnaissance tools.
var (
	reconExact = []string{"(objectclass=user)", "(objectclass=computer)", "(objectclass=group)",
		"(objectclass=*)", "(objectcategory=person)"}
	reconFragments = []string{"admincount=1", "serviceprincipalname=*", "domain admins",
		"enterprise admins", "objectclass=trusteddomain", "msds-allowedtodelegateto",
		"useraccountcontrol:1.2.840"}
)

func isEnumeration(query string, count uint32, large int) bool {
	if int(count) >= large {
		return true
	}
	q := strings.ToLower(query)
	for _, f := range reconExact {
		if q == f {
			return true
		}
	}
	for _, f := range reconFragments {
		if strings.Contains(q, f) {
			return true
		}
	}
	return false
}

func (g *Engine) observeRecon(e *api.Event, a *account, ms int64) {
	if e.Kind != api.KindLDAPQuery || !isEnumeration(e.Query, e.Count, g.cfg.ReconResults) {
		return
	}
	if a.recon.add(e.Query, ms, g.cfg.Window) {
		g.raise(Recon, e.Source, e.Time, e.Query)
	}
}

// observeLateral runs lateral movement: a privileged account hopping, logging on from a
// computer it reached by an earlier network logon on to further computers.
func (g *Engine) observeLateral(e *api.Event, a *account, ms int64) {
	if e.Result != api.ResultSuccess || e.Kind != api.KindLogonSuccess || !e.Admin ||
		(e.LogonType != 3 && e.LogonType != 10) || e.Target.Type != api.EntityComputer {
		return
	}
	target := e.Target.Name
	defer a.reached.put(target, ms)
	if e.SourceHost == "" || e.SourceHost == target || !a.reached.has(e.SourceHost) {
		return
	}
	if a.hops.add(target, ms, g.cfg.Window) {
		g.raise(LateralMovement, e.Source, e.Time, target)
	}
}

func (g *Engine) raise(kind string, who api.EntityRef, at time.Time, evidence string) {
	id := kind + ":" + profile.DocumentID(who)
	al := g.alerts[id]
	if al == nil {
		al = &Alert{ID: id, Kind: kind, Entity: who.Type.String() + ":" + who.Name,
			Severity: severity[kind], FirstSeen: at}
		g.alerts[id] = al
		g.raised[kind]++
	}
	al.Count++
	if at.After(al.LastSeen) {
		al.LastSeen = at
	}
	if evidence != "" && len(al.Evidence) < maxEvidence && !contains(al.Evidence, evidence) {
		al.Evidence = append(al.Evidence, evidence)
	}
	g.changed[id] = true
	g.detected[kind]++
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Take returns copies of the alerts raised or updated since the previous Take.
func (g *Engine) Take() []Alert {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Alert, 0, len(g.changed))
	for id := range g.changed {
		al := *g.alerts[id]
		al.Evidence = append([]string(nil), al.Evidence...)
		out = append(out, al)
	}
	clear(g.changed)
	return out
}

// Raised returns how many distinct alerts of each kind were raised.
func (g *Engine) Raised() map[string]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.raised)
}

// Detections returns how many times each kind's rule fired; a repeat on the same entity
// updates its alert, so this is at least Raised.
func (g *Engine) Detections() map[string]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return maps.Clone(g.detected)
}
