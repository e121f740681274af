// Package profile owns what the backend learns about each entity: the in-memory [Delta] that
// events are folded into between flushes, and the UniqueEntityProfile [Document] stored in
// Cosmos DB, in every schema version the backend has shipped.
//
// # Conservation
//
// Every event is attributed to exactly one entity ([Subject]) and adds exactly 1 to exactly one
// entry of that entity's Counts map (keyed by the event kind). Counts is the conserved quantity:
// after a drain, the sum of Counts over a tenant's documents equals the events the backend
// acknowledged. Hourly activity, peers, protocols and failures are learned statistics and are
// not part of the invariant.
//
// Writes are made idempotent by a fence: each document records, per backend node, the highest
// flush sequence applied to it ([Fence]). A flush whose outcome was unknown (a timeout, a reset
// connection) is retried with the same sequence, and [Document.Apply] skips it if the fence
// shows it already landed.
//
// # Schema versions
//
// Version 1 stored hourly activity as a map keyed by the hour ("0".."23"). Version 2 made it a
// fixed array of 24 counters. Version 3 turned peers from a list of names into bounded records
// with a count and a last-seen time, and added the failure counter. [Decode] reads every
// supported version and upgrades it, step by step, with explicit N -> N+1 functions;
// [Encode] writes a chosen version, so a backend still running old code writes old documents.
// The code for version N can be deleted once no document of version N remains.
package profile
