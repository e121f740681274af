package reports

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultMaxLabelSets is how many label sets one metric may have before further label sets
// are folded into one whose values are all OtherLabelValue.
const DefaultMaxLabelSets = 64

// OtherLabelValue replaces every label value of a folded label set.
const OtherLabelValue = "other"

// RecorderConfig configures a Recorder. The zero value is usable.
type RecorderConfig struct {
	// Catalog defines the metrics that may be recorded; nil means DefaultCatalog().
	Catalog *Catalog
	// Start is second 0 of the timeline; zero means Now() at NewRecorder.
	Start time.Time
	// Now is the clock; nil means time.Now. Tests drive it.
	Now func() time.Time
	// MaxLabelSets bounds label sets per metric; 0 means DefaultMaxLabelSets.
	MaxLabelSets int
}

// Validate reports every problem with the configuration.
func (c RecorderConfig) Validate() error {
	var errs []error
	if c.MaxLabelSets < 0 {
		errs = append(errs, fmt.Errorf("max label sets %d: want >= 0", c.MaxLabelSets))
	}
	return errors.Join(errs...)
}

// Recorder collects metrics, events and phases on one timeline at one-second resolution,
// while a run executes. It is safe for concurrent use. Each series has its own lock, so
// handles of different series never contend; record per batch, not per event, on the
// hottest paths.
type Recorder struct {
	catalog   *Catalog
	start     time.Time
	now       func() time.Time
	maxLabels int

	mu      sync.Mutex
	series  map[string]*liveSeries
	perName map[string]int
	events  []Event
	phases  []Phase
}

// NewRecorder returns a recorder whose second 0 is cfg.Start.
func NewRecorder(cfg RecorderConfig) (*Recorder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("recorder config: %w", err)
	}
	r := &Recorder{catalog: cfg.Catalog, start: cfg.Start, now: cfg.Now,
		maxLabels: cfg.MaxLabelSets, series: map[string]*liveSeries{}, perName: map[string]int{}}
	if r.catalog == nil {
		r.catalog = DefaultCatalog()
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.start.IsZero() {
		r.start = r.now()
	}
	if r.maxLabels == 0 {
		r.maxLabels = DefaultMaxLabelSets
	}
	return r, nil
}

// Start is second 0 of the timeline.
func (r *Recorder) Start() time.Time { return r.start }

// second is the timeline index of now.
func (r *Recorder) second() int { return secondOf(r.now().Sub(r.start)) }

func secondOf(d time.Duration) int {
	if d < 0 {
		return 0
	}
	return int(d / time.Second)
}

// liveSeries is a Series being recorded.
type liveSeries struct {
	mu sync.Mutex
	s  Series
	g  geometry
	// A trend's current second, curSec, is collected cheaply and packed into s.Seconds
	// when a later second starts: up to pendingLimit raw values in pending (sorted and
	// appended to the packed histogram at the end of the second), beyond that in the dense
	// histogram cur, whose packing costs a scan of all its buckets.
	pending []int64
	cur     *hdr.Histogram
	curSec  int
}

// pendingLimit is how many observations of one second a trend keeps raw before it switches
// to a dense histogram for the rest of that second.
const pendingLimit = 2048

// series returns the live series for name and labels, creating it after checking the
// catalogue; overflowing label sets are folded.
func (r *Recorder) lookup(name string, labels Labels, want Kind) (*liveSeries, error) {
	def, err := r.catalog.Lookup(name)
	if err != nil {
		return nil, err
	}
	if def.Kind != want {
		return nil, fmt.Errorf("metric %q is a %s, not a %s", name, def.Kind, want)
	}
	for k := range labels {
		if def.Labels != nil && !slices.Contains(def.Labels, k) {
			return nil, fmt.Errorf("metric %q: label %q not allowed; want one of %v",
				name, k, def.Labels)
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	key := seriesKey(name, labels)
	if ls, ok := r.series[key]; ok {
		return ls, nil
	}
	if r.perName[name] >= r.maxLabels {
		labels = foldLabels(labels)
		key = seriesKey(name, labels)
		if ls, ok := r.series[key]; ok {
			return ls, nil
		}
	}
	ls := &liveSeries{s: Series{Name: name, Labels: maps.Clone(labels), Kind: def.Kind,
		Unit: def.Unit}, g: geometryFor(def.Unit), curSec: -1}
	r.series[key] = ls
	r.perName[name]++
	return ls, nil
}

func foldLabels(l Labels) Labels {
	out := make(Labels, len(l))
	for k := range l {
		out[k] = OtherLabelValue
	}
	return out
}

// grow extends the per-second slices so index sec exists.
func (ls *liveSeries) grow(sec int) {
	switch ls.s.Kind {
	case KindTrend:
		for len(ls.s.Seconds) <= sec {
			ls.s.Seconds = append(ls.s.Seconds, nil)
		}
	case KindGauge:
		for len(ls.s.Values) <= sec {
			ls.s.Values = append(ls.s.Values, math.NaN())
		}
	case KindRate:
		for len(ls.s.Values) <= sec {
			ls.s.Values = append(ls.s.Values, 0)
			ls.s.Totals = append(ls.s.Totals, 0)
		}
	default:
		for len(ls.s.Values) <= sec {
			ls.s.Values = append(ls.s.Values, 0)
		}
	}
}

// Counter is a handle to a counter series.
type Counter struct {
	r  *Recorder
	ls *liveSeries
}

// Counter returns the handle of counter name with labels (nil labels for none).
func (r *Recorder) Counter(name string, labels Labels) (*Counter, error) {
	ls, err := r.lookup(name, labels, KindCounter)
	return &Counter{r, ls}, err
}

// Add adds v (usually a count) in the current second.
func (c *Counter) Add(v float64) {
	sec := c.r.second()
	c.ls.mu.Lock()
	c.ls.grow(sec)
	c.ls.s.Values[sec] += v
	c.ls.mu.Unlock()
}

// Gauge is a handle to a gauge series.
type Gauge struct {
	r  *Recorder
	ls *liveSeries
}

// Gauge returns the handle of gauge name with labels.
func (r *Recorder) Gauge(name string, labels Labels) (*Gauge, error) {
	ls, err := r.lookup(name, labels, KindGauge)
	return &Gauge{r, ls}, err
}

// Set records the gauge's level now; the last value set in a second is its value.
func (g *Gauge) Set(v float64) {
	sec := g.r.second()
	g.ls.mu.Lock()
	g.ls.grow(sec)
	g.ls.s.Values[sec] = v
	g.ls.mu.Unlock()
}

// Rate is a handle to a rate series.
type Rate struct {
	r  *Recorder
	ls *liveSeries
}

// Rate returns the handle of rate name with labels.
func (r *Recorder) Rate(name string, labels Labels) (*Rate, error) {
	ls, err := r.lookup(name, labels, KindRate)
	return &Rate{r, ls}, err
}

// Add records one sample, true or false.
func (t *Rate) Add(hit bool) {
	var h int64
	if hit {
		h = 1
	}
	t.AddN(h, 1)
}

// AddN records total samples of which hits were true.
func (t *Rate) AddN(hits, total int64) {
	sec := t.r.second()
	t.ls.mu.Lock()
	t.ls.grow(sec)
	t.ls.s.Values[sec] += float64(hits)
	t.ls.s.Totals[sec] += float64(total)
	t.ls.mu.Unlock()
}

// Trend is a handle to a trend series.
type Trend struct {
	r  *Recorder
	ls *liveSeries
}

// Trend returns the handle of trend name with labels.
func (r *Recorder) Trend(name string, labels Labels) (*Trend, error) {
	ls, err := r.lookup(name, labels, KindTrend)
	return &Trend{r, ls}, err
}

// Observe records v, in the metric's unit, in the current second.
func (t *Trend) Observe(v float64) { t.ObserveAt(t.r.now(), v) }

// ObserveDuration records a duration in the current second.
func (t *Trend) ObserveDuration(d time.Duration) { t.Observe(durationSeconds(d)) }

// ObserveAt records v in the second of at (for example the intended send time of a batch).
func (t *Trend) ObserveAt(at time.Time, v float64) {
	sec := secondOf(at.Sub(t.r.start))
	x := t.ls.g.toInt(v)
	ls := t.ls
	ls.mu.Lock()
	switch {
	case sec > ls.curSec:
		ls.flush()
		ls.curSec = sec
		fallthrough
	case sec == ls.curSec:
		ls.observeCurrent(x)
	default:
		// A late observation for a second already packed.
		ls.grow(sec)
		h := ls.s.Seconds[sec]
		if h == nil {
			h = &Histogram{g: ls.g, p: ls.g.newPacked()}
			ls.s.Seconds[sec] = h
		}
		_ = h.p.RecordValue(x)
	}
	ls.mu.Unlock()
}

// observeCurrent records x in the current second; ls.mu is held.
func (ls *liveSeries) observeCurrent(x int64) {
	if ls.cur != nil && ls.cur.TotalCount() > 0 {
		_ = ls.cur.RecordValue(x)
		return
	}
	ls.pending = append(ls.pending, x)
	if len(ls.pending) < pendingLimit {
		return
	}
	if ls.cur == nil {
		ls.cur = ls.g.newDense()
	}
	for _, p := range ls.pending {
		_ = ls.cur.RecordValue(p)
	}
	ls.pending = ls.pending[:0]
}

// flush packs the current second into s.Seconds; ls.mu is held.
func (ls *liveSeries) flush() {
	if ls.curSec < 0 || (len(ls.pending) == 0 && (ls.cur == nil || ls.cur.TotalCount() == 0)) {
		return
	}
	ls.grow(ls.curSec)
	h := ls.s.Seconds[ls.curSec]
	if h == nil {
		h = &Histogram{g: ls.g, p: ls.g.newPacked()}
		ls.s.Seconds[ls.curSec] = h
	}
	ls.packCurrent(h, ls.pending)
	ls.pending = ls.pending[:0]
	if ls.cur != nil {
		ls.cur.Reset()
	}
}

// packCurrent adds the current second's observations to h; values is sorted in place.
func (ls *liveSeries) packCurrent(h *Histogram, values []int64) {
	slices.Sort(values)
	for i := 0; i < len(values); {
		j := i + 1
		for j < len(values) && values[j] == values[i] {
			j++
		}
		_ = h.p.RecordValues(values[i], int64(j-i))
		i = j
	}
	if ls.cur != nil && ls.cur.TotalCount() > 0 {
		h.p.MergeFrom(ls.cur)
	}
}

// Event records an event now.
func (r *Recorder) Event(kind string, labels Labels, message string) {
	at := r.now().Sub(r.start).Seconds()
	r.mu.Lock()
	r.events = append(r.events, Event{AtSeconds: at, Kind: kind, Labels: maps.Clone(labels),
		Message: message})
	r.mu.Unlock()
}

// StartPhase ends the current phase, if any, and starts phase name now. It also records an
// EventPhase event.
func (r *Recorder) StartPhase(name string) {
	sec := r.second()
	r.mu.Lock()
	r.closePhase(sec)
	r.phases = append(r.phases, Phase{Name: name, StartSeconds: sec, EndSeconds: -1})
	r.mu.Unlock()
	r.Event(EventPhase, nil, name)
}

// closePhase ends the open phase at sec; r.mu is held.
func (r *Recorder) closePhase(sec int) {
	if n := len(r.phases); n > 0 && r.phases[n-1].EndSeconds < 0 {
		r.phases[n-1].EndSeconds = max(sec, r.phases[n-1].StartSeconds+1)
	}
}

// Fill copies what was recorded into s: the timeline length, every series (with whole-run
// histograms for trends), events and phases. The open phase ends at the end of the
// timeline. Fill may be called while recording goes on; it copies under the series locks.
// It costs about a copy of everything recorded: to check abort-on-fail thresholds during a
// run, use CheckAbort, which copies only what they need.
func (r *Recorder) Fill(s *Summary) { r.fill(s, nil, true) }

// CheckAbort evaluates the abortOnFail thresholds of ths on what was recorded so far, elapsed
// into the run, as the package-level CheckAbort does, copying only the metrics they name.
func (r *Recorder) CheckAbort(ths []Threshold, elapsed time.Duration) *ThresholdResult {
	names := map[string]bool{}
	for _, t := range ths {
		if t.AbortOnFail {
			names[t.Metric] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	var s Summary
	r.fill(&s, names, false)
	return CheckAbort(&s, ths, elapsed)
}

// fill copies the series whose names are in only (all when nil), with whole-run histograms
// when wholeRun is set.
func (r *Recorder) fill(s *Summary, only map[string]bool, wholeRun bool) {
	elapsed := r.now().Sub(r.start)
	duration := int((elapsed + time.Second - 1) / time.Second)
	s.Run.Start = r.start

	r.mu.Lock()
	live := make([]*liveSeries, 0, len(r.series))
	for _, ls := range r.series {
		if only == nil || only[ls.s.Name] {
			live = append(live, ls)
		}
	}
	s.Events = slices.Clone(r.events)
	s.Phases = slices.Clone(r.phases)
	r.mu.Unlock()
	// Parts record events from their own goroutines; the timeline reads in time order.
	sortEvents(s.Events)

	s.Metrics = make([]Series, 0, len(live))
	for _, ls := range live {
		ls.mu.Lock()
		s.Metrics = append(s.Metrics, ls.snapshot(wholeRun))
		duration = max(duration, s.Metrics[len(s.Metrics)-1].Len())
		ls.mu.Unlock()
	}
	s.Run.DurationSeconds = duration
	for i := range s.Metrics {
		s.Metrics[i].pad(duration)
	}
	if n := len(s.Phases); n > 0 && s.Phases[n-1].EndSeconds < 0 {
		s.Phases[n-1].EndSeconds = max(duration, s.Phases[n-1].StartSeconds+1)
	}
	slices.SortFunc(s.Metrics, compareSeries)
}

// snapshot copies the series; ls.mu is held.
func (ls *liveSeries) snapshot(wholeRun bool) Series {
	out := ls.s
	out.Labels = maps.Clone(ls.s.Labels)
	out.Values = slices.Clone(ls.s.Values)
	out.Totals = slices.Clone(ls.s.Totals)
	if ls.s.Kind != KindTrend {
		return out
	}
	out.Seconds = make([]*Histogram, len(ls.s.Seconds), max(len(ls.s.Seconds), ls.curSec+1))
	for i, h := range ls.s.Seconds {
		if h != nil {
			out.Seconds[i] = h.Clone()
		}
	}
	if len(ls.pending) > 0 || (ls.cur != nil && ls.cur.TotalCount() > 0) {
		for len(out.Seconds) <= ls.curSec {
			out.Seconds = append(out.Seconds, nil)
		}
		h := out.Seconds[ls.curSec]
		if h == nil {
			h = &Histogram{g: ls.g, p: ls.g.newPacked()}
			out.Seconds[ls.curSec] = h
		}
		ls.packCurrent(h, slices.Clone(ls.pending))
	}
	if wholeRun {
		out.Histogram = mergeSeconds(ls.g, out.Seconds, whole(len(out.Seconds)))
		out.Histogram.standard = true
	}
	return out
}
