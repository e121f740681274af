package runner

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/emulator/throughput"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// emulatorPart is the embedded Cosmos DB emulator of a run. It samples the throughput
// engine's per-second accounting and prices the run per scaling policy.
type emulatorPart struct {
	srv        *emulator.Server
	throttling bool
	log        *slog.Logger
	out        *recording

	mu       sync.Mutex
	sampled  time.Time               // accounting is read up to here (exclusive)
	policies map[string]string       // database prefix -> scaling policy
	usage    map[string]*policyUsage // per scaling policy
	prices   throughput.Prices
}

// policyUsage is what one scaling policy consumed and was refused over the run.
type policyUsage struct {
	consumedRU float64
	throttled  int64
}

var (
	_ Database = (*emulatorPart)(nil)
	_ Sampler  = (*emulatorPart)(nil)
	_ Finisher = (*emulatorPart)(nil)
)

// startEmulator starts an emulator on a free loopback port for s's account. With
// throttling, billing hours follow the scenario clock.
func startEmulator(ctx context.Context, s *scenarios.Scenario, env Env) (*emulatorPart, error) {
	cfg := emulator.Config{Region: s.Account.Regions[0], Logger: env.Logger}
	engine := throughput.Config{HourLength: time.Duration(float64(time.Hour) /
		s.Clock.Compression), Prices: throughput.DefaultPrices}
	if *s.Account.Throttling {
		cfg.Throughput = &emulator.ThroughputConfig{Engine: engine}
	}
	srv, err := emulator.Start(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	return &emulatorPart{srv: srv, throttling: *s.Account.Throttling, log: env.Logger,
		sampled: time.Now().Truncate(time.Second), policies: map[string]string{},
		usage: map[string]*policyUsage{}, prices: engine.Prices}, nil
}

func (e *emulatorPart) Endpoint() string { return e.srv.Endpoint() }

// Key is the account key the backend signs with.
func (e *emulatorPart) Key() string { return e.srv.Key() }

func (e *emulatorPart) close(ctx context.Context) error { return e.srv.Shutdown(ctx) }

// notePolicy tells which scaling policy the databases with prefix belong to.
func (e *emulatorPart) notePolicy(prefix, policy string) {
	e.mu.Lock()
	e.policies[prefix] = policy
	e.mu.Unlock()
}

func (e *emulatorPart) policyOf(database string) string {
	for prefix, policy := range e.policies {
		if strings.HasPrefix(database, prefix) {
			return policy
		}
	}
	return "other"
}

// Sample records each container's accounting for the seconds completed since the last call.
func (e *emulatorPart) Sample(rec *reports.Recorder) {
	if !e.throttling {
		return // without enforcement the engine accounts for nothing
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.out == nil {
		e.out = &recording{rec: rec, log: e.log}
	}
	now := time.Now().Truncate(time.Second)
	seconds := e.srv.Throughput().Seconds(e.sampled, now)
	e.sampled = now
	for _, cs := range seconds {
		labels := reports.Labels{"tenant": cs.Database, "container": cs.Container}
		e.out.add(reports.MetricRUConsumed, labels, cs.ConsumedRU)
		e.out.set(reports.MetricRUProvisioned, labels, cs.ProvisionedRU)
		e.out.set(reports.MetricPartitions, labels, float64(cs.PartitionCount))
		u := e.usage[e.policyOf(cs.Database)]
		if u == nil {
			u = &policyUsage{}
			e.usage[e.policyOf(cs.Database)] = u
		}
		u.consumedRU += cs.ConsumedRU
		u.throttled += cs.Throttled
	}
}

// Finish adds the throughput bill of each scaling policy to the summary.
func (e *emulatorPart) Finish(_ context.Context, s *reports.Summary) {
	if !e.throttling {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	costs := map[string]*reports.Cost{}
	for _, bill := range e.srv.Throughput().Bills(time.Now()) {
		policy := e.policyOf(bill.Target.Database)
		c := costs[policy]
		if c == nil {
			c = &reports.Cost{Scope: policy, Policy: policy, Currency: "USD",
				PricePer100RUHour: e.price(policy)}
			costs[policy] = c
		}
		c.RUHours += bill.RUHours
		c.Money += bill.Cost
	}
	for _, policy := range slices.Sorted(maps.Keys(costs)) {
		c := costs[policy]
		if u := e.usage[policy]; u != nil {
			c.ConsumedRU, c.ThrottledRequests = u.consumedRU, u.throttled
		}
		s.Costs = append(s.Costs, *c)
	}
}

func (e *emulatorPart) price(policy string) float64 {
	if policy == scenarios.ScalingAutoscale {
		return e.prices.Autoscale
	}
	return e.prices.Manual
}
