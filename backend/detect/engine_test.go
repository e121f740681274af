package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func user(n string) api.EntityRef { return api.EntityRef{Type: api.EntityUser, Name: n} }
func comp(n string) api.EntityRef { return api.EntityRef{Type: api.EntityComputer, Name: n} }
func svc(n string) api.EntityRef  { return api.EntityRef{Type: api.EntityService, Name: n} }
func at(i int) time.Time          { return t0.Add(time.Hour + time.Duration(i)*time.Second) }
func later(d time.Duration) func(int) time.Time {
	return func(i int) time.Time { return t0.Add(time.Hour + time.Duration(i)*d) }
}

// history gives alice (an ordinary user on ws1) and adm_bob (an administrator on ws2) a
// normal past, and svc_sql (a service account) activity from many servers.
func history() []api.Event {
	var out []api.Event
	for i := range 40 {
		ts := t0.Add(time.Duration(i) * time.Second)
		out = append(out,
			api.Event{Kind: api.KindKerberosAS, Time: ts, Source: user("alice"), SourceHost: "ws1", Target: comp("dc1")},
			api.Event{Kind: api.KindLogonSuccess, Time: ts, Source: user("alice"), SourceHost: "ws1",
				Target: comp(fmt.Sprintf("fs%d", i%3)), LogonType: 3},
			api.Event{Kind: api.KindLogonSuccess, Time: ts, Source: user("adm_bob"), SourceHost: "ws2",
				Target: comp(fmt.Sprintf("srv%d", i%4)), LogonType: 3, Admin: true},
			api.Event{Kind: api.KindNTLM, Time: ts, Source: user("svc_sql"),
				SourceHost: fmt.Sprintf("srv%d", i%7), Target: comp(fmt.Sprintf("srv%d", (i+3)%7))})
		if i%25 == 0 { // ordinary failures: a typo now and then
			out = append(out, api.Event{Kind: api.KindLogonFailure, Time: ts, Source: user("alice"),
				SourceHost: "ws1", Target: comp("ws1"), Result: api.ResultBadPassword})
		}
	}
	return out
}

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		attack func() []api.Event
		want   string // alert id, "" for none
	}{
		{"normal behaviour raises nothing", func() []api.Event {
			var out []api.Event
			for i := range 50 {
				out = append(out, api.Event{Kind: api.KindKerberosTGS, Time: at(i), Source: user("alice"),
					SourceHost: "ws1", Target: svc("cifs/fs1"), Encryption: api.EncAES256})
			}
			// One logon from another desk is not an attack.
			return append(out, api.Event{Kind: api.KindNTLM, Time: at(60), Source: user("alice"),
				SourceHost: "ws9", Target: comp("fs1")})
		}, ""},
		{"service account moving between servers is normal", func() []api.Event {
			var out []api.Event
			for i := range 30 {
				out = append(out, api.Event{Kind: api.KindNTLM, Time: at(i), Source: user("svc_sql"),
					SourceHost: fmt.Sprintf("srv%d", 10+i), Target: comp(fmt.Sprintf("srv%d", i%5))},
					api.Event{Kind: api.KindLogonSuccess, Time: at(i), Source: user("svc_sql"),
						SourceHost: fmt.Sprintf("srv%d", i%5), Target: comp(fmt.Sprintf("srv%d", (i+1)%5)),
						LogonType: 3})
			}
			return out
		}, ""},
		{"brute force", func() []api.Event {
			var out []api.Event
			for i := range 20 {
				out = append(out, api.Event{Kind: api.KindLogonFailure, Time: at(i),
					Source: user("carol"), SourceHost: "evil", Result: api.ResultBadPassword})
			}
			return out
		}, "brute_force:user:carol"},
		{"failures spread over hours are not brute force", func() []api.Event {
			var out []api.Event
			for i := range 40 {
				out = append(out, api.Event{Kind: api.KindLogonFailure, Time: later(15 * time.Minute)(i),
					Source: user("carol"), SourceHost: "ws3", Result: api.ResultBadPassword})
			}
			return out
		}, ""},
		{"password spray", func() []api.Event {
			var out []api.Event
			for i := range 10 {
				out = append(out, api.Event{Kind: api.KindCredentialValidation, Time: at(i),
					Source: user(fmt.Sprintf("u%d", i)), SourceHost: "evil", Target: comp("dc1"),
					Result: api.ResultBadPassword})
			}
			return out
		}, "password_spray:computer:evil"},
		{"kerberoasting", func() []api.Event {
			var out []api.Event
			for i := range 5 {
				out = append(out, api.Event{Kind: api.KindKerberosTGS, Time: at(i), Source: user("alice"),
					SourceHost: "ws1", Encryption: api.EncRC4, Target: svc(fmt.Sprintf("MSSQL/s%d", i))})
			}
			return out
		}, "kerberoasting:user:alice"},
		{"pass the ticket", func() []api.Event {
			var out []api.Event
			for i := range 3 {
				out = append(out, api.Event{Kind: api.KindKerberosTGS, Time: at(i), Source: user("alice"),
					SourceHost: "ws7", Target: svc(fmt.Sprintf("cifs/srv%d", i)), Encryption: api.EncAES256})
			}
			return out
		}, "pass_the_ticket:user:alice"},
		{"pass the hash", func() []api.Event {
			var out []api.Event
			for i := range 3 {
				out = append(out, api.Event{Kind: api.KindNTLM, Time: at(i), Source: user("alice"),
					SourceHost: "ws8", Target: comp(fmt.Sprintf("srv%d", i))})
			}
			return out
		}, "pass_the_hash:user:alice"},
		{"pass the hash by logon type 9", func() []api.Event {
			return []api.Event{{Kind: api.KindLogonSuccess, Time: at(0), Source: user("dave"),
				SourceHost: "ws3", Target: comp("srv1"), LogonType: 9}}
		}, "pass_the_hash:user:dave"},
		{"recon", func() []api.Event {
			filters := []string{"(objectClass=user)", "(objectClass=computer)", "(adminCount=1)",
				"(servicePrincipalName=*)", "(&(objectClass=group)(cn=Domain Admins))"}
			var out []api.Event
			for i, f := range filters {
				out = append(out, api.Event{Kind: api.KindLDAPQuery, Time: at(i), Source: user("alice"),
					SourceHost: "ws1", Target: comp("dc1"), Query: f, Count: 120})
			}
			return out
		}, "reconnaissance:user:alice"},
		{"lateral movement", func() []api.Event {
			var out []api.Event
			from := "ws2"
			for i, to := range []string{"ws5", "srv7", "ws6", "srv8"} {
				out = append(out, api.Event{Kind: api.KindLogonSuccess, Time: at(i), Source: user("adm_bob"),
					SourceHost: from, Target: comp(to), LogonType: 3, Admin: true})
				from = to
			}
			return out
		}, "lateral_movement:user:adm_bob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(Config{})
			require.NoError(t, err)
			g.ObserveAll(history())
			require.Empty(t, g.Take(), "history alone must raise nothing")
			for _, e := range tt.attack() {
				g.Observe(&e)
			}
			got := g.Take()
			if tt.want == "" {
				require.Empty(t, got)
				return
			}
			require.Len(t, got, 1, "alerts: %+v", got)
			require.Equal(t, tt.want, got[0].ID)
			require.Equal(t, int64(1), got[0].Count)
			require.NotEmpty(t, got[0].Evidence)
		})
	}
}

func TestRepeatedDetectionUpdatesAlert(t *testing.T) {
	g, err := New(Config{BruteForceFailures: 3})
	require.NoError(t, err)
	fail := func(i int) {
		e := api.Event{Kind: api.KindNTLM, Time: t0.Add(time.Duration(i) * time.Second),
			Source: user("bob"), SourceHost: "evil", Result: api.ResultBadPassword}
		g.Observe(&e)
	}
	for i := range 3 {
		fail(i)
	}
	first := g.Take()
	require.Len(t, first, 1)
	for i := range 3 {
		fail(10 + i)
	}
	second := g.Take()
	require.Len(t, second, 1)
	require.Equal(t, first[0].ID, second[0].ID)
	require.Equal(t, int64(2), second[0].Count)
	require.Equal(t, t0.Add(12*time.Second), second[0].LastSeen)
	require.Equal(t, int64(2), g.Detections()[BruteForce])
	require.Equal(t, int64(1), g.Raised()[BruteForce], "one alert, detected twice")
	require.Empty(t, g.Take())
}

func TestConfigValidate(t *testing.T) {
	require.ErrorContains(t, Config{Window: -1, SprayAccounts: -2}.Validate(), "SprayAccounts")
	require.NoError(t, Config{}.Validate())
}
