// Package conformance is a reusable suite that drives the official Go SDK, azcosmos
// v1.5.0, against a Cosmos DB endpoint and checks what the real service does: every
// operation the SDK offers and every error it can surface, seen through the SDK itself
// (status codes via *azcore.ResponseError, headers, bodies).
//
// Run it from a test against any endpoint:
//
//	conformance.Run(t, func(t *testing.T) conformance.Target { … })
//
// This package's own tests run the suite against the in-process emulator over HTTP and
// HTTPS, against a two-region account and a durable one (a data directory), and against
// another endpoint (such as Microsoft's emulator) when STAMPEDE_COSMOS_ENDPOINT and
// STAMPEDE_COSMOS_KEY are set. Cases that pin behaviour
// specific to this emulator (its RU model, its limits) say so in their names.
//
// TestMicrosoftEmulator runs the suite against Microsoft's Linux (vNext) emulator, started
// through testcontainers-go, or reused at STAMPEDE_COSMOS_ENDPOINT; it skips with a clear
// message where no Docker engine answers within seconds. RunExcept skips the cases that
// emulator lacks, each with its reason (the table microsoftUnsupported), only in that mode.
package conformance
