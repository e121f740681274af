package behavior

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// changedAttributes are the attributes a directory_change reports. memberOf and pwdLastSet
// change what the account does next; the others only appear in the report.
var changedAttributes = []string{"title", "department", "manager", "telephoneNumber",
	"memberOf", "userAccountControl", "pwdLastSet"}

// staleLogons is how many authentications fail with the old password after a password
// change (phones and mapped drives that still hold it): far below any brute-force alarm.
const staleLogons = 3

// History is the directory churn of one organisation: users and workstations created,
// accounts changed and disabled over time, as a directory sync reports them. Change k
// happens at a fixed real offset and is drawn from its own random sub-stream, so the history
// is the same whoever computes it and however far; it is computed once, on demand, and
// shared by the organisation's generators. Safe for concurrent use.
type History struct {
	org      *org.Org
	seed     uint64
	interval time.Duration // real time between changes
	first    time.Duration // offset of change 0

	mu      sync.Mutex
	changes []change
	// The directory as of len(changes) changes.
	created      int
	workstations []string // names of the created workstations
	unassigned   int      // how many of the newest created workstations have no user yet
	disabled     map[int32]bool
	promoted     map[int32]bool
	createdNames []string // names of the created users, user index len(org.Users)+i
	createdHomes []int32  // their domain controllers
	admins       []int32
}

// effect is what a change does to the account it concerns.
type effect uint8

const (
	effectNone effect = iota
	effectCreated
	effectDisabled
	effectPromoted
	effectPassword
	effectDepartment
)

// change is one directory change: its report (without time) and its effect on user.
type change struct {
	report api.Event
	effect effect
	user   int32
	// home is the domain controller the user is homed on.
	home int32
	// account and workstation are the created user and the name of its computer.
	account     org.User
	workstation string
	// department is the group index of a user's new department.
	department int16
}

// NewHistory returns the churn of o: perDay changes per scenario day as a share of the
// users, at least one per scenario hour, on clock.
func NewHistory(seed uint64, o *org.Org, perDay float64, clock pace.Clock) *History {
	compression := clock.Compression
	if compression == 0 {
		compression = 1
	}
	perScenarioDay := max(perDay*float64(len(o.Users)), 24)
	realPerDay := float64(24*time.Hour) / compression
	h := &History{
		org: o, seed: seed, interval: max(time.Duration(realPerDay/perScenarioDay), 1),
		disabled: map[int32]bool{}, promoted: map[int32]bool{},
	}
	for i, u := range o.Users {
		if u.Admin {
			h.admins = append(h.admins, int32(i))
		}
	}
	h.first = time.Duration(rng.New(rng.Derive(seed, "churn", o.Tenant)).Float64() *
		float64(h.interval))
	return h
}

// at returns the real offset of change k.
func (h *History) at(k int) time.Duration { return h.first + time.Duration(k)*h.interval }

// appendChanges appends changes [from, to) to dst, computing those not computed yet.
func (h *History) appendChanges(dst []change, from, to int) []change {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.compute(to)
	return append(dst, h.changes[from:to]...)
}

// compute computes changes up to (not including) to. Caller holds h.mu.
func (h *History) compute(to int) {
	for k := len(h.changes); k < to; k++ {
		r := rng.New(rng.Derive(h.seed, "churn", h.org.Tenant, strconv.Itoa(k)))
		h.changes = append(h.changes, h.apply(r, k))
	}
}

// DisabledBy reports whether churn disables user i (an index into the organisation's initial
// users) at a real offset at or before at.
func (h *History) DisabledBy(i int32, at time.Duration) bool {
	if at < h.first {
		return false
	}
	to := int((at-h.first)/h.interval) + 1
	h.mu.Lock()
	defer h.mu.Unlock()
	h.compute(to)
	for k := range to {
		if c := &h.changes[k]; c.effect == effectDisabled && c.user == i {
			return true
		}
	}
	return false
}

// users is the number of users created so far, initial ones included.
func (h *History) users() int { return len(h.org.Users) + h.created }

func (h *History) name(i int32) string {
	if n := int32(len(h.org.Users)); i >= n {
		return h.createdNames[i-n]
	}
	return h.org.Users[i].Name
}

func (h *History) service(i int32) bool {
	return int(i) < len(h.org.Users) && h.org.Users[i].Service
}

func (h *History) admin(i int32) bool {
	return (int(i) < len(h.org.Users) && h.org.Users[i].Admin) || h.promoted[i]
}

// apply makes change k (drawn from r) and returns it.
func (h *History) apply(r *rng.Source, k int) change {
	admin := &h.org.Users[h.admins[r.IntN(len(h.admins))]]
	c := change{user: -1, home: -1}
	c.report.Source = api.EntityRef{Type: api.EntityUser, Name: admin.Name}
	switch x := r.IntN(10); {
	case x < 3:
		h.createUser(r, k, &c)
	case x < 4:
		h.createWorkstation(k, &c)
	case x < 9:
		h.change(r, &c)
	default:
		h.disable(r, &c)
	}
	return c
}

func (h *History) createUser(r *rng.Source, k int, c *change) {
	o := h.org
	u := org.User{Name: fmt.Sprintf("%s_n%d", o.Users[r.IntN(len(o.Users))].Name, k),
		Department: h.pickDepartment(r)}
	if h.unassigned > 0 {
		// A new hire gets the newest computer nobody has yet.
		u.Workstation = int32(len(o.Workstations) + len(h.workstations) - h.unassigned)
		c.workstation = h.workstations[len(h.workstations)-h.unassigned]
		h.unassigned--
	} else {
		u.Workstation = int32(r.IntN(len(o.Workstations)))
		c.workstation = o.Workstations[u.Workstation].Name
	}
	c.effect, c.user, c.home, c.account = effectCreated, int32(h.users()), int32(r.IntN(len(o.DCs))), u
	h.created++
	h.createdNames, h.createdHomes = append(h.createdNames, u.Name), append(h.createdHomes, c.home)
	c.report.Kind = api.KindDirectoryCreate
	c.report.Target = api.EntityRef{Type: api.EntityUser, Name: u.Name}
}

func (h *History) createWorkstation(k int, c *change) {
	name := fmt.Sprintf("nws%05d", k)
	h.workstations = append(h.workstations, name)
	h.unassigned++
	c.report.Kind = api.KindDirectoryCreate
	c.report.Target = api.EntityRef{Type: api.EntityComputer, Name: name}
}

// pickDepartment draws a department group.
func (h *History) pickDepartment(r *rng.Source) int16 {
	first := org.ServerOperators + 1
	return int16(first + r.IntN(len(h.org.Groups)-first))
}

// pickAccount draws an enabled user account (service accounts only when allowServices).
func (h *History) pickAccount(r *rng.Source, allowServices bool) int32 {
	var i int32
	for range 8 {
		i = int32(r.IntN(h.users()))
		if !h.disabled[i] && (allowServices || !h.service(i)) {
			break
		}
	}
	return i
}

func (h *History) home(i int32) int32 {
	if n := int32(len(h.org.Users)); i >= n {
		return h.createdHomes[i-n]
	}
	return int32(h.org.HomeOf(i))
}

func (h *History) change(r *rng.Source, c *change) {
	i := h.pickAccount(r, true)
	c.report.Attribute = changedAttributes[r.IntN(len(changedAttributes))]
	switch {
	case c.report.Attribute == "memberOf" && !h.service(i) && r.Chance(0.1):
		// Now and then someone joins an administrators' group.
		h.promoted[i] = true
		c.effect = effectPromoted
	case c.report.Attribute == "pwdLastSet" && !h.service(i):
		c.effect = effectPassword
	case c.report.Attribute == "department" && !h.service(i) && !h.admin(i):
		// A move to another department: its servers from now on.
		c.effect, c.department = effectDepartment, h.pickDepartment(r)
	}
	if c.effect != effectNone {
		c.user, c.home = i, h.home(i)
	}
	c.report.Kind, c.report.Admin = api.KindDirectoryChange, h.admin(i)
	c.report.Target = api.EntityRef{Type: api.EntityUser, Name: h.name(i)}
}

func (h *History) disable(r *rng.Source, c *change) {
	// People leave; service accounts are not disabled while their services run.
	i := h.pickAccount(r, false)
	if h.service(i) || h.disabled[i] {
		// No account left to disable: report a change instead.
		h.change(r, c)
		return
	}
	h.disabled[i] = true
	c.effect, c.user, c.home = effectDisabled, i, h.home(i)
	c.report.Kind, c.report.Admin = api.KindDirectoryDisable, h.admin(i)
	c.report.Target = api.EntityRef{Type: api.EntityUser, Name: h.name(i)}
}

// directory is one generator's view of the History: the changes due so far that concern
// the users homed on its domain controller. Users homed here start acting after their
// creation, disabled ones stop (their leftover attempts fail as disabled), promoted ones
// log on as admins and a changed password leaves a few stale-password failures. Only the
// tenant's first sensor reports the changes (as the sensor on the primary domain controller
// would).
type directory struct {
	history *History
	dc      int32
	k       int           // changes applied
	next    time.Duration // offset of change k
	report  bool
	scratch []change
	// created are the users created and homed here, by user index.
	created  map[int32]*change
	disabled map[int32]bool
	promoted map[int32]bool
	stale    map[int32]int
	// departments are the homed users who changed department, with their new one.
	departments map[int32]int16
	// reports are the changes applied but not yet reported (reporting sensor only).
	reports []api.Event
}

func newDirectory(h *History, dc int, report bool) *directory {
	return &directory{history: h, dc: int32(dc), next: h.at(0), report: report,
		created: map[int32]*change{}, disabled: map[int32]bool{}, promoted: map[int32]bool{},
		stale: map[int32]int{}, departments: map[int32]int16{}}
}

// user returns user i homed here, created ones included.
func (d *directory) user(i int32) *org.User {
	o := d.history.org
	if n := int32(len(o.Users)); i >= n {
		return &d.created[i].account
	}
	return &o.Users[i]
}

// host returns the name of user i's workstation.
func (d *directory) host(i int32) string {
	o := d.history.org
	if n := int32(len(o.Users)); i >= n {
		return d.created[i].workstation
	}
	return o.Workstations[o.Users[i].Workstation].Name
}

// admin reports whether user i holds administrative rights now.
func (d *directory) admin(i int32) bool {
	return d.user(i).Admin || (len(d.promoted) > 0 && d.promoted[i])
}

// department returns the department group of user i now, -1 for none.
func (d *directory) department(i int32) int16 {
	if len(d.departments) > 0 {
		if g, ok := d.departments[i]; ok {
			return g
		}
	}
	return d.user(i).Department
}

// isDisabled reports whether user i is disabled now.
func (d *directory) isDisabled(i int32) bool { return len(d.disabled) > 0 && d.disabled[i] }

// advance applies every change due at or before offset at and calls homed with each user
// created here on the way.
func (d *directory) advance(at time.Duration, homed func(user int32)) {
	if d.next > at {
		return
	}
	to := d.k
	for d.history.at(to) <= at {
		to++
	}
	d.scratch = d.history.appendChanges(d.scratch[:0], d.k, to)
	for i := range d.scratch {
		d.applyLocal(&d.scratch[i], homed)
	}
	d.k, d.next = to, d.history.at(to)
}

func (d *directory) applyLocal(c *change, homed func(user int32)) {
	if d.report {
		d.reports = append(d.reports, c.report)
	}
	if c.home != d.dc {
		return
	}
	switch c.effect {
	case effectCreated:
		saved := *c
		d.created[c.user] = &saved
		homed(c.user)
	case effectDisabled:
		d.disabled[c.user] = true
	case effectPromoted:
		d.promoted[c.user] = true
	case effectPassword:
		d.stale[c.user] = staleLogons
	case effectDepartment:
		d.departments[c.user] = c.department
	}
}

// takeReport pops the oldest queued report into e, keeping e.Time; false when none is
// queued.
func (d *directory) takeReport(e *api.Event) bool {
	if len(d.reports) == 0 {
		return false
	}
	when := e.Time
	*e, e.Time = d.reports[0], when
	d.reports = d.reports[1:]
	return true
}
