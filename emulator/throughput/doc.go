// Package throughput is the emulator's provisioned-throughput engine, independent of HTTP:
// offers (manual and autoscale) for containers and shared-throughput databases with the
// service's validation, per-physical-partition RU/s budgets with 429 admission, burst
// capacity, autoscale, per-second accounting, the billing view, and a Prometheus collector.
//
// # Use
//
// Build an [Engine] with [NewEngine] and hand it to the emulator, which calls
// [Engine.Admit] before every data-plane request on a physical partition and
// [Engine.Consume] with the request's charge afterwards. Those two are the hot path
// (lock-free lookup, one short per-partition critical section). The emulator also tells the
// engine about databases, containers, splits ([Engine.SetRanges]) and storage, and serves
// the offers resource from [Engine.Offer] and [Engine.ReplaceOffer]. The runner reads
// [Engine.Seconds] and [Engine.Bills]; people scrape [NewCollector] or [Engine.Handler].
//
// # Behaviour (from the service's documentation)
//
//   - Offers: manual from 400 RU/s in steps of 100; autoscale maximum from 1,000 in steps of
//     1,000; minimums raised by storage (1 RU/s per GB manual, 10 per GB autoscale), by the
//     highest value ever set (/100 manual, /10 autoscale) and by shared-database containers
//     above 25; quota 1,000,000 RU/s by default. Violations wrap [ErrInvalidOffer].
//   - Partitions: an offer's RU/s are split evenly over its live physical partitions (for a
//     shared database, over the partitions of all its containers). A replacement up to
//     partitions x 10,000 RU/s applies at once; above, it stays pending (the old offer in
//     force) until the emulator's splits give enough partitions ([Engine.SetRanges]).
//   - Admission: fixed one-second windows aligned to Unix seconds. A window admits while
//     consumption plus reservations for requests admitted but not yet charged stays under
//     the partition's budget; overshoot is debt carried into the next windows, so a
//     partition never serves more than its budget plus one request over any span. A refused
//     request gets the time until the first window whose budget is not already spent.
//   - Burst capacity (Config.Burst): partitions under 3,000 RU/s bank up to 300 s of unused
//     budget and spend it at up to 3,000 RU/s.
//   - Autoscale: the budget is the maximum at all times (scaling is instant); the RU/s the
//     resource "scaled to" in a second is its busiest partition's consumption times the
//     partition count, rounded up to 100 and kept between 10% and 100% of the maximum. Each
//     billing hour is charged at its highest such value.
//   - Billing: per hour of Config.HourLength, at $0.008 (manual), $0.012 (autoscale) or
//     $0.016 (multi-region writes) per 100 RU/s-hour and region by default.
//
// # Limits
//
//   - Autoscale scales to the maximum at once; the service only goes all the way after
//     about 5 s of sustained full use (documented as current implementation).
//   - An hour in which the offer switched between manual and autoscale is billed whole at
//     the autoscale rate, at the highest RU/s of either.
//   - Dynamic (per-partition, per-region) autoscale, throughput buckets, priority-based
//     execution and custom per-partition redistribution are not modelled.
//   - The 240 RU/s metadata budget is not enforced; control-plane calls never throttle.
package throughput
