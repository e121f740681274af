package runner

import (
	"context"
	"errors"

	"github.com/stampede-load/stampede/scenarios"
)

// EmbeddedStarter starts the parts of a run in this process: the emulator, the reference
// backend and the sensor fleet for the embedded target, or only some of them for an
// external target.
type EmbeddedStarter struct{}

// NewEmbeddedStarter returns the Starter of this build.
func NewEmbeddedStarter() *EmbeddedStarter { return &EmbeddedStarter{} }

var _ Starter = (*EmbeddedStarter)(nil)

// Capabilities says what this build can run.
func (e *EmbeddedStarter) Capabilities(target scenarios.Target) Capabilities {
	// TODO(#7): wire the emulator, backend and sensor fleet as their Go APIs land.
	return Capabilities{Missing: "this build has no runnable reference backend (issue #6) " +
		"or sensor fleet (issue #5) yet, so no target can run"}
}

// Start starts the parts.
func (e *EmbeddedStarter) Start(ctx context.Context, s *scenarios.Scenario, env Env) (*Parts, error) {
	return nil, errors.New(e.Capabilities(s.Target).Missing)
}
