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

// history gives alice a normal past: logons from ws1 to fs1, and a TGT on ws1.
func history() []api.Event {
	var out []api.Event
	for i := range 30 {
		at := t0.Add(time.Duration(i) * time.Second)
		out = append(out,
			api.Event{Kind: api.KindKerberosAS, Time: at, Source: user("alice"), SourceHost: "ws1"},
			api.Event{Kind: api.KindLogonSuccess, Time: at, Source: user("alice"), SourceHost: "ws1",
				Target: comp("fs1"), LogonType: 3})
	}
	return out
}

func TestRules(t *testing.T) {
	later := t0.Add(time.Hour)
	at := func(i int) time.Time { return later.Add(time.Duration(i) * time.Second) }
	tests := []struct {
		name   string
		attack func() []api.Event
		want   string // alert id, "" for none
	}{
		{"normal behaviour raises nothing", func() []api.Event {
			var out []api.Event
			for i := range 50 {
				out = append(out, api.Event{Kind: api.KindKerberosTGS, Time: at(i),
					Source: user("alice"), SourceHost: "ws1", Target: api.EntityRef{
						Type: api.EntityService, Name: "cifs/fs1"}, Encryption: api.EncAES256})
			}
			return out
		}, ""},
		{"brute force", func() []api.Event {
			var out []api.Event
			for i := range 20 {
				out = append(out, api.Event{Kind: api.KindLogonFailure, Time: at(i),
					Source: user("bob"), SourceHost: "evil", Result: api.ResultBadPassword})
			}
			return out
		}, "brute_force:user:bob"},
		{"slow failures spread beyond the window are not brute force", func() []api.Event {
			var out []api.Event
			for i := range 40 {
				out = append(out, api.Event{Kind: api.KindLogonFailure, Time: at(i * 60),
					Source: user("bob"), SourceHost: "ws2", Result: api.ResultBadPassword})
			}
			return out
		}, ""},
		{"password spray", func() []api.Event {
			var out []api.Event
			for i := range 10 {
				out = append(out, api.Event{Kind: api.KindKerberosAS, Time: at(i),
					Source: user(fmt.Sprintf("u%d", i)), SourceHost: "evil", Result: api.ResultBadPassword})
			}
			return out
		}, "password_spray:computer:evil"},
		{"kerberoasting", func() []api.Event {
			var out []api.Event
			for i := range 5 {
				out = append(out, api.Event{Kind: api.KindKerberosTGS, Time: at(i),
					Source: user("alice"), SourceHost: "ws1", Encryption: api.EncRC4,
					Target: api.EntityRef{Type: api.EntityService, Name: fmt.Sprintf("MSSQL/s%d", i)}})
			}
			return out
		}, "kerberoasting:user:alice"},
		{"pass the ticket", func() []api.Event {
			return []api.Event{{Kind: api.KindKerberosTGS, Time: at(0), Source: user("alice"),
				SourceHost: "ws7", Target: api.EntityRef{Type: api.EntityService, Name: "cifs/fs1"}}}
		}, "pass_the_ticket:user:alice"},
		{"pass the hash by logon type 9", func() []api.Event {
			return []api.Event{{Kind: api.KindLogonSuccess, Time: at(0), Source: user("carol"),
				SourceHost: "ws3", Target: comp("srv1"), LogonType: 9}}
		}, "pass_the_hash:user:carol"},
		{"pass the hash by admin NTLM from a new host", func() []api.Event {
			return []api.Event{{Kind: api.KindNTLM, Time: at(0), Source: user("alice"),
				SourceHost: "ws8", Target: comp("srv2"), Admin: true}}
		}, "pass_the_hash:user:alice"},
		{"recon", func() []api.Event {
			var out []api.Event
			for i := range 5 {
				out = append(out, api.Event{Kind: api.KindLDAPQuery, Time: at(i),
					Source: user("alice"), SourceHost: "ws1", Target: comp("dc1"),
					Query: fmt.Sprintf("(&(objectCategory=person)(adminCount=1)(cn=%d*))", i)})
			}
			return out
		}, "recon:user:alice"},
		{"lateral movement", func() []api.Event {
			var out []api.Event
			for i := range 5 {
				out = append(out, api.Event{Kind: api.KindLogonSuccess, Time: at(i),
					Source: user("alice"), SourceHost: "ws1", Target: comp(fmt.Sprintf("srv%d", i)),
					LogonType: 3})
			}
			return out
		}, "lateral_movement:user:alice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(Config{})
			require.NoError(t, err)
			for _, e := range history() {
				g.Observe(&e)
			}
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
	require.Empty(t, g.Take())
}

func TestConfigValidate(t *testing.T) {
	require.ErrorContains(t, Config{Window: -1, SprayAccounts: -2}.Validate(), "SprayAccounts")
	require.NoError(t, Config{}.Validate())
}
