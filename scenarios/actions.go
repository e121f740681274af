package scenarios

// Timeline actions.
const (
	ActionBurst       = "burst"
	ActionRamp        = "ramp"
	ActionSweep       = "sweep"
	ActionRegionDown  = "region-down"
	ActionRegionUp    = "region-up"
	ActionFailover    = "failover"
	ActionUpgrade     = "upgrade"
	ActionRestartNode = "restart-node"
	ActionBackup      = "backup"
	ActionRestore     = "restore"
)

// actionFields says, per action, which Event fields it requires and which it also accepts
// (at, action and name are accepted by every action).
var actionFields = map[string]struct{ required, optional []string }{
	ActionBurst:       {required: []string{"duration", "multiplier"}, optional: []string{"tenants"}},
	ActionRamp:        {required: []string{"duration", "multiplier"}, optional: []string{"tenants"}},
	ActionSweep:       {required: []string{"duration", "multiplier", "steps"}, optional: []string{"tenants"}},
	ActionRegionDown:  {required: []string{"region"}, optional: []string{"mode", "duration"}},
	ActionRegionUp:    {required: []string{"region"}},
	ActionFailover:    {required: []string{"region"}},
	ActionUpgrade:     {required: []string{"schemaVersion"}},
	ActionRestartNode: {required: []string{"node"}, optional: []string{"mode", "duration", "gracePeriod"}},
	ActionBackup:      {},
	ActionRestore:     {},
}

// Actions lists every timeline action, in the order the documentation presents them.
var Actions = []string{ActionBurst, ActionRamp, ActionSweep, ActionRegionDown, ActionRegionUp,
	ActionFailover, ActionUpgrade, ActionRestartNode, ActionBackup, ActionRestore}

// setFields returns the yaml names of e's action-specific fields that are set.
func (e Event) setFields() map[string]bool {
	return map[string]bool{
		"duration":      e.Duration != 0,
		"multiplier":    e.Multiplier != 0,
		"steps":         e.Steps != 0,
		"tenants":       len(e.Tenants) > 0,
		"region":        e.Region != "",
		"mode":          e.Mode != "",
		"schemaVersion": e.SchemaVersion != 0,
		"node":          e.Node != 0,
		"gracePeriod":   e.GracePeriod != 0,
	}
}

// Phase returns the phase name the event opens: its Name, or else its action.
func (e Event) Phase() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Action
}
