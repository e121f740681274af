package sim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/stampede-load/stampede/sim/behavior"
	"github.com/stampede-load/stampede/sim/org"
	"github.com/stampede-load/stampede/sim/pace"
	"github.com/stampede-load/stampede/sim/sink"
)

// slowProfile asks for 10,000 events/s but, until the run is over, costs 1 ms of (fake)
// time per event, so the generator manages about 1,000/s: a saturated generator.
type slowProfile struct{ until time.Time }

func (p slowProfile) Rate(time.Duration) float64 {
	if time.Now().Before(p.until) {
		time.Sleep(time.Millisecond)
	}
	return 10_000
}

func TestSaturationIsReportedAndBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cfg := Config{Seed: 1, Duration: 2 * time.Second, Behavior: behaviorNoChurn(),
			Tenants: []TenantSpec{{Org: org.Spec{Tenant: "t1", Users: 10}, Rate: 1}}}
		var seconds []Second
		cfg.OnSecond = func(s Second) { seconds = append(seconds, s) }
		f, err := New(cfg, &sink.Discard{})
		require.NoError(t, err)
		start := time.Now()
		// Slow until a little after the run is overdue (Duration + SaturationLag).
		slow := slowProfile{until: start.Add(cfg.Duration + 2*DefaultSaturationLag)}
		f.sensors[0].stream.sched = pace.NewSchedule(slow, 1, 0)
		tot, err := f.Run(t.Context())
		require.NoError(t, err)

		require.Less(t, time.Since(start), 3*time.Second, "the run ends on time")
		require.Positive(t, tot.Missed)
		require.Equal(t, int64(20_000), tot.Generated+tot.Missed, "due = generated + missed")
		require.Equal(t, TenantTotals{Generated: tot.Generated, Acked: tot.Acked,
			Missed: tot.Missed}, tot.Tenants["t1"])
		require.InDelta(t, 2100+lagChunk/2, tot.Generated, lagChunk)
		require.Equal(t, tot.Generated, tot.Acked)
		require.Positive(t, tot.SaturatedSeconds)
		require.Greater(t, tot.LagMax, time.Second)
		saturated := 0
		for _, s := range seconds {
			if s.Saturated {
				saturated++
			}
		}
		require.Equal(t, tot.SaturatedSeconds, saturated)
	})
}

func behaviorNoChurn() behavior.Config { return behavior.Config{ChurnPerDay: -1} }
