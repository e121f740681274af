package sim

import (
	"bufio"
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/backend/api"
	"github.com/stampede-load/stampede/sim/attack"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
)

// FuzzRecordConfigs records short streams for arbitrary small organisations, profiles and
// clocks: whatever validates must record without panicking, and every line must decode
// and validate.
func FuzzRecordConfigs(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint16(0), uint16(0), uint8(0), float64(1), float64(100))
	f.Add(uint64(2), uint16(2), uint16(9), uint16(1), uint8(1), float64(3600), float64(500))
	f.Add(uint64(3), uint16(50), uint16(3), uint16(2), uint8(2), float64(1e5), float64(1))
	f.Add(uint64(4), uint16(7), uint16(1), uint16(7), uint8(3), float64(0), float64(0.5))
	f.Fuzz(func(t *testing.T, seed uint64, users, sensors, computers uint16, profile uint8,
		compression, rate float64,
	) {
		var specs []attack.Spec
		for i, k := range attack.Kinds {
			specs = append(specs, attack.Spec{Kind: k, At: time.Duration(i) * 100 * time.Millisecond})
		}
		cfg := Config{Seed: seed, Duration: time.Second,
			Clock: pace.Clock{Compression: compression},
			Tenants: []TenantSpec{{
				Org: org.Spec{Tenant: "t1", Users: int(users % 200), Sensors: int(sensors % 20),
					Computers: int(computers % 50)},
				Rate: min(rate, 2000), Profile: Profiles[int(profile)%len(Profiles)],
				Attacks: specs,
			}}}
		if cfg.WithDefaults().Validate() != nil {
			return
		}
		var buf bytes.Buffer
		totals, err := Record(t.Context(), cfg, &buf)
		require.NoError(t, err)
		var d api.Decoder
		sc := bufio.NewScanner(&buf)
		lines := int64(0)
		for sc.Scan() {
			_, _, e, err := d.DecodeRecord(sc.Bytes())
			require.NoError(t, err)
			require.NoError(t, e.Validate(), "line %s", sc.Text())
			lines++
		}
		require.Equal(t, totals.Events, lines)
	})
}
