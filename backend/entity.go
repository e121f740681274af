package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
)

// maxChangedAttributes bounds the attributes an entity document remembers.
const maxChangedAttributes = 32

// dirInfo is what directory sync reported about an entity since the last flush.
type dirInfo struct {
	created, disabled, admin bool
	changes                  int64
	attrs                    map[string]time.Time
}

func (s *slot) noteDirectory(e *api.Event) {
	if s.dir == nil {
		s.dir = &dirInfo{}
	}
	d := s.dir
	switch e.Kind {
	case api.KindDirectoryCreate:
		d.created = true
	case api.KindDirectoryDisable:
		d.disabled = true
	case api.KindDirectoryChange:
		d.changes++
		if d.attrs == nil {
			d.attrs = map[string]time.Time{}
		}
		if len(d.attrs) < maxChangedAttributes && e.Time.After(d.attrs[e.Attribute]) {
			d.attrs[e.Attribute] = e.Time
		}
	}
	d.admin = d.admin || e.Admin
}

func (d *dirInfo) merge(o *dirInfo) {
	d.created, d.disabled, d.admin = d.created || o.created, d.disabled || o.disabled, d.admin || o.admin
	d.changes += o.changes
	for a, t := range o.attrs {
		if d.attrs == nil {
			d.attrs = map[string]time.Time{}
		}
		if len(d.attrs) < maxChangedAttributes && t.After(d.attrs[a]) {
			d.attrs[a] = t
		}
	}
}

// entityDoc is a UniqueEntity document (schema version 1, partition key /id).
type entityDoc struct {
	ID            string               `json:"id"`
	SchemaVersion int                  `json:"schemaVersion"`
	Type          string               `json:"type"`
	Name          string               `json:"name"`
	Source        string               `json:"source"` // "observed" or "directory"
	FirstSeen     time.Time            `json:"firstSeen"`
	Disabled      bool                 `json:"disabled"`
	Privileged    bool                 `json:"privileged"`
	Changes       int64                `json:"changes"`
	Attributes    map[string]time.Time `json:"attributes,omitempty"`
}

// flushEntity creates or updates the UniqueEntity document when the entity was first seen
// (its profile was created) or directory sync reported news. On failure the work stays in s.
func (n *node) flushEntity(ctx context.Context, k entKey, s *slot, firstSight bool) error {
	s.needEntity = s.needEntity || firstSight
	if !s.needEntity && s.dir == nil {
		return nil
	}
	// A first sight with no directory news only creates the document: try the create at
	// once instead of reading first (a 409 means it exists, and then there is nothing to do).
	var guess *store.Item
	if s.dir == nil {
		guess = &store.Item{}
	}
	dir := s.dir
	if dir == nil {
		dir = &dirInfo{}
	}
	id := profile.DocumentID(k.ref)
	now := n.b.cfg.Now().UTC()
	change := func(cur []byte) ([]byte, error) {
		doc := entityDoc{ID: id, SchemaVersion: 1, Type: k.ref.Type.String(), Name: k.ref.Name,
			Source: "observed", FirstSeen: now}
		if cur != nil {
			if err := json.Unmarshal(cur, &doc); err != nil {
				n.b.metrics.parseErrors.Inc()
				return nil, fmt.Errorf("entity %s: %w", id, err)
			}
		} else if dir.created {
			doc.Source = "directory"
		}
		if cur != nil && s.dir == nil {
			return nil, nil // seen before by another path; nothing new
		}
		doc.Disabled = doc.Disabled || dir.disabled
		doc.Privileged = doc.Privileged || dir.admin
		doc.Changes += dir.changes
		for a, t := range dir.attrs {
			if doc.Attributes == nil {
				doc.Attributes = map[string]time.Time{}
			}
			if _, ok := doc.Attributes[a]; ok || len(doc.Attributes) < maxChangedAttributes {
				doc.Attributes[a] = t
			}
		}
		return json.Marshal(doc)
	}
	cc := n.container(k.t.database, store.UniqueEntity)
	_, out, err := store.Mutate(ctx, cc, azcosmos.NewPartitionKeyString(id), id, guess, change)
	n.account(k.t.database, store.UniqueEntity, out)
	if err != nil {
		return err
	}
	s.dir, s.needEntity = nil, false
	return nil
}

// baselineDoc is the SystemProfile document holding tenant-wide activity (partition key
// /kind), the baseline detections compare entities against.
type baselineDoc struct {
	ID            string           `json:"id"`
	Kind          string           `json:"kind"`
	SchemaVersion int              `json:"schemaVersion"`
	Counts        map[string]int64 `json:"counts"`
	Hourly        [24]int64        `json:"hourly"`
	Updated       time.Time        `json:"updated"`
}

// flushBaselines adds each tenant's activity to its baseline document; failures are kept for
// the next cycle. It returns the number of tenants that failed.
func (n *node) flushBaselines(ctx context.Context, bases map[*tenant]*baseline) int {
	failed := 0
	for t, base := range bases {
		if err := n.flushBaseline(ctx, t, base); err != nil {
			failed++
			n.keepBaselines(map[*tenant]*baseline{t: base})
		}
	}
	return failed
}

// keepBaselines puts baselines that were not written back for the next cycle.
func (n *node) keepBaselines(bases map[*tenant]*baseline) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for t, base := range bases {
		if cur := n.baselines[t]; cur != nil {
			cur.merge(base)
		} else {
			n.baselines[t] = base
		}
	}
}

func (a *baseline) merge(o *baseline) {
	for i := range a.counts {
		a.counts[i] += o.counts[i]
	}
	for i := range a.hourly {
		a.hourly[i] += o.hourly[i]
	}
}

func (n *node) flushBaseline(ctx context.Context, t *tenant, base *baseline) error {
	now := n.b.cfg.Now().UTC()
	change := func(cur []byte) ([]byte, error) {
		doc := baselineDoc{ID: "baseline", Kind: "baseline", SchemaVersion: 1, Counts: map[string]int64{}}
		if cur != nil {
			if err := json.Unmarshal(cur, &doc); err != nil {
				n.b.metrics.parseErrors.Inc()
				return nil, fmt.Errorf("baseline of %s: %w", t.id, err)
			}
			if doc.Counts == nil {
				doc.Counts = map[string]int64{}
			}
		}
		for k, c := range base.counts {
			if c != 0 {
				doc.Counts[api.Kind(k).String()] += c
			}
		}
		for h, c := range base.hourly {
			doc.Hourly[h] += c
		}
		doc.Updated = now
		return json.Marshal(doc)
	}
	cc := n.container(t.database, store.SystemProfile)
	_, out, err := store.Mutate(ctx, cc, azcosmos.NewPartitionKeyString("baseline"), "baseline", nil, change)
	n.account(t.database, store.SystemProfile, out)
	return err
}
