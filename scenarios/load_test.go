package scenarios

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoadInvalid loads every file under testdata/invalid and checks that each line of the
// error is announced by a "# want:" comment at the top of the file, and each want is met.
func TestLoadInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			wants := wantComments(data)
			require.NotEmpty(t, wants, "file has no # want: lines")

			_, err = Parse(filepath.Base(file), data)
			require.Error(t, err)
			msg := err.Error()
			for _, want := range wants {
				require.Contains(t, msg, want)
			}
			for line := range strings.SplitSeq(msg, "\n") {
				require.True(t, announced(line, wants), "unexpected error line: %s", line)
			}
		})
	}
}

func wantComments(data []byte) []string {
	var wants []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if want, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			wants = append(wants, want)
		}
	}
	return wants
}

func announced(line string, wants []string) bool {
	for _, w := range wants {
		if strings.Contains(line, w) {
			return true
		}
	}
	return false
}

func TestLoadValid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			s, err := Load(file)
			require.NoError(t, err)
			require.NotEmpty(t, s.Name)
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load("testdata/valid/minimal.yaml")
	require.NoError(t, err)
	require.Equal(t, Duration(30*time.Second), s.Duration)
	require.Equal(t, int64(DefaultSeed), s.Seed)
	require.Equal(t, []string{DefaultRegion}, s.Account.Regions)
	require.Equal(t, DefaultConsistency, s.Account.Consistency)
	require.True(t, *s.Account.Throttling)
	require.Equal(t, 1, s.Backend.Nodes)
	require.Equal(t, DefaultScalingPolicy, s.Backend.Scaling.Policy)
	require.Equal(t, DefaultManualRU, s.Backend.Scaling.RU)
	require.Equal(t, TargetEmbedded, s.Target.Kind)
	tenant := s.Tenants[0]
	require.Equal(t, 1, tenant.Count)
	require.Equal(t, SizePresets[DefaultTenantSize].Users, tenant.Users)
	require.Equal(t, DefaultRateProfile, tenant.Profile)
}

func TestLoadAnchorsAndGroups(t *testing.T) {
	s, err := Load("testdata/valid/anchors.yaml")
	require.NoError(t, err)
	require.Equal(t, "autoscale", s.Tenants[1].Scaling.Policy)
	require.Equal(t, 4000, s.Tenants[1].Scaling.MaxRU)
	require.Equal(t, []string{"group-1", "group-2", "group-3"}, s.Tenants[2].TenantNames())
	require.Equal(t, []Threshold{{Expr: "count==0"}}, s.Thresholds[0].Rules)
}

func TestBuiltinScenariosLoad(t *testing.T) {
	names := BuiltinNames()
	for _, want := range []string{"ci-gate", "throttle-burst", "autoscale-vs-elastic",
		"upgrade-under-load", "failover-drill", "capacity-sweep", "soak"} {
		require.Contains(t, names, want)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			require.NoError(t, err)
			require.Equal(t, name, s.Name, "a built-in's name must match its file")
			require.NotEmpty(t, s.Description)
		})
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("ci-gat")
	require.ErrorContains(t, err, `no built-in scenario "ci-gat"`)
	require.ErrorContains(t, err, `did you mean "ci-gate"?`)
}

// TestMarshalRoundTrip checks that an effective scenario written to a run folder loads back
// to the same scenario.
func TestMarshalRoundTrip(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			require.NoError(t, err)
			out, err := Marshal(s)
			require.NoError(t, err)
			back, err := Parse("effective.yaml", out)
			require.NoError(t, err, "effective scenario:\n%s", out)
			require.Equal(t, s, back)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	s := Scenario{Name: "", Duration: 0}.WithDefaults()
	err := s.Validate()
	require.Error(t, err)
	var paths []string
	for _, e := range unjoin(err) {
		var fe *FieldError
		require.True(t, errors.As(e, &fe))
		paths = append(paths, fe.Path)
	}
	require.ElementsMatch(t, []string{"name", "duration", "tenants"}, paths)
}

func TestValidateDoesNotMutate(t *testing.T) {
	s, err := Builtin("ci-gate")
	require.NoError(t, err)
	before, err := Marshal(s)
	require.NoError(t, err)
	_ = s.WithDefaults().Validate()
	after, err := Marshal(s)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after))
}

func TestParseAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("tenants: *a7\n")
	start := time.Now()
	_, err := Parse("bomb.yaml", []byte(b.String()))
	require.Error(t, err)
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestClosest(t *testing.T) {
	tests := []struct {
		word string
		want []string
	}{
		{"brust", []string{"burst"}},
		{"regiondown", []string{"region-down"}},
		{"upgrade", []string{"upgrade"}},
		{"zzzzzzzz", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			got := Closest(tt.word, Actions, 1)
			require.Equal(t, tt.want, got)
		})
	}
}
