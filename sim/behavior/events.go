package behavior

import (
	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/org"
)

// Logon types of Windows security events.
const (
	logonInteractive = 2
	logonNetwork     = 3
	logonRemote      = 10
)

// ldapFilters are what ordinary clients ask a domain controller.
var ldapFilters = []string{
	"(&(objectClass=user)(sAMAccountName=%s))",
	"(objectClass=groupPolicyContainer)",
	"(&(objectCategory=computer)(dNSHostName=*))",
	"(&(objectClass=group)(member=*))",
	"(objectClass=domain)",
	"(&(objectClass=user)(mail=*))",
}

// externalNames are looked up besides the organisation's own servers.
var externalNames = []string{
	"login.microsoftonline.com", "outlook.office365.com", "update.microsoft.com",
	"www.bing.com", "github.com", "teams.microsoft.com",
}

// fillKind fills e (Time already set) as an event of kind k, with activity a (0..1) of
// the organisation at e.Time.
func (g *Generator) fillKind(e *api.Event, k api.Kind, a float64) {
	e.Kind = k
	var act actor
	g.pickActor(&act, a)
	e.Source = api.EntityRef{Type: api.EntityUser, Name: act.user.Name}
	if act.computer {
		e.Source.Type = api.EntityComputer
	}
	e.SourceHost = act.host
	if act.disabled {
		// What is left of a disabled account's activity (a scheduled task, a phone) fails
		// at pre-authentication.
		e.Kind, e.Target, e.Encryption, e.Result = api.KindKerberosAS, g.dcRef, api.EncAES256,
			api.ResultDisabled
		return
	}
	switch k {
	case api.KindKerberosAS:
		e.Target, e.Encryption = g.dcRef, api.EncAES256
		e.Result = g.authResult(&act)
	case api.KindKerberosTGS, api.KindTicketRequest:
		svc := &g.org.Services[g.rng.Skewed(len(g.org.Services), 2.5)]
		e.Target = api.EntityRef{Type: api.EntityService, Name: svc.SPN}
		e.TargetHost, e.Encryption = g.org.Servers[svc.Server].Name, api.EncAES256
		e.Result = g.authResult(&act)
	case api.KindNTLM, api.KindCredentialValidation:
		e.Target = g.pickTarget(&act)
		e.Result = g.authResult(&act)
	case api.KindLDAPQuery:
		e.Target = g.dcRef
		e.Query = ldapFilters[g.rng.Skewed(len(ldapFilters), 2)]
		e.Count = uint32(1 + g.rng.Skewed(200, 3))
	case api.KindDNSLookup:
		g.fillDNS(e)
	case api.KindLogonSuccess, api.KindLogonFailure:
		g.fillLogon(e, &act)
	}
}

// actor is who acts in one event.
type actor struct {
	user *org.User
	// index in Org.Users (or past it, a created user); -1 for none.
	index int32
	host  string
	admin bool
	// disabled is set for a disabled account that still tries to log on.
	disabled bool
	// computer is set when a computer account acts (user is then its scratch account).
	computer bool
	// department is the account's department group now, -1 for none.
	department int16
}

// pickActor sets *act to the account and the computer it acts from. Off hours belong mostly
// to service accounts. Disabled accounts mostly stop acting: someone else does instead. A
// domain controller without homed users authenticates service and computer accounts.
func (g *Generator) pickActor(act *actor, activity float64) {
	if g.services > 0 && g.rng.Chance(0.03+float64(0.5*(1-activity))) {
		*act = actor{user: &g.org.Users[g.rng.IntN(g.services)], index: -1, department: -1,
			host: g.org.Servers[g.rng.Skewed(len(g.org.Servers), 2)].Name}
		return
	}
	if len(g.users) == 0 {
		g.machineActor(act)
		return
	}
	i := g.users[g.rng.Skewed(len(g.users), 1.5)]
	if g.dir == nil {
		u := &g.org.Users[i]
		g.homeActor(act, u, i, g.org.Workstations[u.Workstation].Name)
		return
	}
	d := g.dir
	for try := 0; d.isDisabled(i) && try < 3 && !g.rng.Chance(0.05); try++ {
		i = g.users[g.rng.Skewed(len(g.users), 1.5)]
	}
	g.homeActor(act, d.user(i), i, d.host(i))
	act.admin, act.disabled, act.department = d.admin(i), d.isDisabled(i), d.department(i)
}

// machineActor sets *act to a computer account authenticating on its own behalf (Group
// Policy, machine tickets, updates): what a domain controller without homed users sees
// besides service accounts. Its logons are network logons, as a service account's.
func (g *Generator) machineActor(act *actor) {
	var name string
	if g.rng.Chance(0.3) {
		name = g.org.Servers[g.rng.Skewed(len(g.org.Servers), 2)].Name
	} else {
		name = g.org.Workstations[g.rng.IntN(len(g.org.Workstations))].Name
	}
	g.machine = org.User{Name: name, Service: true, Department: -1}
	*act = actor{user: &g.machine, index: -1, department: -1, host: name, computer: true}
}

// homeActor sets *act to user u (index i) acting from home, or now and then from another
// desk.
func (g *Generator) homeActor(act *actor, u *org.User, i int32, home string) {
	*act = actor{user: u, index: i, host: home, admin: u.Admin, department: u.Department}
	if g.rng.Chance(0.03) {
		act.host = g.org.Workstations[g.rng.IntN(len(g.org.Workstations))].Name
	}
}

// pickTarget picks the computer an account reaches over the network: mostly the popular
// servers; a quarter of the time one its department uses; for a Domain Admin, now and then
// the domain controller itself.
func (g *Generator) pickTarget(act *actor) api.EntityRef {
	switch {
	case act.department > 0 && g.rng.Chance(0.25):
		if servers := g.org.Groups[act.department].Servers; len(servers) > 0 {
			s := &g.org.Servers[servers[g.rng.Skewed(len(servers), 2)]]
			return api.EntityRef{Type: api.EntityComputer, Name: s.Name}
		}
	case act.admin && act.index >= 0 && int(act.index) < len(g.org.Users) &&
		g.org.InGroup(org.DomainAdmins, act.index) && g.rng.Chance(0.2):
		return g.dcRef
	}
	return g.pickServer()
}

func (g *Generator) pickServer() api.EntityRef {
	s := &g.org.Servers[g.rng.Skewed(len(g.org.Servers), 3)]
	return api.EntityRef{Type: api.EntityComputer, Name: s.Name}
}

func (g *Generator) authResult(act *actor) api.Result {
	if g.dir != nil && len(g.dir.stale) > 0 && g.dir.stale[act.index] > 0 {
		// A device still holds the password changed a moment ago.
		g.dir.stale[act.index]--
		if g.dir.stale[act.index] == 0 {
			delete(g.dir.stale, act.index)
		}
		return api.ResultBadPassword
	}
	if g.failure > 0 && g.rng.Chance(g.failure) {
		return failureResult(g.rng.IntN(20))
	}
	return api.ResultSuccess
}

// failureResult maps a draw in [0, 20) to a failure: mostly wrong passwords.
func failureResult(x int) api.Result {
	switch {
	case x < 15:
		return api.ResultBadPassword
	case x < 17:
		return api.ResultExpired
	case x < 19:
		return api.ResultUnknownAccount
	}
	return api.ResultLockedOut
}

func (g *Generator) fillDNS(e *api.Event) {
	// The machine, not the user, resolves names.
	e.Source = api.EntityRef{Type: api.EntityComputer, Name: e.SourceHost}
	e.Target = g.dcRef
	if g.rng.Chance(0.3) {
		e.Query = externalNames[g.rng.Skewed(len(externalNames), 2)]
		return
	}
	e.Query = g.org.Servers[g.rng.Skewed(len(g.org.Servers), 3)].FQDN
	if g.rng.Chance(0.02) {
		e.Result = api.ResultNotFound
	}
}

func (g *Generator) fillLogon(e *api.Event, act *actor) {
	if act.user.Service || g.rng.Chance(0.6) {
		e.Target, e.LogonType = g.pickTarget(act), logonNetwork
	} else {
		e.Target = api.EntityRef{Type: api.EntityComputer, Name: e.SourceHost}
		e.LogonType = logonInteractive
	}
	if act.admin && e.LogonType == logonNetwork && g.rng.Chance(0.3) {
		e.LogonType = logonRemote
	}
	e.Admin = act.admin
	if e.Kind == api.KindLogonFailure {
		e.Result = failureResult(g.rng.IntN(20))
		return
	}
	e.Result = api.ResultSuccess
}
