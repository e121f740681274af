package sim

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// Rate profile names of TenantSpec.Profile.
const (
	ProfileConstant = "constant"
	ProfileRamp     = "ramp"
	ProfileDiurnal  = "diurnal"
	ProfileBursty   = "bursty"
)

// Profiles lists the rate profile names.
var Profiles = []string{ProfileConstant, ProfileRamp, ProfileDiurnal, ProfileBursty}

// Defaults of Config.
const (
	DefaultBatchSize     = 500
	DefaultBatchWait     = time.Second
	DefaultQueueBatches  = 64
	DefaultBackoffBase   = 100 * time.Millisecond
	DefaultBackoffMax    = 10 * time.Second
	DefaultDrain         = 10 * time.Second
	DefaultSaturationLag = 100 * time.Millisecond
	// Bursty profile: BurstFactor times the rate for BurstFor out of every BurstEvery.
	BurstFactor = 3
	BurstEvery  = time.Minute
	BurstFor    = 10 * time.Second
	// DiurnalNoise is the relative noise on the diurnal profile.
	DiurnalNoise = 0.1
	// MaxRate is the largest tenant rate, in events per second.
	MaxRate = 1e7
	// MaxCompression is the largest scenario clock compression.
	MaxCompression = 1e6
)

// TenantSpec describes one organisation and its load.
type TenantSpec struct {
	// Org is the organisation (tenant id and sizes).
	Org org.Spec
	// Rate is the tenant's rate in events per real second: the constant rate, the end of
	// a ramp, the working-hours peak of diurnal, the base of bursty. Required.
	Rate float64
	// Profile is one of Profiles; "" means constant. ramp goes from 0 to Rate over the run;
	// diurnal follows the organisation's working hours on the scenario clock; bursty runs
	// at BurstFactor x Rate for BurstFor of every BurstEvery.
	Profile string
	// Changes are timeline multipliers on top of the profile (bursts and ramps).
	Changes []pace.Change
	// Attacks are injected with ground truth.
	Attacks []attack.Spec
}

// Config configures a fleet. Zero fields take the defaults documented on each.
type Config struct {
	// Seed determines organisations, streams and attacks. The same seed and Config give
	// the same events, byte for byte.
	Seed uint64
	// Tenants are the organisations. At least one.
	Tenants []TenantSpec
	// Duration is how long events are generated, in real time. Required.
	Duration time.Duration
	// Clock maps real elapsed time to scenario time (event timestamps, working hours).
	Clock pace.Clock
	// Behavior tunes everyday behaviour (mix, failures, churn).
	Behavior behavior.Config
	// Shard and Shards select this process's share of the sensors: those whose index in
	// the fleet (tenants in order, then sensors) is Shard modulo Shards. Shards 0 means 1.
	Shard, Shards int
	// BatchSize is the most events per batch; 0 means DefaultBatchSize.
	BatchSize int
	// BatchWait is the longest an event waits in an open batch (real time); 0 means
	// DefaultBatchWait.
	BatchWait time.Duration
	// Gzip compresses batch bodies.
	Gzip bool
	// QueueBatches bounds each sensor's send buffer, in batches; a full buffer drops the
	// new batch and counts its events as Dropped. 0 means DefaultQueueBatches.
	QueueBatches int
	// InFlight is how many batches each sensor may have in delivery at once; 0 means 1
	// (batches then arrive in sequence order). More keeps a sensor's throughput up against
	// a slow backend, at the price of batches arriving out of order.
	InFlight int
	// MaxAttempts bounds delivery attempts per batch; 0 means retry until the drain ends.
	MaxAttempts int
	// BackoffBase and BackoffMax bound the exponential backoff between attempts (with
	// full jitter; a longer Retry-After wins). 0 means the defaults.
	BackoffBase, BackoffMax time.Duration
	// Drain bounds how long Run waits for buffered batches after generation stops; 0
	// means DefaultDrain.
	Drain time.Duration
	// Workers is the number of pacing goroutines; 0 means DefaultWorkers().
	Workers int
	// SaturationLag is the schedule lag beyond which a second counts as saturated; 0
	// means DefaultSaturationLag.
	SaturationLag time.Duration
	// OnSecond, if set, receives the stats of every second of the run, from one goroutine.
	OnSecond func(Second)
	// Logger receives lifecycle logs and one warning per kind of degradation; nil
	// discards.
	Logger *slog.Logger
}

// WithDefaults returns c with zero fields replaced by their defaults.
func (c Config) WithDefaults() Config {
	setDefault(&c.Shards, 1)
	setDefault(&c.BatchSize, DefaultBatchSize)
	setDefault(&c.BatchWait, DefaultBatchWait)
	setDefault(&c.QueueBatches, DefaultQueueBatches)
	setDefault(&c.InFlight, 1)
	setDefault(&c.BackoffBase, DefaultBackoffBase)
	setDefault(&c.BackoffMax, DefaultBackoffMax)
	setDefault(&c.Drain, DefaultDrain)
	setDefault(&c.SaturationLag, DefaultSaturationLag)
	c.Behavior = c.Behavior.WithDefaults()
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Validate reports every problem with c (after defaults), joined.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Tenants) == 0 {
		add("tenants: at least one required")
	}
	seen := map[string]bool{}
	for i, t := range c.Tenants {
		if seen[t.Org.Tenant] {
			add("tenants[%d]: duplicate tenant %q", i, t.Org.Tenant)
		}
		seen[t.Org.Tenant] = true
		if err := t.validate(); err != nil {
			add("tenants[%d] (%s): %w", i, t.Org.Tenant, err)
		}
	}
	if c.Duration <= 0 {
		add("duration: want > 0, got %v", c.Duration)
	}
	if c.Shards < 1 || c.Shard < 0 || c.Shard >= c.Shards {
		add("shard %d/%d: want 0 <= shard < shards", c.Shard, c.Shards)
	}
	if c.BatchSize < 1 || c.BatchSize > 10_000 {
		add("batch size: want 1..10000, got %d", c.BatchSize)
	}
	if c.BatchWait < 0 || c.QueueBatches < 0 || c.MaxAttempts < 0 || c.Workers < 0 {
		add("batch wait, queue batches, max attempts and workers must not be negative")
	}
	if c.InFlight < 1 || c.InFlight > 64 {
		add("in flight: want 1..64 batches per sensor, got %d", c.InFlight)
	}
	if !(c.Clock.Compression >= 0 && c.Clock.Compression <= MaxCompression) {
		add("clock compression: want 0..%g, got %v", MaxCompression, c.Clock.Compression)
	}
	if err := c.Behavior.Validate(); err != nil {
		add("behavior: %w", err)
	}
	return errors.Join(errs...)
}

func (t TenantSpec) validate() error {
	var errs []error
	if err := t.Org.WithDefaults().Validate(); err != nil {
		errs = append(errs, err)
	}
	if !(t.Rate > 0 && t.Rate <= MaxRate) {
		errs = append(errs, fmt.Errorf("rate: want events per second in (0, %g], got %v",
			MaxRate, t.Rate))
	}
	known := t.Profile == ""
	for _, p := range Profiles {
		known = known || p == t.Profile
	}
	if !known {
		errs = append(errs, fmt.Errorf("profile %q: want one of %v", t.Profile, Profiles))
	}
	if err := (pace.Timeline{Changes: t.Changes}).Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, a := range t.Attacks {
		if err := a.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// profile returns the rate profile of t for organisation o.
func (t TenantSpec) profile(seed uint64, o *org.Org, cfg Config) pace.Profile {
	var base pace.Profile
	switch t.Profile {
	case ProfileRamp:
		base = pace.Ramp{From: 0, To: t.Rate, Over: cfg.Duration}
	case ProfileDiurnal:
		base = pace.Diurnal{Peak: t.Rate, Clock: cfg.Clock, Noise: DiurnalNoise,
			NoiseSeed: rng.Derive(seed, "noise", o.Tenant),
			Hours:     pace.WorkingHours{UTCOffset: o.UTCOffset, Start: o.WorkStart, End: o.WorkEnd}}
	case ProfileBursty:
		base = pace.Burst{Base: t.Rate, Peak: BurstFactor * t.Rate, Every: BurstEvery, For: BurstFor}
	default:
		base = pace.Constant{PerSecond: t.Rate}
	}
	if len(t.Changes) == 0 {
		return base
	}
	return pace.Timeline{Base: base, Changes: t.Changes}
}
