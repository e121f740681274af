package throughput

import (
	"math"
	"slices"
	"time"
)

// PartitionSecond is one physical partition's accounting for one second.
type PartitionSecond struct {
	RangeID      string  `json:"rangeId"`
	ConsumedRU   float64 `json:"consumedRU"`
	Requests     int64   `json:"requests"`  // all requests that asked admission, 429s included
	Throttled    int64   `json:"throttled"` // requests answered 429
	StorageBytes int64   `json:"storageBytes"`
}

// ContainerSecond is one container's accounting for one second.
type ContainerSecond struct {
	Time       time.Time `json:"time"` // start of the second
	Database   string    `json:"database"`
	Container  string    `json:"container"`
	ConsumedRU float64   `json:"consumedRU"`
	// ProvisionedRU is the RU/s in force: the manual value, or for autoscale the RU/s the
	// resource scaled to in that second (between a tenth of the maximum and the maximum,
	// in steps of 100, as needed by its busiest partition). For a container sharing its
	// database's throughput, the database's.
	ProvisionedRU  float64           `json:"provisionedRU"`
	MaxRU          int               `json:"maxRU"` // manual value or autoscale maximum
	Autoscale      bool              `json:"autoscale"`
	Shared         bool              `json:"shared"`
	Requests       int64             `json:"requests"`
	Throttled      int64             `json:"throttled"`
	PartitionCount int               `json:"partitionCount"`
	StorageBytes   int64             `json:"storageBytes"`
	Partitions     []PartitionSecond `json:"partitions"`
}

// Seconds returns the accounting of every container for each whole second in [from, to),
// oldest first, within the configured history. Seconds in which a container did not exist
// are left out; in the second a container was deleted and recreated under its name both
// appear, the deleted one first. Reading settles nothing: it is safe at any time and
// costs no budget.
func (e *Engine) Seconds(from, to time.Time) []ContainerSecond {
	first := max(from.Unix(), to.Unix()-int64(e.historyLen))
	last := to.Unix() // exclusive
	needs := e.newNeeds()
	var out []ContainerSecond
	for _, c := range e.allContainers() {
		for w := first; w < last; w++ {
			if s, ok := e.containerSecond(c, w, needs); ok {
				out = append(out, s)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b ContainerSecond) int { return a.Time.Compare(b.Time) })
	return out
}

// allContainers lists live and deleted containers with their partitions, copied under
// the lock.
func (e *Engine) allContainers() []*container {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.allContainersLocked()
	slices.SortFunc(out, func(a, b *container) int {
		switch {
		case a.db != b.db:
			return compareStrings(a.db, b.db)
		case a.name != b.name:
			return compareStrings(a.name, b.name)
		}
		return a.created.Compare(b.created) // a deleted container before its successor
	})
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (e *Engine) containerSecond(c *container, w int64, needs *needs) (ContainerSecond, bool) {
	at := time.Unix(w, 0)
	deleted := !c.deleted.IsZero() && !at.Before(c.deleted)
	if at.Before(c.created.Truncate(time.Second)) || deleted {
		return ContainerSecond{}, false
	}
	offer := c.owner.offerAt(at)
	cs := ContainerSecond{
		Time: at, Database: c.db, Container: c.name, MaxRU: offer.Max(),
		Autoscale: offer.IsAutoscale(), Shared: c.owner.target.Container == "",
	}
	for _, p := range e.partitionsOf(c) {
		if !p.liveAt(w) {
			continue
		}
		s, recorded := p.read(w)
		if !recorded {
			s.storage = p.storage.Load() // an idle second: storage as it is now
		}
		cs.Partitions = append(cs.Partitions, PartitionSecond{RangeID: p.ref.RangeID,
			ConsumedRU: s.consumed, Requests: s.requests, Throttled: s.throttled,
			StorageBytes: s.storage})
		cs.ConsumedRU += s.consumed
		cs.Requests += s.requests
		cs.Throttled += s.throttled
		cs.StorageBytes += s.storage
	}
	cs.PartitionCount = len(cs.Partitions)
	cs.ProvisionedRU = float64(offer.Max())
	if offer.IsAutoscale() {
		cs.ProvisionedRU = scaledRU(offer, needs.of(c.owner, w))
	}
	return cs, true
}

func (e *Engine) partitionsOf(c *container) []*partition {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(c.parts)
}

// needs computes, and remembers, the RU/s an owner's busiest partition called for in a
// second: its consumption times the number of partitions sharing the throughput.
type needs struct {
	parts map[*owner][]*partition
	memo  map[ownerSecond]float64
}

type ownerSecond struct {
	o *owner
	w int64
}

// newNeeds snapshots every owner's partitions, live and split away.
func (e *Engine) newNeeds() *needs {
	_, parts := e.owners()
	return &needs{parts: parts, memo: map[ownerSecond]float64{}}
}

func (n *needs) of(o *owner, w int64) float64 {
	k := ownerSecond{o, w}
	if v, ok := n.memo[k]; ok {
		return v
	}
	need := 0.0
	for _, p := range n.parts[o] {
		if s, ok := p.read(w); ok {
			need = max(need, s.consumed*float64(max(s.siblings, 1)))
		}
	}
	n.memo[k] = need
	return need
}

// scaledRU is the RU/s an autoscale offer scales to for a need: rounded up to 100,
// between a tenth of the maximum and the maximum.
func scaledRU(o Offer, need float64) float64 {
	ru := math.Ceil(need/100) * 100
	return min(max(ru, float64(o.Floor())), float64(o.AutoscaleMax))
}

// offerAt is the offer in force at t (the first one before the owner existed).
func (o *owner) offerAt(t time.Time) Offer {
	o.mu.Lock()
	defer o.mu.Unlock()
	in := o.offers[0].offer
	for _, ch := range o.offers[1:] {
		if ch.at.After(t) {
			break
		}
		in = ch.offer
	}
	return in
}

// allContainersLocked lists live and deleted containers; e.mu must be held.
func (e *Engine) allContainersLocked() []*container {
	out := slices.Clone(e.deleted)
	for _, c := range e.containers {
		out = append(out, c)
	}
	return out
}
