package main

import (
	"errors"
	"flag"
)

// Exit codes of the binary, as documented in docs/design.md and README.md.
const (
	// ExitOK means the command succeeded and, for run, every threshold held.
	ExitOK = 0
	// ExitFailure is anything else: a component failed, an endpoint was unreachable.
	ExitFailure = 1
	// ExitBadInput means the scenario, a flag or an argument was invalid.
	ExitBadInput = 2
	// ExitThresholds means the run completed but at least one threshold failed (k6's code).
	ExitThresholds = 99
)

// exitError attaches an exit code to an error. A nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return "exit"
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// badInput marks err as a bad-input error (exit code 2).
func badInput(err error) error { return &exitError{code: ExitBadInput, err: err} }

// parseFlags parses args with fs and maps flag errors to exit code 2 (help to 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return &exitError{code: ExitOK}
	}
	if err != nil {
		return &exitError{code: ExitBadInput}
	}
	return nil
}
