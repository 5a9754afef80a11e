package weekly

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name             string
		days             []string
		start, end       string
		want             string // Range.String, when ok
		wantErr          string
		wantWraps        bool
		wantStart, wantE int
	}{
		{name: "weekday evenings", days: []string{"mon-fri"}, start: "18:00", end: "20:30", want: "mon,tue,wed,thu,fri 18:00-20:30", wantStart: 1080, wantE: 1230},
		{name: "overnight wraps", days: []string{"sat"}, start: "22:00", end: "06:00", want: "sat 22:00-06:00", wantWraps: true, wantStart: 1320, wantE: 360},
		{name: "whole day", days: []string{"sun"}, start: "00:00", end: "24:00", want: "sun 00:00-24:00", wantStart: 0, wantE: 1440},
		{name: "day range wraps the week", days: []string{"fri-mon"}, start: "01:00", end: "02:00", want: "mon,fri,sat,sun 01:00-02:00", wantStart: 60, wantE: 120},
		{name: "list and range", days: []string{"mon", "wed-thu"}, start: "09:00", end: "17:00", want: "mon,wed,thu 09:00-17:00", wantStart: 540, wantE: 1020},
		{name: "no days", days: nil, start: "09:00", end: "17:00", wantErr: "no days"},
		{name: "bad day name", days: []string{"monday"}, start: "09:00", end: "17:00", wantErr: `unknown day "monday"`},
		{name: "capitalized day", days: []string{"Mon"}, start: "09:00", end: "17:00", wantErr: `unknown day "Mon"`},
		{name: "bad range end", days: []string{"mon-xyz"}, start: "09:00", end: "17:00", wantErr: `unknown day "xyz"`},
		{name: "range of one day", days: []string{"mon-mon"}, start: "09:00", end: "17:00", wantErr: "same day"},
		{name: "day twice", days: []string{"mon-fri", "wed"}, start: "09:00", end: "17:00", wantErr: "day wed given twice"},
		{name: "hour out of range", days: []string{"mon"}, start: "25:00", end: "17:00", wantErr: `start: "25:00" is not a time of day`},
		{name: "minute out of range", days: []string{"mon"}, start: "09:00", end: "17:60", wantErr: `end: "17:60"`},
		{name: "24:00 as start", days: []string{"mon"}, start: "24:00", end: "17:00", wantErr: `start: "24:00"`},
		{name: "24:30 end", days: []string{"mon"}, start: "09:00", end: "24:30", wantErr: `end: "24:30"`},
		{name: "single-digit hour", days: []string{"mon"}, start: "9:00", end: "17:00", wantErr: "HH:MM"},
		{name: "seconds", days: []string{"mon"}, start: "09:00:00", end: "17:00", wantErr: "HH:MM"},
		{name: "sign", days: []string{"mon"}, start: "+9:00", end: "17:00", wantErr: "HH:MM"},
		{name: "empty start", days: []string{"mon"}, start: "", end: "17:00", wantErr: "HH:MM"},
		{name: "start equals end", days: []string{"mon"}, start: "09:00", end: "09:00", wantErr: "00:00 to 24:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse(tt.days, tt.start, tt.end)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if r.Wraps() != tt.wantWraps || r.Start != tt.wantStart || r.End != tt.wantE {
				t.Errorf("range = %+v (wraps %v)", r, r.Wraps())
			}
		})
	}
}

func mustRange(t *testing.T, days []string, start, end string) Range {
	t.Helper()
	r, err := Parse(days, start, end)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mustSchedule(t *testing.T, tz string, rs ...Range) Schedule {
	t.Helper()
	s, err := NewSchedule(tz, rs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNewScheduleRejectsBadZones(t *testing.T) {
	for _, tz := range []string{"", "Local", "Mars/Olympus", "Europe/Londn"} {
		if _, err := NewSchedule(tz, nil); err == nil {
			t.Errorf("NewSchedule(%q) succeeded", tz)
		}
	}
}

// TestActiveAcrossLondonDST checks the wall-clock semantics over the two
// 2026 changes in Europe/London: 29 March (01:00 GMT → 02:00 BST, at 01:00Z)
// and 25 October (02:00 BST → 01:00 GMT, at 01:00Z).
func TestActiveAcrossLondonDST(t *testing.T) {
	night := mustSchedule(t, "Europe/London", mustRange(t, []string{"sun"}, "01:00", "03:00"))
	autumn := mustSchedule(t, "Europe/London", mustRange(t, []string{"sun"}, "01:00", "02:00"))
	office := mustSchedule(t, "Europe/London", mustRange(t, []string{"mon-fri"}, "09:00", "17:00"))
	overnight := mustSchedule(t, "Europe/London", mustRange(t, []string{"sat"}, "23:00", "04:00"))
	tests := []struct {
		name string
		s    Schedule
		at   string
		want bool
	}{
		// Spring: local 01:00–01:59 never happens, so the 01:00–03:00 range
		// runs from 02:00 BST (01:00Z) to 03:00 BST (02:00Z): one real hour.
		{"spring: 00:59 GMT, before", night, "2026-03-29T00:59:00Z", false},
		{"spring: 02:00 BST, first minute", night, "2026-03-29T01:00:00Z", true},
		{"spring: 02:59 BST, last minute", night, "2026-03-29T01:59:00Z", true},
		{"spring: 03:00 BST, over", night, "2026-03-29T02:00:00Z", false},
		// Autumn: local 01:00–01:59 happens twice, so the range is active
		// for both: 00:00Z–02:00Z, two real hours.
		{"autumn: 00:59 BST, before", autumn, "2026-10-24T23:59:00Z", false},
		{"autumn: 01:00 BST, first pass", autumn, "2026-10-25T00:00:00Z", true},
		{"autumn: 01:59 BST", autumn, "2026-10-25T00:59:00Z", true},
		{"autumn: 01:00 GMT, second pass", autumn, "2026-10-25T01:00:00Z", true},
		{"autumn: 01:59 GMT", autumn, "2026-10-25T01:59:00Z", true},
		{"autumn: 02:00 GMT, over", autumn, "2026-10-25T02:00:00Z", false},
		// Office hours follow the local clock: 09:00 is 09:00Z in winter, 08:00Z in summer.
		{"office: Friday 08:30Z in March is 08:30 GMT", office, "2026-03-27T08:30:00Z", false},
		{"office: Monday 08:30Z in March is 09:30 BST", office, "2026-03-30T08:30:00Z", true},
		{"office: Monday 16:30Z in March is 17:30 BST", office, "2026-03-30T16:30:00Z", false},
		{"office: Monday 16:30Z in October is 16:30 GMT", office, "2026-10-26T16:30:00Z", true},
		{"office: Saturday", office, "2026-10-31T12:00:00Z", false},
		// An overnight range belongs to the day it starts on.
		{"overnight: Saturday 23:30", overnight, "2026-03-28T23:30:00Z", true},
		{"overnight: Sunday 03:30 BST across the change", overnight, "2026-03-29T02:30:00Z", true},
		{"overnight: Sunday 04:00 BST", overnight, "2026-03-29T03:00:00Z", false},
		{"overnight: Sunday 23:30 is not a start day", overnight, "2026-03-29T22:30:00Z", false},
		{"overnight: Monday 01:00 after Sunday is not covered", overnight, "2026-03-30T00:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.Active(utc(tt.at)); got != tt.want {
				t.Errorf("Active(%s) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
}

func TestEnd(t *testing.T) {
	london := func(rs ...Range) Schedule { return mustSchedule(t, "Europe/London", rs...) }
	tests := []struct {
		name string
		s    Schedule
		at   string
		want string // "" for the zero time
	}{
		{"inactive returns t", london(mustRange(t, []string{"mon"}, "09:00", "10:00")), "2026-11-24T09:30:00Z", "2026-11-24T09:30:00Z"},
		{"plain range", london(mustRange(t, []string{"tue"}, "09:00", "10:00")), "2026-11-24T09:30:00Z", "2026-11-24T10:00:00Z"},
		{"spring night ends at 03:00 BST", london(mustRange(t, []string{"sun"}, "01:00", "03:00")), "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z"},
		{"autumn first pass ends after the second", london(mustRange(t, []string{"sun"}, "01:00", "02:00")), "2026-10-25T00:30:00Z", "2026-10-25T02:00:00Z"},
		{"autumn fold end: second pass", london(mustRange(t, []string{"sun"}, "00:30", "01:30")), "2026-10-25T01:10:00Z", "2026-10-25T01:30:00Z"},
		{"overnight from the start day", london(mustRange(t, []string{"sat"}, "22:00", "06:00")), "2026-11-28T23:00:00Z", "2026-11-29T06:00:00Z"},
		{"overnight from the next day", london(mustRange(t, []string{"sat"}, "22:00", "06:00")), "2026-11-29T05:00:00Z", "2026-11-29T06:00:00Z"},
		{"chained weekend", london(
			mustRange(t, []string{"fri"}, "18:00", "24:00"),
			mustRange(t, []string{"sat", "sun"}, "00:00", "24:00"),
			mustRange(t, []string{"mon"}, "00:00", "07:00"),
		), "2026-11-27T19:00:00Z", "2026-11-30T07:00:00Z"},
		{"overlapping ranges take the later end", london(
			mustRange(t, []string{"wed"}, "09:00", "12:00"),
			mustRange(t, []string{"wed"}, "10:00", "15:00"),
		), "2026-11-25T10:30:00Z", "2026-11-25T15:00:00Z"},
		{"always on never ends", london(mustRange(t, []string{"mon-sun"}, "00:00", "24:00")), "2026-11-25T10:30:00Z", ""},
		{"New York", mustSchedule(t, "America/New_York", mustRange(t, []string{"wed"}, "09:00", "17:00")), "2026-11-25T15:00:00Z", "2026-11-25T22:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.End(utc(tt.at))
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("End = %s, want the zero time", got.UTC())
				}
				return
			}
			if !got.Equal(utc(tt.want)) {
				t.Errorf("End(%s) = %s, want %s", tt.at, got.UTC().Format(time.RFC3339), tt.want)
			}
		})
	}
}

func TestActiveUsesUTCWithoutLocation(t *testing.T) {
	s := Schedule{Ranges: []Range{mustRange(t, []string{"wed"}, "09:00", "10:00")}}
	if !s.Active(utc("2026-11-25T09:15:00Z")) || s.Active(utc("2026-11-25T10:15:00Z")) {
		t.Error("a schedule without a location should read times in UTC")
	}
}
