package attack

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

func TestPlanEveryKind(t *testing.T) {
	o, err := org.New(3, org.Spec{Tenant: "t1", Users: 800, Sensors: 3})
	require.NoError(t, err)
	clock := pace.Clock{Compression: 60}
	tests := []struct {
		kind       Kind
		wantKind   api.Kind
		minTargets int
	}{
		{BruteForce, api.KindLogonFailure, 1},
		{PasswordSpray, api.KindCredentialValidation, 100},
		{Kerberoasting, api.KindKerberosTGS, 5},
		{PassTheTicket, api.KindKerberosTGS, 2},
		{PassTheHash, api.KindNTLM, 2},
		{Reconnaissance, api.KindLDAPQuery, 1},
		{LateralMovement, api.KindLogonSuccess, 8},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			spec := Spec{Kind: tt.kind, At: 5 * time.Second, For: 4 * time.Second}
			plan, err := Plan(9, o, []Spec{spec}, clock, nil)
			require.NoError(t, err)
			again, err := Plan(9, o, []Spec{spec}, clock, nil)
			require.NoError(t, err)
			require.Equal(t, plan, again)

			inj := plan[0]
			a := inj.Attack
			require.Equal(t, tt.kind, a.Kind)
			require.Equal(t, o.SensorIDs[inj.Sensor], a.Sensor)
			require.GreaterOrEqual(t, len(a.Targets), tt.minTargets)
			require.Equal(t, len(inj.Events), a.Events)
			require.Equal(t, 5*time.Second, a.StartOffset)
			require.Less(t, a.EndOffset, 9*time.Second)
			require.Equal(t, clock.At(5*time.Second), a.Start)
			seen := false
			for i, te := range inj.Events {
				require.NoError(t, te.Event.Validate(), "event %d", i)
				if i > 0 {
					require.GreaterOrEqual(t, te.At, inj.Events[i-1].At)
				}
				seen = seen || te.Event.Kind == tt.wantKind
			}
			require.True(t, seen, "no %s event", tt.wantKind)
		})
	}
}

func TestPassTheCredentialComesFromAForeignComputer(t *testing.T) {
	o, err := org.New(3, org.Spec{Tenant: "t1", Users: 300})
	require.NoError(t, err)
	for seed := range uint64(20) {
		plan, err := Plan(seed, o, []Spec{{Kind: PassTheHash}}, pace.Clock{}, nil)
		require.NoError(t, err)
		a := plan[0].Attack
		for _, u := range o.Users {
			if u.Name == a.Attacker.Name {
				require.NotEqual(t, o.Workstations[u.Workstation].Name, a.SourceHost)
			}
		}
	}
}

func TestPlanRejectsBadSpecs(t *testing.T) {
	o, err := org.New(3, org.Spec{Tenant: "t1", Users: 10})
	require.NoError(t, err)
	_, err = Plan(1, o, []Spec{{Kind: "phishing"}, {Kind: BruteForce, At: -1}}, pace.Clock{}, nil)
	require.ErrorContains(t, err, `attack 0: attack kind "phishing": want one of brute-force`)
	require.ErrorContains(t, err, "attack 1: attack brute-force: at and for must not be negative")
}

func TestPlanTinyOrganisations(t *testing.T) {
	specs := make([]Spec, len(Kinds))
	for i, k := range Kinds {
		specs[i] = Spec{Kind: k}
	}
	for _, spec := range []org.Spec{
		{Tenant: "one", Users: 1},
		{Tenant: "more-dcs-than-users", Users: 2, Sensors: 9},
		{Tenant: "two-computers", Users: 3, Computers: 2},
	} {
		o, err := org.New(1, spec)
		require.NoError(t, err)
		for seed := range uint64(10) {
			plan, err := Plan(seed, o, specs, pace.Clock{}, nil)
			require.NoError(t, err, spec.Tenant)
			for _, inj := range plan {
				require.NotEmpty(t, o.UsersOf(inj.Sensor), "%s: %s", spec.Tenant, inj.Attack.ID)
				for _, te := range inj.Events {
					require.NoError(t, te.Event.Validate(), "%s: %s", spec.Tenant, inj.Attack.ID)
				}
			}
		}
	}
}

func TestLateralMovementUsesADomainAdmin(t *testing.T) {
	o, err := org.New(3, org.Spec{Tenant: "t1", Users: 3000})
	require.NoError(t, err)
	admins := map[string]bool{}
	for _, m := range o.Groups[org.DomainAdmins].Members {
		admins[o.Users[m].Name] = true
	}
	attackers := map[string]bool{}
	for seed := range uint64(20) {
		plan, err := Plan(seed, o, []Spec{{Kind: LateralMovement}}, pace.Clock{}, nil)
		require.NoError(t, err)
		name := plan[0].Attack.Attacker.Name
		require.True(t, admins[name], "attacker %s is no Domain Admin", name)
		attackers[name] = true
	}
	require.Greater(t, len(attackers), 1, "always the same admin")
}

// evenDisabled is a directory in which churn has disabled every even-numbered user.
type evenDisabled struct{}

func (evenDisabled) DisabledBy(i int32, _ time.Duration) bool { return i%2 == 0 }

func TestPlanAvoidsDisabledAccounts(t *testing.T) {
	o, err := org.New(3, org.Spec{Tenant: "t1", Users: 800, Sensors: 3})
	require.NoError(t, err)
	index := map[string]int32{}
	for i, u := range o.Users {
		index[u.Name] = int32(i)
	}
	kinds := []Kind{BruteForce, PasswordSpray, Kerberoasting, PassTheTicket, PassTheHash,
		Reconnaissance, LateralMovement}
	for seed := range uint64(10) {
		for _, kind := range kinds {
			plan, err := Plan(seed, o, []Spec{{Kind: kind}}, pace.Clock{}, evenDisabled{})
			require.NoError(t, err)
			a := plan[0].Attack
			if a.Attacker.Name != "" {
				u, ok := index[a.Attacker.Name]
				require.True(t, ok, "attacker %s", a.Attacker.Name)
				require.Equal(t, int32(1), u%2, "seed %d %s: attacker %s is disabled", seed, kind,
					a.Attacker.Name)
			}
			if kind != PasswordSpray {
				continue
			}
			for _, te := range plan[0].Events {
				want := api.ResultBadPassword
				if index[te.Event.Source.Name]%2 == 0 {
					want = api.ResultDisabled
				}
				require.Equal(t, want, te.Event.Result, "spray on %s", te.Event.Source.Name)
			}
		}
	}
}
