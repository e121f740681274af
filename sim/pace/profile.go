package pace

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// NOTE: products added to or subtracted from something are converted with float64(...)
// explicitly. Go may otherwise fuse them into one FMA instruction on some architectures
// (arm64, ppc64, s390x) and not on others, and schedules must be identical everywhere so
// that shards on mixed machines add up to the unsharded stream.

// Profile is a target rate over time: events per real second at a real elapsed time since
// the run start. Implementations are pure functions of elapsed (safe for concurrent use).
type Profile interface {
	Rate(elapsed time.Duration) float64
}

var (
	_ Profile = Constant{}
	_ Profile = Ramp{}
	_ Profile = Burst{}
	_ Profile = Diurnal{}
	_ Profile = Timeline{}
)

// Constant is a fixed rate in events per second.
type Constant struct{ PerSecond float64 }

// Rate implements Profile.
func (c Constant) Rate(time.Duration) float64 { return c.PerSecond }

// Ramp moves linearly from From to To events per second over Over, then holds To.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

// Rate implements Profile.
func (r Ramp) Rate(elapsed time.Duration) float64 {
	if elapsed >= r.Over || r.Over <= 0 {
		return r.To
	}
	return r.From + (r.To-r.From)*float64(elapsed)/float64(r.Over)
}

// Burst runs at Base events per second, with Peak for the first For of every Every.
type Burst struct {
	Base, Peak float64
	Every, For time.Duration
}

// Rate implements Profile.
func (b Burst) Rate(elapsed time.Duration) float64 {
	if b.Every > 0 && elapsed%b.Every < b.For {
		return b.Peak
	}
	return b.Base
}

// WorkingHours is an organisation's working week: local hours [Start, End), Monday to
// Friday, in a fixed offset from UTC.
type WorkingHours struct {
	UTCOffset  time.Duration
	Start, End int
}

// Diurnal is Peak events per second scaled by the activity of an organisation at the
// scenario time: 1 in working hours, shoulders around them, a low night and weekend, with
// up to ±Noise (a fraction, e.g. 0.1) of smooth deterministic noise from NoiseSeed.
type Diurnal struct {
	Peak      float64
	Clock     Clock
	Hours     WorkingHours
	Noise     float64
	NoiseSeed uint64
}

// Rate implements Profile.
func (d Diurnal) Rate(elapsed time.Duration) float64 {
	at := d.Clock.At(elapsed)
	return d.Peak * Activity(d.Hours, at) * (1 + float64(d.Noise*noise(d.NoiseSeed, at)))
}

// Activity returns the relative activity (0..1) of an organisation at scenario time at.
func Activity(h WorkingHours, at time.Time) float64 {
	local := at.Add(h.UTCOffset).UTC()
	hour := float64(local.Hour()) + float64(local.Minute())/60
	weekend := local.Weekday() == time.Saturday || local.Weekday() == time.Sunday
	start, end := float64(h.Start), float64(h.End)
	switch {
	case weekend && hour >= start && hour < end:
		return 0.12
	case weekend:
		return 0.06
	case hour >= start && hour < end:
		// A lunch dip in the middle of the day.
		if mid := (start + end) / 2; hour >= mid-0.5 && hour < mid+0.5 {
			return 0.85
		}
		return 1
	case hour >= start-1 && hour < start:
		return 0.08 + float64(0.92*(hour-(start-1)))
	case hour >= end && hour < end+2:
		return 1 - float64(0.46*(hour-end))
	}
	return 0.08
}

// noiseBucket is the scenario time over which noise changes smoothly.
const noiseBucket = 10 * time.Minute

// noise returns a smooth value in [-1, 1] that depends only on seed and scenario time.
func noise(seed uint64, at time.Time) float64 {
	pos := float64(at.UnixNano()) / float64(noiseBucket)
	bucket := math.Floor(pos)
	frac := pos - bucket
	a, b := hashUnit(seed, int64(bucket)), hashUnit(seed, int64(bucket)+1)
	// Cosine interpolation keeps the rate continuous between buckets.
	w := (1 - math.Cos(frac*math.Pi)) / 2
	return float64(a*(1-w)) + float64(b*w)
}

func hashUnit(seed uint64, n int64) float64 {
	x := seed ^ uint64(n)*0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11)/(1<<52) - 1
}

// Change multiplies a profile's rate during [At, At+For). A burst holds Multiplier for the
// whole window; a ramp moves linearly from 1 to Multiplier over the window and, unlike a
// burst, keeps Multiplier afterwards (until a later change).
type Change struct {
	At, For    time.Duration
	Multiplier float64
	Ramp       bool
}

// Timeline applies Changes, in order, on top of Base.
type Timeline struct {
	Base    Profile
	Changes []Change
}

// Rate implements Profile.
func (t Timeline) Rate(elapsed time.Duration) float64 {
	m := 1.0
	for _, c := range t.Changes {
		switch {
		case elapsed < c.At:
		case c.Ramp && elapsed >= c.At+c.For:
			m = c.Multiplier
		case c.Ramp:
			m = 1 + (c.Multiplier-1)*float64(elapsed-c.At)/float64(max(c.For, 1))
		case elapsed < c.At+c.For:
			m *= c.Multiplier
		}
	}
	return t.Base.Rate(elapsed) * m
}

// MaxMultiplier is the largest multiplier a Change may apply.
const MaxMultiplier = 1000

// Validate reports every problem with the changes.
func (t Timeline) Validate() error {
	var errs []error
	for i, c := range t.Changes {
		if c.At < 0 || c.For < 0 {
			errs = append(errs, fmt.Errorf("change %d: at and for must not be negative", i))
		}
		if !(c.Multiplier >= 0 && c.Multiplier <= MaxMultiplier) {
			errs = append(errs, fmt.Errorf("change %d: multiplier %v, want 0..%d", i,
				c.Multiplier, MaxMultiplier))
		}
	}
	return errors.Join(errs...)
}
