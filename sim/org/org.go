package org

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stampede-load/stampede/sim/internal/rng"
)

// Spec says what organisation to build. Zero fields take the defaults documented on each.
type Spec struct {
	// Tenant is the tenant id, used in every event batch. Required; letters, digits, '.',
	// '_' and '-' only.
	Tenant string
	// Users is the number of user accounts, administrators and service accounts included,
	// 1 to MaxUsers. Required.
	Users int
	// Computers is the number of workstations and servers; 0 means Users/2 (at least 2).
	Computers int
	// Sensors is the number of domain controllers, each with one sensor; 0 means one per
	// 500 users (at least 1).
	Sensors int
}

// MaxUsers is the largest organisation New builds.
const MaxUsers = 1_000_000

// WithDefaults returns s with zero fields replaced by their defaults.
func (s Spec) WithDefaults() Spec {
	if s.Computers == 0 {
		s.Computers = max(2, s.Users/2)
	}
	if s.Sensors == 0 {
		s.Sensors = max(1, s.Users/500)
	}
	return s
}

// Validate reports every problem with s (after defaults), joined.
func (s Spec) Validate() error {
	var errs []error
	if s.Tenant == "" {
		errs = append(errs, errors.New("tenant: required"))
	} else if strings.TrimFunc(s.Tenant, isIDRune) != "" || len(s.Tenant) > 64 {
		errs = append(errs, fmt.Errorf("tenant %q: want 1..64 letters, digits, '.', '_', '-'",
			s.Tenant))
	}
	if s.Users < 1 || s.Users > MaxUsers {
		errs = append(errs, fmt.Errorf("users: want 1..%d, got %d", MaxUsers, s.Users))
	}
	if s.Computers < 0 || s.Computers > 2*MaxUsers {
		errs = append(errs, fmt.Errorf("computers: want 0..%d, got %d", 2*MaxUsers, s.Computers))
	}
	if s.Sensors < 0 || s.Sensors > 10_000 {
		errs = append(errs, fmt.Errorf("sensors: want 0..10000, got %d", s.Sensors))
	}
	return errors.Join(errs...)
}

func isIDRune(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') ||
		r == '.' || r == '_' || r == '-'
}

// Org is one synthetic organisation. It is immutable after New and safe for concurrent
// reads.
type Org struct {
	// Tenant is the tenant id.
	Tenant string
	// Domain is the DNS domain, e.g. "t0001.corp.example".
	Domain string
	// UTCOffset is the organisation's time zone as a fixed offset from UTC.
	UTCOffset time.Duration
	// WorkStart and WorkEnd bound the local working hours, [WorkStart, WorkEnd), Monday to
	// Friday.
	WorkStart, WorkEnd int
	// Users are the accounts; administrators and service accounts are flagged.
	Users []User
	// Workstations are the users' computers; user i's primary workstation is
	// Users[i].Workstation.
	Workstations []Computer
	// Servers are member servers, most popular first (behaviour skews traffic to the front).
	Servers []Computer
	// DCs are the domain controllers; DC i runs sensor SensorIDs[i].
	DCs []Computer
	// SensorIDs are the sensor ids, one per domain controller.
	SensorIDs []string
	// Services are the service principal names, most popular first.
	Services []Service
	// Groups are the security groups: Groups[DomainAdmins], Groups[ServerOperators], then
	// the departments. Every administrator belongs to an admin group, every other user
	// except service accounts to one department.
	Groups []Group
	// usersByDC lists the users homed on each DC (they authenticate there).
	usersByDC [][]int32
}

// User is one account.
type User struct {
	// Name is the sAMAccountName, unique in the org.
	Name string
	// Admin marks members of Domain Admins.
	Admin bool
	// Service marks service accounts (they run services and log on around the clock).
	Service bool
	// Workstation indexes Org.Workstations: the user's usual computer.
	Workstation int32
	// Department indexes Org.Groups: the user's department group, -1 for none
	// (administrators and service accounts).
	Department int16
}

// Computer is one computer account.
type Computer struct {
	// Name is the host name, unique in the org (e.g. "ws00042", "sql01", "dc003").
	Name string
	// FQDN is Name.Domain.
	FQDN string
}

// Service is one service principal name.
type Service struct {
	// SPN is the full name, e.g. "MSSQLSvc/sql01.t0001.corp.example:1433".
	SPN string
	// Server indexes Org.Servers: the host running the service.
	Server int32
	// Account indexes Org.Users for services run by a service account, -1 for services
	// run by the computer account (user-run SPNs are what Kerberoasting targets).
	Account int32
}

// Group is one security group.
type Group struct {
	// Name is the group name.
	Name string
	// Admin marks privileged groups: their members' logons carry administrative rights.
	Admin bool
	// Members index Org.Users, in index order.
	Members []int32
	// Servers index Org.Servers: the servers the group's members use (a department's file
	// and application servers) or administer (Server Operators).
	Servers []int32
}

// Indexes of the built-in groups in Org.Groups.
const (
	// DomainAdmins administer the whole domain: every computer, domain controllers included.
	DomainAdmins = 0
	// ServerOperators administer member servers.
	ServerOperators = 1
)

// InGroup reports whether user (an index of Users) is a member of Groups[group].
func (o *Org) InGroup(group int, user int32) bool {
	_, found := slices.BinarySearch(o.Groups[group].Members, user)
	return found
}

// HomeOf returns the domain controller user (an index of Users) is homed on.
func (o *Org) HomeOf(user int32) int { return int(user) % len(o.DCs) }

// UsersOf returns the indexes of the users homed on domain controller dc (read-only).
func (o *Org) UsersOf(dc int) []int32 { return o.usersByDC[dc] }

// SensorShare returns the share (0..1) of the organisation's authentication traffic that
// domain controller dc sees: its homed users' plus an even part of the computers' and
// services' (a fifth of an average DC's load, and never nothing, so that a DC without
// homed users still authenticates machines). The shares of all DCs sum to 1.
func (o *Org) SensorShare(dc int) float64 {
	base := 0.2 * max(float64(len(o.Users))/float64(len(o.DCs)), 1)
	total := float64(len(o.Users)) + base*float64(len(o.DCs))
	return (float64(len(o.usersByDC[dc])) + base) / total
}

// LocalTime returns t in the organisation's time zone.
func (o *Org) LocalTime(t time.Time) time.Time {
	return t.In(time.FixedZone(o.Tenant, int(o.UTCOffset/time.Second)))
}

// Working reports whether scenario time t falls in the organisation's working hours.
func (o *Org) Working(t time.Time) bool {
	local := t.Add(o.UTCOffset).UTC()
	if wd := local.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	h := local.Hour()
	return h >= o.WorkStart && h < o.WorkEnd
}

// New builds the organisation of spec (defaults applied) from seed.
func New(seed uint64, spec Spec) (*Org, error) {
	spec = spec.WithDefaults()
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("organisation %q: %w", spec.Tenant, err)
	}
	r := rng.New(rng.Derive(seed, "org", spec.Tenant))
	o := &Org{
		Tenant: spec.Tenant,
		Domain: strings.ToLower(spec.Tenant) + ".corp.example",
	}
	o.pickTimeZone(r)
	o.buildComputers(r, spec)
	o.buildUsers(r, spec)
	o.buildServices()
	o.buildGroups()
	return o, nil
}

// utcOffsets are the time zones organisations are placed in (hours from UTC).
var utcOffsets = []float64{-8, -6, -5, -3, 0, 1, 2, 3, 5.5, 8, 9, 10}

func (o *Org) pickTimeZone(r *rng.Source) {
	h := utcOffsets[r.IntN(len(utcOffsets))]
	o.UTCOffset = time.Duration(h * float64(time.Hour))
	o.WorkStart = 7 + r.IntN(3)
	o.WorkEnd = o.WorkStart + 9 + r.IntN(2)
}
