package pace

import "time"

// idleStep is how far a schedule looks ahead while its rate is zero.
const idleStep = 10 * time.Millisecond

// minRate is the smallest rate (events per second) a schedule honours; below it the
// schedule idles, so that a near-zero rate cannot push the next event out by hours.
const minRate = 1e-3

// Schedule yields the due offsets of one sensor's events: the open model. Event k+1 is due
// 1/rate after event k, with the rate of Profile (times Share) at event k. Offsets depend
// only on the profile, Share and Phase, never on when Next is called. Not safe for
// concurrent use.
type Schedule struct {
	profile Profile
	share   float64
	// next is the due offset of the next event, in nanoseconds; a float so that rates that
	// do not divide a second evenly do not drift.
	next float64
	// nextRate is the rate at next, valid when ready; it saves evaluating the profile more
	// than once per event.
	nextRate float64
	ready    bool
}

// NewSchedule returns the schedule of a sensor that takes share (0..1] of profile's rate.
// phase in [0, 1) delays the first event by that fraction of the first interval, so that
// sensors with the same rate do not all fire at the same instants.
func NewSchedule(profile Profile, share, phase float64) *Schedule {
	s := &Schedule{profile: profile, share: share}
	if r := s.rate(0); r > 0 {
		s.next = phase * 1e9 / r
	}
	return s
}

func (s *Schedule) rate(at time.Duration) float64 {
	r := s.profile.Rate(at) * s.share
	if r < minRate {
		return 0
	}
	return r
}

// Peek returns the offset of the next event without consuming it, or false when the
// schedule has no event before horizon.
func (s *Schedule) Peek(horizon time.Duration) (time.Duration, bool) {
	for !s.ready {
		if time.Duration(s.next) >= horizon {
			return 0, false
		}
		if s.nextRate = s.rate(time.Duration(s.next)); s.nextRate > 0 {
			s.ready = true
			break
		}
		s.next += float64(idleStep)
	}
	at := time.Duration(s.next)
	return at, at < horizon
}

// Next consumes the next event before horizon and returns its due offset; false when there
// is none.
func (s *Schedule) Next(horizon time.Duration) (time.Duration, bool) {
	at, ok := s.Peek(horizon)
	if !ok {
		return 0, false
	}
	s.next += 1e9 / s.nextRate
	s.ready = false
	return at, true
}
