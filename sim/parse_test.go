package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/sim/attack"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in          string
		shard, of   int
		wantErrText string
	}{
		{"0/1", 0, 1, ""},
		{"3/4", 3, 4, ""},
		{" 1 / 2 ", 1, 2, ""},
		{"4/4", 0, 0, "want I/N"},
		{"-1/2", 0, 0, "want I/N"},
		{"1", 0, 0, "want I/N"},
		{"a/b", 0, 0, "want I/N"},
		{"0/0", 0, 0, "want I/N"},
	}
	for _, tt := range tests {
		shard, of, err := ParseShard(tt.in)
		if tt.wantErrText != "" {
			require.ErrorContains(t, err, tt.wantErrText, "input %q", tt.in)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, []int{tt.shard, tt.of}, []int{shard, of}, "input %q", tt.in)
	}
}

func TestParseAttacks(t *testing.T) {
	got, err := ParseAttacks("brute-force@10s, kerberoasting@1m+5s,")
	require.NoError(t, err)
	require.Equal(t, []attack.Spec{
		{Kind: attack.BruteForce, At: 10 * time.Second},
		{Kind: attack.Kerberoasting, At: time.Minute, For: 5 * time.Second},
	}, got)
	none, err := ParseAttacks("")
	require.NoError(t, err)
	require.Empty(t, none)

	_, err = ParseAttacks("phish@1s,brute-force,recon@x,lateral-movement@1s+y")
	require.ErrorContains(t, err, `attack 1 "phish@1s": attack kind "phish"`)
	require.ErrorContains(t, err, `attack 2 "brute-force": want KIND@AT`)
	require.ErrorContains(t, err, `attack 3 "recon@x": at:`)
	require.ErrorContains(t, err, `attack 4 "lateral-movement@1s+y": for:`)
}

func TestLoadTokens(t *testing.T) {
	in := "# issued at onboarding\nt0001 dc001 abc\nt0001 dc002 abd\n\nt0002 def\n" +
		"t0003\nt0001 dc001 again\na b c d\nt0002 x\n"
	got, err := LoadTokens(strings.NewReader(in), "tokens.txt")
	require.Equal(t, 3, got.Len())
	require.Equal(t, "abc", got.For("t0001", "dc001"))
	require.Equal(t, "abd", got.For("t0001", "dc002"))
	require.Empty(t, got.For("t0001", "dc003"))
	require.Equal(t, "def", got.For("t0002", "dc009"), "tenant-wide token")
	require.ErrorContains(t, err, "tokens.txt:6: want TENANT SENSOR TOKEN or TENANT TOKEN")
	require.ErrorContains(t, err, `tokens.txt:7: "t0001/dc001" listed twice`)
	require.ErrorContains(t, err, "tokens.txt:8: want")
	require.ErrorContains(t, err, `tokens.txt:9: "t0002" listed twice`)
	require.Empty(t, Tokens{}.For("a", "b"))
}

func FuzzParsers(f *testing.F) {
	f.Add("brute-force@10s+1m,kerberoasting@0s")
	f.Add("1/2")
	f.Add("t1 tok\n#c\nt2 dc1 x")
	f.Fuzz(func(t *testing.T, s string) {
		if specs, err := ParseAttacks(s); err == nil {
			for _, sp := range specs {
				require.NoError(t, sp.Validate())
			}
		}
		if shard, of, err := ParseShard(s); err == nil {
			require.True(t, shard >= 0 && shard < of)
		}
		tokens, _ := LoadTokens(strings.NewReader(s), "f")
		for _, m := range []map[string]string{tokens.perTenant, tokens.perSensor} {
			for key, token := range m {
				require.NotEmpty(t, key)
				require.NotEmpty(t, token)
			}
		}
	})
}
