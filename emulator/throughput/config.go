package throughput

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of Config, from the service's documented behaviour.
const (
	// DefaultManualThroughput is the RU/s a container gets when it is created without an
	// offer in a database without shared throughput (the service's minimum).
	DefaultManualThroughput = 400
	// DefaultMaxThroughput is the default per-resource quota of 1,000,000 RU/s.
	DefaultMaxThroughput = 1_000_000
	// DefaultHistory is how many seconds of per-partition accounting are kept.
	DefaultHistory = 15 * time.Minute
	// DefaultHourLength is the length of a billing hour on the engine's clock.
	DefaultHourLength = time.Hour
	// DefaultRegions is the number of regions the account is billed for.
	DefaultRegions = 1
)

// Documented service constants.
const (
	// PartitionMaxThroughput is the most RU/s one physical partition serves.
	PartitionMaxThroughput = 10_000
	// PartitionMaxStorageBytes is the most one physical partition stores (50 GB).
	PartitionMaxStorageBytes = 50 << 30
	// LogicalPartitionMaxStorageBytes is the most one partition key value stores (20 GB).
	LogicalPartitionMaxStorageBytes = 20 << 30
	// BurstMaxRate is the RU/s a partition may spend from its burst bank; partitions with
	// this budget or more accumulate no burst capacity.
	BurstMaxRate = 3_000
	// BurstBankSeconds is how many seconds of unused budget a partition can bank.
	BurstBankSeconds = 300
)

// Prices are the documented US example rates per 100 RU/s per hour, per region.
type Prices struct {
	Manual           float64 // single write region, manual throughput
	Autoscale        float64 // single write region, autoscale (1.5x manual)
	MultiRegionWrite float64 // multi-region writes, manual or autoscale
}

// DefaultPrices are the published per-100-RU/s-hour rates in US dollars.
var DefaultPrices = Prices{Manual: 0.008, Autoscale: 0.012, MultiRegionWrite: 0.016}

// Config configures an Engine. The zero value is usable: NewEngine fills zero fields with
// their defaults.
type Config struct {
	// DefaultThroughput is the manual RU/s of a container registered without an offer in a
	// database without shared throughput. Zero means DefaultManualThroughput.
	DefaultThroughput int
	// MaxThroughput is the quota per container or database, in RU/s. Zero means
	// DefaultMaxThroughput.
	MaxThroughput int
	// Burst enables burst capacity: partitions under BurstMaxRate RU/s bank unused budget
	// for up to BurstBankSeconds and spend it at up to BurstMaxRate RU/s.
	Burst bool
	// ThrottledChargeRU is charged to a partition for each request it refuses with 429
	// (the service shows about 0.4 RU). Zero charges nothing.
	ThrottledChargeRU float64
	// History is how long per-second accounting is kept for Seconds. Zero means
	// DefaultHistory.
	History time.Duration
	// HourLength is a billing hour on the engine's clock; a scenario that compresses time
	// sets it shorter (one minute makes every minute a billed hour). Hours under a second
	// are billed a second at a time, each second counting for as many hours as it holds.
	// Zero means DefaultHourLength.
	HourLength time.Duration
	// Regions is how many regions the account bills throughput in. Zero means
	// DefaultRegions.
	Regions int
	// MultiRegionWrites bills at the multi-region-write rate.
	MultiRegionWrites bool
	// Prices are the rates per 100 RU/s-hour. Zero means DefaultPrices.
	Prices Prices
	// Logger receives lifecycle messages only, never one per request. Nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.DefaultThroughput == 0 {
		c.DefaultThroughput = DefaultManualThroughput
	}
	if c.MaxThroughput == 0 {
		c.MaxThroughput = DefaultMaxThroughput
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.HourLength == 0 {
		c.HourLength = DefaultHourLength
	}
	if c.Regions == 0 {
		c.Regions = DefaultRegions
	}
	if c.Prices == (Prices{}) {
		c.Prices = DefaultPrices
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every problem of c (after defaults), joined. It does not modify c.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := validateManual(c.DefaultThroughput, manualMinimum, c.MaxThroughput); err != nil {
		errs = append(errs, fmt.Errorf("default throughput: %w", err))
	}
	if c.MaxThroughput < manualMinimum {
		errs = append(errs, fmt.Errorf("max throughput %d: want >= %d RU/s",
			c.MaxThroughput, manualMinimum))
	}
	if c.ThrottledChargeRU < 0 {
		errs = append(errs, fmt.Errorf("throttled charge %v: want >= 0 RU", c.ThrottledChargeRU))
	}
	if c.History < time.Second {
		errs = append(errs, fmt.Errorf("history %v: want >= 1s", c.History))
	}
	if c.HourLength < time.Millisecond {
		errs = append(errs, fmt.Errorf("hour length %v: want >= 1ms", c.HourLength))
	}
	if c.Regions < 1 {
		errs = append(errs, fmt.Errorf("regions %d: want >= 1", c.Regions))
	}
	if c.Prices.Manual < 0 || c.Prices.Autoscale < 0 || c.Prices.MultiRegionWrite < 0 {
		errs = append(errs, errors.New("prices: want >= 0"))
	}
	return errors.Join(errs...)
}
