package scenarios

import (
	"fmt"
	"slices"
	"strings"
)

func (v *validator) timeline(s Scenario, tenantNames []string) {
	version := s.Backend.SchemaVersion
	phaseOwner := map[string]int{}
	for i, e := range s.Timeline {
		path := fmt.Sprintf("timeline[%d]", i)
		if s.Duration > 0 && e.At > s.Duration {
			v.add(path+".at", "offset %s is after the end of the run (%s)", e.At, s.Duration)
		}
		if i > 0 && e.At < s.Timeline[i-1].At {
			v.add(path+".at", "events must be in time order; %s comes before the previous %s",
				e.At, s.Timeline[i-1].At)
		}
		fields, ok := actionFields[e.Action]
		if !ok {
			v.add(path+".action", "unknown action %q%s", e.Action, allowedHint(e.Action, Actions))
			continue
		}
		v.eventFields(e, path, fields.required, fields.optional)
		if e.Name != "" {
			if j, dup := phaseOwner[e.Name]; dup {
				v.add(path+".name", "phase name %q is already used by timeline[%d]", e.Name, j)
			}
			phaseOwner[e.Name] = i
		}
		v.event(s, e, path, tenantNames, &version)
	}
}

// eventFields checks that e sets every field its action requires and no field it ignores.
func (v *validator) eventFields(e Event, path string, required, optional []string) {
	set := e.setFields()
	for _, f := range required {
		if !set[f] {
			v.add(path+"."+f, "required by action %s", e.Action)
		}
	}
	for _, f := range sortedKeys(set) {
		if set[f] && !slices.Contains(required, f) && !slices.Contains(optional, f) {
			v.add(path+"."+f, "does not apply to action %s (it takes: %s)", e.Action,
				strings.Join(append(append([]string{"at", "name"}, required...), optional...), ", "))
		}
	}
}

// event checks the values of e's fields; version is the schema version so far.
func (v *validator) event(s Scenario, e Event, path string, tenantNames []string, version *int) {
	if s.Duration > 0 && e.Duration > 0 && e.At <= s.Duration && e.At+e.Duration > s.Duration {
		v.add(path+".duration", "event from %s for %s ends after the run (%s)", e.At, e.Duration,
			s.Duration)
	}
	if e.Multiplier < 0 || e.Multiplier > 1000 {
		v.add(path+".multiplier", "want a factor of the base rate above 0 and at most 1000, "+
			"got %g", e.Multiplier)
	}
	if e.Action == ActionSweep && (e.Steps < 2 || e.Steps > MaxSweepSteps) {
		v.add(path+".steps", "want 2 to %d, got %d", MaxSweepSteps, e.Steps)
	}
	for j, t := range e.Tenants {
		if !slices.Contains(tenantNames, t) {
			v.add(fmt.Sprintf("%s.tenants[%d]", path, j), "no tenant %q%s", t,
				allowedHint(t, tenantNames))
		}
	}
	if e.Region != "" && !slices.Contains(s.Account.Regions, e.Region) {
		v.add(path+".region", "region %q is not in account.regions%s", e.Region,
			allowedHint(e.Region, s.Account.Regions))
	}
	if e.Action == ActionFailover && len(s.Account.Regions) < 2 {
		v.add(path+".action", "failover needs at least two account.regions")
	}
	switch {
	case e.Mode != "" && e.Action == ActionRestartNode:
		v.oneOf(path+".mode", e.Mode, RestartModes)
	case e.Mode != "":
		v.oneOf(path+".mode", e.Mode, OutageModes)
	}
	if e.Action == ActionUpgrade {
		if e.SchemaVersion <= *version {
			v.add(path+".schemaVersion", "an upgrade must move past schema version %d, got %d",
				*version, e.SchemaVersion)
		}
		*version = max(*version, e.SchemaVersion)
	}
	if e.Action == ActionRestartNode {
		v.restartNode(s, e, path)
	}
}

// restartNode checks the fields of a restart-node entry.
func (v *validator) restartNode(s Scenario, e Event, path string) {
	if e.Node < 1 || e.Node > s.Backend.Nodes {
		v.add(path+".node", "want a node from 1 to backend.nodes (%d), got %d", s.Backend.Nodes,
			e.Node)
	}
	if e.GracePeriod < 0 {
		v.add(path+".gracePeriod", "want a positive duration, got %s", e.GracePeriod)
	}
	if e.GracePeriod != 0 && e.Mode != "" && e.Mode != RestartGraceful {
		v.add(path+".gracePeriod", "applies to mode %s only: a %s restart stops at once",
			RestartGraceful, e.Mode)
	}
}
