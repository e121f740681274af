package runner

import (
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/stampede-load/stampede/emulator/throughput"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// ruAccounting reads the emulator's per-second throughput accounting of one or more
// regions into the run's metrics, labelled by tenant (not database), container and region,
// and prices the run per scaling policy from the regions' bills. Each region bills its own
// throughput, so summing the regions gives the account's figures.
type ruAccounting struct {
	log    *slog.Logger
	prices throughput.Prices

	mu       sync.Mutex
	out      *recording
	sampled  map[string]time.Time    // per region: accounting is read up to here (exclusive)
	policies map[string]string       // database prefix -> scaling policy
	usage    map[string]*policyUsage // per scaling policy
}

// policyUsage is what one scaling policy consumed and was refused over the run.
type policyUsage struct {
	consumedRU float64
	throttled  int64
}

// engineConfig is the throughput engine of an embedded emulator: billing hours follow the
// scenario clock.
func engineConfig(s *scenarios.Scenario) throughput.Config {
	return throughput.Config{HourLength: time.Duration(float64(time.Hour) /
		s.Clock.Compression), Prices: throughput.DefaultPrices}
}

func newRUAccounting(log *slog.Logger, prices throughput.Prices) *ruAccounting {
	return &ruAccounting{log: log, prices: prices, sampled: map[string]time.Time{},
		policies: map[string]string{}, usage: map[string]*policyUsage{}}
}

// notePolicy tells which scaling policy the databases with prefix belong to.
func (a *ruAccounting) notePolicy(prefix, policy string) {
	a.mu.Lock()
	a.policies[prefix] = policy
	a.mu.Unlock()
}

// tenantOf maps a database to its scaling policy and tenant name; a database of no known
// prefix is its own tenant under the policy "other".
func (a *ruAccounting) tenantOf(database string) (policy, tenant string) {
	for prefix, policy := range a.policies {
		if t, ok := strings.CutPrefix(database, prefix); ok {
			return policy, t
		}
	}
	return "other", database
}

// sample records the accounting of region's engine for the seconds completed since the
// last call for that region.
func (a *ruAccounting) sample(rec *reports.Recorder, region string, engine *throughput.Engine,
	now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.out == nil {
		a.out = &recording{rec: rec, log: a.log}
	}
	now = now.Truncate(time.Second)
	from, ok := a.sampled[region]
	if !ok {
		from = rec.Start().Truncate(time.Second)
	}
	a.sampled[region] = now
	for _, cs := range engine.Seconds(from, now) {
		policy, tenant := a.tenantOf(cs.Database)
		labels := reports.Labels{"tenant": tenant, "container": cs.Container, "region": region}
		a.out.add(reports.MetricRUConsumed, labels, cs.ConsumedRU)
		a.out.set(reports.MetricRUProvisioned, labels, cs.ProvisionedRU)
		a.out.set(reports.MetricPartitions, labels, float64(cs.PartitionCount))
		u := a.usage[policy]
		if u == nil {
			u = &policyUsage{}
			a.usage[policy] = u
		}
		u.consumedRU += cs.ConsumedRU
		u.throttled += cs.Throttled
	}
}

// finish adds the throughput bill of each scaling policy, over every engine, to s.
func (a *ruAccounting) finish(s *reports.Summary, engines []*throughput.Engine, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	costs := map[string]*reports.Cost{}
	for _, e := range engines {
		for _, bill := range e.Bills(now) {
			policy, _ := a.tenantOf(bill.Target.Database)
			c := costs[policy]
			if c == nil {
				c = &reports.Cost{Scope: policy, Policy: policy, Currency: "USD",
					PricePer100RUHour: a.price(policy)}
				costs[policy] = c
			}
			c.RUHours += bill.RUHours
			c.Money += bill.Cost
		}
	}
	for _, policy := range slices.Sorted(maps.Keys(costs)) {
		c := costs[policy]
		if u := a.usage[policy]; u != nil {
			c.ConsumedRU, c.ThrottledRequests = u.consumedRU, u.throttled
		}
		s.Costs = append(s.Costs, *c)
	}
}

func (a *ruAccounting) price(policy string) float64 {
	if policy == scenarios.ScalingAutoscale {
		return a.prices.Autoscale
	}
	return a.prices.Manual
}
