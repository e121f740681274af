package attack

import (
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// planner builds one injection.
type planner struct {
	org   *org.Org
	spec  Spec
	clock pace.Clock
	dir   Directory
	rng   *rng.Source
	inj   Injection
	host  string
}

func (p *planner) plan() *Injection {
	o := p.org
	p.inj.Sensor = p.rng.IntN(len(o.DCs))
	if len(o.UsersOf(p.inj.Sensor)) == 0 {
		// More domain controllers than users: the first one always has users.
		p.inj.Sensor = 0
	}
	// The attacker works from a workstation homed on the attacked DC's site.
	p.host = o.Workstations[p.rng.IntN(len(o.Workstations))].Name
	p.inj.Attack = Attack{Kind: p.spec.Kind, Tenant: o.Tenant, Sensor: o.SensorIDs[p.inj.Sensor],
		SourceHost: p.host}
	switch p.spec.Kind {
	case BruteForce:
		p.bruteForce()
	case PasswordSpray:
		p.spray()
	case Kerberoasting:
		p.kerberoast()
	case PassTheTicket, PassTheHash:
		p.passThe(p.spec.Kind == PassTheTicket)
	case Reconnaissance:
		p.recon()
	case LateralMovement:
		p.lateral()
	}
	a := &p.inj.Attack
	a.Events = len(p.inj.Events)
	if a.Events > 0 {
		a.StartOffset, a.EndOffset = p.inj.Events[0].At, p.inj.Events[a.Events-1].At
		a.Start, a.End = p.inj.Events[0].Event.Time, p.inj.Events[a.Events-1].Event.Time
	}
	return &p.inj
}

// add appends an event due at fraction f (0..1) of the attack window.
func (p *planner) add(f float64, e api.Event) {
	at := p.spec.At + time.Duration(f*float64(p.spec.For))
	e.Time = p.clock.At(at).Truncate(time.Millisecond)
	if e.SourceHost == "" {
		e.SourceHost = p.host
	}
	p.inj.Events = append(p.inj.Events, Timed{At: at, Event: e})
}

func (p *planner) user(i int32) api.EntityRef {
	return api.EntityRef{Type: api.EntityUser, Name: p.org.Users[i].Name}
}

func (p *planner) dc() api.EntityRef {
	return api.EntityRef{Type: api.EntityComputer, Name: p.org.DCs[p.inj.Sensor].Name}
}

// homedUser picks an ordinary (not service) user homed on the attacked DC that stays enabled
// until the attack ends; failing that, any user that stays enabled, or any user at all.
func (p *planner) homedUser() int32 {
	users := p.org.UsersOf(p.inj.Sensor)
	for range 20 {
		u := users[p.rng.IntN(len(users))]
		if !p.org.Users[u].Service && p.enabled(u, p.end()) {
			return u
		}
	}
	start := p.rng.IntN(len(users))
	for i := range users {
		if u := users[(start+i)%len(users)]; p.enabled(u, p.end()) {
			return u
		}
	}
	return users[start]
}

// end is the real offset at which the attack's last event is due, at the latest.
func (p *planner) end() time.Duration { return p.spec.At + p.spec.For }

// enabled reports whether churn has not disabled user u by offset at.
func (p *planner) enabled(u int32, at time.Duration) bool {
	return p.dir == nil || !p.dir.DisabledBy(u, at)
}

func (p *planner) bruteForce() {
	victim := p.user(p.homedUser())
	p.inj.Attack.Attacker = victim
	p.inj.Attack.Targets = []api.EntityRef{victim}
	const guesses = 120
	for i := range guesses {
		e := api.Event{Kind: api.KindLogonFailure, Source: victim, Target: p.dc(),
			LogonType: 3, Result: api.ResultBadPassword}
		if i%2 == 1 {
			e = api.Event{Kind: api.KindKerberosAS, Source: victim, Target: p.dc(),
				Encryption: api.EncAES256, Result: api.ResultBadPassword}
		}
		p.add(float64(i)/guesses, e)
	}
}

func (p *planner) spray() {
	users := p.org.UsersOf(p.inj.Sensor)
	n := min(len(users), 100)
	start := p.rng.IntN(len(users))
	for i := range n {
		u := users[(start+i)%len(users)]
		victim := p.user(u)
		p.inj.Attack.Targets = append(p.inj.Attack.Targets, victim)
		f := float64(i) / float64(n)
		// A spray walks the directory as it is: an account disabled by then answers as such.
		result := api.ResultBadPassword
		if !p.enabled(u, p.spec.At+time.Duration(f*float64(p.spec.For))) {
			result = api.ResultDisabled
		}
		p.add(f, api.Event{Kind: api.KindCredentialValidation, Source: victim, Target: p.dc(),
			Result: result})
	}
}

func (p *planner) kerberoast() {
	attacker := p.user(p.homedUser())
	p.inj.Attack.Attacker = attacker
	var spns []org.Service
	for _, s := range p.org.Services {
		if s.Account >= 0 {
			spns = append(spns, s)
		}
	}
	if len(spns) == 0 {
		spns = p.org.Services
	}
	spns = spns[:min(len(spns), 60)]
	for i, s := range spns {
		target := api.EntityRef{Type: api.EntityService, Name: s.SPN}
		p.inj.Attack.Targets = append(p.inj.Attack.Targets, target)
		p.add(float64(i)/float64(len(spns)), api.Event{Kind: api.KindKerberosTGS,
			Source: attacker, Target: target, TargetHost: p.org.Servers[s.Server].Name,
			Encryption: api.EncRC4})
	}
}

// passThe uses a victim's credential from the attacker's computer, which the victim never
// uses, against a handful of servers.
func (p *planner) passThe(ticket bool) {
	victim := p.homedUser()
	if p.org.Workstations[p.org.Users[victim].Workstation].Name == p.host {
		p.host = p.org.Workstations[(int(p.org.Users[victim].Workstation)+1)%
			len(p.org.Workstations)].Name
		p.inj.Attack.SourceHost = p.host
	}
	ref := p.user(victim)
	p.inj.Attack.Attacker = ref
	const uses = 12
	for i := range uses {
		srv := &p.org.Servers[p.rng.IntN(len(p.org.Servers))]
		e := api.Event{Kind: api.KindNTLM, Source: ref,
			Target: api.EntityRef{Type: api.EntityComputer, Name: srv.Name}}
		if ticket {
			svc := &p.org.Services[p.rng.IntN(len(p.org.Services))]
			srv = &p.org.Servers[svc.Server]
			e = api.Event{Kind: api.KindKerberosTGS, Source: ref, Encryption: api.EncAES256,
				Target: api.EntityRef{Type: api.EntityService, Name: svc.SPN}, TargetHost: srv.Name}
		}
		p.inj.Attack.Targets = appendUnique(p.inj.Attack.Targets, e.Target)
		p.add(float64(i)/uses, e)
	}
}

var reconFilters = []string{
	"(objectClass=user)", "(objectClass=computer)", "(objectClass=group)",
	"(&(objectClass=group)(cn=Domain Admins))", "(servicePrincipalName=*)",
	"(adminCount=1)", "(objectClass=trustedDomain)",
	"(userAccountControl:1.2.840.113556.1.4.803:=4194304)",
}

func (p *planner) recon() {
	attacker := p.user(p.homedUser())
	p.inj.Attack.Attacker = attacker
	p.inj.Attack.Targets = []api.EntityRef{p.dc()}
	const queries = 300
	for i := range queries {
		p.add(float64(i)/queries, api.Event{Kind: api.KindLDAPQuery, Source: attacker,
			Target: p.dc(), Query: reconFilters[i%len(reconFilters)],
			Count: uint32(50 + p.rng.IntN(len(p.org.Users)))})
	}
}

// lateral hops with a Domain Admin's account from the attacker's computer across
// computers, each hop starting from the previous target.
func (p *planner) lateral() {
	admins := p.org.Groups[org.DomainAdmins].Members
	first := p.rng.IntN(len(admins))
	pick := admins[first]
	for i := range admins {
		// Prefer an admin account that is still enabled when the attack ends.
		if u := admins[(first+i)%len(admins)]; p.enabled(u, p.end()) {
			pick = u
			break
		}
	}
	ref := p.user(pick)
	p.inj.Attack.Attacker = ref
	hops := min(8, len(p.org.Servers)+len(p.org.Workstations)-1)
	from := p.host
	for i := range hops {
		to := p.hopTarget(i, from)
		target := api.EntityRef{Type: api.EntityComputer, Name: to}
		p.inj.Attack.Targets = append(p.inj.Attack.Targets, target)
		p.add(float64(i)/float64(hops), api.Event{Kind: api.KindLogonSuccess, Source: ref,
			SourceHost: from, Target: target, LogonType: 3, Admin: true})
		from = to
	}
}

func (p *planner) hopTarget(i int, from string) string {
	for {
		var name string
		if i%2 == 0 {
			name = p.org.Workstations[p.rng.IntN(len(p.org.Workstations))].Name
		} else {
			name = p.org.Servers[p.rng.IntN(len(p.org.Servers))].Name
		}
		if name != from {
			return name
		}
		i++
	}
}

func appendUnique(refs []api.EntityRef, r api.EntityRef) []api.EntityRef {
	for _, x := range refs {
		if x == r {
			return refs
		}
	}
	return append(refs, r)
}
