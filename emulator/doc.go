// Package emulator is an Azure Cosmos DB (API for NoSQL) emulator that the official Go SDK,
// azcosmos v1.5.0, uses unchanged: account bootstrap, master-key and AAD auth, databases,
// containers, items (CRUD, patch, conditional requests, TTL), queries, ReadMany,
// transactional batch, the partition key ranges feed and the change feed, with request
// charges from a documented RU model (docs/emulator.md).
//
// Start one in-process and point a client at it:
//
//	srv, err := emulator.Start(ctx, emulator.Config{})
//	defer srv.Close()
//	cred, _ := azcosmos.NewKeyCredential(srv.Key())
//	client, _ := azcosmos.NewClientWithKey(srv.Endpoint(), cred, nil)
//
// The package owns the wire protocol (routing on the escaped path, auth, headers, errors
// in the service's shape through one mapping, writeError) and the in-memory store.
// Documents are held as raw JSON bytes with the few parsed fields the store indexes.
// A container is an ordered list of physical partitions, each owning an effective partition
// key range with its own lock, items, LSN and log; every committed mutation passes through
// partition.commit, which produces the ordered per-partition log record replication and a
// durable log build on. Throughput enforcement plugs in through Throttler; the query
// language lives in emulator/query, EPK hashing in emulator/epk, offers in offers*.go.
//
// Limitations against the real service are listed in docs/emulator.md.
package emulator
