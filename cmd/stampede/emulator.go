package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/stampede-load/stampede/emulator"
)

func init() {
	commands["emulator"] = command{
		summary: "run the Cosmos DB emulator until interrupted",
		run:     runEmulator,
	}
}

// runEmulator serves the emulator until ctx ends (SIGINT/SIGTERM), printing one ready line
// with the endpoint and key on stdout.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if handled, err := emulatorRegions(ctx, args, stdout, stderr); handled {
		return err
	}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address (host:port); loopback unless "+
		"you name another interface")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a self-signed certificate (as "+
		"Microsoft's emulator does); its PEM is written to stderr")
	key := fs.String("key", emulator.DefaultKey, "base64 account key clients sign with")
	tf := addThroughputFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return badInput(fmt.Errorf("emulator: unexpected argument %q", fs.Arg(0)))
	}
	cfg := emulator.Config{
		Addr: *addr, Key: *key, TLS: *useTLS,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)).With("component", "emulator"),
	}
	tc, err := tf.config(fs)
	cfg.Throughput = tc
	if err := errors.Join(err, cfg.Validate()); err != nil {
		return badInput(err)
	}
	srv, err := emulator.Start(ctx, cfg)
	if err != nil {
		return err
	}
	if *useTLS {
		fmt.Fprintf(stderr, "%s", srv.CertPEM())
	}
	fmt.Fprintf(stdout, "emulator ready: endpoint=%s key=%s\n", srv.Endpoint(), srv.Key())
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("emulator shutdown: %w", err)
	}
	return nil
}
