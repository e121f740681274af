package scenarios

import (
	"cmp"
	"fmt"
	"slices"
)

// WithDefaults returns a copy of s with every unset optional field set to its default.
// s itself is not changed.
func (s Scenario) WithDefaults() Scenario {
	if s.Seed == 0 {
		s.Seed = DefaultSeed
	}
	if s.Drain == 0 {
		s.Drain = DefaultDrain
	}
	s.Clock = s.Clock.withDefaults()
	s.Account = s.Account.withDefaults()
	s.Backend = s.Backend.withDefaults()
	s.Tenants = slices.Clone(s.Tenants)
	for i := range s.Tenants {
		s.Tenants[i] = s.Tenants[i].withDefaults()
	}
	s.Timeline = slices.Clone(s.Timeline)
	for i := range s.Timeline {
		if s.Timeline[i].Action == ActionRegionDown && s.Timeline[i].Mode == "" {
			s.Timeline[i].Mode = DefaultOutageMode
		}
	}
	if s.Target.Kind == "" {
		s.Target.Kind = TargetEmbedded
	}
	return s
}

func (c Clock) withDefaults() Clock {
	if c.Compression == 0 {
		c.Compression = 1
	}
	if c.Start == "" {
		c.Start = DefaultClockStart
	}
	return c
}

func (a Account) withDefaults() Account {
	if len(a.Regions) == 0 {
		a.Regions = []string{DefaultRegion}
	}
	if a.Consistency == "" {
		a.Consistency = DefaultConsistency
	}
	if a.Throttling == nil {
		on := true
		a.Throttling = &on
	}
	if a.ServiceManagedFailover && a.FailoverDelay == 0 {
		a.FailoverDelay = DefaultFailoverDelay
	}
	return a
}

func (b Backend) withDefaults() Backend {
	if b.Nodes == 0 {
		b.Nodes = 1
	}
	if b.FlushInterval == 0 {
		b.FlushInterval = DefaultFlushInterval
	}
	if b.SchemaVersion == 0 {
		b.SchemaVersion = 1
	}
	if b.Throttle.MaxAttempts == 0 {
		b.Throttle.MaxAttempts = DefaultThrottleAttempts
	}
	if b.Throttle.MaxWait == 0 {
		b.Throttle.MaxWait = DefaultThrottleWait
	}
	b.Scaling = b.Scaling.withDefaults()
	return b
}

func (s Scaling) withDefaults() Scaling {
	if s.Policy == "" {
		s.Policy = DefaultScalingPolicy
	}
	if s.RU == 0 && s.Policy != "autoscale" {
		s.RU = DefaultManualRU
	}
	if s.Policy == "elastic" && s.Window == 0 {
		s.Window = DefaultScalerWindow
	}
	return s
}

func (t Tenant) withDefaults() Tenant {
	if t.Count == 0 {
		t.Count = 1
	}
	if t.Size == "" {
		t.Size = DefaultTenantSize
	}
	if preset, ok := SizePresets[t.Size]; ok {
		t.Users = cmp.Or(t.Users, preset.Users)
		t.Computers = cmp.Or(t.Computers, preset.Computers)
		t.Sensors = cmp.Or(t.Sensors, preset.Sensors)
	}
	if t.Profile == "" {
		t.Profile = DefaultRateProfile
	}
	t.Attacks = slices.Clone(t.Attacks)
	for i := range t.Attacks {
		if t.Attacks[i].Duration == 0 {
			t.Attacks[i].Duration = DefaultAttackDuration
		}
	}
	if t.Scaling != nil {
		sc := t.Scaling.withDefaults()
		t.Scaling = &sc
	}
	return t
}

// TenantNames returns the names of the tenants t describes: Name alone, or Name-1 ...
// Name-Count.
func (t Tenant) TenantNames() []string {
	if t.Count <= 1 {
		return []string{t.Name}
	}
	names := make([]string, t.Count)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d", t.Name, i+1)
	}
	return names
}

// EffectiveScaling returns the tenant's scaling policy: its own, or the backend's.
func (s Scenario) EffectiveScaling(t Tenant) Scaling {
	if t.Scaling != nil {
		return *t.Scaling
	}
	return s.Backend.Scaling
}
