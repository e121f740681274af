package emulator

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/emulator/epk"
)

func TestParsePartitionKeyHeader(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   []any
	}{
		{"string", `["a"]`, []any{"a"}},
		{"number", `[1.5]`, []any{1.5}},
		{"large number", `[1e+21]`, []any{1e21}},
		{"bool", `[true]`, []any{true}},
		{"null", `[null]`, []any{nil}},
		{"undefined", `[{}]`, []any{epk.Undefined{}}},
		{"hierarchical", `["a", "b",3]`, []any{"a", "b", 3.0}},
		{"json escape", `["\u00e9"]`, []any{"é"}},
		{"go astral escape", strconv.QuoteToASCII("😀"), nil},
		{"go control escape", `["` + strconv.QuoteToASCII("\x01")[1:] + `]`, []any{"\x01"}},
		{"go bell escape", `["\a"]`, []any{"\a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				tt.header, tt.want = "["+tt.header+"]", []any{"😀"}
			}
			pk, err := parsePartitionKeyHeader(tt.header)
			require.NoError(t, err)
			require.Equal(t, tt.want, pk.parts)
		})
	}
}

func TestParsePartitionKeyHeader_Rejects(t *testing.T) {
	for _, h := range []string{
		``, `[]`, `a`, `["a"`, `["a",]`, `["a"] x`, `[nan]`, `[1e999]`, `[{"a":1}]`,
		`["unterminated]`, `[tru]`, `[1,2,3,4,5,6,7,8,9]`,
	} {
		_, err := parsePartitionKeyHeader(h)
		require.Error(t, err, "header %q", h)
	}
}

func TestPartitionKey_CanonicalFormMatchesBody(t *testing.T) {
	def := pkDefinition{Paths: []string{"/a/b"}}
	require.NoError(t, def.validate())
	doc, err := parseDocument([]byte(`{"id":"1","a":{"b":"😀\u0001"}}`), &def)
	require.NoError(t, err)
	hdr, err := parsePartitionKeyHeader("[" + strconv.QuoteToASCII("😀\x01") + "]")
	require.NoError(t, err)
	require.Equal(t, hdr.key, doc.pk.key)

	missing, err := parseDocument([]byte(`{"id":"1"}`), &def)
	require.NoError(t, err)
	require.Equal(t, "[{}]", missing.pk.key)
}

func FuzzParsePartitionKeyHeader(f *testing.F) {
	for _, seed := range []string{
		`["a"]`, `[1.5]`, `[null]`, `[{}]`, `["a","b"]`, `["\U0001f600"]`, `["\x01"]`, `[tr`,
		`["\"]`, `[1e+21]`, `[-0]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, h string) {
		pk, err := parsePartitionKeyHeader(h)
		if err != nil {
			return
		}
		// A parsed key's canonical form parses back to the same key.
		again, err := parsePartitionKeyHeader(pk.key)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", pk.key, h, err)
		}
		if again.key != pk.key {
			t.Fatalf("canonical form changed: %q -> %q", pk.key, again.key)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	f.Add(streamToken{Version: 1, Min: "", Max: "FF", Seq: 42, Emitted: 3}.encode())
	f.Add(streamToken{Version: 1, Snapshot: "abc", Offset: 7}.encode())
	f.Add("not a token")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := parseToken(s)
		if err != nil {
			return
		}
		if tok.Seq < 0 || tok.Offset < 0 || tok.Emitted < 0 {
			t.Fatalf("accepted a negative position: %+v", tok)
		}
	})
}
