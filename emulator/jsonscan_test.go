package emulator

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func FuzzEachMember(f *testing.F) {
	for _, seed := range []string{
		`{"id":"1","pk":"a"}`, `{"a":{"b":[1,{"c":"}"}]},"d":"\"x\\"}`, `{}`, `[1]`, `"s"`,
		`{ "k" : null , "e\u00e9" : -1.5e3 }`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		var want map[string]json.RawMessage
		isObject := json.Unmarshal(b, &want) == nil && want != nil
		got := map[string]json.RawMessage{}
		err := eachMember(b, func(k string, v []byte) bool {
			got[k] = v
			return true
		})
		if (err == nil) != isObject {
			t.Fatalf("eachMember error %v, object %v for %q", err, isObject, b)
		}
		for k, v := range want {
			var a, b any
			_ = json.Unmarshal(v, &a)
			if err := json.Unmarshal(got[k], &b); err != nil {
				t.Fatalf("member %q: raw %q does not decode: %v", k, got[k], err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("member %q: got %s, want %s", k, jb, ja)
			}
		}
	})
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(`{"id":"1","pk":"a","ttl":5}`))
	f.Add([]byte(`{"id":"1","pk":{"x":1},"_rid":"r"}`))
	f.Add([]byte(`{"id":1}`))
	def := pkDefinition{Paths: []string{"/pk"}}
	if err := def.validate(); err != nil {
		f.Fatal(err)
	}
	c := &container{rid: "AAAAAA==", db: &database{rid: "AAAA"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseDocument(b, &def)
		if err != nil {
			return
		}
		stored := d.stamped(c, 1, 1, 1)
		if !json.Valid(stored) {
			t.Fatalf("stored body is not JSON: %s", stored)
		}
	})
}

// TestPlainString checks the decoder-free path for string literals against encoding/json:
// it answers only for literals that need no decoding, and then answers the same.
func TestPlainString(t *testing.T) {
	for _, q := range []string{`"abc"`, `""`, `"é€"`, `"a\"b"`, `"a\\b"`, `"a\nb"`, "\"a\tb\"",
		`"\u0041"`, `abc`, `"abc`, `1`, `null`, "\"\xff\""} {
		got, ok := plainString([]byte(q))
		var want string
		err := json.Unmarshal([]byte(q), &want)
		if ok {
			require.NoError(t, err, "%s", q)
			require.Equal(t, want, got, "%s", q)
		}
		wantOK := err == nil && len(q) >= 2 && q[0] == '"' &&
			!strings.ContainsAny(q[1:len(q)-1], "\\\"") && want == q[1:len(q)-1]
		require.Equal(t, wantOK, ok, "%s", q)
	}
}
