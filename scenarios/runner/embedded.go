package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stampede-load/stampede/internal/msemulator"
	"github.com/stampede-load/stampede/scenarios"
)

// EmbeddedStarter starts the parts of a run in this process: the emulator (unless the
// target is an external Cosmos DB account: an account of regions, with backups when the
// timeline takes them, or one server when one region will do), one reference backend per scaling policy in
// use (with the elastic scaler service where needed) and the sensor fleet. With an
// external backend as the target (target.backendURL), only the sensors run here, and the
// backend is driven over its admin API.
type EmbeddedStarter struct{}

// NewEmbeddedStarter returns the Starter of this build.
func NewEmbeddedStarter() *EmbeddedStarter { return &EmbeddedStarter{} }

var _ Starter = (*EmbeddedStarter)(nil)

// Reasons for what this build cannot run yet.
const (
	noExternalRegions = "regions of an external account cannot be taken down from here"
	noExternalBackups = "backups of an external account are the service's; they cannot be " +
		"taken or restored from here"
	noExternalWrites = "multi-region writes of an external account are set on the account, " +
		"not from here"
)

// Capabilities says what this build can run for target.
func (e *EmbeddedStarter) Capabilities(target scenarios.Target) Capabilities {
	if target.BackendURL != "" {
		return externalBackendCapabilities()
	}
	caps := Capabilities{Unsupported: map[string]string{}}
	if target.Cosmos != nil {
		for _, a := range []string{scenarios.ActionRegionDown, scenarios.ActionRegionUp,
			scenarios.ActionFailover} {
			caps.Unsupported[a] = noExternalRegions
		}
		caps.Unsupported[scenarios.ActionBackup] = noExternalBackups
		caps.Unsupported[scenarios.ActionRestore] = noExternalBackups
		caps.Unsupported[FeatureMultiRegionWrites] = noExternalWrites
	}
	return caps
}

// Start starts the parts of s and onboards its tenants. On error, whatever started is
// stopped again.
func (e *EmbeddedStarter) Start(ctx context.Context, s *scenarios.Scenario, env Env) (*Parts, error) {
	if s.Target.BackendURL != "" {
		return startExternalBackend(ctx, s, env)
	}
	st := &startup{s: s, env: env}
	parts, err := st.start(ctx)
	if err != nil {
		return nil, errors.Join(err, st.close(context.WithoutCancel(ctx)))
	}
	parts.Close = st.close
	return parts, nil
}

// startup tracks what has been started, to stop it in reverse order.
type startup struct {
	s       *scenarios.Scenario
	env     Env
	emu     *emulatorPart // the single-region emulator, if any
	acct    *accountPart  // the multi-region emulator account, if any
	closers []func(context.Context) error
}

func (st *startup) onClose(f func(context.Context) error) { st.closers = append(st.closers, f) }

func (st *startup) close(ctx context.Context) error {
	var errs []error
	for _, f := range slices.Backward(st.closers) {
		errs = append(errs, f(ctx))
	}
	st.closers = nil
	return errors.Join(errs...)
}

func (st *startup) start(ctx context.Context) (*Parts, error) {
	s := st.s
	tenants, err := planTenants(s)
	if err != nil {
		return nil, err
	}
	db, endpoint, key, err := st.database(ctx)
	if err != nil {
		return nil, err
	}
	group, err := st.backends(ctx, endpoint, key, tenants)
	if err != nil {
		return nil, err
	}
	sensors, err := newSensors(s, tenants, group.targets(), NewLoadPlan(s), st.env)
	if err != nil {
		return nil, fmt.Errorf("sensor fleet: %w", err)
	}
	group.sensors = sensors
	if st.acct != nil {
		st.acct.stored, st.acct.databases = group.stored, group.databases
	}
	parts := &Parts{Database: db, Backend: group, Sensors: sensors,
		Samplers: []Sampler{group.sampler(s, st.env)}}
	if sampler, ok := db.(Sampler); ok {
		parts.Samplers = append(parts.Samplers, sampler)
	}
	return parts, nil
}

// database starts the emulator, or connects to the external account of the target.
func (st *startup) database(ctx context.Context) (Database, string, string, error) {
	if c := st.s.Target.Cosmos; c != nil && c.Emulator == scenarios.EmulatorMicrosoft {
		em, err := msemulator.Start(ctx, msemulator.Options{
			Image: st.env.Getenv("STAMPEDE_MICROSOFT_EMULATOR_IMAGE")})
		if err != nil {
			return nil, "", "", fmt.Errorf("target.cosmos.emulator microsoft: %w", err)
		}
		st.onClose(em.Stop)
		return externalCosmos(em.Endpoint), em.Endpoint, em.Key, nil
	}
	if c := st.s.Target.Cosmos; c != nil {
		key := st.env.Getenv(c.KeyEnv)
		if key == "" {
			return nil, "", "", fmt.Errorf("target.cosmos.keyEnv: environment variable %s is "+
				"empty", c.KeyEnv)
		}
		return externalCosmos(c.Endpoint), c.Endpoint, key, nil
	}
	// Backups are the multi-region account's: a one-region scenario that takes them runs
	// on an account of one region.
	if len(st.s.Account.Regions) > 1 || needsBackups(st.s) {
		acct, err := startAccount(ctx, st.s, st.env)
		if err != nil {
			return nil, "", "", err
		}
		st.onClose(acct.close)
		st.acct = acct
		return acct, acct.Endpoint(), acct.Key(), nil
	}
	emu, err := startEmulator(ctx, st.s, st.env)
	if err != nil {
		return nil, "", "", err
	}
	st.onClose(emu.close)
	st.emu = emu
	return emu, emu.Endpoint(), emu.Key(), nil
}

// ruAccounting is the throughput accounting of the embedded emulator, if any.
func (st *startup) ruAccounting() *ruAccounting {
	switch {
	case st.emu != nil:
		return st.emu.ru
	case st.acct != nil:
		return st.acct.ru
	}
	return nil
}

// externalCosmos is an account this process does not control.
type externalCosmos string

func (c externalCosmos) Endpoint() string { return string(c) }
