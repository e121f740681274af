package epk

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sdkVector is one row of testdata/sdk_vectors.json, produced by running azcosmos v1.5.0's
// own internal/epk functions (ComputeV1, ComputeV2HashForRouting,
// ComputeV2MultiHashForRouting) on the components.
type sdkVector struct {
	Name       string   `json:"name"`
	Components []string `json:"components"`
	V1         string   `json:"v1"`
	V2Hash     string   `json:"v2Hash"`
	V2Multi    string   `json:"v2MultiHash"`
}

// decodeComponent reads the vector encoding: "null", "undefined", "b:true", "s:text" and
// "n:<float64 bits in hex>" (bits keep -0, infinities and exact values).
func decodeComponent(t *testing.T, enc string) any {
	t.Helper()
	switch {
	case enc == "null":
		return nil
	case enc == "undefined":
		return Undefined{}
	case strings.HasPrefix(enc, "b:"):
		return enc == "b:true"
	case strings.HasPrefix(enc, "s:"):
		return enc[2:]
	case strings.HasPrefix(enc, "n:"):
		b, err := strconv.ParseUint(enc[2:], 16, 64)
		require.NoError(t, err)
		return math.Float64frombits(b)
	}
	t.Fatalf("bad component encoding %q", enc)
	return nil
}

func loadVectors(t *testing.T) []sdkVector {
	t.Helper()
	data, err := os.ReadFile("testdata/sdk_vectors.json")
	require.NoError(t, err)
	var vs []sdkVector
	require.NoError(t, json.Unmarshal(data, &vs))
	require.NotEmpty(t, vs)
	return vs
}

func TestCompute_MatchesSDKVectors(t *testing.T) {
	schemes := []struct {
		name   string
		scheme Scheme
		want   func(v sdkVector) string
	}{
		{"V1", Scheme{Kind: KindHash, Version: 1}, func(v sdkVector) string { return v.V1 }},
		{"default is V1", Scheme{}, func(v sdkVector) string { return v.V1 }},
		{"V2 Hash", Scheme{Kind: KindHash, Version: 2}, func(v sdkVector) string { return v.V2Hash }},
		{"V2 MultiHash", Scheme{Kind: KindMultiHash, Version: 2},
			func(v sdkVector) string { return v.V2Multi }},
	}
	for _, v := range loadVectors(t) {
		components := make([]any, len(v.Components))
		for i, c := range v.Components {
			components[i] = decodeComponent(t, c)
		}
		for _, s := range schemes {
			t.Run(s.name+"/"+v.Name, func(t *testing.T) {
				got, err := Compute(s.scheme, components)
				require.NoError(t, err)
				require.Equal(t, s.want(v), got)
			})
		}
	}
}

func TestCompute_EmptyComponentsHashAsUndefined(t *testing.T) {
	for _, s := range []Scheme{{}, {Kind: KindHash, Version: 2}, {Kind: KindMultiHash, Version: 2}} {
		empty, err := Compute(s, nil)
		require.NoError(t, err)
		undefined, err := Compute(s, []any{Undefined{}})
		require.NoError(t, err)
		require.Equal(t, undefined, empty)
	}
}

func TestCompute_ConvertsNumbers(t *testing.T) {
	s := Scheme{Kind: KindHash, Version: 2}
	want, err := Compute(s, []any{float64(42)})
	require.NoError(t, err)
	for _, n := range []any{42, int64(42), int32(42), uint64(42), float32(42), json.Number("42")} {
		got, err := Compute(s, []any{n})
		require.NoError(t, err)
		require.Equal(t, want, got, "component %T", n)
	}
}

func TestCompute_RejectsUnsupportedComponent(t *testing.T) {
	tests := []struct {
		name      string
		component any
		wantErr   string
	}{
		{"object", map[string]any{"a": 1}, "component 0: type map[string]interface {}"},
		{"array", []any{"a"}, "type []interface {}"},
		{"bad number", json.Number("1e99999"), `number "1e99999"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compute(Scheme{Version: 2}, []any{tt.component})
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestScheme_Validate(t *testing.T) {
	require.NoError(t, Scheme{}.Validate())
	require.NoError(t, Scheme{Kind: KindMultiHash, Version: 2}.Validate())
	err := Scheme{Kind: "Range", Version: 3}.Validate()
	require.ErrorContains(t, err, `kind "Range"`)
	require.ErrorContains(t, err, "version 3")
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"06AB", "06AB", 0},
		{"06AB", "06AC", -1},
		{"06AC", "06AB", 1},
		{"06AB", "06AB0000", 0},
		{"06AB0001", "06AB", 1},
		{"06AB", "06AB0001", -1},
		{"", "", 0},
		{"", "0000", 0},
		{"", "0001", -1},
		{"FF", "3FFFFFFF", 1},
		{"3FFFFFFF", "FF", -1},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, Compare(tt.a, tt.b), "Compare(%q, %q)", tt.a, tt.b)
	}
}

func TestRange_Contains(t *testing.T) {
	r := Range{Min: "10", Max: "20"}
	require.True(t, r.Contains("10"))
	require.True(t, r.Contains("1FFFFFFF"))
	require.False(t, r.Contains("20"))
	require.False(t, r.Contains("0FFFFFFF"))
	require.True(t, Full.Contains(""))
	require.True(t, Full.Contains("3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"))
	require.True(t, Range{Min: "20", Max: MaxExclusive}.Contains("3F"))
}

func TestRange_Validate(t *testing.T) {
	require.NoError(t, Full.Validate())
	require.ErrorContains(t, Range{Min: "1g", Max: "FF"}.Validate(), `min "1g"`)
	require.ErrorContains(t, Range{Min: "20", Max: "10"}.Validate(), "min must be below max")
	require.ErrorContains(t, Range{Min: "10", Max: "10"}.Validate(), "min must be below max")
}

func TestMidpoint(t *testing.T) {
	v1, v2, multi := Scheme{}, Scheme{Kind: KindHash, Version: 2},
		Scheme{Kind: KindMultiHash, Version: 2}
	tests := []struct {
		name   string
		scheme Scheme
		r      Range
		want   string
	}{
		{"V1 full space", v1, Full, "00000000000000000000000080000000"},
		{"V1 upper half", v1, Range{Min: "00000000000000000000000080000000", Max: "FF"},
			"000000000000000000000000C0000000"},
		{"V2 full space", v2, Full, "20000000000000000000000000000000"},
		{"V2 lower half", v2, Range{Min: "", Max: "20000000000000000000000000000000"},
			"10000000000000000000000000000000"},
		{"V2 short bounds", v2, Range{Min: "10", Max: "20"}, "18000000000000000000000000000000"},
		{"MultiHash first block only", multi, Full, "20000000000000000000000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Midpoint(tt.scheme, tt.r)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.True(t, tt.r.Contains(got), "midpoint outside the range")
			require.Equal(t, 1, Compare(got, tt.r.Min))
		})
	}
}

func TestMidpoint_Indivisible(t *testing.T) {
	tiny := Range{Min: "00000000000000000000000000000001", Max: "00000000000000000000000000000002"}
	_, err := Midpoint(Scheme{Version: 2}, tiny)
	require.ErrorIs(t, err, ErrIndivisible)

	aboveV1Space := Range{Min: "10", Max: "FF"}
	_, err = Midpoint(Scheme{}, aboveV1Space)
	require.ErrorIs(t, err, ErrIndivisible)

	_, err = Midpoint(Scheme{}, Range{Min: "x", Max: "FF"})
	require.ErrorContains(t, err, "upper-case hex")
}

// TestMidpoint_SplitsHashedKeysEvenly checks the property splits rely on: halving the key
// space halves the keys, for each scheme.
func TestMidpoint_SplitsHashedKeysEvenly(t *testing.T) {
	for _, s := range []Scheme{{}, {Kind: KindHash, Version: 2}} {
		mid, err := Midpoint(s, Full)
		require.NoError(t, err)
		lower := Range{Min: "", Max: mid}
		const keys = 4000
		inLower := 0
		for i := range keys {
			e, err := Compute(s, []any{"entity-" + strconv.Itoa(i)})
			require.NoError(t, err)
			if lower.Contains(e) {
				inLower++
			}
		}
		require.InDelta(t, keys/2, inLower, keys*0.05, "scheme %+v", s)
	}
}

func FuzzCompute(f *testing.F) {
	f.Add("entity-1", 1.5, true, 2)
	f.Add("", math.Inf(-1), false, 1)
	f.Fuzz(func(t *testing.T, s string, n float64, b bool, version int) {
		version = 1 + (version & 1)
		for _, kind := range []Kind{KindHash, KindMultiHash} {
			got, err := Compute(Scheme{Kind: kind, Version: version}, []any{s, n, b, nil})
			if err != nil {
				t.Fatal(err)
			}
			if !Full.Contains(got) || len(got)%blockDigits != 0 {
				t.Fatalf("EPK %q outside the key space or misaligned", got)
			}
		}
	})
}

func FuzzMidpoint(f *testing.F) {
	f.Add("", "FF", 2)
	f.Add("1F", "20", 1)
	f.Fuzz(func(t *testing.T, lo, hi string, version int) {
		s := Scheme{Version: 1 + (version & 1)}
		r := Range{Min: lo, Max: hi}
		mid, err := Midpoint(s, r)
		if err != nil {
			return
		}
		if Compare(mid, lo) <= 0 || !r.Contains(mid) {
			t.Fatalf("midpoint %q not strictly inside [%q, %q)", mid, lo, hi)
		}
	})
}

func BenchmarkCompute_V2Hash(b *testing.B) {
	s := Scheme{Kind: KindHash, Version: 2}
	components := []any{"3f2504e0-4f89-11d3-9a0c-0305e82c3301"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compute(s, components); err != nil {
			b.Fatal(err)
		}
	}
}
