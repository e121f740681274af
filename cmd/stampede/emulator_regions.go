package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/stampede-load/stampede/emulator"
)

// regionFlagNames are the flags that make `stampede emulator` start a multi-region account.
var regionFlagNames = []string{"regions", "region-addrs", "consistency", "replication-lag",
	"max-staleness-prefix", "max-staleness-interval", "service-managed-failover",
	"failover-delay", "data-dir", "snapshot-bytes", "backup-dir", "backup-geo-dir",
	"backup-interval", "backup-retention", "multi-region-writes", "conflict-resolution-path",
	"max-queued-while-down"}

// regionFlags are the account flags of `stampede emulator`.
type regionFlags struct {
	addr, key, regions, addrs, consistency, lag, dataDir string
	backupDir, backupGeoDir, restoreFrom, lwwPath        string
	backupInterval, backupRetention                      time.Duration
	useTLS, serviceManaged, multiWrite                   bool
	maxPrefix, snapshotBytes                             int64
	maxQueued                                            int
	maxInterval, failoverDelay                           time.Duration
	throughput                                           *throughputFlags
}

func newRegionFlagSet(stderr io.Writer) (*flag.FlagSet, *regionFlags) {
	f := &regionFlags{}
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8081", "account endpoint listen address (host:port)")
	fs.BoolVar(&f.useTLS, "tls", false, "serve HTTPS with a self-signed certificate")
	fs.StringVar(&f.key, "key", emulator.DefaultKey, "base64 account key (also for the "+
		"control API)")
	fs.StringVar(&f.regions, "regions", "", "comma-separated regions, write region first, "+
		"e.g. westus2,eastus2; each listens on its own port")
	fs.StringVar(&f.addrs, "region-addrs", "", "comma-separated listen addresses, one per "+
		"region (default 127.0.0.1 with free ports)")
	fs.StringVar(&f.consistency, "consistency", "session", "default consistency: strong, "+
		"bounded-staleness, session, consistent-prefix or eventual")
	fs.StringVar(&f.lag, "replication-lag", "0s", "replication lag: 50ms, uniform:20ms-80ms "+
		"or exponential:50ms[-2s]")
	fs.Int64Var(&f.maxPrefix, "max-staleness-prefix", emulator.DefaultMaxStalenessPrefix,
		"bounded staleness K (writes)")
	fs.DurationVar(&f.maxInterval, "max-staleness-interval", emulator.DefaultMaxStalenessInterval,
		"bounded staleness T")
	fs.BoolVar(&f.serviceManaged, "service-managed-failover", false, "fail over by itself "+
		"when the write region is down for --failover-delay")
	fs.DurationVar(&f.failoverDelay, "failover-delay", emulator.DefaultFailoverDelay,
		"outage detection delay of service-managed failover")
	fs.BoolVar(&f.multiWrite, "multi-region-writes", false, "every region accepts document "+
		"writes; conflicts resolve last-writer-wins")
	fs.StringVar(&f.lwwPath, "conflict-resolution-path", "/_ts", "numeric property "+
		"last-writer-wins compares (/_ts: commit time)")
	fs.IntVar(&f.maxQueued, "max-queued-while-down", emulator.DefaultMaxQueuedWhileDown,
		"writes a down read region queues; past it, it is resynchronised from the write "+
			"region when it returns (negative: no limit)")
	fs.StringVar(&f.dataDir, "data-dir", "", "keep the account in this directory: every "+
		"acknowledged write survives a crash and is recovered on start (default: memory only)")
	fs.Int64Var(&f.snapshotBytes, "snapshot-bytes", emulator.DefaultSnapshotBytes,
		"write-ahead log size that triggers a snapshot (bounds recovery time)")
	fs.StringVar(&f.backupDir, "backup-dir", "", "take periodic backups into this directory "+
		"(default: no backups)")
	fs.StringVar(&f.backupGeoDir, "backup-geo-dir", "", "geo-redundant copy of every backup "+
		"(default: <backup-dir>-geo)")
	fs.DurationVar(&f.backupInterval, "backup-interval", emulator.DefaultBackupInterval,
		"time between backups")
	fs.DurationVar(&f.backupRetention, "backup-retention", emulator.DefaultBackupRetention,
		"how long a backup is kept")
	f.throughput = addThroughputFlags(fs)
	return fs, f
}

// emulatorRegions runs the account forms of `stampede emulator`: with any account flag
// (--regions, --consistency, --data-dir, --backup-dir, …) it starts an emulator.Account,
// `emulator restore --backup FILE` starts a new account from a backup, and `emulator
// control` drives a running account. It reports handled=false when args are for the single-region
// emulator, which runEmulator then serves.
func emulatorRegions(ctx context.Context, args []string, stdout, stderr io.Writer) (
	handled bool, err error,
) {
	restore := len(args) > 0 && args[0] == "restore"
	switch {
	case len(args) > 0 && args[0] == "control":
		return true, runEmulatorControl(ctx, args[1:], stdout, stderr)
	case restore:
		args = args[1:]
	case !mentionsRegionFlag(args):
		return false, nil
	}
	fs, f := newRegionFlagSet(stderr)
	if restore {
		fs.StringVar(&f.restoreFrom, "backup", "", "the backup data file (backup-….bin) to "+
			"restore into a new account (required)")
	}
	if err := parseFlags(fs, args); err != nil {
		return true, err
	}
	if restore && f.restoreFrom == "" {
		return true, badInput(errors.New("emulator restore: --backup FILE is required " +
			"(a backup-….bin from --backup-dir)"))
	}
	if fs.NArg() > 0 {
		return true, badInput(fmt.Errorf("emulator: unexpected argument %q", fs.Arg(0)))
	}
	cfg, rc, err := f.config(fs, stderr)
	if err != nil {
		return true, badInput(err)
	}
	return true, serveAccount(ctx, cfg, rc, stdout, stderr)
}

func mentionsRegionFlag(args []string) bool {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(regionFlagNames, name) {
			return true
		}
	}
	return false
}

func (f *regionFlags) config(fs *flag.FlagSet, stderr io.Writer) (emulator.Config,
	emulator.RegionsConfig, error,
) {
	cfg := emulator.Config{
		Addr: f.addr, Key: f.key, TLS: f.useTLS,
		Logger: slog.New(slog.NewTextHandler(stderr, nil)).With("component", "emulator"),
	}
	rc := emulator.RegionsConfig{
		Regions:                splitList(f.regions),
		Addrs:                  splitList(f.addrs),
		MaxStalenessPrefix:     f.maxPrefix,
		MaxStalenessInterval:   f.maxInterval,
		ServiceManagedFailover: f.serviceManaged,
		FailoverDelay:          f.failoverDelay,
		MultiRegionWrites:      f.multiWrite,
		ConflictResolutionPath: f.lwwPath,
		MaxQueuedWhileDown:     f.maxQueued,
		DataDir:                f.dataDir,
		SnapshotBytes:          f.snapshotBytes,
		RestoreFrom:            f.restoreFrom,
		Backup: emulator.BackupConfig{Dir: f.backupDir, GeoDir: f.backupGeoDir,
			Interval: f.backupInterval, Retention: f.backupRetention},
	}
	var errs []error
	var err error
	if cfg.Throughput, err = f.throughput.config(fs); err != nil {
		errs = append(errs, err)
	}
	if rc.Consistency, err = emulator.ParseConsistency(f.consistency); err != nil {
		errs = append(errs, fmt.Errorf("--consistency: %w", err))
	}
	if rc.Lag, err = emulator.ParseLag(f.lag); err != nil {
		errs = append(errs, fmt.Errorf("--replication-lag: %w", err))
	}
	if len(rc.Regions) == 0 {
		rc.Regions = []string{emulator.DefaultRegion}
	}
	errs = append(errs, cfg.Validate(), rc.Validate())
	return cfg, rc, errors.Join(errs...)
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// serveAccount runs an account until ctx ends, printing the ready line and one line per
// region on stdout.
func serveAccount(ctx context.Context, cfg emulator.Config, rc emulator.RegionsConfig,
	stdout, stderr io.Writer,
) error {
	a, err := emulator.StartAccount(ctx, cfg, rc)
	if err != nil {
		return err
	}
	if cfg.TLS {
		fmt.Fprintf(stderr, "%s", a.CertPEM())
	}
	fmt.Fprintf(stdout, "emulator ready: endpoint=%s key=%s\n", a.Endpoint(), a.Key())
	for _, r := range a.Regions() {
		fmt.Fprintf(stdout, "region ready: name=%q endpoint=%s role=%s writes=%t\n", r.Name,
			r.Endpoint, r.Role, r.Writes)
	}
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("emulator shutdown: %w", err)
	}
	return nil
}

// runEmulatorControl is `stampede emulator control [flags] down|up|failover|regions|report`.
func runEmulatorControl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulator control", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "http://127.0.0.1:8081/", "account endpoint")
	key := fs.String("key", emulator.DefaultKey, "account key")
	mode := fs.String("mode", "refuse", "outage mode for down: refuse, 503 or timeout")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stampede emulator control [flags] "+
			"down REGION | up REGION | failover REGION | regions | report")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cc, err := emulator.NewControlClient(*endpoint, *key, nil)
	if err != nil {
		return badInput(err)
	}
	verb, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	if verb == "" {
		fs.Usage()
		return badInput(errors.New("emulator control: name an operation: down, up, " +
			"failover, regions or report"))
	}
	needRegion := verb == "down" || verb == "up" || verb == "failover"
	if needRegion && len(rest) != 1 || !needRegion && len(rest) != 0 {
		fs.Usage()
		return badInput(fmt.Errorf("emulator control: bad arguments %q", fs.Args()))
	}
	switch verb {
	case "down":
		m, err := emulator.ParseOutageMode(*mode)
		if err != nil {
			return badInput(err)
		}
		return cc.RegionDown(ctx, rest[0], m)
	case "up":
		return cc.RegionUp(ctx, rest[0])
	case "failover":
		return cc.Failover(ctx, rest[0])
	case "regions":
		regions, err := cc.Regions(ctx)
		return printJSON(stdout, regions, err)
	case "report":
		report, err := cc.Report(ctx)
		return printJSON(stdout, report, err)
	}
	fs.Usage()
	return badInput(fmt.Errorf("emulator control: unknown operation %q", verb))
}

func printJSON(w io.Writer, v any, err error) error {
	if err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
