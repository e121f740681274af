package reports

// Names of the metrics the runner collects. Use these constants rather than literals so a
// rename is a compile error, not a silently empty series.
const (
	// Sensors and ingest (sensor side, open model).
	MetricEventsSent     = "events_sent"
	MetricEventsAcked    = "events_acked"
	MetricEventsLost     = "events_lost"
	MetricBatchesSent    = "batches_sent"
	MetricBatchFailed    = "batch_failed"
	MetricIngestLatency  = "ingest_latency"
	MetricScheduleLag    = "schedule_lag"
	MetricSendsDropped   = "sends_dropped"
	MetricSensorErrors   = "sensor_errors"
	MetricBackendPending = "backend_pending_events"

	// Node restarts, as the backend reports them.
	MetricEventsLostCrash = "events_lost_crash"

	// Cosmos operations as the backend sees them (after its throttle policy).
	MetricCosmosRequests  = "cosmos_requests"
	MetricCosmosLatency   = "cosmos_latency"
	MetricCosmosThrottled = "cosmos_throttled"
	MetricThrottleRatio   = "cosmos_throttle_ratio"
	MetricCosmosRetries   = "cosmos_retries"
	MetricThrottleWait    = "throttle_wait"
	MetricThrottleRelief  = "throttle_relief_time"
	MetricFlushLatency    = "flush_latency"

	// Throughput and scaling.
	MetricRUConsumed    = "ru_consumed"
	MetricRUProvisioned = "ru_provisioned"
	MetricScaleActions  = "scale_actions"
	MetricPartitions    = "physical_partitions"

	// Regions and failover.
	MetricReplicationLag = "replication_lag"
	MetricRegionUp       = "region_up"
	MetricFailoverRTO    = "failover_rto"
	MetricFailoverRPO    = "failover_rpo_events"
	MetricFailoverRPOAge = "failover_rpo_age"

	// Migrations.
	MetricDocsBySchema    = "documents_by_schema_version"
	MetricMigratedOnFly   = "migrations_on_the_fly"
	MetricMigratedBatch   = "migrations_batch"
	MetricParseErrors     = "migration_parse_errors"
	MetricLostUpdates     = "lost_updates"
	MetricConflictRetries = "migration_conflict_retries"

	// Detections and cost.
	MetricAlertsRaised = "alerts_raised"
	MetricCostRUHours  = "cost_ru_hours"
)

// builtinMetrics is the catalogue of everything the runner may collect.
var builtinMetrics = []MetricDef{
	{MetricEventsSent, KindCounter, UnitCount, HigherIsBetter,
		"events the sensors sent (offered load)", []string{"tenant"}},
	{MetricEventsAcked, KindCounter, UnitCount, HigherIsBetter,
		"events the backend acknowledged", []string{"tenant"}},
	{MetricEventsLost, KindCounter, UnitCount, LowerIsBetter,
		"acknowledged events missing from Cosmos at drain (conservation invariant)", []string{"tenant"}},
	{MetricEventsLostCrash, KindCounter, UnitCount, LowerIsBetter,
		"acknowledged events a crash restart (or a graceful stop killed past its grace period) " +
			"dropped unstored, as the backend reported them", []string{"node"}},
	{MetricBatchesSent, KindCounter, UnitCount, HigherIsBetter,
		"sensor batches sent", []string{"tenant"}},
	{MetricBatchFailed, KindRate, UnitRatio, LowerIsBetter,
		"share of sensor batches that failed (error or timeout)", []string{"tenant"}},
	{MetricIngestLatency, KindTrend, UnitSeconds, LowerIsBetter,
		"sensor-side batch latency from the intended send time (no coordinated omission)",
		[]string{"tenant"}},
	{MetricScheduleLag, KindTrend, UnitSeconds, LowerIsBetter,
		"delay between a batch's intended and actual send time", []string{"tenant"}},
	{MetricSendsDropped, KindCounter, UnitCount, LowerIsBetter,
		"batches the sensors could not send on schedule and dropped", []string{"tenant"}},
	{MetricSensorErrors, KindCounter, UnitCount, LowerIsBetter,
		"errors sensors saw (by HTTP status class)", []string{"tenant", "class"}},
	{MetricBackendPending, KindGauge, UnitCount, LowerIsBetter,
		"events acknowledged but not yet flushed to Cosmos", []string{"tenant"}},

	{MetricCosmosRequests, KindCounter, UnitCount, NeitherBetter,
		"Cosmos DB requests issued by the backend", []string{"container", "op", "region"}},
	{MetricCosmosLatency, KindTrend, UnitSeconds, LowerIsBetter,
		"Cosmos DB operation latency including retries", []string{"container", "op"}},
	{MetricCosmosThrottled, KindCounter, UnitCount, LowerIsBetter,
		"Cosmos DB responses with status 429", []string{"container"}},
	{MetricThrottleRatio, KindRate, UnitRatio, LowerIsBetter,
		"share of Cosmos DB responses that were 429", []string{"container"}},
	{MetricCosmosRetries, KindCounter, UnitCount, LowerIsBetter,
		"retries the throttle policy made", []string{"container"}},
	{MetricThrottleWait, KindTrend, UnitSeconds, LowerIsBetter,
		"latency added by waiting out 429s", []string{"container"}},
	{MetricThrottleRelief, KindGauge, UnitSeconds, LowerIsBetter,
		"time from the first 429 of a burst to the first second without one", []string{"container"}},
	{MetricFlushLatency, KindTrend, UnitSeconds, LowerIsBetter,
		"time to flush one coalesced write-behind batch", []string{"tenant"}},

	{MetricRUConsumed, KindCounter, UnitRU, NeitherBetter,
		"request units consumed (rate gives RU/s)", []string{"tenant", "container", "region"}},
	{MetricRUProvisioned, KindGauge, UnitRUPerSec, NeitherBetter,
		"RU/s provisioned", []string{"tenant", "container", "region"}},
	{MetricScaleActions, KindCounter, UnitCount, NeitherBetter,
		"throughput changes applied (up or down)", []string{"container", "direction"}},
	{MetricPartitions, KindGauge, UnitCount, NeitherBetter,
		"physical partitions", []string{"tenant", "container", "region"}},

	{MetricReplicationLag, KindGauge, UnitSeconds, LowerIsBetter,
		"replication lag to a read region", []string{"region"}},
	{MetricRegionUp, KindGauge, UnitNone, HigherIsBetter,
		"1 while a region is up, 0 while it is down", []string{"region"}},
	{MetricFailoverRTO, KindGauge, UnitSeconds, LowerIsBetter,
		"recovery time of the last failover", nil},
	{MetricFailoverRPO, KindGauge, UnitCount, LowerIsBetter,
		"acknowledged writes lost by the last failover", nil},
	{MetricFailoverRPOAge, KindGauge, UnitSeconds, LowerIsBetter,
		"age of the oldest write lost by the last failover", nil},

	{MetricDocsBySchema, KindGauge, UnitCount, NeitherBetter,
		"documents per schema version", []string{"container", "version"}},
	{MetricMigratedOnFly, KindCounter, UnitCount, NeitherBetter,
		"documents migrated on the fly by a read", []string{"container"}},
	{MetricMigratedBatch, KindCounter, UnitCount, NeitherBetter,
		"documents migrated by the batch migrator", []string{"container"}},
	{MetricParseErrors, KindCounter, UnitCount, LowerIsBetter,
		"reads that failed to parse a document", []string{"container"}},
	{MetricLostUpdates, KindCounter, UnitCount, LowerIsBetter,
		"updates lost to a race between migrator and writers", []string{"container"}},
	{MetricConflictRetries, KindCounter, UnitCount, LowerIsBetter,
		"If-Match conflicts retried during migrations", []string{"container"}},

	{MetricAlertsRaised, KindCounter, UnitCount, NeitherBetter,
		"alerts raised by detections", []string{"tenant", "kind"}},
	{MetricCostRUHours, KindGauge, UnitNone, LowerIsBetter,
		"provisioned RU/s-hours so far (scenario clock)", []string{"policy"}},
}

// DefaultCatalog returns a new catalogue of the built-in metrics; callers may Add to it.
func DefaultCatalog() *Catalog {
	c, err := NewCatalog(builtinMetrics...)
	if err != nil {
		panic("reports: built-in catalogue: " + err.Error()) // a programming error, tested
	}
	return c
}
