package sim

import (
	"fmt"
	"time"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/internal/rng"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// stream is the event stream of one sensor: everyday events on the schedule of its share
// of the tenant's profile, merged with the attack events injected into this sensor. It is
// a pure function of the seed and the config.
type stream struct {
	// index is the sensor's position in the whole fleet (all shards).
	index   int
	tenant  string
	sensor  string
	horizon time.Duration
	sched   *pace.Schedule
	gen     *behavior.Generator
	// injected are this sensor's attack events, in due order.
	injected []attack.Timed
	// batchPhase, in [0, 1), cuts the sensor's first batch short (see sensor.limit).
	batchPhase float64
}

// peek returns the due offset of the next event; false when the stream is over.
func (s *stream) peek() (time.Duration, bool) {
	at, ok := s.sched.Peek(s.horizon)
	if len(s.injected) > 0 && s.injected[0].At < s.horizon && (!ok || s.injected[0].At <= at) {
		return s.injected[0].At, true
	}
	return at, ok
}

// next fills e with the next event and returns its due offset; false when over.
func (s *stream) next(e *api.Event) (time.Duration, bool) {
	at, ok := s.sched.Peek(s.horizon)
	if len(s.injected) > 0 && s.injected[0].At < s.horizon && (!ok || s.injected[0].At <= at) {
		*e = s.injected[0].Event
		at = s.injected[0].At
		s.injected = s.injected[1:]
		return at, true
	}
	if !ok {
		return 0, false
	}
	s.sched.Next(s.horizon)
	s.gen.Fill(e, at)
	return at, true
}

// skipRest consumes the rest of the stream without generating it and returns how many
// events that was.
func (s *stream) skipRest() int64 {
	n := int64(0)
	for _, ok := s.sched.Next(s.horizon); ok; _, ok = s.sched.Next(s.horizon) {
		n++
	}
	for _, t := range s.injected {
		if t.At < s.horizon {
			n++
		}
	}
	s.injected = nil
	return n
}

// tenantPlan is one organisation with its attack plan.
type tenantPlan struct {
	spec    TenantSpec
	org     *org.Org
	attacks []*attack.Injection
}

// plan builds every organisation and attack plan, and the streams of this shard's sensors,
// in fleet order.
func plan(cfg Config) ([]tenantPlan, []*stream, error) {
	tenants := make([]tenantPlan, len(cfg.Tenants))
	var streams []*stream
	index := 0
	for i, spec := range cfg.Tenants {
		o, err := org.New(cfg.Seed, spec.Org)
		if err != nil {
			return nil, nil, err
		}
		behaviour, err := behavior.NewTenant(cfg.Seed, o, cfg.Behavior, cfg.Clock)
		if err != nil {
			return nil, nil, fmt.Errorf("tenant %s: %w", o.Tenant, err)
		}
		injections, err := attack.Plan(cfg.Seed, o, spec.Attacks, cfg.Clock, behaviour)
		if err != nil {
			return nil, nil, fmt.Errorf("tenant %s: %w", o.Tenant, err)
		}
		kept := injections[:0]
		for _, inj := range injections {
			if inj.Truncate(cfg.Duration) {
				kept = append(kept, inj)
			}
		}
		tenants[i] = tenantPlan{spec: spec, org: o, attacks: kept}
		profile := spec.profile(cfg.Seed, o, cfg)
		for dc := range o.DCs {
			if index%cfg.Shards == cfg.Shard {
				s, err := newStream(cfg, &tenants[i], behaviour, profile, dc, index)
				if err != nil {
					return nil, nil, err
				}
				streams = append(streams, s)
			}
			index++
		}
	}
	return tenants, streams, nil
}

func newStream(cfg Config, t *tenantPlan, behaviour *behavior.Tenant, profile pace.Profile,
	dc, index int,
) (*stream, error) {
	o := t.org
	gen, err := behaviour.Generator(dc)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", o.Tenant, err)
	}
	share := o.SensorShare(dc)
	phase := rng.New(rng.Derive(cfg.Seed, "phase", o.Tenant, o.SensorIDs[dc])).Float64()
	s := &stream{
		index: index, tenant: o.Tenant, sensor: o.SensorIDs[dc], horizon: cfg.Duration,
		sched: pace.NewSchedule(profile, share, phase), gen: gen,
		batchPhase: rng.New(rng.Derive(cfg.Seed, "batch-phase", o.Tenant,
			o.SensorIDs[dc])).Float64(),
	}
	for _, inj := range t.attacks {
		if inj.Sensor == dc {
			s.injected = mergeTimed(s.injected, inj.Events)
		}
	}
	return s, nil
}

// mergeTimed merges two due-ordered event lists; on equal offsets a comes first.
func mergeTimed(a, b []attack.Timed) []attack.Timed {
	out := make([]attack.Timed, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if b[0].At < a[0].At {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
