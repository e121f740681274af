package pace

import "time"

// DefaultStart is the scenario time of the run start when Clock.Start is zero: a Monday at
// 08:00 UTC, the start of a working day.
var DefaultStart = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// Clock maps real elapsed time since the run start to scenario time. Hour of day, working
// hours and weekends follow the scenario clock; rates stay per real second. The zero value
// is DefaultStart with compression 1. Safe for concurrent use (it is a value).
type Clock struct {
	// Start is the scenario time at elapsed 0; zero means DefaultStart.
	Start time.Time
	// Compression is how many scenario seconds pass per real second; 0 means 1.
	Compression float64
}

// At returns the scenario time at real elapsed time since the run start.
func (c Clock) At(elapsed time.Duration) time.Time {
	start := c.Start
	if start.IsZero() {
		start = DefaultStart
	}
	if c.Compression == 0 || c.Compression == 1 {
		return start.Add(elapsed)
	}
	return start.Add(time.Duration(float64(elapsed) * c.Compression))
}
