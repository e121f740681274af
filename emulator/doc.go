// Package emulator is an Azure Cosmos DB (API for NoSQL) emulator that the official Go SDK,
// azcosmos v1.5.0, uses unchanged: account bootstrap, master-key and AAD auth, databases,
// containers, items (CRUD, patch, conditional requests, TTL), queries, ReadMany,
// transactional batch, the partition key ranges feed and the change feed, with request
// charges from a documented RU model (docs/emulator.md).
//
// # One region: Server
//
// Start one in-process and point a client at it:
//
//	srv, err := emulator.Start(ctx, emulator.Config{})
//	defer srv.Close()
//	cred, _ := azcosmos.NewKeyCredential(srv.Key())
//	client, _ := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
//
// Config.Throughput turns on provisioned throughput (docs/throughput.md): per-partition
// RU/s budgets answered with 429, offers read and replaced through the SDK, autoscale,
// splits, billing, and Server.Throughput for the runner's accounting; /metrics serves it to
// Prometheus. Without it the emulator never throttles.
//
// # Several regions, durability, outages: Account
//
// StartAccount starts an Account (docs/regions.md): one account endpoint that stays up and
// one Server per region on its own port (Account.Server, Account.RegionEndpoint), with
// replication at a configured lag, the five consistency levels, multi-region writes,
// a durable data directory (RegionsConfig.DataDir) and periodic backups:
//
//	a, err := emulator.StartAccount(ctx, emulator.Config{},
//		emulator.RegionsConfig{Regions: []string{"westus2", "eastus2"}})
//	defer a.Close()
//	cred, _ := azcosmos.NewKeyCredential(a.Key())
//	client, _ := azcosmos.NewClientWithKey(a.Endpoint(), cred,
//		&azcosmos.ClientOptions{PreferredRegions: []string{"westus2", "eastus2"}})
//
// Failover drills drive it from Go (Account.RegionDown, RegionUp, Failover, Regions and
// Report, whose lost acknowledged writes are the measured RPO) or over HTTP through the
// control API under /_stampede/ on the account endpoint, authenticated with the account
// key; ControlClient is its Go client and `stampede emulator control` its command line.
//
// # Internals
//
// The package owns the wire protocol (routing on the escaped path, auth, headers, errors
// in the service's shape through one mapping, writeError) and the in-memory store.
// Documents are held as raw JSON bytes with the few parsed fields the store indexes.
// A container is an ordered list of physical partitions, each owning an effective partition
// key range with its own lock, items, LSN and log; every committed mutation passes through
// partition.commit and every split through container.cutLocked, and both hand the ordered
// per-partition log record to the commit hook that replication and the write-ahead log
// build on. Throughput enforcement
// plugs in through Throttler; the query language lives in emulator/query, EPK hashing in
// emulator/epk, the throughput engine in emulator/throughput, offers in offers*.go, splits
// in split*.go, regions in region*.go, replication*.go and failover.go, the control API in
// control.go, the data directory in durable*.go and backups in backup.go.
//
// Limitations against the real service are listed in docs/emulator.md, docs/throughput.md
// and docs/regions.md.
package emulator
