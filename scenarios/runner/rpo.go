package runner

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

// LossAttributor splits the events lost at drain, entity by entity, into those a crash
// restart dropped from the entity, those carried by the entity's profile writes the
// database reported lost to a forced failover (the measured RPO in events, per failover),
// which a scenario may accept, and the rest, which no scenario accepts.
type LossAttributor interface {
	// AttributeLoss takes the lost writes as database -> document id -> failover index.
	AttributeLoss(ctx context.Context, lostWrites map[string]map[string]int) (LossSplit, error)
}

// LossSplit is the events lost at drain by cause.
type LossSplit struct {
	// RPO is per failover index; Crash what crash restarts dropped; Other the rest.
	RPO          map[int]int64
	Crash, Other int64
}

// total is the events lost with the writes of every failover.
func (l *LossSplit) total() int64 {
	var n int64
	for _, v := range l.RPO {
		n += v
	}
	return n
}

// LostWriteReporter is a database that reports the acknowledged writes forced failovers
// lost, as database -> document id -> index of the failover that lost it (in the order
// of the summary's Failovers; the first one, when several lost writes of a document).
type LostWriteReporter interface {
	LostProfileWrites() map[string]map[string]int
}

// LostProfileWrites returns the acknowledged UniqueEntityProfile writes the failovers lost.
func (p *accountPart) LostProfileWrites() map[string]map[string]int {
	out := map[string]map[string]int{}
	rep := p.acct.Report()
	n := 0
	for _, e := range rep.Events {
		if e.Kind != emulator.EventFailover {
			continue
		}
		for _, lw := range rep.LostWrites {
			if !lw.Acknowledged || lw.Container != store.UniqueEntityProfile ||
				lw.Region != e.From || lw.LostTo != e.Region {
				continue
			}
			if out[lw.Database] == nil {
				out[lw.Database] = map[string]int{}
			}
			if _, seen := out[lw.Database][lw.ID]; !seen {
				out[lw.Database][lw.ID] = n
			}
		}
		n++
	}
	return out
}

// AttributeLoss reads every stored profile back and compares it, entity by entity, with
// what was acknowledged: a shortfall is first what a crash restart dropped from the entity,
// then, on an entity whose profile write was lost, RPO of the failover that lost it.
func (g *backendGroup) AttributeLoss(ctx context.Context,
	lostWrites map[string]map[string]int) (LossSplit, error) {
	split := LossSplit{RPO: map[int]int64{}}
	for _, p := range g.parts {
		acked, dropped := p.b.Acknowledged(), p.b.CrashDropped()
		for id := range p.tenants {
			db := p.prefix + id
			stored, err := storedCounts(ctx, g.client.NewContainer, db)
			if err != nil {
				return split, err
			}
			for entity, n := range acked[id] {
				short := n - stored[entity]
				if short <= 0 {
					continue
				}
				byCrash := min(short, dropped[id][entity])
				split.Crash += byCrash
				short -= byCrash
				failover, lost := lostWrites[db][entity]
				switch {
				case short == 0:
				case lost:
					split.RPO[failover] += short
				default:
					split.Other += short
				}
			}
		}
	}
	return split, nil
}

// storedCounts sums the stored counters of every profile of database db, per entity.
func storedCounts(ctx context.Context,
	container func(db, name string) (*azcosmos.ContainerClient, error),
	db string) (map[string]int64, error) {
	cc, err := container(db, store.UniqueEntityProfile)
	if err != nil {
		return nil, err
	}
	stored := map[string]int64{}
	_, err = store.Scan(ctx, cc, "", nil, func(raw []byte) error {
		doc, _, err := profile.Decode(raw)
		if err != nil {
			return nil // counted as a parse error by the backend's own check
		}
		stored[doc.ID] = doc.Total()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read profiles of %s: %w", db, err)
	}
	return stored, nil
}
