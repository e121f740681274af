package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/stampede-load/stampede/sim"
	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
	"github.com/stampede-load/stampede/sim/sink"
)

func init() {
	commands["sensors"] = command{
		summary: "run a fleet of synthetic sensors against a backend, or record their stream",
		run:     runSensors,
	}
}

// sensorFlags are the flags of `stampede sensors`.
type sensorFlags struct {
	target, record, shard, profile, start, attacks, token, tokensFile, mix       string
	tenants                                                                      stringList
	seed                                                                         uint64
	duration, batchWait                                                          time.Duration
	rate, compression                                                            float64
	tenantCount, users, computers, sensors, batchSize, queue, attempts, inFlight int
	gzip, seconds                                                                bool
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func (f *sensorFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.target, "target", "",
		"backend base URL to post batches to, such as http://127.0.0.1:8080")
	fs.StringVar(&f.record, "record", "",
		"write the stream as NDJSON to this file ('-' for stdout) instead of sending it")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of organisations, streams and attacks")
	fs.DurationVar(&f.duration, "duration", time.Minute, "how long to generate events (real time)")
	fs.Float64Var(&f.rate, "rate", 1000, "events per second, all tenants together, split evenly")
	fs.IntVar(&f.tenantCount, "tenants", 1,
		"number of tenants, named t0001, t0002, ... (see --tenant)")
	fs.Var(&f.tenants, "tenant", "tenant id; repeat for several; overrides --tenants")
	fs.IntVar(&f.users, "users", 500, "users per tenant")
	fs.IntVar(&f.computers, "computers", 0, "computers per tenant (0: users/2)")
	fs.IntVar(&f.sensors, "sensors", 0,
		"sensors (domain controllers) per tenant (0: users/500, at least 1)")
	fs.StringVar(&f.shard, "shard", "0/1", "run share I of N of the sensors (I/N, 0-based)")
	fs.StringVar(&f.profile, "profile", sim.ProfileConstant,
		"rate profile: "+strings.Join(sim.Profiles, ", "))
	fs.Float64Var(&f.compression, "compression", 1,
		"scenario seconds per real second (hour of day, working hours)")
	fs.StringVar(&f.start, "start", pace.DefaultStart.Format(time.RFC3339),
		"scenario time at the start, RFC 3339")
	fs.StringVar(&f.attacks, "attacks", "",
		"attacks per tenant: KIND@AT[+FOR],... such as brute-force@10s,kerberoasting@30s+5s")
	fs.StringVar(&f.mix, "mix", "", "event mix, KIND=WEIGHT,... such as "+
		"kerberos_tgs=30,dns_lookup=20,ntlm=5 (default: a typical domain controller)")
	fs.StringVar(&f.token, "token", "", "bearer token for every tenant (or $STAMPEDE_SENSOR_TOKEN)")
	fs.StringVar(&f.tokensFile, "tokens", "",
		"file of 'TENANT SENSOR TOKEN' (or 'TENANT TOKEN') lines, as issued at onboarding")
	fs.IntVar(&f.batchSize, "batch-size", sim.DefaultBatchSize, "most events per batch")
	fs.DurationVar(&f.batchWait, "batch-wait", sim.DefaultBatchWait,
		"longest an event waits for its batch")
	fs.BoolVar(&f.gzip, "gzip", false, "gzip batch bodies")
	fs.IntVar(&f.queue, "queue", sim.DefaultQueueBatches,
		"batches buffered per sensor before dropping")
	fs.IntVar(&f.inFlight, "in-flight", 1,
		"batches each sensor may have in delivery at once (more: out of order)")
	fs.IntVar(&f.attempts, "max-attempts", 0,
		"delivery attempts per batch (0: retry until the drain ends)")
	fs.BoolVar(&f.seconds, "seconds", false, "print each second's stats as a JSON line on stdout")
}

// runSensors runs `stampede sensors`: a fleet against --target, or a recording with
// --record. Totals go to stdout as JSON; exit code 1 when events were not delivered.
func runSensors(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sensors", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f sensorFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInput(fmt.Errorf("sensors: unexpected argument %q", fs.Arg(0)))
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil)).With("component", "sensors")
	cfg, err := f.config(logger)
	if err != nil {
		return badInput(fmt.Errorf("sensors: %w", err))
	}
	if f.record != "" {
		return recordSensors(ctx, cfg, f.record, stdout, stderr)
	}
	return sendSensors(ctx, cfg, &f, stdout)
}

// config turns the flags into a sim.Config, reporting every problem.
func (f *sensorFlags) config(logger *slog.Logger) (sim.Config, error) {
	var errs []error
	if (f.target == "") == (f.record == "") {
		errs = append(errs, errors.New("give exactly one of --target URL and --record FILE"))
	}
	shard, shards, err := sim.ParseShard(f.shard)
	if err != nil {
		// Reported here; 0/1 keeps Validate from reporting it again.
		errs, shards = append(errs, err), 1
	}
	attacks, err := sim.ParseAttacks(f.attacks)
	errs = append(errs, err)
	start, err := time.Parse(time.RFC3339, f.start)
	if err != nil {
		errs = append(errs, fmt.Errorf("start %q: want RFC 3339, such as 2026-01-05T08:00:00Z", f.start))
	}
	names := f.tenantNames()
	if len(names) == 0 {
		errs = append(errs, fmt.Errorf("tenants: want at least 1, got %d", f.tenantCount))
	}
	cfg := sim.Config{
		Seed: f.seed, Duration: f.duration, Shard: shard, Shards: shards,
		Clock:     pace.Clock{Start: start, Compression: f.compression},
		BatchSize: f.batchSize, BatchWait: f.batchWait, Gzip: f.gzip, QueueBatches: f.queue,
		MaxAttempts: f.attempts, InFlight: f.inFlight, Logger: logger,
	}
	if f.mix != "" {
		mix, err := behavior.ParseMix(f.mix)
		if err != nil {
			errs = append(errs, err)
		} else {
			cfg.Behavior.Mix = mix
		}
	}
	for _, name := range names {
		cfg.Tenants = append(cfg.Tenants, sim.TenantSpec{
			Org:  org.Spec{Tenant: name, Users: f.users, Computers: f.computers, Sensors: f.sensors},
			Rate: f.rate / float64(len(names)), Profile: f.profile, Attacks: attacks,
		})
	}
	errs = append(errs, cfg.WithDefaults().Validate())
	return cfg, errors.Join(errs...)
}

func (f *sensorFlags) tenantNames() []string {
	if len(f.tenants) > 0 {
		return f.tenants
	}
	var names []string
	for i := range f.tenantCount {
		names = append(names, fmt.Sprintf("t%04d", i+1))
	}
	return names
}

// tokens returns the token lookup from --tokens, then --token or $STAMPEDE_SENSOR_TOKEN.
func (f *sensorFlags) tokens() (func(tenant, sensor string) string, error) {
	common := f.token
	if common == "" {
		common = os.Getenv("STAMPEDE_SENSOR_TOKEN")
	}
	var listed sim.Tokens
	if f.tokensFile != "" {
		file, err := os.Open(f.tokensFile)
		if err != nil {
			return nil, fmt.Errorf("tokens: %w", err)
		}
		defer file.Close()
		if listed, err = sim.LoadTokens(file, f.tokensFile); err != nil {
			return nil, err
		}
	}
	return func(tenant, sensor string) string {
		if t := listed.For(tenant, sensor); t != "" {
			return t
		}
		return common
	}, nil
}

func sendSensors(ctx context.Context, cfg sim.Config, f *sensorFlags, stdout io.Writer) error {
	tokens, err := f.tokens()
	if err != nil {
		return badInput(fmt.Errorf("sensors: %w", err))
	}
	target, err := sink.NewHTTPSink(f.target, sink.HTTPOptions{SensorTokens: tokens})
	if err != nil {
		return badInput(fmt.Errorf("sensors: %w", err))
	}
	enc := json.NewEncoder(stdout)
	if f.seconds {
		cfg.OnSecond = func(s sim.Second) { _ = enc.Encode(s) }
	}
	fleet, err := sim.New(cfg, target)
	if err != nil {
		return badInput(err)
	}
	totals, err := fleet.Run(ctx)
	if err != nil {
		return err
	}
	enc.SetIndent("", "  ")
	if err := enc.Encode(totals); err != nil {
		return fmt.Errorf("sensors: write totals: %w", err)
	}
	if lost := totals.Generated + totals.Missed - totals.Acked; lost > 0 {
		return fmt.Errorf("sensors: %d of %d scheduled events not acknowledged (missed %d, "+
			"dropped %d, rejected %d, failed %d, unsent %d)", lost,
			totals.Generated+totals.Missed, totals.Missed, totals.Dropped, totals.Rejected,
			totals.Failed, totals.Unsent)
	}
	return nil
}

func recordSensors(ctx context.Context, cfg sim.Config, path string,
	stdout, stderr io.Writer,
) error {
	out, report := stdout, stdout
	if path != "-" {
		file, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("sensors: %w", err)
		}
		defer file.Close()
		out = file
	} else {
		report = stderr
	}
	totals, err := sim.Record(ctx, cfg, out)
	if err != nil {
		return fmt.Errorf("sensors: %w", err)
	}
	if file, ok := out.(*os.File); ok && out != stdout {
		if err := file.Close(); err != nil {
			return fmt.Errorf("sensors: %w", err)
		}
	}
	enc := json.NewEncoder(report)
	enc.SetIndent("", "  ")
	return enc.Encode(totals)
}
