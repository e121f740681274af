// Package sink is where sensors deliver their batches: HTTPSink posts them to a backend's
// ingest API (backend/api), Discard counts and drops them (benchmarks, dry runs), Recorder
// writes their events as newline-delimited JSON. Sinks deliver once; retries, backoff and
// buffering are the sensor's (package sim).
package sink
