package runner

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/alertdoc"
	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/reports"
	"github.com/stampede-load/stampede/sim/attack"
)

func TestMatchDetections(t *testing.T) {
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	mallory := api.EntityRef{Type: api.EntityUser, Name: "mallory"}
	bruteForce := attack.Attack{Kind: attack.BruteForce, Tenant: "contoso", Attacker: mallory,
		SourceHost: "ws-17", Start: t0.Add(10 * time.Minute), End: t0.Add(20 * time.Minute)}
	alert := func(entity string, first time.Duration) alertdoc.Document {
		return alertdoc.Document{Kind: "brute_force", Entity: entity,
			FirstSeen: t0.Add(first), LastSeen: t0.Add(first + time.Minute)}
	}
	tests := []struct {
		name   string
		alerts map[string][]alertdoc.Document
		want   reports.Detection
	}{
		{"alert on the attacker in the window",
			map[string][]alertdoc.Document{"contoso": {alert("user:mallory", 12*time.Minute)}},
			reports.Detection{Injected: 1, TruePositives: 1, MeanDelaySeconds: 2}},
		{"alert on the source host counts too",
			map[string][]alertdoc.Document{"contoso": {alert("computer:ws-17", 10*time.Minute)}},
			reports.Detection{Injected: 1, TruePositives: 1}},
		{"alert on another entity is a false positive and the attack is missed",
			map[string][]alertdoc.Document{"contoso": {alert("user:alice", 12*time.Minute)}},
			reports.Detection{Injected: 1, FalsePositives: 1, FalseNegatives: 1}},
		{"alert on the attacker long before the attack does not count",
			map[string][]alertdoc.Document{"contoso": {alert("user:mallory", 1*time.Minute)}},
			reports.Detection{Injected: 1, FalsePositives: 1, FalseNegatives: 1}},
		{"alert on the attacker long after the attack does not count",
			map[string][]alertdoc.Document{"contoso": {alert("user:mallory", 40*time.Minute)}},
			reports.Detection{Injected: 1, FalsePositives: 1, FalseNegatives: 1}},
		{"same entity in another tenant does not count",
			map[string][]alertdoc.Document{"fabrikam": {alert("user:mallory", 12*time.Minute)}},
			reports.Detection{Injected: 1, FalsePositives: 1, FalseNegatives: 1}},
		{"several alerts on one attack are one detection",
			map[string][]alertdoc.Document{"contoso": {alert("user:mallory", 14*time.Minute),
				alert("computer:ws-17", 11*time.Minute)}},
			reports.Detection{Injected: 1, TruePositives: 1, MeanDelaySeconds: 1}},
		{"nothing raised",
			nil, reports.Detection{Injected: 1, FalseNegatives: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := matchDetections([]attack.Attack{bruteForce}, tt.alerts, 60)
			tt.want.AttackKind = "brute_force"
			require.Equal(t, []reports.Detection{tt.want}, got)
		})
	}
}

func TestMatchDetectionsKindsWithoutAttacks(t *testing.T) {
	alerts := map[string][]alertdoc.Document{"contoso": {{Kind: "kerberoasting",
		Entity: "user:svc"}}}
	got := matchDetections(nil, alerts, 1)
	require.Equal(t, []reports.Detection{{AttackKind: "kerberoasting", FalsePositives: 1}}, got)
}
