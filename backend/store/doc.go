// Package store owns the backend's Cosmos DB data access through azcosmos: the per-tenant
// database and its five containers, optimistic read-modify-write of single documents
// ([Mutate]), cross-partition scans, and throughput changes. It knows nothing about what the
// documents mean; packages profile, detect and migrate do.
//
// Containers that are only read by id index just "/schemaVersion/?" ([ContainerSpec]), which
// cuts the request units of every write by an order of magnitude.
//
// Every call takes a context and returns the SDK's errors wrapped with short context; use
// [StatusCode] to read the HTTP status of a failed call. Request charges are added to a
// [Usage] so the backend can report RU consumption per container.
package store
