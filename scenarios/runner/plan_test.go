package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/scenarios"
)

func mustParse(t *testing.T, yaml string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Parse("test.yaml", []byte(yaml))
	require.NoError(t, err)
	return s
}

func TestLoadPlanMultiplier(t *testing.T) {
	s := mustParse(t, `
name: plan
duration: 100s
tenants: [{name: a, rate: 10}, {name: g, count: 2, rate: 10}]
timeline:
  - {at: 10s, action: burst, duration: 10s, multiplier: 4}
  - {at: 30s, action: ramp, duration: 10s, multiplier: 3, tenants: [a]}
  - {at: 50s, action: sweep, duration: 40s, multiplier: 5, steps: 5, tenants: [g]}
`)
	plan := NewLoadPlan(s)
	tests := []struct {
		tenant string
		at     time.Duration
		want   float64
	}{
		{"a", 0, 1},
		{"a", 10 * time.Second, 4},
		{"g-2", 19 * time.Second, 4},
		{"a", 20 * time.Second, 1},
		{"a", 35 * time.Second, 2},
		{"a", 45 * time.Second, 3},
		{"g-1", 45 * time.Second, 1},
		{"g-1", 50 * time.Second, 1},
		{"g-1", 58 * time.Second, 2},
		{"g-2", 89 * time.Second, 5},
		{"g-2", 90 * time.Second, 1},
		{"a", 89 * time.Second, 3},
	}
	for _, tt := range tests {
		got := plan.Multiplier(tt.tenant, tt.at)
		require.InDelta(t, tt.want, got, 1e-9, "%s at %s", tt.tenant, tt.at)
	}
	steps := plan.SweepSteps()
	require.Len(t, steps, 5)
	require.Equal(t, [2]time.Duration{50 * time.Second, 58 * time.Second}, steps[0])
	require.Equal(t, 90*time.Second, steps[4][1])
}

func TestSteps(t *testing.T) {
	s := mustParse(t, `
name: steps
duration: 60s
account: {regions: [a, b]}
tenants: [{name: t, rate: 10}]
timeline:
  - {at: 5s, action: burst, duration: 5s, multiplier: 2}
  - {at: 20s, action: region-down, region: a, duration: 10s, name: outage}
  - {at: 22s, action: failover, region: b}
  - {at: 40s, action: upgrade, schemaVersion: 2}
`)
	r := &run{s: s, parts: &Parts{}}
	var got []string
	for _, st := range r.steps() {
		name := st.phase
		if name == "" {
			name = st.kind
		}
		got = append(got, st.at.String()+" "+name)
	}
	require.Equal(t, []string{
		"5s burst", "10s steady",
		"20s outage", "20s region_down",
		"22s failover", "22s failover",
		"30s region_up",
		"40s upgrade", "40s upgrade",
	}, got)
}

func TestCheckUnsupported(t *testing.T) {
	s, err := scenarios.Builtin("ci-gate")
	require.NoError(t, err)
	caps := Capabilities{Unsupported: map[string]string{
		scenarios.ActionRegionDown: "the emulator has no regions yet (issue #4)",
		FeatureRegions:             "the emulator has no regions yet (issue #4)",
	}}
	err = Check(s, caps)
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "account.regions: not supported by this build: the emulator")
	require.ErrorContains(t, err, "timeline[3].action: not supported by this build")

	require.NoError(t, Check(s, Capabilities{}))
	err = Check(s, Capabilities{Missing: "nothing to run"})
	require.ErrorContains(t, err, "target: not supported by this build: nothing to run")
}
