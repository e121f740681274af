package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/emulator/throughput"
)

// throughputFlags are the provisioned-throughput flags of `stampede emulator`, shared by
// the single-region emulator and accounts. Without --throttle the emulator never throttles.
type throughputFlags struct {
	throttle, burst                       bool
	splitDelay, maintenance, hourLength   time.Duration
	defaultRU, maxRU                      int
	throttledCharge                       float64
	partitionMaxBytes, logicalPartitionMB int64
}

// throughputFlagNames are the flags that only mean something with --throttle.
var throughputFlagNames = []string{"burst", "split-delay", "maintenance-interval",
	"billing-hour", "default-throughput", "max-throughput", "throttled-charge",
	"partition-max-bytes", "logical-partition-max-mb"}

func addThroughputFlags(fs *flag.FlagSet) *throughputFlags {
	f := &throughputFlags{}
	fs.BoolVar(&f.throttle, "throttle", false, "enforce provisioned throughput: per-partition "+
		"RU/s budgets answered with 429, offers, autoscale, splits, billing and /metrics "+
		"(default: a plain emulator that never throttles)")
	fs.BoolVar(&f.burst, "burst", false, "with --throttle: partitions under 3,000 RU/s bank "+
		"unused budget (up to 300 s) and spend it in bursts")
	fs.DurationVar(&f.splitDelay, "split-delay", emulator.DefaultSplitDelay, "with --throttle: "+
		"time from a throughput raise or storage growth to the new partitions (negative: at "+
		"the next maintenance pass)")
	fs.DurationVar(&f.maintenance, "maintenance-interval", emulator.DefaultMaintenanceInterval,
		"with --throttle: how often storage is measured and due splits run")
	fs.DurationVar(&f.hourLength, "billing-hour", throughput.DefaultHourLength, "with "+
		"--throttle: length of a billing hour (shorter compresses a run's billing)")
	fs.IntVar(&f.defaultRU, "default-throughput", throughput.DefaultManualThroughput, "with "+
		"--throttle: RU/s of a container created without throughput outside a shared database")
	fs.IntVar(&f.maxRU, "max-throughput", throughput.DefaultMaxThroughput, "with --throttle: "+
		"most RU/s one container or database may provision")
	fs.Float64Var(&f.throttledCharge, "throttled-charge", 0, "with --throttle: RU charged to "+
		"a partition for each request it answers with 429")
	fs.Int64Var(&f.partitionMaxBytes, "partition-max-bytes", throughput.PartitionMaxStorageBytes,
		"with --throttle: storage of one physical partition past which it splits")
	fs.Int64Var(&f.logicalPartitionMB, "logical-partition-max-mb",
		throughput.LogicalPartitionMaxStorageBytes>>20, "with --throttle: most MiB one "+
			"partition key value may store (403, substatus 1014 past it)")
	return f
}

// config returns the emulator's throughput configuration: nil without --throttle, and an
// error naming each flag that needs --throttle or has a bad value. fs must be parsed.
func (f *throughputFlags) config(fs *flag.FlagSet) (*emulator.ThroughputConfig, error) {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !f.throttle {
		var errs []error
		for _, name := range throughputFlagNames {
			if set[name] {
				errs = append(errs, fmt.Errorf("--%s needs --throttle", name))
			}
		}
		return nil, errors.Join(errs...)
	}
	var errs []error
	if f.partitionMaxBytes <= 0 {
		errs = append(errs, fmt.Errorf("--partition-max-bytes %d: want > 0", f.partitionMaxBytes))
	}
	if f.logicalPartitionMB <= 0 {
		errs = append(errs, fmt.Errorf("--logical-partition-max-mb %d: want > 0",
			f.logicalPartitionMB))
	}
	if f.maintenance <= 0 {
		errs = append(errs, fmt.Errorf("--maintenance-interval %v: want > 0", f.maintenance))
	}
	tc := &emulator.ThroughputConfig{
		Engine: throughput.Config{
			DefaultThroughput: f.defaultRU, MaxThroughput: f.maxRU, Burst: f.burst,
			ThrottledChargeRU: f.throttledCharge, HourLength: f.hourLength,
		},
		SplitDelay:               f.splitDelay,
		PartitionMaxBytes:        f.partitionMaxBytes,
		LogicalPartitionMaxBytes: f.logicalPartitionMB << 20,
		MaintenanceInterval:      f.maintenance,
	}
	if err := tc.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("--throttle: %w", err))
	}
	return tc, errors.Join(errs...)
}
