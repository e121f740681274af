// Package throttle owns the backend's handling of Cosmos DB 429 (request rate too large)
// responses: a pipeline policy installed into azcosmos that retries throttled requests the way
// the other Cosmos SDKs do, and counts everything it does.
//
// The Go SDK (azcosmos v1.5.0) has no throttle policy of its own: a 429 goes to azcore's generic
// retry, which tries four times in total and has no bound on the cumulative wait. [Install] puts
// a [Policy] in front of that retry and removes 429 from azcore's retried status codes, so 429s
// are retried only here:
//
//   - the delay is the server's x-ms-retry-after-ms (or Retry-After-Ms, Retry-After), plus a
//     jitter of up to [Config.Jitter]; without a usable header an exponential backoff applies;
//   - at most [Config.MaxRetries] retries (default 9) and at most [Config.MaxWait] of
//     cumulative waiting (default 30 s), like the .NET and Java SDKs;
//   - every 429, retry, give-up and the time spent waiting is counted in [Stats], and an
//     optional [Config.OnThrottle] hook learns which database and container were throttled
//     (the backend uses it to ask the elastic scaler for more throughput).
//
// When the policy gives up, the caller sees the SDK's usual *azcore.ResponseError with
// StatusCode 429. The package does not decide what to do then; the write-behind flusher in
// package backend keeps the change and tries again later.
package throttle
