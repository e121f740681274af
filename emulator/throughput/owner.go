package throughput

import (
	"fmt"
	"sync"
	"time"
)

// owner holds provisioned throughput: a container's own, or a database's shared by its
// containers. Lock order: Engine.mu, then owner.mu, then partition.mu.
type owner struct {
	target Target
	rid    string

	mu      sync.Mutex
	offers  []offerChange // in force from each change on; never empty
	pending *Offer        // waiting for splits; the last offer stays in force meanwhile
	maxEver int
	members []*container
	created time.Time
	closed  time.Time
}

type offerChange struct {
	at    time.Time
	offer Offer
}

func newOwner(t Target, rid string, o Offer, now time.Time) *owner {
	return &owner{target: t, rid: rid, offers: []offerChange{{now, o}}, maxEver: o.Max(),
		created: now}
}

// current is the offer in force; o.mu must be held.
func (o *owner) current() Offer { return o.offers[len(o.offers)-1].offer }

// livePartitions lists every live partition of every member; o.mu must be held.
func (o *owner) livePartitions() []*partition {
	var out []*partition
	for _, c := range o.members {
		out = append(out, c.live()...)
	}
	return out
}

// rebalance spreads the offer in force evenly over the live partitions.
func (o *owner) rebalance(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rebalanceLocked(now)
}

func (o *owner) rebalanceLocked(now time.Time) {
	parts := o.livePartitions()
	if len(parts) == 0 {
		return
	}
	budget := float64(o.current().Max()) / float64(len(parts))
	for _, p := range parts {
		p.setBudget(budget, len(parts), now.Unix())
	}
}

func (o *owner) close(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed.IsZero() {
		o.closed = now
	}
}

// instantMax is the most RU/s the live partitions can serve without a split.
func (o *owner) instantMaxLocked() int {
	return max(1, len(o.livePartitions())) * PartitionMaxThroughput
}

// storageLocked is the data held by the live partitions.
func (o *owner) storageLocked() int64 {
	var total int64
	for _, p := range o.livePartitions() {
		total += p.storage.Load()
	}
	return total
}

func (o *owner) limitsLocked(quota int) Limits {
	l := Limits{StorageBytes: o.storageLocked(), MaxEver: o.maxEver, Quota: quota}
	if o.target.Container == "" {
		l.Containers = len(o.members)
	}
	return l
}

// replace validates and applies a new offer: at once if the partitions can serve it,
// otherwise as pending until splits bring enough partitions (see applyPendingIfServable).
func (o *owner) replace(n Offer, quota int, now time.Time) (Replacement, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending != nil {
		return Replacement{}, fmt.Errorf("%s: offer replacement to %s still pending: %w",
			o.target, *o.pending, ErrConflict)
	}
	if err := n.Validate(o.limitsLocked(quota)); err != nil {
		return Replacement{}, fmt.Errorf("%s: %w", o.target, err)
	}
	o.maxEver = max(o.maxEver, n.Max())
	r := Replacement{Partitions: len(o.livePartitions())}
	if n.Max() > o.instantMaxLocked() {
		o.pending = &n
		r.Pending = true
		r.Partitions = RequiredPartitions(n)
		return r, nil
	}
	o.offers = append(o.offers, offerChange{now, n})
	o.rebalanceLocked(now)
	return r, nil
}

// applyPendingIfServable makes a pending offer take effect once the partitions serve it.
func (o *owner) applyPendingIfServable(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == nil || o.pending.Max() > o.instantMaxLocked() {
		return
	}
	o.offers = append(o.offers, offerChange{now, *o.pending})
	o.pending = nil
}

// Replacement is the outcome of a throughput replacement.
type Replacement struct {
	// Pending is true when the new offer needs more partitions than exist: it takes effect
	// after the splits (x-ms-offer-replace-pending), the old one stays in force meanwhile.
	Pending bool
	// Partitions is how many physical partitions the offer needs (when pending) or has.
	Partitions int
}

// OfferInfo is the throughput state of a container or database.
type OfferInfo struct {
	Target Target
	RID    string // _rid of the resource the offer belongs to
	Offer  Offer  // in force
	// Pending is the offer waiting for splits, nil when none.
	Pending *Offer
	// MinThroughput is the lowest manual RU/s the resource accepts now
	// (x-ms-cosmos-min-throughput).
	MinThroughput int
	// MinAutoscaleMax is the lowest autoscale maximum the resource accepts now.
	MinAutoscaleMax int
	// InstantMax is the most RU/s settable without a split (instantMaximumThroughput).
	InstantMax int
	// Partitions is the number of live physical partitions.
	Partitions int
	// Shared is true for a database's shared throughput.
	Shared bool
	// Changed is when the offer in force took effect.
	Changed time.Time
}

// info reads the owner's state; e.mu must be held, as the members' partition lists change
// under it.
func (o *owner) info(quota int) OfferInfo {
	o.mu.Lock()
	defer o.mu.Unlock()
	l := o.limitsLocked(quota)
	in := OfferInfo{
		Target:          o.target,
		RID:             o.rid,
		Offer:           o.current(),
		MinThroughput:   MinimumManual(l),
		MinAutoscaleMax: MinimumAutoscaleMax(l),
		InstantMax:      o.instantMaxLocked(),
		Partitions:      len(o.livePartitions()),
		Shared:          o.target.Container == "",
		Changed:         o.offers[len(o.offers)-1].at,
	}
	if o.pending != nil {
		p := *o.pending
		in.Pending = &p
	}
	return in
}
