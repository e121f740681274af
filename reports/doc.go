// Package reports owns what a Stampede run measured and what it concluded: the results model,
// the metric catalogue, k6-style thresholds, the invariants every run checks, the comparison of
// two runs against a baseline, and the four report files of a run folder (summary.json,
// junit.xml, summary.md, report.html).
//
// It imports nothing of the project: the runner in scenarios fills the model and calls the
// evaluators and writers; cmd/stampede reads summaries back for `stampede report compare`.
// It does not collect anything by itself, run scenarios or decide exit codes.
//
// # Getting started
//
// A run creates a [Recorder] and takes handles ([Recorder.Counter], [Recorder.Trend],
// [Recorder.Rate], [Recorder.Gauge]) once, then records through them from any goroutine.
// At the end it fills a [Summary] with [Recorder.Fill], adds what its parts know (failovers,
// migrations, costs, detections), calls [EvaluateAll] with the thresholds from
// [ParseThresholds], [CheckInvariants] and [Summary.Finalize], and writes the run folder
// with [WriteRunFolder]. During the run, [Recorder.CheckAbort] evaluates abort-on-fail
// thresholds cheaply. See the package example. User-facing reference: docs/reports.md.
//
// # Results model
//
// A [Summary] is one run: the seed, the effective scenario as raw text, the environment, and
// every metric as a [Series] on one timeline at one-second resolution (index i is second i of
// the run). Four kinds of metric exist, as in k6:
//
//   - counter: a per-second increment (events acknowledged, 429s); aggregates count and rate
//     (per second over the window).
//   - rate: per second, how many of how many were "true" (batch failed, request throttled);
//     aggregate rate (a fraction, 0..1).
//   - trend: a mergeable HDR histogram per second plus one for the whole run (latencies);
//     aggregates avg, min, max, med, p(N), count.
//   - gauge: the level at the end of each second, carried forward until set again (RU/s
//     provisioned, replication lag); aggregates value (last), min, max, avg.
//
// Latency trends keep HdrHistogram counts, never pre-computed percentiles, so shards of one
// run merge exactly with [Merge]. In summary.json the whole-run histogram is the standard
// HdrHistogram V2 base64 encoding after a two-character prefix naming its geometry ("u="),
// readable by any HdrHistogram library once the prefix is dropped, and the per-second
// histograms use a sparse varint encoding of (bucket value, count) pairs ("u:") that is
// cheap to write and decodes to the same buckets.
//
// Labels (tenant, container, region, op, ...) are bounded: a [Recorder] keeps at most
// [DefaultMaxLabelSets] label sets per metric and folds the rest into one set whose label
// values are "other".
//
// # Metric catalogue
//
// [DefaultCatalog] lists every metric the runner collects with its kind, unit, better
// direction and description. Threshold parsing and scenario validation look names up there;
// an unknown name is an error that suggests the closest names.
//
// # Thresholds
//
// [ParseThreshold] parses k6's expression syntax once (`p(99)<250ms`, `rate<0.05`,
// `count==0`) over a metric or a labelled sub-metric (`cosmos_latency{op:upsert}`), with an
// optional window (`30s-60s`) or phase, and abort-on-fail with a delay. See docs/reports.md
// for the full grammar.
//
// # Baselines
//
// [Compare] compares two summaries metric by metric on their per-second samples: paired
// second by second when both runs follow the same timeline, else with Welch's t-test; sample
// sizes are reduced to their effective size under the autocorrelation of neighbouring
// seconds. It gives a change with a confidence interval and a direction-aware verdict per
// metric, and a gate ([Comparison.Regressed]) that corrects for the number of metrics
// compared (Holm–Bonferroni), so two runs of the same build fail it at most
// [CompareConfig.FamilyErrorRate] of the time.
package reports
