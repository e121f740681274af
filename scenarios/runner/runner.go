package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/scenarios"
)

// Defaults of Options.
const (
	DefaultProgressEvery = 5 * time.Second
	DefaultAbortEvery    = 2 * time.Second
	// closeTimeout bounds how long stopping the parts may take after a run.
	closeTimeout = 30 * time.Second
	// drainGrace is how long a backend's Drain may overrun its deadline.
	drainGrace = 5 * time.Second
	// summarizeTimeout bounds the figures read at the end of an interrupted run.
	summarizeTimeout = 30 * time.Second
	// conservationTimeout is the least time given to reading every profile back.
	conservationTimeout = 2 * time.Minute
)

// Options configure one run. Scenario and Starter are required; the rest have defaults.
type Options struct {
	// Scenario is the effective scenario: loaded, defaulted and validated.
	Scenario *scenarios.Scenario
	// Source is the scenario's YAML as loaded, echoed into the summary; nil marshals
	// Scenario instead.
	Source []byte
	// Starter starts the parts the target needs.
	Starter Starter
	// OutDir is the run folder; empty writes no files.
	OutDir string
	// Baseline, when set, is compared with this run (written as comparison.md).
	Baseline *reports.Summary
	// Compare configures the comparison with Baseline; the zero value means the reports
	// package's defaults.
	Compare reports.CompareConfig
	// Progress receives progress lines (stderr); nil writes none.
	Progress io.Writer
	// Live rewrites one progress line in place (a terminal); otherwise a line is printed
	// every ProgressEvery.
	Live          bool
	ProgressEvery time.Duration
	// Logger receives lifecycle messages; nil discards.
	Logger *slog.Logger
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
	// SkipUnsupported runs a scenario even though this build cannot run parts of it: those
	// timeline actions are skipped and features ignored, each listed in the summary (the
	// skipped_unsupported entry) and on Progress. Without it, Run refuses the scenario.
	SkipUnsupported bool
}

func (o Options) withDefaults() Options {
	if o.ProgressEvery == 0 {
		o.ProgressEvery = DefaultProgressEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

// Result is the outcome of a run.
type Result struct {
	Summary *reports.Summary
	// Passed is true when every threshold and invariant held and nothing aborted the run.
	Passed bool
	// Files lists the files written to the run folder.
	Files []string
	// Conservation is the per-tenant conservation check after the drain (empty when it
	// could not be made).
	Conservation []TenantConservation
	// Capacity is what a sweep found; nil when the scenario has no sweep.
	Capacity *Capacity
	// Comparison is the comparison with Options.Baseline, when one was given and the run
	// folder written.
	Comparison *reports.Comparison
}

// Run executes the scenario: it checks the build can run it, starts the parts, applies the
// timeline while load runs, drains, checks conservation, evaluates thresholds and
// invariants and writes the run folder. An error means the run could not be carried out
// (ErrUnsupported, a part that failed); a run that completed but failed its thresholds
// returns a Result with Passed false and no error. A run that ctx ended early returns both
// its partial Result (marked aborted, its folder written) and ErrInterrupted.
func Run(ctx context.Context, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	s := opts.Scenario
	caps, skipped, err := checkBuild(opts)
	if err != nil {
		return nil, err
	}
	thresholds, err := s.ReportThresholds(reports.DefaultCatalog())
	if err != nil {
		return nil, fmt.Errorf("thresholds: %w", err)
	}
	if skipped != nil {
		thresholds = measurable(thresholds, caps)
	}

	opts.Logger.Info("starting parts", "scenario", s.Name, "target", s.Target.Kind)
	startedAt := time.Now()
	clock := NewRunClock(s)
	parts, err := opts.Starter.Start(ctx, s, Env{Getenv: opts.Getenv, Logger: opts.Logger,
		Clock: clock})
	if err != nil {
		return nil, fmt.Errorf("start %s target: %w", s.Target.Kind, err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		if err := parts.Close(closeCtx); err != nil {
			opts.Logger.Warn("stopping parts", "err", err)
		}
	}()
	opts.Logger.Info("parts started", "duration", time.Since(startedAt).Round(time.Millisecond))

	r, err := newRun(opts, parts, thresholds)
	if err != nil {
		return nil, err
	}
	r.caps, r.skipped = caps, skipped
	clock.Begin(r.rec.Start())
	runErr := r.execute(ctx)
	if runErr != nil && !r.interrupted {
		return nil, runErr
	}
	res, err := r.finish(ctx)
	return res, errors.Join(runErr, err)
}

// checkBuild checks the build can run the scenario; with SkipUnsupported, it returns what
// will be skipped instead of failing.
func checkBuild(opts Options) (Capabilities, []string, error) {
	caps := opts.Starter.Capabilities(opts.Scenario.Target)
	err := Check(opts.Scenario, caps)
	var ue *UnsupportedError
	if err == nil || !opts.SkipUnsupported || caps.Missing != "" || !errors.As(err, &ue) {
		return caps, nil, err
	}
	skipped := make([]string, 0, len(ue.Problems))
	for _, p := range ue.Problems {
		skipped = append(skipped, p.Error())
	}
	fmt.Fprintf(opts.Progress, "warning: skipping what this build cannot run:\n%v\n", err)
	return caps, skipped, nil
}

// measurable drops the thresholds on metrics this build cannot measure for the target, which
// --skip-unsupported lists as skipped: evaluated, they would read a counter that nothing
// feeds as 0 and pass or fail on nothing.
func measurable(ths []reports.Threshold, caps Capabilities) []reports.Threshold {
	return slices.DeleteFunc(ths, func(t reports.Threshold) bool {
		_, unsupported := caps.Unsupported[MetricFeature(t.Metric)]
		return unsupported
	})
}

// finish summarizes the run and writes its folder. An interrupted run still reports what
// it measured, marked as aborted.
func (r *run) finish(ctx context.Context) (*Result, error) {
	sumCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), summarizeTimeout)
	defer cancel()
	sum, capacity := r.summarize(sumCtx)
	res := &Result{Summary: sum, Passed: sum.Run.Verdict == reports.VerdictPass,
		Conservation: r.conserved, Capacity: capacity}
	if r.opts.OutDir == "" {
		return res, nil
	}
	files, err := writeRunFolder(r.opts.OutDir, res, r.opts.Baseline, r.opts.Compare)
	res.Files = files
	if err != nil {
		return res, fmt.Errorf("write run folder: %w", err)
	}
	return res, nil
}

// ErrInterrupted is returned, with the partial Result, when ctx ended the run early.
var ErrInterrupted = errors.New("run interrupted")

// run is the state of one executing scenario.
type run struct {
	opts       Options
	s          *scenarios.Scenario
	parts      *Parts
	thresholds []reports.Threshold
	rec        *reports.Recorder
	plan       *LoadPlan
	progress   *progress

	caps        Capabilities
	skipped     []string // what this build could not run, when skipping was asked for
	aborted     *reports.ThresholdResult
	drainErr    error
	rpo         *LossSplit // set when a failover lost acknowledged writes
	interrupted bool       // ctx ended the run before its end
	conserved   []TenantConservation
	actionErrs  []string
}

func newRun(opts Options, parts *Parts, ths []reports.Threshold) (*run, error) {
	rec, err := reports.NewRecorder(reports.RecorderConfig{})
	if err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	return &run{opts: opts, s: opts.Scenario, parts: parts, thresholds: ths, rec: rec,
		plan:     NewLoadPlan(opts.Scenario),
		progress: newProgress(opts.Progress, opts.Live, opts.ProgressEvery, opts.Scenario),
	}, nil
}

// execute runs the load phase, then the drain. The sensors stop generating at the end of
// the scenario's duration by themselves and then deliver what they buffered; the timeline
// stops at the duration; sampling goes on until the sensors are done. An abort-on-fail
// threshold, a failing sensor fleet or ctx cancel everything.
func (r *run) execute(ctx context.Context) error {
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	loadCtx, stopLoad := context.WithTimeout(runCtx, r.s.Duration.D())
	defer stopLoad()

	r.rec.StartPhase(scenarios.PhaseSteady)
	sensorsDone := make(chan error, 1)
	go func() { sensorsDone <- r.parts.Sensors.Run(runCtx, r.plan, r.rec) }()
	var wg sync.WaitGroup
	wg.Go(func() { r.applyTimeline(loadCtx) })
	collectCtx, stopCollect := context.WithCancel(runCtx)
	wg.Go(func() { r.collect(collectCtx, abort) })

	err := <-sensorsDone
	stopCollect()
	stopLoad()
	wg.Wait()
	r.progress.done()
	if ctx.Err() != nil {
		r.interrupted = true
		return fmt.Errorf("%w: %w", ErrInterrupted, context.Cause(ctx))
	}
	if err != nil && r.aborted == nil {
		return fmt.Errorf("sensors: %w", err)
	}
	r.drain(ctx)
	return nil
}

// collect samples every part once a second, checks abort-on-fail thresholds and prints
// progress, until ctx ends; it calls stop when a threshold aborts the run.
func (r *run) collect(ctx context.Context, stop context.CancelFunc) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastAbortCheck := time.Now()
	for {
		select {
		case <-ctx.Done():
			r.sample()
			return
		case <-tick.C:
		}
		r.sample()
		elapsed := time.Since(r.rec.Start())
		r.progress.update(elapsed, r.parts.Sensors.Totals())
		if r.hasAbortThresholds() && time.Since(lastAbortCheck) >= DefaultAbortEvery {
			lastAbortCheck = time.Now()
			if res := r.checkAbort(elapsed); res != nil {
				r.aborted = res
				r.rec.Event(reports.EventAbort, nil, res.Message)
				stop()
				return
			}
		}
	}
}

func (r *run) sample() {
	for _, s := range r.parts.Samplers {
		s.Sample(r.rec)
	}
}

func (r *run) hasAbortThresholds() bool {
	for _, t := range r.thresholds {
		if t.AbortOnFail {
			return true
		}
	}
	return false
}

// checkAbort copies only the metrics abort-on-fail thresholds name, not the whole run.
func (r *run) checkAbort(elapsed time.Duration) *reports.ThresholdResult {
	return r.rec.CheckAbort(r.thresholds, elapsed)
}

// attributeLoss, after a failover that lost acknowledged writes, splits the events lost
// into those carried by the lost writes (the RPO) and the rest.
func (r *run) attributeLoss(ctx context.Context) {
	reporter, ok := r.parts.Database.(LostWriteReporter)
	attributor, ok2 := r.parts.Backend.(LossAttributor)
	if !ok || !ok2 {
		return
	}
	lost := reporter.LostProfileWrites()
	if len(lost) == 0 {
		return
	}
	split, err := attributor.AttributeLoss(ctx, lost)
	if err != nil {
		r.drainErr = errors.Join(r.drainErr, fmt.Errorf("attribute lost events: %w", err))
		return
	}
	r.rpo = &split
}

func (r *run) recordLost(labels reports.Labels, n int64) {
	if c, err := r.rec.Counter(reports.MetricEventsLost, labels); err == nil {
		c.Add(float64(n))
	}
}

// drainWithin waits for the backend's drain at most until ctx ends (plus a grace period),
// even if the backend does not return by then: the run goes on to check conservation, and
// what was not stored counts as lost.
func drainWithin(ctx context.Context, b Backend) error {
	done := make(chan error, 1)
	go func() { done <- b.Drain(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(drainGrace):
		return fmt.Errorf("the backend's drain did not return within %s of its deadline: %w",
			drainGrace, context.Cause(ctx))
	}
}

// drain lets the backend flush what it acknowledged, then checks conservation.
func (r *run) drain(ctx context.Context) {
	r.opts.Logger.Info("draining", "timeout", r.s.Drain)
	drainCtx, cancel := context.WithTimeout(ctx, r.s.Drain.D())
	defer cancel()
	start := time.Now()
	if err := drainWithin(drainCtx, r.parts.Backend); err != nil {
		r.drainErr = fmt.Errorf("drain: %w", err)
		r.opts.Logger.Warn("drain incomplete", "err", err)
	}
	r.opts.Logger.Info("drained", "duration", time.Since(start).Round(time.Millisecond))

	// Reading every profile back gets its own time, so that a drain that used all of its
	// time still gets its losses counted.
	checkCtx, cancelCheck := context.WithTimeout(ctx, max(r.s.Drain.D(), conservationTimeout))
	defer cancelCheck()
	conserved, err := r.parts.Backend.Conservation(checkCtx)
	if err != nil {
		r.drainErr = errors.Join(r.drainErr, fmt.Errorf("conservation: %w", err))
		return
	}
	r.conserved = conserved
	r.attributeLoss(checkCtx)
	if r.rpo != nil {
		// In events, as acceptedRPO: the events_lost invariant allows the RPO part.
		r.recordLost(nil, r.rpo.total()+r.rpo.Crash+r.rpo.Other)
	} else {
		for _, c := range conserved {
			r.recordLost(reports.Labels{"tenant": c.Tenant}, max(c.Lost(), 0))
		}
	}
	r.sample()
	for _, s := range r.parts.Samplers {
		if fs, ok := s.(finalSampler); ok {
			fs.FinalSample(checkCtx, r.rec)
		}
	}
}
