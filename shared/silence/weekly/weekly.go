// Package weekly is the time arithmetic of maintenance windows: weekly time
// ranges ("mon-fri 22:00-06:00") on the wall clock of an IANA time zone. It
// imports nothing of Watchkeeper's, so the config validator and the silencer
// share one parser.
package weekly

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// minutesPerDay is 24:00, the latest end a range may have.
const minutesPerDay = 24 * 60

// dayNames are the accepted day names, indexed by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// weekOrder is Monday first, the order day ranges ("mon-fri") follow.
var weekOrder = [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// FieldError is a Parse error about one of its inputs: "days", "start" or "end".
type FieldError struct {
	Field string
	Err   error
}

// Error prefixes the problem with the field it concerns.
func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying problem.
func (e *FieldError) Unwrap() error { return e.Err }

// Range is one weekly time range: on each of Days, from Start to End minutes
// after local midnight. End < Start wraps past midnight into the next day, so
// the range belongs to the day it starts on.
type Range struct {
	// Days on which the range starts, indexed by time.Weekday.
	Days [7]bool
	// Start is minutes after midnight, 0–1439.
	Start int
	// End is minutes after midnight, 0–1440 (24:00 is the end of the day); never equal to Start.
	End int
}

// Parse reads a range from its config form: day names or day ranges
// ("mon", "mon-fri", "sat-sun"; a range may wrap: "fri-mon"), a start and an end
// "HH:MM" on the 24-hour clock. "24:00" is allowed as an end only. A start
// equal to the end is rejected: write 00:00–24:00 for a whole day.
func Parse(days []string, start, end string) (Range, error) {
	var r Range
	if len(days) == 0 {
		return r, &FieldError{Field: "days", Err: errors.New("no days (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)")}
	}
	for _, d := range days {
		ws, err := parseDays(d)
		if err != nil {
			return r, &FieldError{Field: "days", Err: err}
		}
		for _, w := range ws {
			if r.Days[w] {
				return r, &FieldError{Field: "days", Err: fmt.Errorf("day %s given twice", dayNames[w])}
			}
			r.Days[w] = true
		}
	}
	var err error
	if r.Start, err = parseClock(start, false); err != nil {
		return r, &FieldError{Field: "start", Err: err}
	}
	if r.End, err = parseClock(end, true); err != nil {
		return r, &FieldError{Field: "end", Err: err}
	}
	if r.Start == r.End {
		return r, &FieldError{Field: "end", Err: fmt.Errorf("start and end are both %s: for a whole day write 00:00 to 24:00", start)}
	}
	return r, nil
}

// parseDays reads "mon" or "mon-fri" into weekdays, in week order.
func parseDays(s string) ([]time.Weekday, error) {
	from, to, isRange := strings.Cut(s, "-")
	a, err := parseDay(from)
	if err != nil {
		return nil, err
	}
	if !isRange {
		return []time.Weekday{a}, nil
	}
	b, err := parseDay(to)
	if err != nil {
		return nil, err
	}
	if a == b {
		return nil, fmt.Errorf("day range %q starts and ends on the same day (write %s)", s, dayNames[a])
	}
	var out []time.Weekday
	for i := position(a); ; i = (i + 1) % 7 {
		out = append(out, weekOrder[i])
		if weekOrder[i] == b {
			return out, nil
		}
	}
}

func parseDay(s string) (time.Weekday, error) {
	for i, n := range dayNames {
		if s == n {
			return time.Weekday(i), nil
		}
	}
	return 0, fmt.Errorf("unknown day %q (use mon, tue, wed, thu, fri, sat, sun or a range such as mon-fri)", s)
}

func position(w time.Weekday) int { return (int(w) + 6) % 7 }

// parseClock reads "HH:MM" (two digits each) into minutes after midnight.
func parseClock(s string, allowMidnightEnd bool) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM (24-hour, e.g. 07:30)", s)
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	if h == 24 && m == 0 && allowMidnightEnd {
		return minutesPerDay, nil
	}
	if h > 23 || m > 59 {
		if allowMidnightEnd {
			return 0, fmt.Errorf("%q is not a time of day (00:00 to 23:59, or 24:00 as an end)", s)
		}
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 23:59)", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Wraps reports whether the range runs past midnight into the next day.
func (r Range) Wraps() bool { return r.End < r.Start }

// String renders the range in a form Parse reads back: days, start, end.
func (r Range) String() string {
	return strings.Join(r.DayNames(), ",") + " " + clock(r.Start) + "-" + clock(r.End)
}

func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// DayNames returns the names of r's days in week order (Monday first).
func (r Range) DayNames() []string {
	var ds []string
	for _, w := range weekOrder {
		if r.Days[w] {
			ds = append(ds, dayNames[w])
		}
	}
	return ds
}

// StartClock and EndClock are the range's bounds as "HH:MM".
func (r Range) StartClock() string { return clock(r.Start) }

// EndClock is the range's end as "HH:MM" ("24:00" for the end of the day).
func (r Range) EndClock() string { return clock(r.End) }

// activeAt reports whether local wall-clock time (weekday wd, minute m) falls in r.
func (r Range) activeAt(wd time.Weekday, m int) bool {
	if !r.Wraps() {
		return r.Days[wd] && m >= r.Start && m < r.End
	}
	prev := (wd + 6) % 7
	return (r.Days[wd] && m >= r.Start) || (r.Days[prev] && m < r.End)
}

// endAfter is the wall-clock end, in loc, of r's occurrence that covers local
// (which it must), built from the local date.
func (r Range) endAfter(local time.Time, loc *time.Location) time.Time {
	y, mo, d := local.Date()
	m := local.Hour()*60 + local.Minute()
	day := d
	if r.Wraps() && r.Days[local.Weekday()] && m >= r.Start {
		day = d + 1 // started today, ends tomorrow
	}
	return time.Date(y, mo, day, r.End/60, r.End%60, 0, 0, loc)
}
