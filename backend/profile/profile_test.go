package profile

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
)

var t0 = time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC)

func user(name string) api.EntityRef { return api.EntityRef{Type: api.EntityUser, Name: name} }
func host(name string) api.EntityRef { return api.EntityRef{Type: api.EntityComputer, Name: name} }

func TestSubject(t *testing.T) {
	tests := []struct {
		name string
		ev   api.Event
		want api.EntityRef
		ok   bool
	}{
		{"logon counts for the source account",
			api.Event{Kind: api.KindLogonSuccess, Source: user("alice"), Target: host("ws1")}, user("alice"), true},
		{"directory sync counts for the reported entity",
			api.Event{Kind: api.KindDirectoryChange, Source: user("admin"), Target: user("bob")}, user("bob"), true},
		{"source host when no account",
			api.Event{Kind: api.KindDNSLookup, SourceHost: "ws9"}, host("ws9"), true},
		{"target as last resort",
			api.Event{Kind: api.KindLDAPQuery, Target: host("dc1")}, host("dc1"), true},
		{"nothing named", api.Event{Kind: api.KindNTLM}, api.EntityRef{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Subject(&tt.ev)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDocumentID(t *testing.T) {
	require.Equal(t, "user:alice", DocumentID(user("alice")))
	require.Equal(t, "service:MSSQLSvc%2Fsql01:1433", DocumentID(api.EntityRef{
		Type: api.EntityService, Name: "MSSQLSvc/sql01:1433"}))
	require.Equal(t, "user:a%25b%3Fc%23d%5Ce", DocumentID(user(`a%b?c#d\e`)))
}

func events(n int, kind api.Kind, src, dst string) []api.Event {
	out := make([]api.Event, n)
	for i := range out {
		out[i] = api.Event{Kind: kind, Time: t0.Add(time.Duration(i) * time.Minute),
			Source: user(src), Target: host(dst)}
	}
	return out
}

func TestDeltaConservesEvents(t *testing.T) {
	var a, b Delta
	for _, e := range events(7, api.KindLogonSuccess, "alice", "ws1") {
		a.Add(&e)
	}
	for _, e := range events(5, api.KindKerberosTGS, "alice", "sql1") {
		b.Add(&e)
	}
	a.Merge(&b)
	require.Equal(t, int64(12), a.Events())
	require.Equal(t, int64(7), a.PeerCount("ws1"))

	d := NewDocument("user:alice", "user:alice")
	require.True(t, d.Apply(&a, "n0", 1, 1))
	require.Equal(t, int64(12), d.Total())
	require.Equal(t, map[string]int64{"logon_success": 7, "kerberos_tgs": 5}, d.Counts)
	require.Equal(t, int64(12), d.Hourly[9]) // 09:30 .. 09:36 UTC
	require.ElementsMatch(t, []string{"windows_logon", "kerberos"}, d.Protocols)
	require.True(t, d.HasPeer("sql1"))
	require.Equal(t, t0, d.FirstSeen)
}

func TestApplyFence(t *testing.T) {
	var delta Delta
	e := events(1, api.KindNTLM, "bob", "ws2")[0]
	delta.Add(&e)
	d := NewDocument("user:bob", "user:bob")

	require.True(t, d.Apply(&delta, "n0", 100, 1))
	require.False(t, d.Apply(&delta, "n0", 100, 1), "same flush applied twice")
	require.False(t, d.Apply(&delta, "n0", 99, 7), "flush of an older epoch")
	require.True(t, d.Apply(&delta, "n1", 100, 1), "other node has its own fence")
	require.True(t, d.Apply(&delta, "n0", 100, 2))
	require.True(t, d.Apply(&delta, "n0", 101, 1), "new epoch after a restart")
	require.Equal(t, int64(4), d.Total())
}

func TestPeersBounded(t *testing.T) {
	d := NewDocument("user:c", "user:c")
	for i := range 3 * MaxPeers {
		var delta Delta
		e := api.Event{Kind: api.KindNTLM, Time: t0, Source: user("c"),
			Target: host("h" + string(rune('A'+i%26)) + string(rune('a'+i/26)))}
		delta.Add(&e)
		d.Apply(&delta, "n0", 1, uint64(i+1))
	}
	require.Len(t, d.Peers, MaxPeers)
	require.Equal(t, int64(2*MaxPeers), d.PeersDropped)
}

func sampleDocument() *Document {
	var delta Delta
	for _, e := range events(30, api.KindLogonFailure, "dave", "ws3") {
		e.Result = api.ResultBadPassword
		delta.Add(&e)
	}
	d := NewDocument("user:dave", "user:dave")
	d.Apply(&delta, "n0", 5, 9)
	return d
}

func TestMigrationsKeepCounters(t *testing.T) {
	for v := MinVersion; v <= CurrentVersion; v++ {
		orig := sampleDocument()
		raw, err := Encode(orig, v)
		require.NoError(t, err)
		got, from, err := Decode(raw)
		require.NoError(t, err)
		require.Equal(t, v, from)
		require.Equal(t, CurrentVersion, got.SchemaVersion)
		require.Equal(t, orig.Counts, got.Counts, "v%d", v)
		require.Equal(t, orig.Hourly, got.Hourly, "v%d", v)
		require.Equal(t, orig.Fence, got.Fence, "v%d", v)
		require.True(t, got.HasPeer("ws3"), "v%d", v)
	}
}

func TestMigrateV1HourMap(t *testing.T) {
	raw := []byte(`{"id":"user:x","schemaVersion":1,"counts":{"ntlm":3},"hours":{"0":1,"23":2},` +
		`"peers":["ws1"],"_rid":"abc","_etag":"\"1\"","_ts":5}`)
	d, from, err := Decode(raw)
	require.NoError(t, err)
	require.Equal(t, 1, from)
	require.Equal(t, int64(1), d.Hourly[0])
	require.Equal(t, int64(2), d.Hourly[23])
	require.Equal(t, []Peer{{Name: "ws1"}}, d.Peers)
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"not json", `{`, "schemaVersion"},
		{"future version", `{"schemaVersion":9}`, "schemaVersion 9"},
		{"bad hour key", `{"schemaVersion":1,"hours":{"24":1}}`, `hours key "24"`},
		{"wrong type", `{"schemaVersion":3,"counts":[1]}`, "decode profile v3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode([]byte(tt.raw))
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := Encode(sampleDocument(), 0)
	require.Error(t, err)
}

func TestVersionMissingMeansV1(t *testing.T) {
	v, err := Version([]byte(`{"id":"x"}`))
	require.NoError(t, err)
	require.Equal(t, 1, v)
}

func FuzzDecode(f *testing.F) {
	for v := MinVersion; v <= CurrentVersion; v++ {
		raw, err := Encode(sampleDocument(), v)
		require.NoError(f, err)
		f.Add(raw)
	}
	f.Add([]byte(`{"schemaVersion":1,"hours":{"-1":2}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, _, err := Decode(raw)
		if err != nil {
			return
		}
		again, err := Encode(d, CurrentVersion)
		require.NoError(t, err)
		d2, _, err := Decode(again)
		require.NoError(t, err)
		require.Equal(t, d.Total(), d2.Total())
		var m map[string]any
		require.NoError(t, json.Unmarshal(again, &m))
	})
}
