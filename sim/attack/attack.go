package attack

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// Kind is an attack technique. The names match the scenario file's attack kinds.
type Kind string

// Attack kinds.
const (
	// BruteForce: many password guesses against one account from one computer.
	BruteForce Kind = "brute-force"
	// PasswordSpray: one or two common passwords tried against many accounts.
	PasswordSpray Kind = "password-spray"
	// Kerberoasting: RC4 service tickets requested for many user-run SPNs.
	Kerberoasting Kind = "kerberoasting"
	// PassTheTicket: a stolen ticket used from a computer its owner never uses.
	PassTheTicket Kind = "pass-the-ticket"
	// PassTheHash: a stolen NTLM hash used from a computer its owner never uses.
	PassTheHash Kind = "pass-the-hash"
	// Reconnaissance: a burst of directory enumeration queries.
	Reconnaissance Kind = "reconnaissance"
	// LateralMovement: an administrator account hopping across computers with new logons.
	LateralMovement Kind = "lateral-movement"
)

// Kinds lists every attack kind.
var Kinds = []Kind{BruteForce, PasswordSpray, Kerberoasting, PassTheTicket, PassTheHash,
	Reconnaissance, LateralMovement}

// DefaultDuration is the real duration of an attack whose Spec.For is zero.
const DefaultDuration = 10 * time.Second

// Spec asks for one attack.
type Spec struct {
	// Kind is the technique.
	Kind Kind
	// At is the real offset from the run start at which the attack begins.
	At time.Duration
	// For is how long it lasts in real time; 0 means DefaultDuration.
	For time.Duration
}

// Validate reports every problem with s.
func (s Spec) Validate() error {
	var errs []error
	if !slices.Contains(Kinds, s.Kind) {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		errs = append(errs, fmt.Errorf("attack kind %q: want one of %s", s.Kind,
			strings.Join(names, ", ")))
	}
	if s.At < 0 || s.For < 0 {
		errs = append(errs, fmt.Errorf("attack %s: at and for must not be negative", s.Kind))
	}
	return errors.Join(errs...)
}

// Attack is the ground truth of one injected attack.
type Attack struct {
	// ID is unique in the run: "<tenant>/<index>-<kind>".
	ID string `json:"id"`
	// Kind is the technique.
	Kind Kind `json:"kind"`
	// Tenant and Sensor say where the attack's events were sent.
	Tenant string `json:"tenant"`
	Sensor string `json:"sensor"`
	// Attacker is the account the attacker used (or targeted, for guessing attacks).
	Attacker api.EntityRef `json:"attacker"`
	// SourceHost is the computer the attack came from.
	SourceHost string `json:"source_host"`
	// Targets are the entities attacked: accounts guessed, services, computers hopped.
	Targets []api.EntityRef `json:"targets"`
	// Start and End are the scenario times of the first and last event.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// StartOffset and EndOffset are the same as real offsets from the run start.
	StartOffset time.Duration `json:"start_offset_ns"`
	EndOffset   time.Duration `json:"end_offset_ns"`
	// Events is how many events the attack injects.
	Events int `json:"events"`
}

// Timed is one event to inject, due at real offset At.
type Timed struct {
	At    time.Duration
	Event api.Event
}

// Injection is one planned attack: its ground truth and its events, due in order, for
// sensor index Sensor of the organisation.
type Injection struct {
	Attack Attack
	Sensor int
	Events []Timed
}

// Directory tells the planner which accounts the organisation's churn disables, so that an
// attack is never pinned on an account that is gone before the attack ends; the simulator's
// behaviour model (behavior.Tenant) implements it. A nil Directory means no churn.
type Directory interface {
	// DisabledBy reports whether user i is disabled at a real offset at or before at.
	DisabledBy(i int32, at time.Duration) bool
}

// Plan plans specs against o, whose churn dir describes (nil for none). It is deterministic
// in (seed, o, specs, clock, dir).
func Plan(seed uint64, o *org.Org, specs []Spec, clock pace.Clock, dir Directory) (
	[]*Injection, error,
) {
	var errs []error
	for i, s := range specs {
		if err := s.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("attack %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make([]*Injection, 0, len(specs))
	for i, s := range specs {
		if s.For == 0 {
			s.For = DefaultDuration
		}
		p := &planner{
			org: o, spec: s, clock: clock, dir: dir,
			rng: rng.New(rng.Derive(seed, "attack", o.Tenant, fmt.Sprint(i))),
		}
		inj := p.plan()
		inj.Attack.ID = fmt.Sprintf("%s/%d-%s", o.Tenant, i+1, s.Kind)
		out = append(out, inj)
	}
	return out, nil
}

// Truncate drops the events due at or after horizon and updates the ground truth to what
// remains. It reports whether any event remains.
func (inj *Injection) Truncate(horizon time.Duration) bool {
	n := 0
	for n < len(inj.Events) && inj.Events[n].At < horizon {
		n++
	}
	inj.Events = inj.Events[:n]
	inj.Attack.Events = n
	if n == 0 {
		return false
	}
	inj.Attack.EndOffset, inj.Attack.End = inj.Events[n-1].At, inj.Events[n-1].Event.Time
	return true
}
