package alert

import (
	"strings"
	"testing"
	"time"
)

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th",
		21: "21st", 22: "22nd", 101: "101st", 111: "111th", 0: "0th"} {
		if got := Ordinal(n); got != want {
			t.Errorf("Ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReminderRoundTrip(t *testing.T) {
	since := time.Date(2026, 11, 25, 8, 30, 0, 0, time.UTC)
	d := ReminderDetail("abc", SeverityHigh, "web-cpu-high", StateAlarm, map[string]string{"alarm": "web-cpu-high", "team": "web"}, 3, since)
	e, err := NewPutEventsEntry(BusName, SourceSweeper, DetailTypeReminder, d)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(eventFromEntry(t, e, "ev-r"))
	if err != nil {
		t.Fatal(err)
	}
	a := tr.Alerts[0]
	if a.ID != "abc" || a.State != StateAlarm || a.Severity != SeverityHigh || a.Labels["team"] != "web" ||
		a.Labels[LabelReminder] != "true" || a.Labels[LabelJob] != RuleReminders {
		t.Errorf("alert %+v", a)
	}
	if a.Reminder == nil || a.Reminder.Number != 3 || !a.Reminder.FiringSince.Equal(since) {
		t.Fatalf("reminder %+v", a.Reminder)
	}
	if want := "Reminder: still firing since 2026-11-25 08:30 UTC (3rd reminder)"; a.Reason != want {
		t.Errorf("reason %q, want %q", a.Reason, want)
	}
	if a.IsGroupFlush() {
		t.Error("a reminder is not a group flush")
	}
}

func TestGroupEventRoundTrip(t *testing.T) {
	g := Group{Key: "root/0:1f2e", Labels: map[string]string{"az": "eu-west-1a"}, Count: 12, Since: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	e, err := NewPutEventsEntry(BusName, SourceSweeper, DetailTypeGroup, GroupDetail(g, SeverityHigh))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(eventFromEntry(t, e, "ev-g"))
	if err != nil {
		t.Fatal(err)
	}
	a := tr.Alerts[0]
	if !a.IsGroupFlush() || a.ID != g.Key || a.Group.Key != g.Key || a.Group.Count != 12 || a.Labels[LabelGroupKey] != g.Key {
		t.Errorf("alert %+v group %+v", a, a.Group)
	}
	if a.Title != "12 alerts firing: az=eu-west-1a" {
		t.Errorf("title %q", a.Title)
	}
}

func TestGroupTitle(t *testing.T) {
	for _, tc := range []struct {
		n      int
		state  State
		labels map[string]string
		want   string
	}{
		{1, StateAlarm, nil, "1 alert firing"},
		{12, StateAlarm, map[string]string{"service": "web", "az": "a"}, "12 alerts firing: az=a, service=web"},
		{3, StateOK, map[string]string{"az": "a"}, "3 alerts resolved: az=a"},
	} {
		if got := GroupTitle(tc.n, tc.state, tc.labels); got != tc.want {
			t.Errorf("GroupTitle(%d, %s, %v) = %q, want %q", tc.n, tc.state, tc.labels, got, tc.want)
		}
	}
}

func TestReminderAndGroupErrors(t *testing.T) {
	ev := func(detailType, detail string) string {
		return `{"version":"0","id":"x","detail-type":"` + detailType + `","source":"watchkeeper.sweeper","account":"1",` +
			`"time":"2026-11-25T09:21:47Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`
	}
	for name, tt := range map[string]struct{ payload, want string }{
		"reminder number": {ev(DetailTypeReminder, `{"schema_version":1,"rule":"reminders","severity":"high","alert_id":"a","state":"ALARM","reminder":{"number":0}}`), "reminder number 0"},
		"reminder no id":  {ev(DetailTypeReminder, `{"schema_version":1,"rule":"reminders","severity":"high","state":"ALARM"}`), "without alert_id"},
		"group no key":    {ev(DetailTypeGroup, `{"schema_version":1,"rule":"reminders","severity":"high","group":{"count":2}}`), "without group key"},
		"group no group":  {ev(DetailTypeGroup, `{"schema_version":1,"rule":"reminders","severity":"high"}`), "without group key"},
		"group id":        {ev(DetailTypeGroup, `{"schema_version":1,"rule":"reminders","severity":"high","alert_id":"x","group":{"key":"k"}}`), "differs from group key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
