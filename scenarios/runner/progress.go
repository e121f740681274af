package runner

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/stampede-load/stampede/scenarios"
)

// progress prints how the run goes on stderr: one line rewritten in place on a terminal,
// or a line every few seconds otherwise (CI logs).
type progress struct {
	w     io.Writer
	live  bool
	every time.Duration
	total time.Duration

	mu        sync.Mutex
	phase     string
	last      Totals
	lastAt    time.Duration
	lastPrint time.Duration
	printed   bool
}

func newProgress(w io.Writer, live bool, every time.Duration, s *scenarios.Scenario) *progress {
	return &progress{w: w, live: live, every: every, total: s.Duration.D(),
		phase: scenarios.PhaseSteady}
}

func (p *progress) setPhase(name string) {
	p.mu.Lock()
	p.phase = name
	p.mu.Unlock()
}

// update is called once a second with the time since the start and the sensors' totals.
func (p *progress) update(elapsed time.Duration, t Totals) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.live && elapsed-p.lastPrint < p.every {
		return
	}
	span := (elapsed - p.lastAt).Seconds()
	rate := func(now, before int64) float64 {
		if span <= 0 {
			return 0
		}
		return float64(now-before) / span
	}
	line := fmt.Sprintf("%5s/%s  %-12s sent %9.0f/s  acked %9.0f/s  failed %6.0f/s  total acked %d",
		elapsed.Truncate(time.Second), p.total, p.phase, rate(t.Sent, p.last.Sent),
		rate(t.Acked, p.last.Acked), rate(t.Failed, p.last.Failed), t.Acked)
	if p.live {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.printed = true
	p.last, p.lastAt, p.lastPrint = t, elapsed, elapsed
}

// done ends the live line so that what follows starts on a fresh line.
func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.printed {
		fmt.Fprintln(p.w)
	}
}
