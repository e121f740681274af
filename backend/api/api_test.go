package api

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 9, 15, 4, 250_000_000, time.UTC)

func sampleBatch() *Batch {
	return &Batch{
		Tenant: "t0001", Sensor: "dc003", Sequence: 42, ID: "dc003:42",
		Events: []Event{
			{
				Kind: KindKerberosTGS, Time: t0,
				Source:     EntityRef{Type: EntityUser, Name: "jdoe"},
				SourceHost: "ws0042",
				Target:     EntityRef{Type: EntityService, Name: "MSSQLSvc/sql01.corp:1433"},
				TargetHost: "sql01", Encryption: EncRC4,
			},
			{
				Kind: KindLogonFailure, Time: t0.Add(time.Millisecond),
				Source: EntityRef{Type: EntityUser, Name: "a\"b\\c\n\x01é"},
				Target: EntityRef{Type: EntityComputer, Name: "srv01"},
				Result: ResultBadPassword, LogonType: 3, Admin: true,
			},
			{
				Kind: KindLDAPQuery, Time: t0, SourceHost: "ws0001",
				Query: "(&(objectClass=user)(servicePrincipalName=*))", Count: 17,
			},
			{
				Kind: KindDirectoryChange, Time: t0,
				Target:    EntityRef{Type: EntityGroup, Name: "Domain Admins"},
				Attribute: "member",
			},
		},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	want := sampleBatch()
	require.NoError(t, want.Validate())
	data := AppendBatchJSON(nil, want)
	require.True(t, json.Valid(data), "encoder output is not valid JSON: %s", data)

	got, err := DecodeBatch(data)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestRecordRoundTrip(t *testing.T) {
	b := sampleBatch()
	var d Decoder
	for i := range b.Events {
		line := AppendRecordJSON(nil, b.Tenant, b.Sensor, &b.Events[i])
		require.True(t, strings.HasSuffix(string(line), "}\n"))
		tenant, sensor, e, err := d.DecodeRecord(line)
		require.NoError(t, err)
		require.Equal(t, b.Tenant, tenant)
		require.Equal(t, b.Sensor, sensor)
		require.Equal(t, b.Events[i], e)
	}
}

func TestDecodeAcceptsAnyWellFormedJSON(t *testing.T) {
	body := `  { "events" : [ { "unknown":{"a":[1,2,{"b":null}]}, "time":"2026-03-02T09:15:04Z",
		"kind":"ntlm", "src":{"name":"\u006Aunicode\ud83d\ude00","type":"user","x":1},
		"result":null, "count":null, "admin":false } ],
		"seq": 7, "future_field": [true, false, -1.5e3], "id":"s:7", "tenant":"t", "sensor":"s" } `
	got, err := DecodeBatch([]byte(body))
	require.NoError(t, err)
	require.Equal(t, uint64(7), got.Sequence)
	require.Len(t, got.Events, 1)
	e := got.Events[0]
	require.Equal(t, KindNTLM, e.Kind)
	require.Equal(t, time.Date(2026, 3, 2, 9, 15, 4, 0, time.UTC), e.Time)
	require.Equal(t, EntityRef{Type: EntityUser, Name: "junicode😀"}, e.Source)
	require.NoError(t, got.Validate())
}

func TestDecodeErrorsNameTheField(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantField string
		wantMsg   string
	}{
		{"not an object", `[1]`, "", "want an object"},
		{"trailing data", `{"seq":1} x`, "", "after the top-level object"},
		{"bad kind", `{"events":[{"kind":"x"}]}`, "events[0].kind", "allowed: kerberos_as"},
		{"bad result", `{"events":[{},{"result":"meh"}]}`, "events[1].result", "allowed: success"},
		{"bad entity type", `{"events":[{"src":{"type":"cat"}}]}`, "events[0].src.type",
			"allowed: user"},
		{"bad time", `{"events":[{"time":"yesterday"}]}`, "events[0].time", "RFC 3339"},
		{"31 February", `{"events":[{"time":"2026-02-31T00:00:00Z"}]}`, "events[0].time",
			"RFC 3339"},
		{"negative seq", `{"seq":-1}`, "seq", "not an integer"},
		{"seq not a number", `{"seq":"1"}`, "seq", "want a number"},
		{"logon type too big", `{"events":[{"logon_type":300}]}`, "events[0].logon_type",
			"0..255"},
		{"string not closed", `{"tenant":"abc`, "tenant", "unterminated string"},
		{"bad escape", `{"tenant":"a\x"}`, "tenant", "invalid escape"},
		{"missing comma", `{"events":[{"kind":"ntlm" "time":"x"}]}`, "events[0]", "want ','"},
		{"events not array", `{"events":{}}`, "events", "want an array"},
		{"deep nesting", `{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, "",
			"nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBatch([]byte(tt.body))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.wantMsg)
			require.Equal(t, tt.wantField, errField(err), "got %v", err)
		})
	}
}

func errField(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Field
	}
	return "?"
}

func TestValidateReportsEveryProblem(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(b *Batch)
		wantFields []string
	}{
		{"valid", func(*Batch) {}, nil},
		{"header", func(b *Batch) { b.Tenant, b.Sensor, b.Sequence = "", "a:b", 0 },
			[]string{"tenant", "sensor", "seq", "id"}},
		{"wrong id", func(b *Batch) { b.ID = "dc003:41" }, []string{"id"}},
		{"no events", func(b *Batch) { b.Events = nil }, []string{"events"}},
		{"event fields", func(b *Batch) {
			b.Events[0].Kind = KindUnknown
			b.Events[1].Time = time.Time{}
			b.Events[2].Query = ""
			b.Events[3].Attribute = ""
		}, []string{"events[0].kind", "events[1].time", "events[2].query", "events[3].attr"}},
		{"tgs target", func(b *Batch) { b.Events[0].Target.Type = EntityComputer },
			[]string{"events[0].dst"}},
		{"entity name", func(b *Batch) { b.Events[1].Target.Name = "" },
			[]string{"events[1].dst.name"}},
		{"long and invalid", func(b *Batch) {
			b.Events[0].SourceHost = strings.Repeat("h", MaxNameLen+1)
			b.Events[1].Source.Name = "\xff"
		}, []string{"events[0].src_host", "events[1].src.name"}},
		{"no source", func(b *Batch) { b.Events[2].SourceHost = "" }, []string{"events[2].src"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := sampleBatch()
			tt.mutate(b)
			err := b.Validate()
			var got []string
			for _, e := range unwrapAll(err) {
				got = append(got, errField(e))
			}
			require.Equal(t, tt.wantFields, got, "got %v", err)
		})
	}
}

func TestValidateCapsProblems(t *testing.T) {
	b := sampleBatch()
	b.Events = make([]Event, 50)
	err := b.Validate()
	require.Len(t, unwrapAll(err), maxProblems+1)
	require.Contains(t, err.Error(), "more problems")
}

func unwrapAll(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestBatchID(t *testing.T) {
	require.Equal(t, "dc003:42", BatchID("dc003", 42))
	require.Equal(t, "s:18446744073709551615", BatchID("s", 1<<64-1))
}

func TestTokenFromHeader(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"Bearer abc", "abc", true},
		{"bearer abc ", "abc", true},
		{"Bearer ", "", false},
		{"Basic abc", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := TokenFromHeader(tt.in)
		require.Equal(t, tt.wantOK, ok, "input %q", tt.in)
		require.Equal(t, tt.want, got, "input %q", tt.in)
	}
	require.Equal(t, "Bearer x", Bearer("x"))
}

func TestEnumsRoundTrip(t *testing.T) {
	for _, k := range Kinds() {
		got, ok := ParseKind(k.String())
		require.True(t, ok)
		require.Equal(t, k, got)
	}
	require.Len(t, Kinds(), 12)
	for r := ResultSuccess; r < resultCount; r++ {
		got, ok := ParseResult(r.String())
		require.True(t, ok)
		require.Equal(t, r, got)
	}
	_, ok := ParseEncryption("")
	require.False(t, ok)
}

func TestAppendTime(t *testing.T) {
	loc := time.FixedZone("X", 5*3600)
	in := time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC).In(loc)
	require.Equal(t, "2026-12-31T23:59:59.999Z", string(AppendTime(nil, in)))
}

func TestEntityRefJSON(t *testing.T) {
	in := EntityRef{Type: EntityService, Name: "HTTP/web01"}
	data, err := json.Marshal(in)
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"service","name":"HTTP/web01"}`, string(data))
	var out EntityRef
	require.NoError(t, json.Unmarshal(data, &out))
	require.Equal(t, in, out)
	require.ErrorContains(t, json.Unmarshal([]byte(`{"type":"cat"}`), &out), `entity type "cat"`)
}
