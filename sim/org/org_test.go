package org

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIsDeterministic(t *testing.T) {
	a, err := New(42, Spec{Tenant: "t1", Users: 1000})
	require.NoError(t, err)
	b, err := New(42, Spec{Tenant: "t1", Users: 1000})
	require.NoError(t, err)
	require.Equal(t, a, b)
	c, err := New(43, Spec{Tenant: "t1", Users: 1000})
	require.NoError(t, err)
	require.NotEqual(t, a.Users, c.Users)
}

func TestNewSizes(t *testing.T) {
	tests := []struct {
		name            string
		spec            Spec
		wantDCs         int
		wantComputers   int
		wantMinServices int
	}{
		{"handful", Spec{Tenant: "tiny", Users: 5}, 1, 2, 1},
		{"small preset", Spec{Tenant: "s", Users: 500, Computers: 250, Sensors: 4}, 4, 250, 25},
		{"large", Spec{Tenant: "big", Users: 100_000}, 200, 50_000, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := New(1, tt.spec)
			require.NoError(t, err)
			require.Len(t, o.Users, tt.spec.Users)
			require.Len(t, o.DCs, tt.wantDCs)
			require.Len(t, o.SensorIDs, tt.wantDCs)
			require.Equal(t, tt.wantComputers, len(o.Workstations)+len(o.Servers))
			require.GreaterOrEqual(t, len(o.Services), tt.wantMinServices)
			assertUnique(t, o)
			homed := 0
			for dc := range o.DCs {
				homed += len(o.UsersOf(dc))
			}
			require.Equal(t, len(o.Users), homed, "every user is homed on exactly one DC")
		})
	}
}

func assertUnique(t *testing.T, o *Org) {
	t.Helper()
	seen := map[string]bool{}
	for _, u := range o.Users {
		require.False(t, seen["u:"+u.Name], "duplicate user %q", u.Name)
		seen["u:"+u.Name] = true
	}
	var admins, services int
	for _, u := range o.Users {
		if u.Admin {
			admins++
		}
		if u.Service {
			services++
		}
	}
	require.Positive(t, admins)
	for _, list := range [][]Computer{o.Workstations, o.Servers, o.DCs} {
		for _, c := range list {
			require.False(t, seen["c:"+c.Name], "duplicate computer %q", c.Name)
			seen["c:"+c.Name] = true
		}
	}
	for _, s := range o.Services {
		require.False(t, seen["s:"+s.SPN], "duplicate SPN %q", s.SPN)
		seen["s:"+s.SPN] = true
		if s.Account >= 0 {
			require.True(t, o.Users[s.Account].Service, "SPN %s run by a non-service account",
				s.SPN)
			role := roleOf(o.Servers[s.Server].Name)
			require.Equal(t, role, int(s.Account)%len(serviceRoles),
				"SPN %s run by %s, an account of another role", s.SPN, o.Users[s.Account].Name)
		}
	}
}

func TestSpecValidate(t *testing.T) {
	err := Spec{Tenant: "bad tenant", Users: 0, Computers: -1, Sensors: 20_000}.Validate()
	require.Error(t, err)
	for _, want := range []string{"tenant", "users", "computers", "sensors"} {
		require.Contains(t, err.Error(), want)
	}
	_, err = New(1, Spec{Users: 10})
	require.ErrorContains(t, err, "tenant: required")
}

func TestWorking(t *testing.T) {
	o := &Org{UTCOffset: 2 * time.Hour, WorkStart: 8, WorkEnd: 17}
	monday := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"monday 09:00 local", monday.Add(7 * time.Hour), true},
		{"monday 07:59 local", monday.Add(5*time.Hour + 59*time.Minute), false},
		{"monday 17:00 local", monday.Add(15 * time.Hour), false},
		{"saturday noon", monday.Add(5*24*time.Hour + 10*time.Hour), false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, o.Working(tt.at), tt.name)
	}
}

// BenchmarkNew measures building the largest organisation the targets name.
func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		if _, err := New(1, Spec{Tenant: "big", Users: 100_000}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestGroupMembership(t *testing.T) {
	o, err := New(5, Spec{Tenant: "t1", Users: 3000})
	require.NoError(t, err)
	require.Equal(t, "Domain Admins", o.Groups[DomainAdmins].Name)
	require.NotEmpty(t, o.Groups[DomainAdmins].Members)
	require.NotEmpty(t, o.Groups[ServerOperators].Members)
	require.Len(t, o.Groups[ServerOperators].Servers, len(o.Servers))
	groupsOf := make([]int, len(o.Users))
	for g, group := range o.Groups {
		require.True(t, slices.IsSorted(group.Members), group.Name)
		for _, m := range group.Members {
			u := o.Users[m]
			require.Equal(t, group.Admin, u.Admin, "%s in %s", u.Name, group.Name)
			require.True(t, o.InGroup(g, m))
			if !group.Admin {
				require.Equal(t, int16(g), u.Department, u.Name)
			}
			groupsOf[m]++
		}
		if g > ServerOperators {
			require.NotEmpty(t, group.Members, group.Name)
			require.NotEmpty(t, group.Servers, group.Name)
		}
	}
	for i, u := range o.Users {
		want := 1
		if u.Service {
			want = 0
			require.Equal(t, int16(-1), u.Department, u.Name)
		}
		require.Equal(t, want, groupsOf[i], "groups of %s", u.Name)
	}
	require.False(t, o.InGroup(DomainAdmins, o.Groups[2].Members[0]))
}

func TestSensorSharesCoverEveryDC(t *testing.T) {
	for _, spec := range []Spec{{Tenant: "t", Users: 3, Sensors: 7},
		{Tenant: "t", Users: 1001, Sensors: 4}, {Tenant: "t", Users: 50_000}} {
		o, err := New(1, spec)
		require.NoError(t, err)
		sum := 0.0
		for dc := range o.DCs {
			share := o.SensorShare(dc)
			require.Positive(t, share, "%+v: dc %d", spec, dc)
			sum += share
		}
		require.InDelta(t, 1, sum, 1e-9, "%+v", spec)
	}
}
