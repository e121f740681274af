package throughput

import (
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const metricPrefix = "stampede_emulator_"

var (
	partitionLabels = []string{"database", "container", "partition"}
	containerLabels = []string{"database", "container"}
)

func desc(name, help string, labels []string) *prometheus.Desc {
	return prometheus.NewDesc(metricPrefix+name, help, labels, nil)
}

var (
	descConsumed = desc("request_units_consumed_total",
		"Request units charged on a physical partition.", partitionLabels)
	descRequests = desc("requests_total",
		"Requests that asked admission on a physical partition, throttled ones included.",
		partitionLabels)
	descThrottled = desc("throttled_requests_total",
		"Requests answered 429 (substatus 3200) on a physical partition.", partitionLabels)
	descBudget = desc("partition_budget_request_units_per_second",
		"RU/s a physical partition may consume: its share of the offer.", partitionLabels)
	descStorage = desc("storage_bytes", "Data stored on a physical partition.",
		partitionLabels)
	descProvisioned = desc("provisioned_request_units_per_second",
		"RU/s in force for a container: manual value, or what autoscale scaled to in the "+
			"last whole second.", containerLabels)
	descMax = desc("max_request_units_per_second",
		"Manual RU/s or autoscale maximum of a container's offer.", containerLabels)
	descPartitions = desc("partitions", "Live physical partitions of a container.",
		containerLabels)
	descPending = desc("offer_replace_pending",
		"1 while a throughput replacement waits for partition splits.", containerLabels)
	descRUHours = desc("billed_request_unit_hours",
		"RU/s-hours billed so far for a resource that holds an offer (container \"\" for a "+
			"shared database), all regions.", containerLabels)
	descCost = desc("throughput_cost",
		"Throughput cost so far at the configured prices, all regions.", containerLabels)
)

// Collector exposes an Engine's state as Prometheus metrics, computed at each scrape.
type Collector struct {
	e     *Engine
	clock func() time.Time
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector for e; clock gives the time of a scrape (nil means
// time.Now), which must be the clock the engine's caller uses.
func NewCollector(e *Engine, clock func() time.Time) *Collector {
	if clock == nil {
		clock = time.Now
	}
	return &Collector{e: e, clock: clock}
}

// Handler serves e's metrics in the Prometheus text format, for mounting on /metrics.
func (e *Engine) Handler(clock func() time.Time) http.Handler {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(e, clock))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// Describe sends the descriptors of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConsumed, descRequests, descThrottled, descBudget,
		descStorage, descProvisioned, descMax, descPartitions, descPending, descRUHours,
		descCost} {
		ch <- d
	}
}

// Collect sends the current value of every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	now := c.clock()
	needs := c.e.newNeeds()
	for _, ct := range c.e.liveContainers() {
		c.collectContainer(ch, ct, now, needs)
	}
	for _, b := range c.e.Bills(now) {
		ch <- prometheus.MustNewConstMetric(descRUHours, prometheus.GaugeValue, b.RUHours,
			b.Target.Database, b.Target.Container)
		ch <- prometheus.MustNewConstMetric(descCost, prometheus.GaugeValue, b.Cost,
			b.Target.Database, b.Target.Container)
	}
}

func (c *Collector) collectContainer(ch chan<- prometheus.Metric, ct *container,
	now time.Time, needs *needs) {
	parts := c.e.partitionsOf(ct)
	live := 0
	for _, p := range parts {
		if !p.liveAt(now.Unix()) {
			continue
		}
		live++
		lv := []string{ct.db, ct.name, p.ref.RangeID}
		p.mu.Lock()
		budget := p.budget
		p.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(descConsumed, prometheus.CounterValue,
			math.Float64frombits(p.totalRU.Load()), lv...)
		ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue,
			float64(p.totalRequests.Load()), lv...)
		ch <- prometheus.MustNewConstMetric(descThrottled, prometheus.CounterValue,
			float64(p.totalThrottled.Load()), lv...)
		ch <- prometheus.MustNewConstMetric(descBudget, prometheus.GaugeValue, budget, lv...)
		ch <- prometheus.MustNewConstMetric(descStorage, prometheus.GaugeValue,
			float64(p.storage.Load()), lv...)
	}
	c.e.mu.Lock()
	info := ct.owner.info(c.e.cfg.MaxThroughput)
	c.e.mu.Unlock()
	provisioned := float64(info.Offer.Max())
	if info.Offer.IsAutoscale() {
		provisioned = scaledRU(info.Offer, needs.of(ct.owner, now.Unix()-1))
	}
	pending := 0.0
	if info.Pending != nil {
		pending = 1
	}
	lv := []string{ct.db, ct.name}
	ch <- prometheus.MustNewConstMetric(descProvisioned, prometheus.GaugeValue, provisioned, lv...)
	ch <- prometheus.MustNewConstMetric(descMax, prometheus.GaugeValue,
		float64(info.Offer.Max()), lv...)
	ch <- prometheus.MustNewConstMetric(descPartitions, prometheus.GaugeValue, float64(live),
		lv...)
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, pending, lv...)
}

// liveContainers lists the containers not deleted.
func (e *Engine) liveContainers() []*container {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*container, 0, len(e.containers))
	for _, c := range e.containers {
		out = append(out, c)
	}
	return out
}
