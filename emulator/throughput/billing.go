package throughput

import (
	"slices"
	"time"
)

// HourBill is one billing hour of one throughput resource (or one second holding several
// hours, see Hours).
type HourBill struct {
	Start     time.Time `json:"start"`
	Autoscale bool      `json:"autoscale"`
	// BilledRU is the RU/s charged for the hour: for manual the highest value in force
	// during it; for autoscale the highest RU/s it scaled to, never under a tenth of the
	// maximum.
	BilledRU int `json:"billedRU"`
	// Hours is how many billing hours the entry stands for: 1, or with hours shorter than
	// a second (Config.HourLength), the hours in the entry's second.
	Hours float64 `json:"hours"`
	Cost  float64 `json:"cost"` // in the Prices' currency, all regions
}

// Bill is the throughput bill of a container with its own offer or of a shared database.
type Bill struct {
	Target Target `json:"target"`
	Shared bool   `json:"shared"`
	// RUHours is the sum of the hours' billed RU/s, times the regions billed: the
	// "RU/s-hours" quantity of the invoice.
	RUHours float64    `json:"ruHours"`
	Cost    float64    `json:"cost"`
	Hours   []HourBill `json:"hours"`
}

// Bills returns the throughput bill of every resource that holds an offer, from its
// creation to its deletion or now. Hours are Config.HourLength long on the engine's clock
// and a started hour is billed whole, as the service bills each wall-clock hour.
func (e *Engine) Bills(now time.Time) []Bill {
	owners, parts := e.owners()
	var out []Bill
	for _, o := range owners {
		out = append(out, e.bill(o, parts[o], now))
	}
	return out
}

// owners lists every throughput owner (live or deleted) with all its partitions.
func (e *Engine) owners() ([]*owner, map[*owner][]*partition) {
	e.mu.Lock()
	defer e.mu.Unlock()
	parts := map[*owner][]*partition{}
	var list []*owner
	add := func(o *owner) {
		if _, ok := parts[o]; !ok {
			parts[o] = nil
			list = append(list, o)
		}
	}
	for _, d := range e.databases {
		if d.owner != nil {
			add(d.owner)
		}
	}
	for _, o := range e.deletedOwners {
		add(o)
	}
	for _, c := range e.allContainersLocked() {
		add(c.owner)
		parts[c.owner] = append(parts[c.owner], c.parts...)
	}
	slices.SortFunc(list, func(a, b *owner) int {
		if a.target.Database != b.target.Database {
			return compareStrings(a.target.Database, b.target.Database)
		}
		return compareStrings(a.target.Container, b.target.Container)
	})
	return list, parts
}

func (e *Engine) bill(o *owner, parts []*partition, now time.Time) Bill {
	peaks := map[int64]float64{}
	for _, p := range parts {
		for h, v := range p.hourPeaks() {
			peaks[h] = max(peaks[h], v)
		}
	}
	o.mu.Lock()
	offers := slices.Clone(o.offers)
	end := now
	if !o.closed.IsZero() {
		end = o.closed
	}
	created := o.created
	o.mu.Unlock()

	b := Bill{Target: o.target, Shared: o.target.Container == ""}
	regions := float64(e.cfg.Regions)
	for h := e.hourOf(created); h <= e.hourOf(end); h++ {
		hb := e.hourBill(h, offersDuring(offers, e.hourStart(h), e.hourStart(h+1)), peaks[h])
		b.Hours = append(b.Hours, hb)
		b.RUHours += float64(hb.BilledRU) * hb.Hours * regions
		b.Cost += hb.Cost
	}
	return b
}

// hourBill bills one hour given the offers in force during it and the autoscale need.
func (e *Engine) hourBill(h int64, offers []Offer, need float64) HourBill {
	hb := HourBill{Start: e.hourStart(h), Hours: e.periodHours}
	for _, o := range offers {
		ru := o.Throughput
		if o.IsAutoscale() {
			hb.Autoscale = true
			ru = int(scaledRU(o, need))
		}
		hb.BilledRU = max(hb.BilledRU, ru)
	}
	rate := e.cfg.Prices.Manual
	switch {
	case e.cfg.MultiRegionWrites:
		rate = e.cfg.Prices.MultiRegionWrite
	case hb.Autoscale:
		rate = e.cfg.Prices.Autoscale
	}
	hb.Cost = float64(hb.BilledRU) / 100 * rate * float64(e.cfg.Regions) * hb.Hours
	return hb
}

// offersDuring lists the offers in force at some point of [from, to).
func offersDuring(changes []offerChange, from, to time.Time) []Offer {
	var out []Offer
	for i, ch := range changes {
		inForceAfterFrom := i+1 == len(changes) || changes[i+1].at.After(from)
		if ch.at.Before(to) && inForceAfterFrom {
			out = append(out, ch.offer)
		}
	}
	if len(out) == 0 {
		out = append(out, changes[0].offer)
	}
	return out
}

func (e *Engine) hourOf(t time.Time) int64 { return floorDiv(t.UnixNano(), int64(e.period)) }

func (e *Engine) hourStart(h int64) time.Time { return time.Unix(0, h*int64(e.period)) }
