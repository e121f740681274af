package runner

import (
	"context"
	"fmt"

	"github.com/stampede-load/stampede/emulator"
	"github.com/stampede-load/stampede/scenarios"
)

// emulatorPart is the embedded Cosmos DB emulator of a run.
type emulatorPart struct {
	srv *emulator.Server
}

var _ Database = (*emulatorPart)(nil)

// startEmulator starts an emulator on a free loopback port for s's account.
func startEmulator(ctx context.Context, s *scenarios.Scenario, env Env) (*emulatorPart, error) {
	cfg := emulator.Config{Region: s.Account.Regions[0], Logger: env.Logger}
	srv, err := emulator.Start(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("start emulator: %w", err)
	}
	return &emulatorPart{srv: srv}, nil
}

func (e *emulatorPart) Endpoint() string { return e.srv.Endpoint() }

// Key is the account key the backend signs with.
func (e *emulatorPart) Key() string { return e.srv.Key() }

func (e *emulatorPart) close(ctx context.Context) error { return e.srv.Shutdown(ctx) }
