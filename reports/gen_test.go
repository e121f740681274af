package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// synthRun describes a synthetic run for tests and benchmarks: a realistic set of series
// drawn from fixed distributions, so two seeds give two runs of "the same build".
type synthRun struct {
	seed    uint64
	seconds int
	tenants int
	// samples is how many latency observations each trend series gets per second.
	samples int
	// latencyFactor multiplies every latency; rateFactor every throughput (1 = baseline).
	latencyFactor, rateFactor float64
}

var (
	synthContainers = []string{"UniqueEntity", "UniqueEntityProfile", "SystemProfile",
		"SystemEntity", "Alert"}
	synthOps     = []string{"read", "upsert", "replace", "query"}
	synthRegions = []string{"westeurope", "northeurope"}
)

// record records the run through a Recorder driven by a fake clock.
func (c synthRun) record(tb testing.TB) *Recorder {
	tb.Helper()
	c = c.withDefaults()
	rng := rand.New(rand.NewPCG(c.seed, c.seed^0x9e3779b97f4a7c15))
	clk := &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	r, err := NewRecorder(RecorderConfig{Now: clk.Now})
	require.NoError(tb, err)
	h := c.handles(tb, r)

	for sec := range c.seconds {
		if sec == c.seconds/3 {
			r.StartPhase("burst")
			r.Event(EventScale, Labels{"container": "UniqueEntityProfile"}, "4000 -> 8000 RU/s")
		}
		if sec == c.seconds*2/3 {
			r.StartPhase("failover")
			r.Event(EventRegionDown, Labels{"region": "westeurope"}, "")
			r.Event(EventFailover, nil, "westeurope -> northeurope")
		}
		c.second(rng, sec, h)
		clk.Advance(time.Second)
	}
	return r
}

// build records the run through a Recorder driven by a fake clock and returns the summary.
func (c synthRun) build(tb testing.TB) *Summary {
	tb.Helper()
	c = c.withDefaults()
	r := c.record(tb)
	s := &Summary{Scenario: Scenario{Name: "synthetic", Seed: c.seed, Format: "yaml",
		Effective: "name: synthetic\nseed: " + fmt.Sprint(c.seed) + "\n"},
		Environment: Environment{GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPUs: 2}}
	r.Fill(s)
	s.Failovers = []Failover{{FromRegion: "westeurope", ToRegion: "northeurope",
		Kind: "manual", OutageAtSeconds: float64(c.seconds * 2 / 3), RTOSeconds: 4.2}}
	s.Migrations = []Migration{{Container: "UniqueEntityProfile", FromVersion: 1, ToVersion: 2,
		AtSeconds: 10, OnTheFly: 1200, Batch: 8800, CompletedAtSeconds: 40}}
	s.Costs = []Cost{{Scope: "UniqueEntityProfile", Policy: "elastic", RUHours: 96000,
		Money: 7.68, Currency: "USD", PricePer100RUHour: 0.008, ConsumedRU: 1.2e8}}
	s.Detections = []Detection{
		{AttackKind: "brute_force", Injected: 10, TruePositives: 9, FalsePositives: 1,
			FalseNegatives: 1, MeanDelaySeconds: 2.5},
		{AttackKind: "pass_the_hash", Injected: 4, TruePositives: 4, MeanDelaySeconds: 1.1},
	}
	return s
}

func (c synthRun) withDefaults() synthRun {
	if c.seconds == 0 {
		c.seconds = 120
	}
	if c.tenants == 0 {
		c.tenants = 3
	}
	if c.samples == 0 {
		c.samples = 50
	}
	if c.latencyFactor == 0 {
		c.latencyFactor = 1
	}
	if c.rateFactor == 0 {
		c.rateFactor = 1
	}
	return c
}

type synthHandles struct {
	acked, lost, throttled         []*Counter
	ingest                         []*Trend
	failed                         []*Rate
	cosmos                         []*Trend
	ruUsed                         []*Counter
	ruProv                         []*Gauge
	lag, up                        []*Gauge
	docsV1, docsV2                 *Gauge
	parseErrors, lostUpdates, cost *Counter
	// drift is an AR(1) load factor shared by neighbouring seconds, as GC pauses and hot
	// partitions make real per-second samples autocorrelated.
	drift *float64
}

func (c synthRun) handles(tb testing.TB, r *Recorder) synthHandles {
	var h synthHandles
	must := func(err error) { require.NoError(tb, err) }
	for t := range c.tenants {
		l := Labels{"tenant": fmt.Sprintf("tenant-%02d", t)}
		a, err := r.Counter(MetricEventsAcked, l)
		must(err)
		lo, err := r.Counter(MetricEventsLost, l)
		must(err)
		in, err := r.Trend(MetricIngestLatency, l)
		must(err)
		f, err := r.Rate(MetricBatchFailed, l)
		must(err)
		h.acked, h.lost = append(h.acked, a), append(h.lost, lo)
		h.ingest, h.failed = append(h.ingest, in), append(h.failed, f)
	}
	for _, ct := range synthContainers {
		l := Labels{"container": ct}
		for _, op := range synthOps {
			tr, err := r.Trend(MetricCosmosLatency, Labels{"container": ct, "op": op})
			must(err)
			h.cosmos = append(h.cosmos, tr)
		}
		u, err := r.Counter(MetricRUConsumed, l)
		must(err)
		p, err := r.Gauge(MetricRUProvisioned, l)
		must(err)
		th, err := r.Counter(MetricCosmosThrottled, l)
		must(err)
		h.ruUsed, h.ruProv, h.throttled = append(h.ruUsed, u), append(h.ruProv, p),
			append(h.throttled, th)
	}
	for _, reg := range synthRegions {
		lg, err := r.Gauge(MetricReplicationLag, Labels{"region": reg})
		must(err)
		up, err := r.Gauge(MetricRegionUp, Labels{"region": reg})
		must(err)
		h.lag, h.up = append(h.lag, lg), append(h.up, up)
	}
	var err error
	profile := "UniqueEntityProfile"
	h.docsV1, err = r.Gauge(MetricDocsBySchema, Labels{"container": profile, "version": "1"})
	must(err)
	h.docsV2, err = r.Gauge(MetricDocsBySchema, Labels{"container": profile, "version": "2"})
	must(err)
	h.parseErrors, err = r.Counter(MetricParseErrors, nil)
	must(err)
	h.lostUpdates, err = r.Counter(MetricLostUpdates, nil)
	must(err)
	h.drift = new(float64)
	return h
}

// second records one second of the run: noisy throughput around a level, log-normal
// latencies, a burst in the middle third that raises 429s and provisioned RU/s.
func (c synthRun) second(rng *rand.Rand, sec int, h synthHandles) {
	burst := sec >= c.seconds/3 && sec < c.seconds*2/3
	noise := func(sd float64) float64 { return 1 + rng.NormFloat64()*sd }
	*h.drift = 0.8**h.drift + rng.NormFloat64()*0.03
	slow := 1 + *h.drift
	for i := range h.acked {
		h.acked[i].Add(math.Round(5000 * c.rateFactor * noise(0.03) / slow))
		h.lost[i].Add(0)
		h.failed[i].AddN(int64(rng.IntN(3)), 500)
		for range c.samples {
			h.ingest[i].Observe(0.020 * c.latencyFactor * slow * math.Exp(rng.NormFloat64()*0.4))
		}
	}
	for i, tr := range h.cosmos {
		base := 0.003 + 0.001*float64(i%4)
		for range c.samples {
			tr.Observe(base * c.latencyFactor * slow * math.Exp(rng.NormFloat64()*0.5))
		}
	}
	prov := 4000.0
	if burst {
		prov = 8000
	}
	for i := range h.ruUsed {
		h.ruUsed[i].Add(3000 * c.rateFactor * noise(0.05))
		h.ruProv[i].Set(prov)
		if burst && sec%5 == 0 {
			h.throttled[i].Add(float64(rng.IntN(20)))
		}
	}
	for i := range h.lag {
		h.lag[i].Set(0.05 * float64(i) * noise(0.2))
		h.up[i].Set(1)
	}
	frac := min(1, float64(sec)/float64(max(1, c.seconds/2)))
	h.docsV1.Set(math.Round(10000 * (1 - frac)))
	h.docsV2.Set(math.Round(10000 * frac))
}
