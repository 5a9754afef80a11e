package weekly

import (
	"strings"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary day lists and clocks to Parse. It must never
// panic; a range it accepts must print in a form it reads back identically,
// and Active and End must hold up on it.
func FuzzParse(f *testing.F) {
	f.Add("mon-fri", "09:00", "17:00")
	f.Add("sat", "22:00", "06:00")
	f.Add("sun", "00:00", "24:00")
	f.Add("fri-mon", "23:59", "00:00")
	f.Add("mon,wed,thu", "07:30", "07:31")
	f.Add("", "09:00", "17:00")
	f.Add("mon-mon", "09:00", "09:00")
	f.Add("tue", "24:00", "25:61")
	f.Add("mon-", ":", "1:")
	f.Fuzz(func(t *testing.T, days, start, end string) {
		var list []string
		if days != "" {
			list = strings.Split(days, ",")
		}
		r, err := Parse(list, start, end)
		if err != nil {
			return
		}
		if r.Start < 0 || r.Start >= minutesPerDay || r.End < 0 || r.End > minutesPerDay || r.Start == r.End {
			t.Fatalf("accepted an out-of-range range %+v", r)
		}
		back, err := Parse(r.DayNames(), r.StartClock(), r.EndClock())
		if err != nil || back != r {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", r.String(), back, err, r)
		}
		s := Schedule{Location: time.UTC, Ranges: []Range{r}}
		at := time.Date(2026, 11, 23, r.Start/60, r.Start%60, 0, 0, time.UTC) // a Monday
		for d := range 7 {
			now := at.AddDate(0, 0, d)
			if s.Active(now) != r.Days[now.Weekday()] {
				t.Fatalf("%s: Active at the start on %s = %v", r, now.Weekday(), s.Active(now))
			}
			if e := s.End(now); s.Active(now) && !e.IsZero() && (!e.After(now) || s.Active(e)) {
				t.Fatalf("%s: End(%s) = %s", r, now, e)
			}
		}
	})
}
