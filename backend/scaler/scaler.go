package scaler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/store"
)

// Defaults of [Config].
const (
	DefaultWindow         = 5 * time.Second
	DefaultStepFactor     = 2.0
	DefaultCeiling        = 10_000
	DefaultFloor          = 400
	DefaultHeadroom       = 0.3
	DefaultScaleDownEvery = time.Minute
	DefaultLookBack       = 5 * time.Minute
)

// Config configures a [Scaler]. Zero fields take the defaults.
type Config struct {
	// Client is the scaler's own Cosmos DB client (with a throttle policy installed). Required.
	Client *azcosmos.Client
	// Window is how long requests are aggregated before one decision per container.
	Window time.Duration
	// StepFactor multiplies the current RU/s on a raise (rounded up to 100).
	StepFactor float64
	// Ceiling is the most RU/s the scaler will set on one container.
	Ceiling int32
	// Floor is the least RU/s the scaler will set (Cosmos DB's manual minimum is 400).
	Floor int32
	// Headroom is the fraction added to recent peak need when scaling down.
	Headroom float64
	// ScaleDownEvery is how often (wall clock) scale-down runs.
	ScaleDownEvery time.Duration
	// LookBack is how much recent usage (wall clock) scale-down considers.
	LookBack time.Duration
	// Now is the scenario clock that decides working hours; default time.Now.
	Now func() time.Time
	// Logger receives lifecycle logs; nil discards them.
	Logger *slog.Logger
}

// Validate reports every invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Client == nil {
		errs = append(errs, errors.New("scaler: Client is required"))
	}
	if c.Window < 0 || c.ScaleDownEvery < 0 || c.LookBack < 0 {
		errs = append(errs, errors.New("scaler: Window, ScaleDownEvery and LookBack must not be negative"))
	}
	if c.StepFactor != 0 && c.StepFactor <= 1 {
		errs = append(errs, fmt.Errorf("scaler: StepFactor %v: want more than 1", c.StepFactor))
	}
	if c.Headroom < 0 {
		errs = append(errs, fmt.Errorf("scaler: Headroom %v: must not be negative", c.Headroom))
	}
	d := c.withDefaults()
	if d.Floor < 400 || d.Ceiling < d.Floor {
		errs = append(errs, fmt.Errorf("scaler: Floor %d and Ceiling %d: want 400 <= Floor <= Ceiling",
			d.Floor, d.Ceiling))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Window == 0 {
		c.Window = DefaultWindow
	}
	if c.StepFactor == 0 {
		c.StepFactor = DefaultStepFactor
	}
	if c.Ceiling == 0 {
		c.Ceiling = DefaultCeiling
	}
	if c.Floor == 0 {
		c.Floor = DefaultFloor
	}
	if c.Headroom == 0 {
		c.Headroom = DefaultHeadroom
	}
	if c.ScaleDownEvery == 0 {
		c.ScaleDownEvery = DefaultScaleDownEvery
	}
	if c.LookBack == 0 {
		c.LookBack = DefaultLookBack
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// ScaleRequest is what a throttled node posts.
type ScaleRequest struct {
	Database     string `json:"database"`
	Container    string `json:"container"`
	Node         string `json:"node,omitempty"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

// UsageReport is the request units a node consumed on one container over Seconds.
type UsageReport struct {
	Database     string  `json:"database"`
	Container    string  `json:"container"`
	RequestUnits float64 `json:"requestUnits"`
	Seconds      float64 `json:"seconds"`
}

// Schedule is a tenant's working hours, in local hours of day, for scale-down.
type Schedule struct {
	WorkStart      int `json:"workStart"`
	WorkEnd        int `json:"workEnd"`
	UTCOffsetHours int `json:"utcOffsetHours"`
}

// off reports whether scenario time at is outside the working hours.
func (s Schedule) off(at time.Time) bool {
	h := at.UTC().Add(time.Duration(s.UTCOffsetHours) * time.Hour).Hour()
	return h < s.WorkStart || h >= s.WorkEnd
}

// Decision is one scaling decision, recorded for the report.
type Decision struct {
	Time      time.Time `json:"time"`     // scenario clock
	Wall      time.Time `json:"wall"`     // wall clock
	Database  string    `json:"database"` // tenant database
	Container string    `json:"container"`
	Action    string    `json:"action"` // "raise", "lower" or "hold"
	From      int32     `json:"from"`   // RU/s before
	To        int32     `json:"to"`     // RU/s after (== From for a hold)
	Requests  int       `json:"requests,omitempty"`
	Reason    string    `json:"reason"`
}

type key struct{ database, container string }

type usageSample struct {
	at    time.Time
	ruPer float64 // RU/s over the report's interval
}

// Scaler is the elastic scaler service. Safe for concurrent use.
type Scaler struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	requests  map[key]int
	usage     map[key][]usageSample
	schedules map[string]Schedule
	decisions []Decision
}

// New returns a scaler for cfg.
func New(cfg Config) (*Scaler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Scaler{cfg: cfg, log: cfg.Logger.With("component", "scaler"), requests: map[key]int{},
		usage: map[key][]usageSample{}, schedules: map[string]Schedule{}}, nil
}

// Request records a scale-up request; it never blocks on Cosmos DB.
func (s *Scaler) Request(r ScaleRequest) {
	s.mu.Lock()
	s.requests[key{r.Database, r.Container}]++
	s.mu.Unlock()
}

// Report records a usage report.
func (s *Scaler) Report(u UsageReport) {
	if u.Seconds <= 0 {
		return
	}
	k := key{u.Database, u.Container}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	samples := append(s.usage[k], usageSample{at: now, ruPer: u.RequestUnits / u.Seconds})
	cut := 0
	for cut < len(samples) && now.Sub(samples[cut].at) > s.cfg.LookBack {
		cut++
	}
	s.usage[k] = samples[cut:]
}

// SetSchedule registers a tenant database's working hours.
func (s *Scaler) SetSchedule(database string, sch Schedule) {
	s.mu.Lock()
	s.schedules[database] = sch
	s.mu.Unlock()
}

// Decisions returns every decision so far, oldest first.
func (s *Scaler) Decisions() []Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.decisions)
}

// Run aggregates and decides until ctx ends.
func (s *Scaler) Run(ctx context.Context) error {
	window := time.NewTicker(s.cfg.Window)
	defer window.Stop()
	down := time.NewTicker(s.cfg.ScaleDownEvery)
	defer down.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-window.C:
			s.ScaleUp(ctx)
		case <-down.C:
			s.ScaleDown(ctx)
		}
	}
}

// ScaleUp makes one decision per container that was asked for more since the last call.
func (s *Scaler) ScaleUp(ctx context.Context) {
	s.mu.Lock()
	pending := s.requests
	s.requests = map[key]int{}
	s.mu.Unlock()
	for k, n := range pending {
		s.raise(ctx, k, n)
	}
}

func (s *Scaler) raise(ctx context.Context, k key, requests int) {
	cc, err := s.cfg.Client.NewContainer(k.database, k.container)
	if err != nil {
		return
	}
	cur, err := store.ReadThroughput(ctx, cc)
	d := Decision{Database: k.database, Container: k.container, Requests: requests,
		From: cur.RU, To: cur.RU, Action: "hold"}
	switch {
	case err != nil:
		d.Reason = "read throughput failed: " + err.Error()
	case cur.Mode == store.ModeAutoscale:
		d.Reason = "autoscale container: Cosmos DB scales it"
	case cur.RU >= s.cfg.Ceiling:
		d.Reason = fmt.Sprintf("throttled (%d requests) but at the ceiling of %d RU/s", requests, s.cfg.Ceiling)
	default:
		to := min(s.cfg.Ceiling, roundUp100(float64(cur.RU)*s.cfg.StepFactor))
		if err := store.ReplaceThroughput(ctx, cc, store.Throughput{Mode: store.ModeManual, RU: to}); err != nil {
			d.Reason = "replace throughput failed: " + err.Error()
			break
		}
		d.Action, d.To = "raise", to
		d.Reason = fmt.Sprintf("%d scale-up requests in %v", requests, s.cfg.Window)
	}
	s.record(d)
}

// ScaleDown lowers the containers of tenants outside their working hours to recent peak need
// plus headroom.
func (s *Scaler) ScaleDown(ctx context.Context) {
	now := s.cfg.Now()
	s.mu.Lock()
	var targets []key
	peaks := map[key]float64{}
	for k, samples := range s.usage {
		sch, ok := s.schedules[k.database]
		if !ok || !sch.off(now) {
			continue
		}
		targets = append(targets, k)
		for _, u := range samples {
			peaks[k] = max(peaks[k], u.ruPer)
		}
	}
	s.mu.Unlock()
	for _, k := range targets {
		s.lower(ctx, k, peaks[k])
	}
}

func (s *Scaler) lower(ctx context.Context, k key, peak float64) {
	cc, err := s.cfg.Client.NewContainer(k.database, k.container)
	if err != nil {
		return
	}
	cur, err := store.ReadThroughput(ctx, cc)
	if err != nil || cur.Mode != store.ModeManual {
		return
	}
	want := max(s.cfg.Floor, roundUp100(peak*(1+s.cfg.Headroom)))
	if want >= cur.RU {
		return
	}
	d := Decision{Database: k.database, Container: k.container, Action: "lower", From: cur.RU, To: want,
		Reason: fmt.Sprintf("off working hours; recent peak %.0f RU/s plus %.0f%% headroom", peak, s.cfg.Headroom*100)}
	if err := store.ReplaceThroughput(ctx, cc, store.Throughput{Mode: store.ModeManual, RU: want}); err != nil {
		d.Action, d.To, d.Reason = "hold", cur.RU, "replace throughput failed: "+err.Error()
	}
	s.record(d)
}

func (s *Scaler) record(d Decision) {
	d.Time, d.Wall = s.cfg.Now().UTC(), time.Now().UTC()
	s.mu.Lock()
	s.decisions = append(s.decisions, d)
	s.mu.Unlock()
	if d.Action != "hold" {
		s.log.Info("throughput changed", "database", d.Database, "container", d.Container,
			"from", d.From, "to", d.To, "reason", d.Reason)
	}
}

func roundUp100(v float64) int32 {
	if v >= math.MaxInt32 {
		return math.MaxInt32 / 100 * 100
	}
	return int32(math.Ceil(v/100) * 100)
}
