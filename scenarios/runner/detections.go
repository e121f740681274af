package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/stampede-load/stampede/backend/alertdoc"
	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/sim/attack"
)

// detectionGrace widens an attack's window, in scenario time, for alerts stamped a little
// after its last event (an event's time is when it happened; the rule may need the next).
const detectionGrace = time.Minute

// storedAlerts reads every tenant's alerts back from Cosmos DB, per tenant.
func (g *backendGroup) storedAlerts(ctx context.Context) (map[string][]alertdoc.Document,
	error) {
	out := map[string][]alertdoc.Document{}
	for _, p := range g.parts {
		for id := range p.tenants {
			cc, err := g.client.NewContainer(p.prefix+id, store.Alert)
			if err != nil {
				return nil, err
			}
			_, err = store.Scan(ctx, cc, "", nil, func(raw []byte) error {
				doc, _, err := alertdoc.Decode(raw)
				if err != nil {
					return nil // counted as a parse error by the backend's own check
				}
				out[id] = append(out[id], *doc)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("read alerts of %s: %w", id, err)
			}
		}
	}
	return out, nil
}

// matchDetections scores stored alerts against the injected attacks, entity by entity and
// in time. An attack is detected (a true positive) when an alert of its kind, in its
// tenant, names one of its entities (the attacker, the source host or a target) and was
// seen within the attack's window (widened by detectionGrace); otherwise it is a false
// negative. An alert that matches no attack is a false positive of its kind. The delay is
// from the attack's first event to the first matching alert, in real seconds (scenario
// time divided by compression).
func matchDetections(truth []attack.Attack, alerts map[string][]alertdoc.Document,
	compression float64) []reports.Detection {
	byKind := map[string]*reports.Detection{}
	delays := map[string]float64{}
	get := func(kind string) *reports.Detection {
		if byKind[kind] == nil {
			byKind[kind] = &reports.Detection{AttackKind: kind}
		}
		return byKind[kind]
	}
	matched := map[string]map[int]bool{} // tenant -> index of a matching alert
	for _, a := range truth {
		kind := alertKind(a.Kind)
		d := get(kind)
		d.Injected++
		first, ok := firstMatch(a, kind, alerts[a.Tenant], matched)
		if !ok {
			d.FalseNegatives++
			continue
		}
		d.TruePositives++
		delays[kind] += max(first.Sub(a.Start), 0).Seconds() / max(compression, 1e-9)
	}
	for tenant, list := range alerts {
		for i, al := range list {
			if !matched[tenant][i] {
				get(al.Kind).FalsePositives++
			}
		}
	}
	out := make([]reports.Detection, 0, len(byKind))
	for _, kind := range slices.Sorted(maps.Keys(byKind)) {
		d := byKind[kind]
		if d.TruePositives > 0 {
			d.MeanDelaySeconds = delays[kind] / float64(d.TruePositives)
		}
		out = append(out, *d)
	}
	return out
}

// firstMatch marks every alert that matches attack a and returns when the earliest was
// first seen.
func firstMatch(a attack.Attack, kind string, alerts []alertdoc.Document,
	matched map[string]map[int]bool) (time.Time, bool) {
	entities := attackEntities(a)
	var first time.Time
	found := false
	for i, al := range alerts {
		if al.Kind != kind || !entities[al.Entity] || al.FirstSeen.After(a.End.Add(
			detectionGrace)) || al.LastSeen.Before(a.Start) {
			continue
		}
		if matched[a.Tenant] == nil {
			matched[a.Tenant] = map[int]bool{}
		}
		matched[a.Tenant][i] = true
		if !found || al.FirstSeen.Before(first) {
			first, found = al.FirstSeen, true
		}
	}
	return first, found
}

// attackEntities are the entities an alert on attack a may name, as alerts name them
// ("<type>:<name>").
func attackEntities(a attack.Attack) map[string]bool {
	out := map[string]bool{}
	add := func(r api.EntityRef) {
		if !r.IsZero() {
			out[r.Type.String()+":"+r.Name] = true
		}
	}
	add(a.Attacker)
	if a.SourceHost != "" {
		add(api.EntityRef{Type: api.EntityComputer, Name: a.SourceHost})
	}
	for _, t := range a.Targets {
		add(t)
	}
	return out
}

// alertKind is the alert kind that detects attacks of kind k.
func alertKind(k attack.Kind) string { return strings.ReplaceAll(string(k), "-", "_") }
