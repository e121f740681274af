package runner

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/data/azcosmos"

	"github.com/stampede-load/stampede/backend/profile"
	"github.com/stampede-load/stampede/backend/store"
	"github.com/stampede-load/stampede/emulator"
)

// LossAttributor splits the events lost at drain into those carried by profile writes the
// database reported lost to a forced failover (the measured RPO in events, per failover,
// which a scenario may accept) and the rest (which no scenario accepts).
type LossAttributor interface {
	// AttributeLoss takes the lost writes as database -> document id -> failover index
	// and returns the events lost per failover index, and the events lost otherwise.
	AttributeLoss(ctx context.Context, lostWrites map[string]map[string]int) (
		rpo map[int]int64, other int64, err error)
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
// what was acknowledged: a shortfall on an entity whose profile write was lost is RPO of
// the failover that lost it.
func (g *backendGroup) AttributeLoss(ctx context.Context,
	lostWrites map[string]map[string]int) (rpo map[int]int64, other int64, err error) {
	rpo = map[int]int64{}
	for _, p := range g.parts {
		acked := p.b.Acknowledged()
		for id := range p.tenants {
			db := p.prefix + id
			stored, err := storedCounts(ctx, g.client.NewContainer, db)
			if err != nil {
				return rpo, other, err
			}
			for entity, n := range acked[id] {
				short := n - stored[entity]
				failover, lost := lostWrites[db][entity]
				switch {
				case short <= 0:
				case lost:
					rpo[failover] += short
				default:
					other += short
				}
			}
		}
	}
	return rpo, other, nil
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
