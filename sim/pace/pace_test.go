package pace

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func count(p Profile, share float64, horizon time.Duration) int {
	s := NewSchedule(p, share, 0.5)
	n := 0
	last := time.Duration(-1)
	for {
		at, ok := s.Next(horizon)
		if !ok {
			return n
		}
		if at < last {
			panic("schedule went backwards")
		}
		last = at
		n++
	}
}

func TestScheduleMeetsTheProfile(t *testing.T) {
	tests := []struct {
		name    string
		profile Profile
		share   float64
		horizon time.Duration
		want    float64
	}{
		{"constant", Constant{PerSecond: 1000}, 1, 10 * time.Second, 10_000},
		{"constant share", Constant{PerSecond: 100_000}, 0.01, 60 * time.Second, 60_000},
		{"uneven rate", Constant{PerSecond: 3}, 1, 100 * time.Second, 300},
		{"ramp", Ramp{From: 0, To: 1000, Over: 10 * time.Second}, 1, 20 * time.Second, 15_000},
		{"burst", Burst{Base: 100, Peak: 1000, Every: 10 * time.Second, For: time.Second}, 1,
			30 * time.Second, 3*900 + 3*1000},
		{"zero then ramp", Timeline{Base: Constant{PerSecond: 1000}, Changes: []Change{
			{At: 0, For: 5 * time.Second, Multiplier: 0},
		}}, 1, 10 * time.Second, 5_000},
		{"timeline burst and ramp", Timeline{Base: Constant{PerSecond: 100}, Changes: []Change{
			{At: 10 * time.Second, For: 10 * time.Second, Multiplier: 3, Ramp: true},
			{At: 30 * time.Second, For: 5 * time.Second, Multiplier: 2},
		}}, 1, 40 * time.Second, 1000 + 2000 + 3000 + 3000 + 500*3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := float64(count(tt.profile, tt.share, tt.horizon))
			require.InEpsilon(t, tt.want, got, 0.005, "got %v events, want %v", got, tt.want)
		})
	}
}

func TestScheduleIsDeterministic(t *testing.T) {
	p := Diurnal{Peak: 500, Clock: Clock{Compression: 3600}, Noise: 0.2, NoiseSeed: 9,
		Hours: WorkingHours{Start: 8, End: 17}}
	a, b := NewSchedule(p, 0.3, 0.25), NewSchedule(p, 0.3, 0.25)
	for range 10_000 {
		x, okx := a.Next(time.Minute)
		y, oky := b.Next(time.Minute)
		require.Equal(t, okx, oky)
		require.Equal(t, x, y)
	}
}

func TestActivity(t *testing.T) {
	h := WorkingHours{UTCOffset: -5 * time.Hour, Start: 8, End: 18}
	monday := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		local time.Duration // local time since Monday 00:00
		want  float64
	}{
		{"monday 10:00", 10 * time.Hour, 1},
		{"lunch", 13 * time.Hour, 0.85},
		{"night", 3 * time.Hour, 0.08},
		{"shoulder 07:30", 7*time.Hour + 30*time.Minute, 0.54},
		{"evening 19:00", 19 * time.Hour, 0.54},
		{"saturday 10:00", 5*24*time.Hour + 10*time.Hour, 0.12},
		{"sunday night", 6*24*time.Hour + 2*time.Hour, 0.06},
	}
	for _, tt := range tests {
		at := monday.Add(tt.local - h.UTCOffset)
		require.InDelta(t, tt.want, Activity(h, at), 1e-9, tt.name)
	}
}

func TestDiurnalFollowsTheScenarioClock(t *testing.T) {
	// 3600x: one real second is one scenario hour; the run starts Monday 00:00 UTC.
	p := Diurnal{Peak: 1000, Clock: Clock{Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC),
		Compression: 3600}, Hours: WorkingHours{Start: 8, End: 17}}
	require.InDelta(t, 80, p.Rate(3*time.Second), 1e-9, "03:00")
	require.InDelta(t, 1000, p.Rate(10*time.Second), 1e-9, "10:00")
	noisy := p
	noisy.Noise, noisy.NoiseSeed = 0.1, 4
	for s := range 48 {
		r := noisy.Rate(time.Duration(s) * time.Second)
		base := p.Rate(time.Duration(s) * time.Second)
		require.InDelta(t, base, r, base*0.1+1e-9)
	}
}

func TestClock(t *testing.T) {
	require.Equal(t, DefaultStart.Add(time.Second), Clock{}.At(time.Second))
	start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, start.Add(time.Hour), Clock{Start: start, Compression: 60}.At(time.Minute))
}

func TestTimelineValidate(t *testing.T) {
	err := Timeline{Changes: []Change{
		{At: -1, Multiplier: 1},
		{Multiplier: math.Inf(1)},
		{Multiplier: math.NaN()},
		{At: time.Second, For: time.Second, Multiplier: 1000},
	}}.Validate()
	require.ErrorContains(t, err, "change 0: at and for must not be negative")
	require.ErrorContains(t, err, "change 1: multiplier +Inf")
	require.ErrorContains(t, err, "change 2: multiplier NaN")
	require.NotContains(t, err.Error(), "change 3")
}
