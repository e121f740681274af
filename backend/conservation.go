package backend

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
)

// Acknowledged returns, per tenant and per entity document id ("<type>:<name>", escaped as
// in Cosmos DB), the events acknowledged and folded into memory by this process. After
// [Backend.Drain] it covers every acknowledged event.
func (b *Backend) Acknowledged() map[string]map[string]int64 {
	return b.perEntity(func(e *entity) int64 { return e.acked })
}

// CrashDropped returns, per tenant and entity document id as [Backend.Acknowledged], the
// acknowledged events that crash restarts (or graceful stops killed past their grace
// period) dropped unstored. Entities without drops are left out.
func (b *Backend) CrashDropped() map[string]map[string]int64 {
	return b.perEntity(func(e *entity) int64 { return e.dropped })
}

// perEntity sums count over every node's entities, per tenant and entity document id,
// leaving out zeros.
func (b *Backend) perEntity(count func(*entity) int64) map[string]map[string]int64 {
	out := map[string]map[string]int64{}
	for _, n := range b.nodes {
		n.mu.Lock()
		for k, e := range n.entities {
			c := count(e)
			if c == 0 {
				continue
			}
			m := out[k.t.id]
			if m == nil {
				m = map[string]int64{}
				out[k.t.id] = m
			}
			m[profile.DocumentID(k.ref)] += c
		}
		n.mu.Unlock()
	}
	return out
}

// ConservationReport compares stored counters with acknowledged events.
type ConservationReport struct {
	// OK is true when every tenant's stored counters equal its acknowledged events, entity by
	// entity, and no stored document failed to parse.
	OK      bool
	Tenants map[string]TenantConservation
}

// TenantConservation is one tenant's side of the check.
type TenantConservation struct {
	Acked  int64 // events acknowledged at ingest
	Folded int64 // events folded into entity state (== Acked after a drain)
	Stored int64 // sum of the Counts of all stored profiles
	Lost   int64 // sum over entities of acknowledged minus stored, where positive
	// LostToCrash is the part of Lost that crash restarts explain, entity by entity: on
	// each entity, up to the events a crash dropped from it (see Backend.CrashDropped).
	LostToCrash int64
	Extra       int64 // sum over entities of stored minus acknowledged, where positive
	Entities    int   // entities with acknowledged events
	Mismatched  int   // entities whose stored count differs
	ParseErrors int   // stored profiles that failed to parse
	Examples    []EntityMismatch
}

// EntityMismatch is one entity whose stored count differs from its acknowledged events.
type EntityMismatch struct {
	Entity        string
	Acked, Stored int64
}

const maxMismatchExamples = 10

// VerifyConservation reads the counters of every stored profile of every tenant (any schema
// version keeps them under "counts") and compares them with the events acknowledged by this
// process. Call it after
// [Backend.Drain]; documents written by an earlier process count as Extra.
func (b *Backend) VerifyConservation(ctx context.Context) (ConservationReport, error) {
	acked, dropped := b.Acknowledged(), b.CrashDropped()
	rep := ConservationReport{OK: true, Tenants: map[string]TenantConservation{}}
	for _, t := range b.tenantList() {
		tc, err := b.verifyTenant(ctx, t, acked[t.id], dropped[t.id])
		if err != nil {
			return rep, err
		}
		if tc.Lost != 0 || tc.Extra != 0 || tc.ParseErrors != 0 || tc.Folded != tc.Acked {
			rep.OK = false
		}
		rep.Tenants[t.id] = tc
	}
	return rep, nil
}

func (b *Backend) verifyTenant(ctx context.Context, t *tenant, acked, dropped map[string]int64,
) (TenantConservation, error) {
	tc := TenantConservation{Acked: t.acked.Load(), Entities: len(acked)}
	stored := map[string]int64{}
	cc := b.nodes[0].container(t.database, store.UniqueEntityProfile)
	// Every schema version keeps the counters under "counts": read only those, which costs
	// a fraction of the request units of reading whole profiles.
	_, err := store.Scan(ctx, cc, "SELECT c.id, c.counts FROM c", nil, func(raw []byte) error {
		var doc struct {
			ID     string           `json:"id"`
			Counts map[string]int64 `json:"counts"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			tc.ParseErrors++
			return nil
		}
		var total int64
		for _, n := range doc.Counts {
			total += n
		}
		stored[doc.ID] = total
		tc.Stored += total
		return nil
	})
	if err != nil {
		return tc, fmt.Errorf("verify conservation of %s: %w", t.id, err)
	}
	ids := make([]string, 0, len(acked)+len(stored))
	for id, n := range acked {
		tc.Folded += n
		ids = append(ids, id)
	}
	for id := range stored {
		if _, ok := acked[id]; !ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		a, s := acked[id], stored[id]
		if a == s {
			continue
		}
		tc.Mismatched++
		if a > s {
			tc.Lost += a - s
			tc.LostToCrash += min(a-s, dropped[id])
		} else {
			tc.Extra += s - a
		}
		if len(tc.Examples) < maxMismatchExamples {
			tc.Examples = append(tc.Examples, EntityMismatch{Entity: id, Acked: a, Stored: s})
		}
	}
	return tc, nil
}
