// Package sim runs fleets of synthetic sensors: the load generator of Stampede. It owns
// the fleet (pacing, batching, buffering, delivery with retries, statistics) and the
// deterministic recording of streams; its sub-packages own the parts:
//
//   - sim/org: organisations from a seed (users, computers, DCs, SPNs, groups, hours);
//   - sim/behavior: everyday events per sensor and directory churn;
//   - sim/attack: attacks with ground truth;
//   - sim/pace: scenario clock, rate profiles and open-model schedules;
//   - sim/sink: where batches go (HTTP backend, discard, NDJSON recorder).
//
// It does not own the wire format (backend/api) or what a backend does with the events.
//
// # Open model
//
// Every sensor's events are due at absolute offsets from the run start, computed from its
// share of the tenant's rate profile (pace.Schedule). Workers (one per four CPUs) wake
// when the next event of their sensors is due, generate everything due, and record the
// schedule lag (how late each event was generated) in HDR histograms. Events are generated
// whatever the sink does: a sensor whose bounded queue is full drops the new batch and
// counts it (Totals.Dropped); a second whose worst lag exceeds Config.SaturationLag is
// reported as saturated and logged once; events still due Config.SaturationLag after the end
// are counted as missed rather than generated late, so a run ends on time. Nothing is
// dropped silently.
//
// # Batches and delivery
//
// A sensor closes a batch at Config.BatchSize events or Config.BatchWait after its first
// event's due time; its first batch closes at a seeded fraction of both, so that sensors
// started together send out of step, as a real fleet does, instead of all at once every
// batch period (80 sensors in step at 100,000 events/s put 80 batches on the backend within
// 50 ms every 0.4 s and quadrupled its p99). It numbers each batch (sequence from 1, id
// "<sensor>:<seq>"), encodes it with backend/api (optionally gzip) and delivers it through
// the Sink, one batch at a time per sensor. 408, 429, 5xx and transport errors are retried
// with exponential backoff and full jitter (Retry-After wins when longer), with the same id
// so the backend can deduplicate. Other statuses are counted as rejected.
// Config.MaxAttempts bounds attempts (0: until the drain ends).
//
// # Determinism
//
// Event content depends only on the seed, the config and the sensor: each sensor's stream
// comes from its own random sub-stream, and timestamps from the scenario clock at each
// event's due offset, never from the wall clock. Record writes the streams without pacing,
// in a fixed order, so that recordings are byte-for-byte reproducible and shards combine
// into the unsharded recording. Live runs send the same per-sensor streams; only the batch
// boundaries (BatchWait) depend on timing.
//
// # Time
//
// Config.Clock maps real elapsed time to scenario time with a compression factor: event
// timestamps, working hours, the diurnal profile and churn follow the scenario clock;
// rates stay per real second. Pacing reads the wall clock through the time package, so
// tests drive it with testing/synctest.
//
// # Using it
//
//	f, err := sim.New(sim.Config{Seed: 1, Duration: time.Minute,
//		Tenants: []sim.TenantSpec{{Org: org.Spec{Tenant: "t0001", Users: 500}, Rate: 1000}}},
//		sinkOfChoice)
//	totals, err := f.Run(ctx) // per-second stats through Config.OnSecond
//
// The fleet logs through Config.Logger (nil discards): start and end at Info, one Warn
// per kind of degradation (overflow, saturation, rejections, failing delivery).
package sim
