package behavior

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

func newOrg(t testing.TB, users int) *org.Org {
	t.Helper()
	o, err := org.New(7, org.Spec{Tenant: "t1", Users: users})
	require.NoError(t, err)
	return o
}

// generate returns n events of sensor dc, one every step of real time.
func generate(t testing.TB, o *org.Org, dc int, cfg Config, clock pace.Clock, n int,
	step time.Duration,
) []api.Event {
	t.Helper()
	g, err := NewGenerator(1, o, dc, cfg, clock)
	require.NoError(t, err)
	out := make([]api.Event, n)
	for i := range out {
		g.Fill(&out[i], time.Duration(i)*step)
	}
	return out
}

func TestEventsAreValidAndDeterministic(t *testing.T) {
	o := newOrg(t, 2000)
	clock := pace.Clock{Compression: 36_000}
	a := generate(t, o, 0, Config{}, clock, 20_000, time.Millisecond)
	b := generate(t, o, 0, Config{}, clock, 20_000, time.Millisecond)
	require.Equal(t, a, b)
	kinds := map[api.Kind]int{}
	for i := range a {
		require.NoError(t, a[i].Validate(), "event %d: %+v", i, a[i])
		kinds[a[i].Kind]++
	}
	for _, k := range api.Kinds() {
		require.Positive(t, kinds[k], "no %s event in 20000", k)
	}
	other := generate(t, o, 1, Config{}, clock, 100, time.Millisecond)
	require.NotEqual(t, a[:100], other)
}

func TestMixIsHonoured(t *testing.T) {
	o := newOrg(t, 500)
	mix := Mix{api.KindDNSLookup: 3, api.KindNTLM: 1}
	events := generate(t, o, 0, Config{Mix: mix, ChurnPerDay: -1}, pace.Clock{}, 40_000,
		time.Millisecond)
	dns := 0
	for _, e := range events {
		require.Contains(t, []api.Kind{api.KindDNSLookup, api.KindNTLM}, e.Kind)
		if e.Kind == api.KindDNSLookup {
			dns++
		}
	}
	require.InDelta(t, 30_000, dns, 600)
}

func TestPopularityIsSkewed(t *testing.T) {
	o := newOrg(t, 5000)
	events := generate(t, o, 1, Config{Mix: Mix{api.KindNTLM: 1}}, pace.Clock{}, 20_000,
		time.Millisecond)
	perServer := map[string]int{}
	for _, e := range events {
		perServer[e.Target.Name]++
	}
	top := perServer[o.Servers[0].Name]
	// Power 3: the first of 250 servers takes P(u^3 < 1/250) = 0.159 of the traffic.
	require.Greater(t, top, 20_000/10, "top server got %d of 20000", top)
	require.Greater(t, len(perServer), 50, "only %d servers seen", len(perServer))
}

func TestOffHoursBelongToServiceAccounts(t *testing.T) {
	o := newOrg(t, 2000)
	serviceShare := func(start time.Time) float64 {
		events := generate(t, o, 1, Config{Mix: Mix{api.KindKerberosTGS: 1}},
			pace.Clock{Start: start}, 10_000, time.Millisecond)
		n := 0
		for _, e := range events {
			if len(e.Source.Name) > 4 && e.Source.Name[:4] == "svc_" {
				n++
			}
		}
		return float64(n) / float64(len(events))
	}
	monday := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC).Add(-o.UTCOffset)
	work := serviceShare(monday.Add(time.Duration(o.WorkStart+1) * time.Hour))
	night := serviceShare(monday.Add(2 * time.Hour))
	// Service accounts are also among the busiest homed users, hence 0.15 rather than 0.03.
	require.Less(t, work, 0.15, "working hours service share")
	require.Greater(t, night, 0.4, "night service share")
}

func TestChurnOnlyOnFirstSensor(t *testing.T) {
	o := newOrg(t, 1000)
	// 3600x: 10 real seconds are 10 scenario hours; 2% of 1000 users per day is 20/day,
	// raised to the floor of one per scenario hour.
	clock := pace.Clock{Compression: 3600}
	count := func(dc int) int {
		n := 0
		for _, e := range generate(t, o, dc, Config{}, clock, 10_000, time.Millisecond) {
			if e.Kind.IsDirectorySync() {
				n++
			}
		}
		return n
	}
	require.InDelta(t, 10, count(0), 1)
	require.Zero(t, count(1))
	none := generate(t, o, 0, Config{ChurnPerDay: -1}, clock, 10_000, time.Millisecond)
	for _, e := range none {
		require.False(t, e.Kind.IsDirectorySync())
	}
}

func TestConfigValidate(t *testing.T) {
	err := Config{Mix: Mix{api.KindDirectoryCreate: 1, api.KindNTLM: -1}, FailureRate: 2,
		ChurnPerDay: 11}.WithDefaults().Validate()
	require.Error(t, err)
	for _, want := range []string{"directory_create cannot", "weight of ntlm", "failure rate",
		"churn"} {
		require.ErrorContains(t, err, want)
	}
	require.ErrorContains(t, Mix{api.KindNTLM: 0}.Validate(), "positive, finite")
	_, err = NewGenerator(1, newOrg(t, 10), 5, Config{}, pace.Clock{})
	require.ErrorContains(t, err, "sensor 5")
}

// BenchmarkGenerate measures event generation of one sensor (the 2M events/s target).
func BenchmarkGenerate(b *testing.B) {
	o := newOrg(b, 10_000)
	g, err := NewGenerator(1, o, 0, Config{}, pace.Clock{Compression: 60})
	require.NoError(b, err)
	var e api.Event
	at := time.Duration(0)
	b.ReportAllocs()
	for b.Loop() {
		at += 10 * time.Microsecond
		g.Fill(&e, at)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// TestChurnTakesEffect checks that the directory churn the first sensor reports is what
// every sensor's accounts do: created users act only after their creation, disabled ones
// only fail as disabled afterwards, promoted ones log on as admins.
func TestChurnTakesEffect(t *testing.T) {
	o := newOrg(t, 2000)
	require.Len(t, o.DCs, 4)
	clock := pace.Clock{Compression: 36_000} // 10 real seconds are 100 scenario hours
	streams := make([][]api.Event, len(o.DCs))
	for dc := range streams {
		streams[dc] = generate(t, o, dc, Config{}, clock, 20_000, 500*time.Microsecond)
	}
	created, disabled, promoted := map[string]time.Time{}, map[string]time.Time{},
		map[string]time.Time{}
	for _, e := range streams[0] {
		switch {
		case e.Kind == api.KindDirectoryCreate && e.Target.Type == api.EntityUser:
			created[e.Target.Name] = e.Time
		case e.Kind == api.KindDirectoryDisable:
			disabled[e.Target.Name] = e.Time
		case e.Kind == api.KindDirectoryChange && e.Admin && e.Attribute == "memberOf" &&
			!strings.HasPrefix(e.Target.Name, "adm_"):
			promoted[e.Target.Name] = e.Time
		}
	}
	require.Greater(t, len(created), 20)
	require.Greater(t, len(disabled), 5)
	acting, failedDisabled, adminLogons := map[string]int{}, 0, 0
	for dc, events := range streams {
		for _, e := range events {
			if e.Kind.IsDirectorySync() || e.Source.Type != api.EntityUser {
				continue
			}
			name := e.Source.Name
			if at, ok := created[name]; ok {
				require.False(t, e.Time.Before(at), "sensor %d: %s acts before creation", dc, name)
				acting[name]++
			}
			if at, ok := disabled[name]; ok && e.Time.After(at) {
				require.Equal(t, api.ResultDisabled, e.Result, "sensor %d: disabled %s: %+v",
					dc, name, e)
				failedDisabled++
			}
			if at, ok := promoted[name]; ok && e.Time.After(at) &&
				e.Kind == api.KindLogonSuccess {
				require.True(t, e.Admin, "promoted %s logs on without admin rights", name)
				adminLogons++
			}
		}
	}
	require.Greater(t, len(acting), len(created)/2, "created users that act")
	require.Positive(t, failedDisabled, "disabled accounts never tried again")
	require.Less(t, failedDisabled, 20*len(disabled), "disabled accounts keep acting")
	if len(promoted) > 0 {
		require.Positive(t, adminLogons)
	}
}

// TestPasswordChangeLeavesStaleFailures checks that a changed password makes its next few
// authentications fail, and no more.
func TestPasswordChangeLeavesStaleFailures(t *testing.T) {
	o := newOrg(t, 500)
	clock := pace.Clock{Compression: 36_000}
	events := generate(t, o, 0, Config{FailureRate: -1}, clock, 40_000, 250*time.Microsecond)
	changed := map[string]bool{}
	failures := map[string]int{}
	for _, e := range events {
		if e.Kind == api.KindDirectoryChange && e.Attribute == "pwdLastSet" {
			changed[e.Target.Name] = true
		}
		if e.Result == api.ResultBadPassword && e.Kind != api.KindLogonFailure {
			require.True(t, changed[e.Source.Name], "%s fails without a password change",
				e.Source.Name)
			failures[e.Source.Name]++
		}
	}
	require.NotEmpty(t, failures)
	for name, n := range failures {
		require.LessOrEqual(t, n, staleLogons*2, name)
	}
}

// TestMembershipShapesTargets checks that people reach their department's servers more
// than others do, and that only Domain Admins log on to the domain controller.
func TestMembershipShapesTargets(t *testing.T) {
	o := newOrg(t, 2000)
	const dept = org.ServerOperators + 1
	deptServers := map[string]bool{}
	for _, s := range o.Groups[dept].Servers {
		deptServers[o.Servers[s].Name] = true
	}
	member := map[string]bool{}
	for _, m := range o.Groups[dept].Members {
		member[o.Users[m].Name] = true
	}
	domainAdmin := map[string]bool{}
	for _, m := range o.Groups[org.DomainAdmins].Members {
		domainAdmin[o.Users[m].Name] = true
	}
	var hits, total [2]int // [member?]
	dcLogons := 0
	mix := Mix{api.KindNTLM: 1, api.KindLogonSuccess: 1}
	for dc := range o.DCs {
		for _, e := range generate(t, o, dc, Config{Mix: mix, ChurnPerDay: -1}, pace.Clock{},
			20_000, time.Millisecond) {
			if e.Target == (api.EntityRef{Type: api.EntityComputer, Name: o.DCs[dc].Name}) {
				require.True(t, domainAdmin[e.Source.Name], "%s logs on to the DC", e.Source.Name)
				dcLogons++
			}
			if strings.HasPrefix(e.Source.Name, "svc_") || e.LogonType == logonInteractive {
				continue
			}
			m := 0
			if member[e.Source.Name] {
				m = 1
			}
			total[m]++
			if deptServers[e.Target.Name] {
				hits[m]++
			}
		}
	}
	require.Positive(t, dcLogons)
	inside, outside := float64(hits[1])/float64(total[1]), float64(hits[0])/float64(total[0])
	require.Greater(t, inside, outside+0.1, "department share %.2f, others %.2f", inside, outside)
}

// TestTenantGeneratorsShareHistory checks that generators sharing a churn history, filled
// concurrently, give the streams of generators with histories of their own.
func TestTenantGeneratorsShareHistory(t *testing.T) {
	o := newOrg(t, 2000)
	clock := pace.Clock{Compression: 36_000}
	tenant, err := NewTenant(1, o, Config{}, clock)
	require.NoError(t, err)
	shared := make([][]api.Event, len(o.DCs))
	var wg sync.WaitGroup
	for dc := range o.DCs {
		g, err := tenant.Generator(dc)
		require.NoError(t, err)
		wg.Go(func() {
			shared[dc] = make([]api.Event, 10_000)
			for i := range shared[dc] {
				g.Fill(&shared[dc][i], time.Duration(i)*time.Millisecond)
			}
		})
	}
	wg.Wait()
	for dc := range o.DCs {
		require.Equal(t, generate(t, o, dc, Config{}, clock, 10_000, time.Millisecond), shared[dc])
	}
}

// TestDepartmentMoveChangesServers checks that users who move to another department reach
// their new department's servers afterwards.
func TestDepartmentMoveChangesServers(t *testing.T) {
	o := newOrg(t, 2000)
	clock := pace.Clock{Compression: 36_000}
	tenant, err := NewTenant(1, o, Config{Mix: Mix{api.KindNTLM: 1}}, clock)
	require.NoError(t, err)
	const n, step = 40_000, 250 * time.Microsecond
	streams := make([][]api.Event, len(o.DCs))
	for dc := range o.DCs {
		g, err := tenant.Generator(dc)
		require.NoError(t, err)
		streams[dc] = make([]api.Event, n)
		for i := range streams[dc] {
			g.Fill(&streams[dc][i], time.Duration(i)*step)
		}
	}
	servers := func(g int16) map[string]bool {
		out := map[string]bool{}
		for _, s := range o.Groups[g].Servers {
			out[o.Servers[s].Name] = true
		}
		return out
	}
	type move struct {
		at       time.Time
		old, new map[string]bool
	}
	moves := map[string]move{}
	for k, c := range tenant.history.changes {
		if c.effect == effectDepartment && int(c.user) < len(o.Users) &&
			c.department != o.Users[c.user].Department {
			moves[o.Users[c.user].Name] = move{at: clock.At(tenant.history.at(k)),
				old: servers(o.Users[c.user].Department), new: servers(c.department)}
		}
	}
	require.GreaterOrEqual(t, len(moves), 5)
	var toNew, toOld [2]int // [after the move?]
	for _, events := range streams {
		for _, e := range events {
			m, ok := moves[e.Source.Name]
			if !ok || e.Kind != api.KindNTLM {
				continue
			}
			after := 0
			if e.Time.After(m.at) {
				after = 1
			}
			if m.new[e.Target.Name] && !m.old[e.Target.Name] {
				toNew[after]++
			}
			if m.old[e.Target.Name] && !m.new[e.Target.Name] {
				toOld[after]++
			}
		}
	}
	t.Logf("moves %d: to the new department before/after %v, to the old %v", len(moves),
		toNew, toOld)
	require.Greater(t, toNew[1], 2*toOld[1], "after the move")
	require.Greater(t, toOld[0], 2*toNew[0], "before the move")
}

// TestDisabledByMatchesTheDirectory checks that the planner's view of churn (DisabledBy)
// agrees with the disable reports the generators emit.
func TestDisabledByMatchesTheDirectory(t *testing.T) {
	o := newOrg(t, 2000)
	clock := pace.Clock{Compression: 36_000}
	tenant, err := NewTenant(1, o, Config{}, clock)
	require.NoError(t, err)
	g, err := tenant.Generator(0)
	require.NoError(t, err)
	index := map[string]int32{}
	for i, u := range o.Users {
		index[u.Name] = int32(i)
	}
	const n, step = 20_000, 500 * time.Microsecond
	reportedAt := map[int32]time.Duration{}
	var e api.Event
	for i := range n {
		at := time.Duration(i) * step
		g.Fill(&e, at)
		if u, ok := index[e.Target.Name]; ok && e.Kind == api.KindDirectoryDisable {
			reportedAt[u] = at
		}
	}
	require.Greater(t, len(reportedAt), 3)
	for u, at := range reportedAt {
		require.True(t, tenant.DisabledBy(u, at), "%s reported disabled at %v", o.Users[u].Name, at)
		require.False(t, tenant.DisabledBy(u, 0), "%s disabled from the start", o.Users[u].Name)
	}
	half := n * step / 2
	for i := range o.Users {
		if _, ok := reportedAt[int32(i)]; !ok {
			require.False(t, tenant.DisabledBy(int32(i), half), "%s never reported", o.Users[i].Name)
		}
	}

	quiet, err := NewTenant(1, o, Config{ChurnPerDay: -1}, clock)
	require.NoError(t, err)
	for u := range reportedAt {
		require.False(t, quiet.DisabledBy(u, n*step), "no churn, yet %s disabled", o.Users[u].Name)
	}
}
