package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
	"github.com/stampede-load/stampede/sim"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/sink"
)

// sensorsPart is the sim fleet of a run. It delivers through sensorSink, which
// authenticates each sensor with its own token and measures each batch's latency from its
// intended send time.
type sensorsPart struct {
	fleet *sim.Fleet
	sink  *sensorSink
	log   *slog.Logger
	out   atomic.Pointer[recording]
}

var _ Sensors = (*sensorsPart)(nil)

// fleetTarget is where one tenant's sensors deliver, and with which tokens.
type fleetTarget struct {
	url    string
	tokens map[string]string // sensor id -> bearer token
}

func newSensors(s *scenarios.Scenario, tenants []tenantPlan, targets map[string]fleetTarget,
	plan *LoadPlan, env Env) (*sensorsPart, error) {
	p := &sensorsPart{log: env.Logger}
	client := &http.Client{Timeout: sink.DefaultHTTPTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: 512, MaxIdleConns: 1024}}
	p.sink = &sensorSink{sinks: map[string]*sink.HTTPSink{}, part: p}
	cfg := sim.Config{Seed: uint64(s.Seed), Duration: s.Duration.D(), Clock: env.Clock.Pace(),
		Drain: s.Drain.D(), Logger: env.Logger, OnSecond: p.onSecond}
	for _, t := range tenants {
		target := targets[t.id]
		for sensor, token := range target.tokens {
			hs, err := sink.NewHTTPSink(target.url, sink.HTTPOptions{Client: client,
				Tokens: func(string) string { return token }})
			if err != nil {
				return nil, fmt.Errorf("sensor %s of %s: %w", sensor, t.id, err)
			}
			p.sink.sinks[t.id+"/"+sensor] = hs
		}
		cfg.Tenants = append(cfg.Tenants, fleetTenant(t, plan))
	}
	fleet, err := sim.New(cfg, p.sink)
	if err != nil {
		return nil, err
	}
	p.fleet = fleet
	return p, nil
}

// fleetTenant is the sim description of one tenant.
func fleetTenant(t tenantPlan, plan *LoadPlan) sim.TenantSpec {
	spec := sim.TenantSpec{Org: t.orgSpec(), Rate: t.spec.Rate, Profile: t.spec.Profile,
		Changes: plan.Changes(t.id)}
	for _, a := range t.spec.Attacks {
		spec.Attacks = append(spec.Attacks, attack.Spec{Kind: attack.Kind(a.Kind),
			At: a.At.D(), For: a.Duration.D()})
	}
	return spec
}

func (t tenantPlan) orgSpec() org.Spec {
	return org.Spec{Tenant: t.id, Users: t.spec.Users, Computers: t.spec.Computers,
		Sensors: t.spec.Sensors}
}

// Run generates load for the scenario's duration, then delivers what the sensors still
// buffer (up to the scenario's drain); ctx ending aborts both.
func (p *sensorsPart) Run(ctx context.Context, _ *LoadPlan, rec *reports.Recorder) error {
	p.out.Store(&recording{rec: rec, log: p.log})
	_, err := p.fleet.Run(ctx)
	return err
}

// Totals are the fleet's running totals.
func (p *sensorsPart) Totals() Totals {
	t := p.fleet.Totals()
	return Totals{Sent: t.Generated, Acked: t.Acked, Failed: t.Failed + t.Rejected + t.Dropped}
}

// onSecond records the fleet's per-second figures.
func (p *sensorsPart) onSecond(s sim.Second) {
	out := p.out.Load()
	if out == nil {
		return
	}
	out.add(reports.MetricEventsSent, nil, float64(s.Generated))
	out.add(reports.MetricSendsDropped, nil, float64(s.Dropped))
}

// GroundTruth returns the injected attacks.
func (p *sensorsPart) GroundTruth() []attack.Attack { return p.fleet.GroundTruth() }

// sensorSink sends each batch with its sensor's token to its tenant's backend and records,
// per batch, the outcome and the latency from the batch's intended send time: when it was
// due to leave on the open-model schedule (sink.Batch.Due). Measuring from there, not from
// the actual send, keeps queueing and retries in the figure (no coordinated omission).
type sensorSink struct {
	sinks map[string]*sink.HTTPSink // "tenant/sensor"
	part  *sensorsPart
}

var _ sink.Sink = (*sensorSink)(nil)

// Send implements sink.Sink.
func (s *sensorSink) Send(ctx context.Context, b *sink.Batch) (sink.Result, error) {
	target, ok := s.sinks[b.Tenant+"/"+b.Sensor]
	if !ok {
		return sink.Result{}, fmt.Errorf("no target for sensor %s of tenant %s", b.Sensor,
			b.Tenant)
	}
	s.recordScheduleLag(b)
	res, err := target.Send(ctx, b)
	s.record(b, res, err)
	return res, err
}

func (s *sensorSink) record(b *sink.Batch, res sink.Result, err error) {
	out := s.part.out.Load()
	if out == nil {
		return
	}
	tenant := reports.Labels{"tenant": b.Tenant}
	failed := err != nil || !res.Acked()
	out.ratio(reports.MetricBatchFailed, tenant, boolCount(failed), 1)
	if failed {
		class := "transport"
		if err == nil {
			class = strconv.Itoa(res.Status/100) + "xx"
		}
		out.add(reports.MetricSensorErrors, reports.Labels{"tenant": b.Tenant, "class": class}, 1)
		return
	}
	out.add(reports.MetricBatchesSent, tenant, 1)
	out.add(reports.MetricEventsAcked, tenant, float64(len(b.Events)))
	if len(b.Events) > 0 {
		now := time.Now()
		out.observe(reports.MetricIngestLatency, tenant, now, now.Sub(b.Due).Seconds())
	}
}

// recordScheduleLag records how late the batch leaves compared with when it was due.
func (s *sensorSink) recordScheduleLag(b *sink.Batch) {
	out := s.part.out.Load()
	if out == nil || len(b.Events) == 0 {
		return
	}
	now := time.Now()
	lag := now.Sub(b.Due)
	out.observe(reports.MetricScheduleLag, reports.Labels{"tenant": b.Tenant}, now,
		max(lag, 0).Seconds())
}

func boolCount(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
