package behavior

import (
	"fmt"
	"strconv"
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

// directory is one generator's view of the organisation's churn: users and workstations
// created, accounts changed and disabled over time, as a directory sync reports them.
// Change k happens at a fixed offset and is drawn from its own random sub-stream, and its
// effect depends only on the changes before it, so every sensor of the tenant replays the
// same history on its own: users homed on it start acting after their creation, disabled
// ones stop (their leftover attempts fail as disabled), promoted ones log on as admins and
// a changed password leaves a few stale-password failures. Only the tenant's first sensor
// reports the changes (as the sensor on the primary domain controller would).
type directory struct {
	org      *org.Org
	seed     uint64
	interval time.Duration // real time between changes
	next     time.Duration // offset of change k
	k        int
	// created are the users created so far; user index len(org.Users)+i is created[i].
	created []org.User
	// homes are the domain controllers the created users are homed on.
	homes []int32
	// workstations are the created computers, ws index len(org.Workstations)+i.
	workstations []org.Computer
	// unassigned is how many of the newest created workstations have no user yet.
	unassigned int
	disabled   map[int32]bool
	promoted   map[int32]bool
	stale      map[int32]int
	admins     []int32
	// reports are the changes applied but not yet reported (reporting sensor only).
	reports []api.Event
}

func newDirectory(seed uint64, o *org.Org, perDay float64, clock pace.Clock) *directory {
	compression := clock.Compression
	if compression == 0 {
		compression = 1
	}
	perScenarioDay := max(perDay*float64(len(o.Users)), 24)
	realPerDay := float64(24*time.Hour) / compression
	d := &directory{
		org: o, seed: seed, interval: max(time.Duration(realPerDay/perScenarioDay), 1),
		disabled: map[int32]bool{}, promoted: map[int32]bool{}, stale: map[int32]int{},
	}
	for i, u := range o.Users {
		if u.Admin {
			d.admins = append(d.admins, int32(i))
		}
	}
	first := rng.New(rng.Derive(seed, "churn", o.Tenant))
	d.next = time.Duration(first.Float64() * float64(d.interval))
	return d
}

// user returns user i, created ones included.
func (d *directory) user(i int32) *org.User {
	if n := int32(len(d.org.Users)); i >= n {
		return &d.created[i-n]
	}
	return &d.org.Users[i]
}

// users is the number of users created so far, initial ones included.
func (d *directory) users() int { return len(d.org.Users) + len(d.created) }

// workstation returns the name of workstation i, created ones included.
func (d *directory) workstation(i int32) string {
	if n := int32(len(d.org.Workstations)); i >= n {
		return d.workstations[i-n].Name
	}
	return d.org.Workstations[i].Name
}

// admin reports whether user i holds administrative rights now.
func (d *directory) admin(i int32) bool {
	return d.user(i).Admin || (len(d.promoted) > 0 && d.promoted[i])
}

// isDisabled reports whether user i is disabled now.
func (d *directory) isDisabled(i int32) bool { return len(d.disabled) > 0 && d.disabled[i] }

// advance applies every change due at or before offset at and calls homed with each user
// created on the way. With report set it queues the changes' events.
func (d *directory) advance(at time.Duration, report bool, homed func(user, dc int32)) {
	for d.next <= at {
		e := d.apply(rng.New(rng.Derive(d.seed, "churn", d.org.Tenant, strconv.Itoa(d.k))),
			homed)
		if report {
			d.reports = append(d.reports, e)
		}
		d.k++
		d.next += d.interval
	}
}

// apply makes change k (drawn from r) and returns its report.
func (d *directory) apply(r *rng.Source, homed func(user, dc int32)) api.Event {
	admin := &d.org.Users[d.admins[r.IntN(len(d.admins))]]
	e := api.Event{Source: api.EntityRef{Type: api.EntityUser, Name: admin.Name}}
	switch x := r.IntN(10); {
	case x < 3:
		d.createUser(r, &e, homed)
	case x < 4:
		d.createWorkstation(&e)
	case x < 9:
		d.change(r, &e)
	default:
		d.disable(r, &e)
	}
	return e
}

func (d *directory) createUser(r *rng.Source, e *api.Event, homed func(user, dc int32)) {
	o := d.org
	u := org.User{Name: fmt.Sprintf("%s_n%d", o.Users[r.IntN(len(o.Users))].Name, d.k),
		Department: int16(org.ServerOperators + 1 + r.IntN(len(o.Groups)-org.ServerOperators-1))}
	if d.unassigned > 0 {
		// A new hire gets the newest computer nobody has yet.
		u.Workstation = int32(len(o.Workstations) + len(d.workstations) - d.unassigned)
		d.unassigned--
	} else {
		u.Workstation = int32(r.IntN(len(o.Workstations)))
	}
	i, dc := int32(d.users()), int32(r.IntN(len(o.DCs)))
	d.created, d.homes = append(d.created, u), append(d.homes, dc)
	if homed != nil {
		homed(i, dc)
	}
	e.Kind, e.Target = api.KindDirectoryCreate, api.EntityRef{Type: api.EntityUser, Name: u.Name}
}

func (d *directory) createWorkstation(e *api.Event) {
	c := org.Computer{Name: fmt.Sprintf("nws%05d", d.k)}
	c.FQDN = c.Name + "." + d.org.Domain
	d.workstations = append(d.workstations, c)
	d.unassigned++
	e.Kind, e.Target = api.KindDirectoryCreate, api.EntityRef{Type: api.EntityComputer, Name: c.Name}
}

// pickAccount draws an enabled user account (service accounts only when allowServices).
func (d *directory) pickAccount(r *rng.Source, allowServices bool) int32 {
	var i int32
	for range 8 {
		i = int32(r.IntN(d.users()))
		if !d.disabled[i] && (allowServices || !d.user(i).Service) {
			break
		}
	}
	return i
}

func (d *directory) change(r *rng.Source, e *api.Event) {
	i := d.pickAccount(r, true)
	e.Attribute = changedAttributes[r.IntN(len(changedAttributes))]
	switch {
	case e.Attribute == "memberOf" && !d.user(i).Service && r.Chance(0.1):
		// Now and then someone joins an administrators' group.
		d.promoted[i] = true
	case e.Attribute == "pwdLastSet" && !d.user(i).Service:
		d.stale[i] = staleLogons
	}
	e.Kind, e.Admin = api.KindDirectoryChange, d.admin(i)
	e.Target = api.EntityRef{Type: api.EntityUser, Name: d.user(i).Name}
}

func (d *directory) disable(r *rng.Source, e *api.Event) {
	// People leave; service accounts are not disabled while their services run.
	i := d.pickAccount(r, false)
	if d.user(i).Service || d.disabled[i] {
		// No account left to disable: report a change instead.
		d.change(r, e)
		return
	}
	d.disabled[i] = true
	e.Kind, e.Admin = api.KindDirectoryDisable, d.admin(i)
	e.Target = api.EntityRef{Type: api.EntityUser, Name: d.user(i).Name}
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
