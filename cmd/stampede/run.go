package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
	"github.com/stampede-load/stampede/scenarios/runner"
)

// defaultScenario is what `stampede run` runs without an argument.
const defaultScenario = "ci-gate"

func init() {
	commands["run"] = command{
		summary: "run a scenario (built-in name or YAML file) and judge it",
		run:     runCommand,
	}
}

// runFlags are the flags of `stampede run`.
type runFlags struct {
	out      string
	baseline string
	seed     int64
	duration time.Duration
	validate bool
	list     bool
	verbose  bool
	skip     bool
	// reportOnly keeps regressions against the baseline out of the exit code.
	reportOnly bool
	// compare configures the comparison with the baseline.
	compare reports.CompareConfig
}

func runCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f runFlags
	fs.StringVar(&f.out, "out", "", "run folder (default runs/<scenario>-<time>)")
	fs.StringVar(&f.baseline, "baseline", "", "summary.json of an earlier run to compare with; "+
		"a regression significant across all metrics fails the run (exit 99)")
	fs.BoolVar(&f.reportOnly, "baseline-report-only", false,
		"report regressions against --baseline without failing the run")
	fs.Float64Var(&f.compare.Confidence, "baseline-confidence", reports.DefaultConfidence,
		"confidence level of each metric's interval and verdict against --baseline, in (0, 1)")
	fs.Float64Var(&f.compare.FamilyErrorRate, "baseline-family-error",
		reports.DefaultFamilyErrorRate,
		"most often two runs of the same build may fail the --baseline gate, in (0, 1)")
	fs.Float64Var(&f.compare.MinChange, "baseline-min-change", reports.DefaultMinChange,
		"smallest relative change against --baseline that counts (0.05 = 5%); negative for none")
	fs.Int64Var(&f.seed, "seed", 0, "override the scenario's seed")
	fs.DurationVar(&f.duration, "duration", 0, "override the scenario's duration, e.g. 30s")
	fs.BoolVar(&f.validate, "validate", false, "check the scenario and this build; run nothing")
	fs.BoolVar(&f.list, "list", false, "list the built-in scenarios")
	fs.BoolVar(&f.verbose, "v", false, "log lifecycle messages to stderr")
	fs.BoolVar(&f.skip, "skip-unsupported", false,
		"run even if this build cannot run parts of the scenario; they are listed as skipped")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: stampede run [SCENARIO|FILE] [flags]")
		fmt.Fprintf(stderr, "\nSCENARIO is a built-in name (default %s, see --list) or a YAML file.\n",
			defaultScenario)
		fmt.Fprintln(stderr, "Exit codes: 0 passed, 99 a threshold or invariant failed, "+
			"2 bad input, 1 anything else.")
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	name, err := parseRunArgs(fs, args)
	if err != nil {
		return err
	}
	if f.list {
		return listScenarios(stdout)
	}
	if err := f.compare.Validate(); err != nil {
		return badInput(fmt.Errorf("run: --baseline-*: %w", err))
	}

	s, source, err := loadScenario(name, f)
	if err != nil {
		return badInput(err)
	}
	starter := runner.NewEmbeddedStarter()
	caps := starter.Capabilities(s.Target)
	unsupported := runner.Check(s, caps)
	if unsupported != nil && (!f.skip || caps.Missing != "") {
		return badInput(fmt.Errorf("scenario %s:\n%w\n(--skip-unsupported runs the rest and "+
			"lists what was skipped)", s.Name, unsupported))
	}
	if f.validate {
		fmt.Fprintf(stdout, "scenario %s is valid: %s, %d tenants, %d timeline events, "+
			"%d thresholds\n", s.Name, s.Duration, tenantCount(s), len(s.Timeline),
			len(s.Thresholds))
		if unsupported != nil {
			fmt.Fprintf(stdout, "this build would skip:\n%v\n", unsupported)
		}
		return nil
	}
	return executeRun(ctx, s, source, starter, f, stdout, stderr)
}

// parseRunArgs parses flags placed before or after the one positional argument.
func parseRunArgs(fs *flag.FlagSet, args []string) (string, error) {
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return defaultScenario, nil
	}
	name := rest[0]
	if err := parseFlags(fs, rest[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", badInput(fmt.Errorf("run takes one scenario, got also %q", fs.Args()))
	}
	return name, nil
}

func listScenarios(w io.Writer) error {
	for _, name := range scenarios.BuiltinNames() {
		s, err := scenarios.Builtin(name)
		if err != nil {
			return fmt.Errorf("built-in %s: %w", name, err)
		}
		fmt.Fprintf(w, "%-22s %6s  %s\n", name, s.Duration, firstSentence(s.Description))
	}
	return nil
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// loadScenario loads a built-in or a file, applies the flag overrides and validates again.
func loadScenario(name string, f runFlags) (*scenarios.Scenario, []byte, error) {
	var s *scenarios.Scenario
	var err error
	if isFile(name) {
		s, err = scenarios.Load(name)
	} else {
		s, err = scenarios.Builtin(name)
	}
	if err != nil {
		return nil, nil, err
	}
	if f.seed != 0 {
		s.Seed = f.seed
	}
	if f.duration != 0 {
		s.Duration = scenarios.Duration(f.duration)
	}
	if err := s.Validate(); err != nil {
		return nil, nil, fmt.Errorf("scenario %s with --seed/--duration:\n%w", s.Name, err)
	}
	source, err := scenarios.Marshal(s)
	return s, source, err
}

func isFile(name string) bool {
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") ||
		strings.ContainsRune(name, os.PathSeparator) {
		return true
	}
	_, err := os.Stat(name)
	return err == nil
}

func tenantCount(s *scenarios.Scenario) int {
	n := 0
	for _, t := range s.Tenants {
		n += t.Count
	}
	return n
}

func executeRun(ctx context.Context, s *scenarios.Scenario, source []byte,
	starter runner.Starter, f runFlags, stdout, stderr io.Writer) error {
	tuneCollector()
	opts := runner.Options{Scenario: s, Source: source, Starter: starter, OutDir: f.out,
		Progress: stderr, Live: isTerminal(stderr), SkipUnsupported: f.skip, Compare: f.compare}
	if opts.OutDir == "" {
		opts.OutDir = filepath.Join("runs", fmt.Sprintf("%s-%s", s.Name,
			time.Now().UTC().Format("20060102T150405Z")))
	}
	if f.verbose {
		opts.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	}
	if f.baseline != "" {
		base, err := readSummary(f.baseline)
		if err != nil {
			return badInput(err)
		}
		opts.Baseline = base
	}

	res, err := runner.Run(ctx, opts)
	if errors.Is(err, runner.ErrUnsupported) {
		return badInput(err)
	}
	if res != nil { // also after an interruption: what was measured until then
		printVerdict(stdout, res)
	}
	if err != nil {
		return err
	}
	if !res.Passed {
		return &exitError{code: ExitThresholds}
	}
	return baselineGate(res.Comparison, f)
}

// Collector settings of a run, unless GOGC or GOMEMLIMIT say otherwise: one process holds
// sensors, backend and emulator, keeps a few hundred MB live and allocates about 100 MB/s
// at 100,000 events/s; at the default GOGC of 100 the collector marks half the time and its
// pauses and assists show in the ingest p99. A larger heap target with a soft limit trades
// memory for latency; the limit makes the collector work harder instead of growing past it.
const (
	runGCPercent   = 400
	runMemoryLimit = 4 << 30
)

func tuneCollector() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(runGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(runMemoryLimit)
	}
}

// baselineGate fails the run (exit 99) when the comparison with the baseline fails its gate,
// unless --baseline-report-only was given: a metric with a better direction regressed by at
// least the comparison's minimum change, significantly even after the Holm–Bonferroni
// correction for the number of metrics compared (reports.GateResult).
func baselineGate(cmp *reports.Comparison, f runFlags) error {
	if cmp == nil || !cmp.Regressed() || f.reportOnly {
		return nil
	}
	names := cmp.Gate.Regressions
	return &exitError{code: ExitThresholds, err: fmt.Errorf("%d regressions against the "+
		"baseline %s at a %g%% family-wise error rate: %s (see comparison.md; "+
		"--baseline-report-only reports without failing)", len(names), f.baseline,
		cmp.Gate.FamilyErrorRate*100, strings.Join(names, ", "))}
}

func readSummary(path string) (*reports.Summary, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer file.Close()
	s, err := reports.ReadJSON(file)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return s, nil
}

// printVerdict writes the result to stdout: each threshold and invariant, then the files.
func printVerdict(w io.Writer, res *runner.Result) {
	sum := res.Summary
	for _, inv := range sum.Invariants {
		fmt.Fprintf(w, "%-4s invariant %-28s %s\n", inv.Verdict, inv.Name, inv.Message)
	}
	for _, t := range sum.Thresholds {
		fmt.Fprintf(w, "%-4s threshold %s %s %s\n", t.Verdict, t.Metric, t.Expression, t.Message)
	}
	if sum.Run.Aborted {
		fmt.Fprintf(w, "aborted: %s\n", sum.Run.AbortReason)
	}
	if c := res.Capacity; c != nil {
		for _, st := range c.Steps {
			fmt.Fprintln(w, st)
		}
		fmt.Fprintln(w, c)
	}
	if c := res.Comparison; c != nil {
		gate := "passes"
		if c.Regressed() {
			gate = fmt.Sprintf("fails on %d", len(c.Gate.Regressions))
		}
		fmt.Fprintf(w, "against the baseline: %d regressions, %d improvements, %d unchanged, "+
			"%d other; gate %s (see comparison.md)\n", c.Counts[reports.ChangeRegression],
			c.Counts[reports.ChangeImprovement], c.Counts[reports.ChangeNone],
			len(c.Metrics)-c.Counts[reports.ChangeRegression]-
				c.Counts[reports.ChangeImprovement]-c.Counts[reports.ChangeNone], gate)
	}
	fmt.Fprintf(w, "%s: %s\n", sum.Scenario.Name, strings.ToUpper(sum.Run.Verdict))
	for _, f := range res.Files {
		fmt.Fprintf(w, "wrote %s\n", f)
	}
}

// isTerminal reports whether w is a character device (a terminal), for the live line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
