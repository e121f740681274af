// Package backend is the reference center under test: it ingests sensor batches, learns a
// profile per entity, raises alerts, and stores all of it per tenant in Cosmos DB through the
// official Go SDK (azcosmos v1.5.0). It runs unchanged against any Cosmos DB endpoint (the
// project's emulator, Microsoft's emulator, a real account with a key or Entra ID) and never
// imports the emulator.
//
// # Data path
//
//	POST /v1/ingest/batches  -> token auth per sensor (tenant isolation), decode, validate,
//	                            dedupe by sensor+sequence, admission (429/503 + Retry-After)
//	                         -> ack; events split by entity hash over the nodes
//	node: fold into in-memory deltas (write-behind) -> a flush cycle every FlushInterval writes
//	      each entity with FlushEvents events waiting or waiting MaxFlushDelay (all on Drain or
//	      MaxDirty): read (or cached) profile -> migrate if old -> apply fenced delta -> replace If-Match
//	      (412: re-read, merge, retry) -> UniqueEntity on first sight / directory news,
//	      SystemProfile baseline, Alert documents from the detection engine
//
// Coalescing is what keeps Cosmos DB writes low: at the defaults (5 s cycles, 256 events or
// 60 s per entity) a small simulated tenant at 2,000 events/s costs about 8 writes per 1,000
// events at steady state, against about 75 when every changed entity is written every cycle
// (TestCoalescingWritesPer1000Events). [Stats.WritesPer1000Events] reports it for every run.
//
// A write that fails (throttled past the policy's bounds, a regional outage, a timeout) keeps
// its change in memory and is retried by the next flush, so sensors see no errors. A write
// whose outcome is unknown is retried with the same fence sequence (see package profile), so
// it is never applied twice. Every acknowledged event adds exactly 1 to one counter of one
// UniqueEntityProfile document once flushed: [Backend.VerifyConservation] proves it after
// [Backend.Drain].
//
// # Using it
//
//	b, err := backend.New(backend.Config{Endpoint: ep, Key: key, Nodes: 2})
//	err = b.Start(ctx)                                   // loads tenants, starts nodes
//	info, err := b.Onboard(ctx, backend.TenantSpec{ID: "t1", Sensors: []string{"dc1"}})
//	http.ListenAndServe(addr, b.Handler())               // sensors post with info.Tokens
//	err = b.Upgrade(ctx, 3)                              // deploy a schema generation live
//	_, err = b.RestartNode(ctx, 1, backend.RestartOptions{}) // rolling restart of node 1
//	err = b.Drain(ctx)                                   // store everything acknowledged
//	rep, err := b.VerifyConservation(ctx)                // stored counters == acked events
//	s := b.Stats()                                       // counters, 429s, writes/1000 events
//	b.Close()
//
// # Storage
//
// One database per tenant (Config.DatabasePrefix + tenant id) with UniqueEntity (/id),
// UniqueEntityProfile (/id), SystemProfile (/kind), SystemEntity (/kind) and Alert (/id),
// each provisioned per Config.Scaling: fixed manual RU/s, manual RU/s changed by the elastic
// scaler (package scaler, its own service), or Cosmos DB autoscale. SystemEntity holds the
// tenant document, one document per sensor with the SHA-256 of its token (so a restarted
// backend accepts the same tokens) and the batch-migration checkpoint. With Config.Mirror the
// tenant and sensor documents are also written to a second account; a backend started
// against a new, empty primary restores every tenant from it, and sensors keep their tokens.
//
// # Schema generations
//
// Generation 1 writes profile v1 and alert v1, generation 2 profile v2 and alert v2,
// generation 3 profile v3 and alert v2. [Backend.Upgrade] raises the generation while the
// backend runs: writes switch at once (older documents are migrated on the fly when next
// written) and a batch migrator upgrades the rest of every tenant, checkpointed in SystemEntity
// and resumed by [Backend.Start] after a restart. [Backend.DocumentVersions] counts documents
// per version; Stats reports migrations and parse errors.
//
// # Throttling and regions
//
// Each node's client has a throttle.Policy installed (9 retries, 30 s total wait, jitter by
// default). With ScalingElastic, every 429 becomes a scale-up request to the scaler (at most
// one per container per second per process) and nodes report consumed RU every 5 s.
// Config.PreferredRegions is passed to the SDK; during an outage flushes fail and are
// retried each interval while ingest keeps acknowledging (up to the admission bounds). Every
// HTTP attempt is bounded by Config.RequestTimeout, so a region that stops answering fails
// writes fast rather than holding them until it returns; a flush cycle ends at its first
// timed-out attempt, and a write from the cached document whose outcome is unknown is sent
// again with the same If-Match instead of reading first. A node whose writes keep failing
// for 2 s replaces its client, because the SDK may not re-read the account's write region
// for minutes after a failover it noticed too early, and never marks a region unavailable
// after a timed-out write.
//
// # Cosmos DB operation latency
//
// Every node client times each Cosmos DB call as the application sees it (a per-call
// policy ahead of the throttle policy: 429 waits and every layer's retries included) and
// counts its HTTP tries (a per-retry policy), labelled by operation (read, create, upsert,
// replace, patch, delete, query, readmany, batch, changefeed, metadata), container and
// status class. [Stats.Cosmos] holds mergeable [LatencyHistogram] snapshots per
// [CosmosOp]; /metrics has stampede_backend_cosmos_operation_duration_seconds and
// stampede_backend_cosmos_tries_total. Recording is one atomic add per histogram, with no
// lock and no allocation.
//
// # Admission
//
// Ingest answers 429 past MaxQueuedEvents and 503 when storage is behind: 4*MaxDirty
// changed entities on a node, MaxUnstoredEvents acknowledged and unstored events, or an
// unflushed change older than MaxUnstoredAge. The checks read atomics, never the node lock
// that apply holds while folding a batch. Decoded batches come from a pool and return to it
// once every node has folded its share. [Backend.Drain] honours its ctx and reports what is
// left in an [UnflushedError].
//
// # Limits
//
//   - Acknowledged events live in memory until flushed: a crash loses up to MaxFlushDelay of
//     acknowledged events (the write-behind trade-off this system models), as
//     [Backend.RestartNode] with RestartCrash shows; a graceful restart stores them first.
//   - Dedupe remembers the last 1024 sequence numbers per sensor, in memory; a restart forgets
//     them, so a sensor retrying across a restart can be counted twice.
//   - Detection state is per process and starts cold after a restart.
package backend
