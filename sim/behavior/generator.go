package behavior

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// Defaults of Config.
const (
	// DefaultFailureRate is the share of authentications that fail for ordinary reasons.
	DefaultFailureRate = 0.01
	// DefaultChurnPerDay is the share of users created, changed or disabled per scenario day.
	DefaultChurnPerDay = 0.02
)

// Config tunes behaviour. The zero value means the defaults.
type Config struct {
	// Mix weighs the event kinds; nil means DefaultMix.
	Mix Mix
	// FailureRate is the share (0..1) of authentications failing for ordinary reasons
	// (typos, expired passwords); 0 means DefaultFailureRate, negative means none.
	FailureRate float64
	// ChurnPerDay is the directory churn: entities created, changed or disabled per
	// scenario day as a share of users, with at least one per scenario hour; 0 means
	// DefaultChurnPerDay, negative means none.
	ChurnPerDay float64
}

// WithDefaults returns c with zero fields replaced by their defaults.
func (c Config) WithDefaults() Config {
	if c.Mix == nil {
		c.Mix = DefaultMix()
	}
	if c.FailureRate == 0 {
		c.FailureRate = DefaultFailureRate
	}
	if c.ChurnPerDay == 0 {
		c.ChurnPerDay = DefaultChurnPerDay
	}
	return c
}

// Validate reports every problem with c (after defaults).
func (c Config) Validate() error {
	var errs []error
	if err := c.Mix.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.FailureRate > 1 || math.IsNaN(c.FailureRate) {
		errs = append(errs, fmt.Errorf("failure rate: want 0..1, got %v", c.FailureRate))
	}
	if c.ChurnPerDay > 10 || math.IsNaN(c.ChurnPerDay) {
		errs = append(errs, fmt.Errorf("churn per day: want at most 10, got %v", c.ChurnPerDay))
	}
	return errors.Join(errs...)
}

// Generator fills in the events of one sensor. Not safe for concurrent use.
type Generator struct {
	org      *org.Org
	dc       int
	dcRef    api.EntityRef
	users    []int32
	ownUsers bool
	services int
	rng      *rng.Source
	clock    pace.Clock
	hours    pace.WorkingHours
	kinds    []api.Kind
	cum      []uint32
	failure  float64

	// activity caches pace.Activity for one scenario minute.
	activityMinute int64
	activity       float64

	// dir follows the directory churn (nil without churn).
	dir *directory
	// machine is the scratch account of a computer acting (see pickActor).
	machine org.User
}

// Tenant makes the generators of one organisation's sensors. They share the organisation's
// directory churn (History), computed once. Safe for concurrent use.
type Tenant struct {
	seed    uint64
	org     *org.Org
	cfg     Config
	clock   pace.Clock
	history *History
}

// NewTenant returns the generator maker of o. Streams depend only on seed, o, cfg, clock,
// the sensor and the due offsets passed to Fill.
func NewTenant(seed uint64, o *org.Org, cfg Config, clock pace.Clock) (*Tenant, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tenant{seed: seed, org: o, cfg: cfg, clock: clock}
	if cfg.ChurnPerDay > 0 {
		t.history = NewHistory(seed, o, cfg.ChurnPerDay, clock)
	}
	return t, nil
}

// DisabledBy reports whether the organisation's directory churn disables user i at a real
// offset at or before at; always false without churn. Attack planning uses it so that an
// attack never relies on an account that is gone by then.
func (t *Tenant) DisabledBy(i int32, at time.Duration) bool {
	return t.history != nil && t.history.DisabledBy(i, at)
}

// NewGenerator returns the generator of sensor dc of o, with a churn history of its own
// (NewTenant shares one between sensors). The stream depends only on seed, o, dc, cfg,
// clock and the due offsets passed to Fill.
func NewGenerator(seed uint64, o *org.Org, dc int, cfg Config, clock pace.Clock) (*Generator,
	error,
) {
	t, err := NewTenant(seed, o, cfg, clock)
	if err != nil {
		return nil, err
	}
	return t.Generator(dc)
}

// Generator returns a new generator of sensor dc.
func (t *Tenant) Generator(dc int) (*Generator, error) {
	o := t.org
	if dc < 0 || dc >= len(o.DCs) {
		return nil, fmt.Errorf("sensor %d: tenant %s has %d", dc, o.Tenant, len(o.DCs))
	}
	g := &Generator{
		org: o, dc: dc, users: o.UsersOf(dc), clock: t.clock, failure: max(t.cfg.FailureRate, 0),
		dcRef:          api.EntityRef{Type: api.EntityComputer, Name: o.DCs[dc].Name},
		rng:            rng.New(rng.Derive(t.seed, "behavior", o.Tenant, o.SensorIDs[dc])),
		hours:          pace.WorkingHours{UTCOffset: o.UTCOffset, Start: o.WorkStart, End: o.WorkEnd},
		activityMinute: math.MinInt64,
	}
	for _, u := range o.Users {
		if u.Service {
			g.services++
		}
	}
	g.kinds, g.cum = t.cfg.Mix.table()
	// Every sensor follows the churn; the first one reports it, as the sensor on the
	// primary domain controller would.
	if t.history != nil {
		g.dir = newDirectory(t.history, dc, dc == 0)
	}
	return g, nil
}

// Fill overwrites *e with the event due at real offset at from the run start. Offsets must
// not decrease between calls.
func (g *Generator) Fill(e *api.Event, at time.Duration) {
	when := g.clock.At(at).Truncate(time.Millisecond)
	*e = api.Event{Time: when}
	if g.dir != nil {
		g.dir.advance(at, g.home)
		if g.dir.takeReport(e) {
			return
		}
	}
	g.fillKind(e, g.pickKind(), g.activityAt(when))
}

// home makes created user i, homed here, act from this sensor.
func (g *Generator) home(user int32) {
	if !g.ownUsers {
		// The initial list belongs to the organisation: copy it before the first append.
		g.users, g.ownUsers = slices.Clone(g.users), true
	}
	g.users = append(g.users, user)
}

func (g *Generator) pickKind() api.Kind {
	x := uint32(g.rng.Uint64())
	for i, t := range g.cum {
		if x <= t {
			return g.kinds[i]
		}
	}
	return g.kinds[len(g.kinds)-1]
}

func (g *Generator) activityAt(t time.Time) float64 {
	minute := t.Unix() / 60
	if minute != g.activityMinute {
		g.activityMinute, g.activity = minute, pace.Activity(g.hours, t)
	}
	return g.activity
}
