package detect

import (
	"errors"
	"fmt"
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
	Recon           = "recon"
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
	// Window is the sliding window of the counting rules, on the scenario clock. Default 10m.
	Window time.Duration
	// BruteForceFailures is how many failures for one account raise brute_force. Default 20.
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
	// LateralHosts is how many new computers one account logs on to that raise
	// lateral_movement. Default 5.
	LateralHosts int
	// MinHistory is how many events an account needs before a new host is unusual. Default 20.
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
		"LateralHosts": c.LateralHosts, "MinHistory": c.MinHistory} {
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
		c.Window = 10 * time.Minute
	}
	def(&c.BruteForceFailures, 20)
	def(&c.SprayAccounts, 10)
	def(&c.RoastServices, 5)
	def(&c.ReconQueries, 5)
	def(&c.ReconResults, 500)
	def(&c.LateralHosts, 5)
	def(&c.MinHistory, 20)
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
	hosts    map[string]*distinct // failing accounts per source host (spray)
	alerts   map[string]*Alert
	changed  map[string]bool
	raised   map[string]int64
}

// New returns an engine for cfg.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg.withDefaults(), accounts: map[api.EntityRef]*account{},
		hosts: map[string]*distinct{}, alerts: map[string]*Alert{}, changed: map[string]bool{},
		raised: map[string]int64{}}, nil
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
	g.observeNTLM(e, acct)
	g.observeRecon(e, acct, ms)
	g.observeLogon(e, acct, ms)
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
		api.KindCredentialValidation, api.KindTicketRequest:
		return true
	}
	return false
}

func (g *Engine) observeFailure(e *api.Event, a *account, ms int64) {
	if !isAuth(e.Kind) || (e.Result != api.ResultBadPassword && e.Result != api.ResultUnknownAccount) {
		return
	}
	if a.failures.add(ms, g.cfg.Window) {
		g.raise(BruteForce, e.Source, e.Time, e.SourceHost)
	}
	if e.SourceHost == "" {
		return
	}
	h := g.hosts[e.SourceHost]
	if h == nil {
		h = newDistinct(g.cfg.SprayAccounts)
		g.hosts[e.SourceHost] = h
	}
	if h.add(e.Source.Name, ms, g.cfg.Window) {
		g.raise(PasswordSpray, api.EntityRef{Type: api.EntityComputer, Name: e.SourceHost},
			e.Time, e.Source.Name)
	}
}

func (g *Engine) observeTickets(e *api.Event, a *account, ms int64) {
	if e.Result != api.ResultSuccess {
		return
	}
	if e.Kind == api.KindKerberosAS && e.SourceHost != "" {
		a.tgtHosts.put(e.SourceHost, ms)
		a.lastTGTHost = e.SourceHost
		return
	}
	if e.Kind != api.KindKerberosTGS && e.Kind != api.KindTicketRequest {
		return
	}
	if e.Encryption == api.EncRC4 && a.roasted.add(e.Target.Name, ms, g.cfg.Window) {
		g.raise(Kerberoasting, e.Source, e.Time, e.Target.Name)
	}
	// A TGS from a host where the account never obtained a TGT, while it holds a recent TGT
	// elsewhere, means the ticket travelled.
	if e.SourceHost != "" && e.SourceHost != a.lastTGTHost && a.tgtHosts.len() > 0 &&
		!a.tgtHosts.has(e.SourceHost) &&
		a.tgtHosts.newest() >= ms-ticketLifetime.Milliseconds() {
		g.raise(PassTheTicket, e.Source, e.Time, e.SourceHost)
	}
}

const ticketLifetime = 10 * time.Hour

func (g *Engine) observeNTLM(e *api.Event, a *account) {
	if e.Result != api.ResultSuccess {
		return
	}
	if e.Kind == api.KindLogonSuccess && e.LogonType == 9 {
		g.raise(PassTheHash, e.Source, e.Time, e.SourceHost)
		return
	}
	if e.Admin && (e.Kind == api.KindNTLM || e.Kind == api.KindCredentialValidation) &&
		e.SourceHost != "" && a.events >= int64(g.cfg.MinHistory) && !a.knowsHost(e.SourceHost) {
		g.raise(PassTheHash, e.Source, e.Time, e.SourceHost)
	}
}

// sensitiveFilters are LDAP filter fragments typical of directory reconnaissance tools.
var sensitiveFilters = []string{"admincount=1", "serviceprincipalname=*", "(objectclass=*)",
	"domain admins", "enterprise admins", "msds-allowedtodelegateto", "useraccountcontrol:1.2.840"}

func (g *Engine) observeRecon(e *api.Event, a *account, ms int64) {
	if e.Kind != api.KindLDAPQuery {
		return
	}
	enum := int(e.Count) >= g.cfg.ReconResults
	if !enum {
		q := strings.ToLower(e.Query)
		for _, f := range sensitiveFilters {
			if strings.Contains(q, f) {
				enum = true
				break
			}
		}
	}
	if enum && a.recon.add(e.Query, ms, g.cfg.Window) {
		g.raise(Recon, e.Source, e.Time, e.Query)
	}
}

func (g *Engine) observeLogon(e *api.Event, a *account, ms int64) {
	if e.Result != api.ResultSuccess || (e.Kind != api.KindLogonSuccess && e.Kind != api.KindNTLM) {
		return
	}
	target := e.Target.Name
	if e.Target.Type != api.EntityComputer || target == "" {
		return
	}
	if a.events < int64(g.cfg.MinHistory) || target == a.lastTarget || a.targets.has(target) {
		return
	}
	if a.newTargets.add(target, ms, g.cfg.Window) {
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
	}
	al.Count++
	if at.After(al.LastSeen) {
		al.LastSeen = at
	}
	if evidence != "" && len(al.Evidence) < maxEvidence && !contains(al.Evidence, evidence) {
		al.Evidence = append(al.Evidence, evidence)
	}
	g.changed[id] = true
	g.raised[kind]++
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

// Detections returns how many detections each alert kind has had.
func (g *Engine) Detections() map[string]int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make(map[string]int64, len(g.raised))
	for k, v := range g.raised {
		out[k] = v
	}
	return out
}
