package weekly

import (
	"errors"
	"time"
)

// maxChain bounds how many back-to-back ranges End follows; a week of
// adjacent daily ranges is 7, so this is only a guard against a schedule
// that never ends (every minute of the week covered).
const maxChain = 16

// foldSearch is how far past a range's wall-clock end End looks for the real
// end when that wall-clock time occurs twice (clocks went back) and the first
// occurrence has already passed. DST shifts are at most two hours.
const foldSearch = 3 * time.Hour

// Schedule is a set of weekly ranges on the wall clock of one time zone.
// Times are compared as the local clock shows them, so a 09:00–17:00 range
// stays 09:00–17:00 local across daylight-saving changes; a range over the
// hour skipped in spring is shorter that night, one over the hour repeated
// in autumn is longer.
type Schedule struct {
	// Location is the time zone the ranges are written in.
	Location *time.Location
	// Ranges are the weekly ranges; the schedule is active when any is.
	Ranges []Range
}

// NewSchedule loads the IANA zone tz ("Local" is refused: it would depend on
// the machine) and returns a schedule over ranges.
func NewSchedule(tz string, ranges []Range) (Schedule, error) {
	if tz == "" || tz == "Local" {
		return Schedule{}, errors.New("a time zone is required (an IANA name such as Europe/London)")
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return Schedule{}, err
	}
	return Schedule{Location: loc, Ranges: ranges}, nil
}

// Active reports whether t falls within one of the ranges.
func (s Schedule) Active(t time.Time) bool {
	local := t.In(s.loc())
	m := local.Hour()*60 + local.Minute()
	for _, r := range s.Ranges {
		if r.activeAt(local.Weekday(), m) {
			return true
		}
	}
	return false
}

// End returns when the active stretch that covers t ends, following ranges
// that continue one another (fri 18:00–24:00 then sat 00:00–24:00 …). It
// returns t itself when the schedule is not active at t, and the zero time
// when the schedule never ends.
func (s Schedule) End(t time.Time) time.Time {
	if !s.Active(t) {
		return t
	}
	cur := t
	for range maxChain {
		next := s.endOne(cur)
		if !s.Active(next) {
			return next
		}
		cur = next
	}
	return time.Time{}
}

// endOne is the end of the latest-ending range active at t.
func (s Schedule) endOne(t time.Time) time.Time {
	loc := s.loc()
	local := t.In(loc)
	m := local.Hour()*60 + local.Minute()
	var end time.Time
	for _, r := range s.Ranges {
		if !r.activeAt(local.Weekday(), m) {
			continue
		}
		if e := r.endAfter(local, loc); e.After(end) {
			end = e
		}
	}
	if end.After(t) {
		return end
	}
	// The wall-clock end was resolved to its first occurrence and t is in the
	// second (autumn fold): walk minute by minute to where the range stops.
	for step := t.Truncate(time.Minute).Add(time.Minute); step.Before(t.Add(foldSearch)); step = step.Add(time.Minute) {
		if !s.Active(step) {
			return step
		}
	}
	return t.Add(foldSearch)
}

func (s Schedule) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}
