// Package msemulator starts Microsoft's Linux Cosmos DB emulator (the vNext image) in Docker
// through testcontainers-go, for the runs and conformance checks that compare the project's
// emulator with Microsoft's or use Microsoft's as the account under test. Where no Docker
// engine answers, Start fails at once with an error wrapping ErrNoDocker, so callers can skip
// with a clear message instead of hanging.
//
// The gateway is published on the same loopback port inside and outside the container: the
// emulator advertises its regional endpoint with the port it listens on, and the SDK routes
// requests there, so a port remapped by Docker would send them to a port nothing serves.
package msemulator
