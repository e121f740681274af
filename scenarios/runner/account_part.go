package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/emulator/throughput"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// accountPart is an emulator account with several regions: it takes regions down and up,
// fails over, samples region status and replication lag, and reports each failover's RTO
// and RPO.
//
// RTO is measured, as the design defines it, from the outage of the write region (or the
// failover, if it was planned) to the first write the new write region acknowledged after the
// failover, both as the emulator saw them (its writes-resumed event), to the millisecond.
// With multi-region writes every region keeps taking writes and there is no such event; the
// end is then the first second after the failover in which the backends stored events again.
// RPO is the acknowledged writes the emulator reports lost, and the age of the oldest of them
// at the outage.
type accountPart struct {
	acct          *emulator.Account
	log           *slog.Logger
	regions       []string
	removeBackups func() error
	throttling    bool
	multiWrites   bool
	ru            *ruAccounting
	// stored returns the events the backends have stored so far (their flush progress).
	stored func() int64
	// databases lists the tenants' databases.
	databases func() []string
	out       *recording

	mu         sync.Mutex
	writer     string      // write region at the last sample
	lastSeen   int64       // events stored at the last sample
	pending    []time.Time // outages of failovers not yet followed by a stored event
	recoveries []time.Time // when the backends stored again after each failover, in order
	rtoDone    int         // failovers whose RTO the live metric has recorded
}

var (
	_ Database         = (*accountPart)(nil)
	_ RegionController = (*accountPart)(nil)
	_ Sampler          = (*accountPart)(nil)
	_ Finisher         = (*accountPart)(nil)
)

func startAccount(ctx context.Context, s *scenarios.Scenario, env Env) (*accountPart, error) {
	a := s.Account
	consistency, err := emulator.ParseConsistency(a.Consistency)
	if err != nil {
		return nil, err
	}
	rc := emulator.RegionsConfig{Regions: a.Regions, Consistency: consistency,
		MultiRegionWrites:      a.MultiRegionWrites,
		ServiceManagedFailover: a.ServiceManagedFailover, FailoverDelay: a.FailoverDelay.D()}
	backups, removeBackups, err := backupConfig(s, env)
	if err != nil {
		return nil, err
	}
	rc.Backup = backups
	if a.ReplicationLag > 0 {
		if rc.Lag, err = emulator.ParseLag(a.ReplicationLag.String()); err != nil {
			return nil, err
		}
		rc.Lag.Seed = uint64(s.Seed)
	}
	cfg := emulator.Config{Logger: env.Logger}
	engine := engineConfig(s)
	if *a.Throttling {
		cfg.Throughput = &emulator.ThroughputConfig{Engine: engine}
	}
	acct, err := emulator.StartAccount(ctx, cfg, rc)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start emulator account: %w", err), removeBackups())
	}
	return &accountPart{acct: acct, removeBackups: removeBackups, log: env.Logger, regions: a.Regions,
		throttling: *a.Throttling, multiWrites: a.MultiRegionWrites,
		ru: newRUAccounting(env.Logger, engine.Prices)}, nil
}

func (p *accountPart) Endpoint() string { return p.acct.Endpoint() }

// Key is the account key the backend signs with.
func (p *accountPart) Key() string { return p.acct.Key() }

func (p *accountPart) close(ctx context.Context) error {
	return errors.Join(p.acct.Shutdown(ctx), p.removeBackups())
}

func (p *accountPart) RegionDown(ctx context.Context, region, mode string) error {
	m, err := emulator.ParseOutageMode(mode)
	if err != nil {
		return err
	}
	return p.acct.RegionDown(ctx, region, m)
}

func (p *accountPart) RegionUp(ctx context.Context, region string) error {
	return p.acct.RegionUp(ctx, region)
}

func (p *accountPart) Failover(ctx context.Context, region string) error {
	return p.acct.Failover(ctx, region)
}

// Sample records each region's status, lag and throughput accounting, and each failover's
// recovery time.
func (p *accountPart) Sample(rec *reports.Recorder) {
	if p.throttling {
		now := time.Now()
		for _, name := range p.regions {
			p.ru.sample(rec, name, p.acct.Server(name).Throughput(), now)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		p.out = &recording{rec: rec, log: p.log}
	}
	regions := p.acct.Regions()
	for _, r := range regions {
		labels := reports.Labels{"region": r.Name}
		up := 1.0
		if r.Down {
			up = 0
		}
		p.out.set(reports.MetricRegionUp, labels, up)
		if r.Role != "write" {
			p.out.set(reports.MetricReplicationLag, labels, r.Oldest/1000)
		}
	}
	p.noteRecovery(regions)
	if len(p.pending)+len(p.recoveries) > 0 {
		rep := p.acct.Report()
		p.recordRPO(rep)
		p.recordRTO(rep)
	}
}

// failoverTiming is one failover with the start of its outage and the first write the new
// write region acknowledged after it (zero until then, and always with multi-region writes).
type failoverTiming struct {
	event   emulator.DrillEvent
	outage  time.Time
	resumed time.Time
}

// failoverTimings pairs each failover in events with its outage and the end of it.
func failoverTimings(events []emulator.DrillEvent) []failoverTiming {
	var out []failoverTiming
	for _, e := range events {
		switch e.Kind {
		case emulator.EventFailover:
			outage := e.At
			if e.Forced { // the old write region was down for DownFor before the failover
				outage = e.At.Add(-time.Duration(e.DownFor * float64(time.Millisecond)))
			}
			out = append(out, failoverTiming{event: e, outage: outage})
		case emulator.EventWritesResumed:
			if n := len(out); n > 0 && out[n-1].resumed.IsZero() &&
				out[n-1].event.Region == e.Region {
				out[n-1].resumed = e.At
			}
		}
	}
	return out
}

// recordRTO records the RTO of each failover whose new write region has taken a write.
func (p *accountPart) recordRTO(rep emulator.DrillReport) {
	timings := failoverTimings(rep.Events)
	for ; p.rtoDone < len(timings) && !timings[p.rtoDone].resumed.IsZero(); p.rtoDone++ {
		ft := timings[p.rtoDone]
		p.out.set(reports.MetricFailoverRTO, nil, ft.resumed.Sub(ft.outage).Seconds())
	}
}

// recordRPO records the acknowledged writes the failovers lost so far, and the age of the
// oldest at its outage.
func (p *accountPart) recordRPO(rep emulator.DrillReport) {
	age := 0.0
	for _, lw := range rep.LostWrites {
		if lw.Acknowledged {
			age = max(age, lw.AgeAtOutage/1000)
		}
	}
	p.out.set(reports.MetricFailoverRPO, nil, float64(rep.LostAcknowledged))
	p.out.set(reports.MetricFailoverRPOAge, nil, age)
}

// noteRecovery notices a change of write region (a failover) and, from then on, the first
// second in which the backends stored events again: the end of the outage for them.
func (p *accountPart) noteRecovery(regions []emulator.RegionStatus) {
	now := time.Now()
	for _, r := range regions {
		if r.Role == "write" && p.writer != "" && r.Name != p.writer {
			outage := now
			if old := findRegion(regions, p.writer); old.Down {
				outage = old.Since
			}
			p.pending = append(p.pending, outage)
		}
		if r.Role == "write" {
			p.writer = r.Name
		}
	}
	if p.stored == nil {
		return
	}
	stored := p.stored()
	if stored > p.lastSeen {
		for _, outage := range p.pending {
			p.recoveries = append(p.recoveries, now)
			if p.multiWrites { // otherwise recordRTO has the precise figure
				p.out.set(reports.MetricFailoverRTO, nil, now.Sub(outage).Seconds())
			}
		}
		p.pending = nil
	}
	p.lastSeen = stored
}

func findRegion(regions []emulator.RegionStatus, name string) emulator.RegionStatus {
	for _, r := range regions {
		if r.Name == name {
			return r
		}
	}
	return emulator.RegionStatus{}
}

// Finish adds every failover with its RTO and RPO, and each scaling policy's throughput
// bill over every region, to the summary.
func (p *accountPart) Finish(_ context.Context, s *reports.Summary) {
	if p.throttling {
		var engines []*throughput.Engine
		for _, name := range p.regions {
			engines = append(engines, p.acct.Server(name).Throughput())
		}
		p.ru.finish(s, engines, time.Now())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	rep := p.acct.Report()
	offset := func(t time.Time) float64 { return t.Sub(s.Run.Start).Seconds() }
	for n, ft := range failoverTimings(rep.Events) {
		e := ft.event
		f := reports.Failover{FromRegion: e.From, ToRegion: e.Region, Kind: e.How,
			OutageAtSeconds: offset(ft.outage), RTOSeconds: -1}
		switch {
		case !ft.resumed.IsZero():
			f.RTOSeconds = ft.resumed.Sub(ft.outage).Seconds()
			s.Events = append(s.Events, reports.Event{AtSeconds: offset(ft.resumed),
				Kind: reports.EventFailover, Labels: reports.Labels{"target": e.Region},
				Message: fmt.Sprintf("writes resumed in %s (RTO %.3fs)", e.Region,
					f.RTOSeconds)})
		case p.multiWrites && n < len(p.recoveries):
			f.RTOSeconds = offset(p.recoveries[n]) - f.OutageAtSeconds
		}
		for _, lw := range rep.LostWrites {
			if lw.Acknowledged && lw.Region == e.From && lw.LostTo == e.Region {
				f.RPOCount++
				f.RPOAgeSeconds = max(f.RPOAgeSeconds, lw.AgeAtOutage/1000)
			}
		}
		s.Failovers = append(s.Failovers, f)
		if e.How != "manual" { // manual failovers are timeline events already
			s.Events = append(s.Events, reports.Event{AtSeconds: offset(e.At),
				Kind: reports.EventFailover, Labels: reports.Labels{"target": e.Region},
				Message: fmt.Sprintf("%s failover %s -> %s", e.How, e.From, e.Region)})
		}
	}
}
