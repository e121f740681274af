package backend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	good := Config{Endpoint: "http://127.0.0.1:8081", Key: "dGVzdA=="}
	require.NoError(t, good.Validate())
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []string
	}{
		{"no endpoint, no key", func(c *Config) { c.Endpoint, c.Key = "", "" },
			[]string{"Endpoint is required", "exactly one of Key and Credential"}},
		{"endpoint without scheme", func(c *Config) { c.Endpoint = "127.0.0.1:8081" }, []string{"http or https"}},
		{"unknown scaling", func(c *Config) { c.Scaling = "magic" },
			[]string{`Scaling "magic"`, "manual, elastic or autoscale"}},
		{"elastic needs a scaler", func(c *Config) { c.Scaling = ScalingElastic }, []string{"ScalerURL"}},
		{"manual RU below the minimum", func(c *Config) { c.ManualRU = 300 }, []string{"300 RU/s"}},
		{"autoscale RU step",
			func(c *Config) { c.Scaling, c.AutoscaleMaxRU = ScalingAutoscale, 1500 },
			[]string{"1500"}},
		{"negative sizes", func(c *Config) { c.Nodes, c.FlushEvents = -1, -2 }, []string{"must not be negative"}},
		{"generation out of range", func(c *Config) { c.Generation = 9 }, []string{"Generation 9"}},
		{"node names count", func(c *Config) { c.Nodes, c.NodeNames = 3, []string{"a"} },
			[]string{"1 names for 3 nodes"}},
		{"mirror without key", func(c *Config) { c.Mirror = &Mirror{Endpoint: "http://m"} }, []string{"Mirror"}},
		{"throttle and detect checked too", func(c *Config) { c.Throttle.Jitter = 3; c.Detect.Window = -1 },
			[]string{"Jitter", "Window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.mutate(&c)
			err := c.Validate()
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestTenantSpecValidate(t *testing.T) {
	require.NoError(t, TenantSpec{ID: "t-1.a_b", Sensors: []string{"dc1"}}.Validate())
	err := TenantSpec{ID: "bad id", Sensors: []string{"dc1", "dc1", "x/y"}, WorkStart: 20, WorkEnd: 8,
		UTCOffsetHours: 20}.Validate()
	for _, w := range []string{`tenant id "bad id"`, `sensors[1] "dc1": duplicate`, `sensors[2] "x/y"`,
		"working hours 20..8", "UTCOffsetHours 20"} {
		require.ErrorContains(t, err, w)
	}
}

// reference is the obvious dedupe: every sequence number ever accepted.
type reference struct {
	seen map[uint64]bool
	high uint64
}

func (r *reference) duplicate(seq uint64) bool {
	return r.seen[seq] || (r.high >= dedupeWindow && seq <= r.high-dedupeWindow)
}

func FuzzSeqWindow(f *testing.F) {
	f.Add([]byte{1, 2, 3, 2, 1})
	f.Add([]byte{200, 1, 255, 255, 3, 7})
	f.Fuzz(func(t *testing.T, steps []byte) {
		var w seqWindow
		ref := reference{seen: map[uint64]bool{}}
		seq := uint64(1)
		for _, s := range steps {
			// Mostly forward, sometimes far ahead, sometimes a retry of an older batch.
			switch {
			case s < 160:
				seq += uint64(s % 4)
			case s < 200:
				seq += uint64(s) * 8
			default:
				seq -= min(seq-1, uint64(s-200))
			}
			want := ref.duplicate(seq)
			require.Equal(t, want, w.seen(seq), "seq %d high %d", seq, w.high)
			if !want {
				w.mark(seq)
				ref.seen[seq] = true
				ref.high = max(ref.high, seq)
			}
		}
	})
}
