package runner

import (
	"fmt"
	"hash/fnv"

	"github.com/stampede-load/stampede/scenarios"
	"github.com/stampede-load/stampede/sim/org"
)

// tenantPlan is one tenant of a run: its scenario description, its synthetic organisation
// and the scaling policy of its containers.
type tenantPlan struct {
	id      string
	spec    scenarios.Tenant
	org     *org.Org
	scaling scenarios.Scaling
	seed    uint64
}

// planTenants expands the scenario's tenants (groups with a count become several) and
// builds each one's organisation from the scenario seed, deterministically.
func planTenants(s *scenarios.Scenario) ([]tenantPlan, error) {
	var out []tenantPlan
	for _, t := range s.Tenants {
		for _, id := range t.TenantNames() {
			seed := tenantSeed(s.Seed, id)
			o, err := org.New(seed, org.Spec{Tenant: id, Users: t.Users, Computers: t.Computers,
				Sensors: t.Sensors})
			if err != nil {
				return nil, fmt.Errorf("tenant %s: %w", id, err)
			}
			out = append(out, tenantPlan{id: id, spec: t, org: o, scaling: s.EffectiveScaling(t),
				seed: seed})
		}
	}
	return out, nil
}

// tenantSeed derives a tenant's seed from the scenario seed and its name, so adding a tenant
// does not change the others' streams.
func tenantSeed(seed int64, tenant string) uint64 {
	h := fnv.New64a()
	_, _ = fmt.Fprintf(h, "%d/%s", seed, tenant)
	return h.Sum64()
}

func (t tenantPlan) sensorIDs() []string { return t.org.SensorIDs }

// byPolicy groups tenants by scaling policy, in first-seen order.
func byPolicy(tenants []tenantPlan) [][]tenantPlan {
	var groups [][]tenantPlan
	index := map[scenarios.Scaling]int{}
	for _, t := range tenants {
		i, ok := index[t.scaling]
		if !ok {
			i = len(groups)
			index[t.scaling] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], t)
	}
	return groups
}
