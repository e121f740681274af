package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/emulator/throughput"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// emulatorPart is the embedded Cosmos DB emulator of a one-region run. It samples the
// throughput engine's per-second accounting and prices the run per scaling policy.
type emulatorPart struct {
	srv        *emulator.Server
	region     string
	throttling bool
	ru         *ruAccounting
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
	engine := engineConfig(s)
	if *s.Account.Throttling {
		cfg.Throughput = &emulator.ThroughputConfig{Engine: engine}
	}
	srv, err := emulator.Start(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	return &emulatorPart{srv: srv, region: s.Account.Regions[0],
		throttling: *s.Account.Throttling, ru: newRUAccounting(env.Logger, engine.Prices)}, nil
}

func (e *emulatorPart) Endpoint() string { return e.srv.Endpoint() }

// Key is the account key the backend signs with.
func (e *emulatorPart) Key() string { return e.srv.Key() }

func (e *emulatorPart) close(ctx context.Context) error { return e.srv.Shutdown(ctx) }

// Sample records each container's accounting for the seconds completed since the last call.
func (e *emulatorPart) Sample(rec *reports.Recorder) {
	if !e.throttling {
		return // without enforcement the engine accounts for nothing
	}
	e.ru.sample(rec, e.region, e.srv.Throughput(), time.Now())
}

// Finish adds the throughput bill of each scaling policy to the summary.
func (e *emulatorPart) Finish(_ context.Context, s *reports.Summary) {
	if !e.throttling {
		return
	}
	e.ru.finish(s, []*throughput.Engine{e.srv.Throughput()}, time.Now())
}
