package behavior

import (
	"fmt"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// changedAttributes are the attributes a directory_change reports.
var changedAttributes = []string{"title", "department", "manager", "telephoneNumber",
	"memberOf", "userAccountControl", "pwdLastSet"}

// churn schedules directory sync reports: entities created, changed and disabled.
// Creations add new names (users "<name>_n<k>", computers "ws9<k>"); the new entities do
// not act in later events, which keeps each sensor's stream independent of the others.
//
// TODO(#5): let created accounts act and disabled ones fail, from a churn plan every
// sensor can compute from the seed, so that detections see entities come and go.
type churn struct {
	org      *org.Org
	rng      *rng.Source
	interval time.Duration // real time between reports
	next     time.Duration
	created  int
	admins   []int32
}

func newChurn(seed uint64, o *org.Org, perDay float64, clock pace.Clock) *churn {
	compression := clock.Compression
	if compression == 0 {
		compression = 1
	}
	perScenarioDay := max(perDay*float64(len(o.Users)), 24)
	realPerDay := float64(24*time.Hour) / compression
	c := &churn{
		org: o, rng: rng.New(rng.Derive(seed, "churn", o.Tenant)),
		interval: time.Duration(realPerDay / perScenarioDay),
	}
	for i, u := range o.Users {
		if u.Admin {
			c.admins = append(c.admins, int32(i))
		}
	}
	c.next = time.Duration(c.rng.Float64() * float64(c.interval))
	return c
}

// due reports whether a report is due at offset at, and consumes it.
func (c *churn) due(at time.Duration) bool {
	if at < c.next {
		return false
	}
	c.next += c.interval
	return true
}

// fill fills e (Time set) with the next directory report.
func (c *churn) fill(e *api.Event) {
	o := c.org
	admin := &o.Users[c.admins[c.rng.IntN(len(c.admins))]]
	e.Source = api.EntityRef{Type: api.EntityUser, Name: admin.Name}
	e.Target = api.EntityRef{Type: api.EntityUser}
	switch x := c.rng.IntN(10); {
	case x < 3:
		c.created++
		e.Kind = api.KindDirectoryCreate
		e.Target.Name = fmt.Sprintf("%s_n%d", o.Users[c.rng.IntN(len(o.Users))].Name, c.created)
	case x < 4:
		c.created++
		e.Kind = api.KindDirectoryCreate
		e.Target = api.EntityRef{Type: api.EntityComputer, Name: fmt.Sprintf("ws9%04d", c.created)}
	case x < 9:
		u := &o.Users[c.rng.IntN(len(o.Users))]
		e.Kind, e.Target.Name, e.Admin = api.KindDirectoryChange, u.Name, u.Admin
		e.Attribute = changedAttributes[c.rng.IntN(len(changedAttributes))]
	default:
		u := &o.Users[c.rng.IntN(len(o.Users))]
		e.Kind, e.Target.Name, e.Admin = api.KindDirectoryDisable, u.Name, u.Admin
	}
}
