// Command stampede runs load and fault scenarios against a Cosmos DB-backed security backend.
//
// See README.md for usage and shared design notes in the repository for the architecture.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of the binary. run receives the arguments after the subcommand
// name and returns an error; exitError carries a specific exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands is filled by init functions in the per-subcommand files (emulator.go, run.go, ...).
var commands = map[string]command{}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mainWithArgs(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func mainWithArgs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return ExitBadInput
		}
		return ExitOK
	}

	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "stampede: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitBadInput
	}

	err := cmd.run(ctx, args[1:], stdout, stderr)
	return exitCode(err, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: stampede <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(w, "  %-10s %s\n", name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'stampede <command> -h' for the flags of one command.")
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return ExitOK
	}

	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "stampede: %v\n", ee.err)
		}
		return ee.code
	}

	fmt.Fprintf(stderr, "stampede: %v\n", err)
	return ExitFailure
}
