package detect

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// alertKind maps the simulator's attack kinds to alert kinds.
var alertKind = map[attack.Kind]string{
	attack.BruteForce: BruteForce, attack.PasswordSpray: PasswordSpray,
	attack.Kerberoasting: Kerberoasting, attack.PassTheTicket: PassTheTicket,
	attack.PassTheHash: PassTheHash, attack.Reconnaissance: Recon,
	attack.LateralMovement: LateralMovement,
}

// TestDetectsSimulatedAttacks runs a simulated organisation's everyday traffic with one
// attack of every kind injected, and requires each attack detected and no alert about
// anyone else.
func TestDetectsSimulatedAttacks(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates an hour of traffic")
	}
	for _, compression := range []float64{60, 480} {
		o, err := org.New(7, org.Spec{Tenant: "t1", Users: 1000, Sensors: 2})
		require.NoError(t, err)
		clock := pace.Clock{Compression: compression}
		const run = 60 * time.Second // real time: an hour of scenario time at 60x
		var events []api.Event
		for dc := range 2 {
			gen, err := behavior.NewGenerator(uint64(dc+1), o, dc, behavior.Config{}, clock)
			require.NoError(t, err)
			const n = 60_000
			for i := range n {
				var e api.Event
				gen.Fill(&e, time.Duration(i)*run/n)
				events = append(events, e)
			}
		}
		var specs []attack.Spec
		for i, k := range attack.Kinds {
			specs = append(specs, attack.Spec{Kind: k, At: 20*time.Second + time.Duration(i)*4*time.Second})
		}
		// The churn of the first sensor's generator (seed 1) decides who is disabled.
		churn, err := behavior.NewTenant(1, o, behavior.Config{}, clock)
		require.NoError(t, err)
		injections, err := attack.Plan(9, o, specs, clock, churn)
		require.NoError(t, err)
		for _, inj := range injections {
			for _, te := range inj.Events {
				events = append(events, te.Event)
			}
		}
		slices.SortStableFunc(events, func(a, b api.Event) int { return a.Time.Compare(b.Time) })

		g, err := New(Config{})
		require.NoError(t, err)
		g.ObserveAll(events)
		raised := map[string]bool{}
		for _, al := range g.Take() {
			raised[al.Kind] = true
			require.True(t, matchesAttack(al, injections), "compression %v: false positive %+v", compression, al)
		}
		for _, inj := range injections {
			require.True(t, raised[alertKind[inj.Attack.Kind]], "compression %v: missed %s",
				compression, inj.Attack.Kind)
		}
	}
}

// matchesAttack reports whether an alert concerns an attacker's account or computer. An
// attack may raise more than its own kind: a Kerberoasting tool run from a computer the
// account never used is also a ticket used from a foreign host.
func matchesAttack(al Alert, injections []*attack.Injection) bool {
	for _, inj := range injections {
		a := inj.Attack
		if al.Entity == a.Attacker.Type.String()+":"+a.Attacker.Name ||
			al.Entity == "computer:"+a.SourceHost {
			return true
		}
	}
	return false
}
