package backend

import (
	"context"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/alertdoc"
	"github.com/stampede-load/stampede/backend/detect"
	"github.com/stampede-load/stampede/backend/store"
)

// flushAlerts stores the alerts raised or updated since the last cycle, for every tenant,
// through node n. Alerts that fail stay in the tenant's backlog. It returns how many failed.
func (b *Backend) flushAlerts(ctx context.Context, n *node) int {
	failed := 0
	for _, t := range b.tenantList() {
		t.alertMu.Lock()
		backlog := t.alertBacklog
		if backlog == nil {
			backlog = map[string]detect.Alert{}
		}
		for _, a := range t.engine.Take() {
			backlog[a.ID] = a
		}
		t.alertBacklog = nil
		t.alertMu.Unlock()

		for id, a := range backlog {
			if err := n.flushAlert(ctx, t, a); err != nil {
				failed++
				continue
			}
			delete(backlog, id)
		}
		if len(backlog) > 0 {
			t.alertMu.Lock()
			for id, a := range backlog {
				if _, newer := t.alertBacklog[id]; !newer {
					if t.alertBacklog == nil {
						t.alertBacklog = map[string]detect.Alert{}
					}
					t.alertBacklog[id] = a
				}
			}
			t.alertMu.Unlock()
		}
	}
	return failed
}

// flushAlert raises or updates one Alert document with the detections not stored yet.
func (n *node) flushAlert(ctx context.Context, t *tenant, a detect.Alert) error {
	t.alertMu.Lock()
	fresh := a.Count - t.alertFlushed[a.ID]
	t.alertMu.Unlock()
	if fresh <= 0 {
		return nil
	}
	target := generations[n.b.generation.Load()].Alert
	var from, wrote int
	change := func(cur []byte) ([]byte, error) {
		var doc *alertdoc.Document
		from = 0
		if cur != nil {
			var err error
			if doc, from, err = alertdoc.Decode(cur); err != nil {
				n.b.metrics.parseErrors.Inc()
				return nil, err
			}
		}
		doc = alertdoc.Update(doc, a, fresh)
		wrote = max(target, from)
		return alertdoc.Encode(doc, wrote)
	}
	cc := n.container(t.database, store.Alert)
	_, out, err := store.Mutate(ctx, cc, azcosmos.NewPartitionKeyString(a.ID), a.ID, nil, change)
	n.account(t.database, store.Alert, out)
	if err != nil {
		return err
	}
	if from > 0 && from < wrote {
		n.b.migration.migratedOnTheFly(store.Alert)
		n.b.metrics.migratedOnTheFly.Inc()
	}
	n.b.metrics.alertsWritten.Inc()
	t.alertMu.Lock()
	t.alertFlushed[a.ID] = max(t.alertFlushed[a.ID], a.Count)
	t.alertMu.Unlock()
	return nil
}
