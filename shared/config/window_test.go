package config

import (
	"testing"
)

// Each case is a notifications.maintenance_windows entry with one mistake,
// the position the error must point at and a substring of its message.
func TestValidateMaintenanceWindows(t *testing.T) {
	const head = "version: 1\nnotifications:\n  maintenance_windows:\n"
	// good is a window whose line 4 is "    - name: patching".
	good := func(mutate string) string {
		return head + "    - name: patching\n" + mutate
	}
	cases := []struct {
		name string
		body string
		at   string
		want string
	}{
		{"name required", head + "    - matchers: [env=staging]\n      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n", "4:7", "notifications.maintenance_windows[0].name: is required"},
		{"no matchers", good("      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "4:7", "maintenance_windows[0].matchers: at least one matcher is required (a window without matchers would silence every alert)"},
		{"empty matchers", good("      matchers: []\n      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "5:7", "at least one matcher is required"},
		{"bad matcher", good("      matchers:\n        - env=~\"(\"\n      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "6:11", "maintenance_windows[0].matchers[0]: matcher"},
		{"matcher without operator", good("      matchers: [staging]\n      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "5:18", "no operator"},
		{"unknown tz", good("      matchers: [env=staging]\n      time_zone: Europe/Londn\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "6:7", `maintenance_windows[0].time_zone: unknown time zone "Europe/Londn"`},
		{"tz required", good("      matchers: [env=staging]\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "4:7", "maintenance_windows[0].time_zone: is required"},
		{"no times", good("      matchers: [env=staging]\n      time_zone: UTC\n"), "4:7", "maintenance_windows[0].times: at least one weekly time range is required"},
		{"bad day", good("      matchers: [env=staging]\n      time_zone: UTC\n      times:\n        - days: [monday]\n          start: \"01:00\"\n          end: \"03:00\"\n"), "8:11", `maintenance_windows[0].times[0].days: unknown day "monday"`},
		{"no days", good("      matchers: [env=staging]\n      time_zone: UTC\n      times:\n        - start: \"01:00\"\n          end: \"03:00\"\n"), "8:11", "times[0].days: no days"},
		{"bad start", good("      matchers: [env=staging]\n      time_zone: UTC\n      times:\n        - days: [sun]\n          start: \"25:00\"\n          end: \"03:00\"\n"), "9:11", `times[0].start: "25:00" is not a time of day`},
		{"bad end", good("      matchers: [env=staging]\n      time_zone: UTC\n      times:\n        - days: [sun]\n          start: \"01:00\"\n          end: 3pm\n"), "10:11", `times[0].end: "3pm" is not a time of day HH:MM`},
		{"start equals end", good("      matchers: [env=staging]\n      time_zone: UTC\n      times:\n        - days: [sun]\n          start: \"01:00\"\n          end: \"01:00\"\n"), "10:11", "for a whole day write 00:00 to 24:00"},
		{"duplicate name", good("      matchers: [env=staging]\n      time_zone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n    - name: patching\n      matchers: [env=dev]\n      time_zone: UTC\n      times: [{days: [sat], start: \"01:00\", end: \"03:00\"}]\n"), "8:7", `duplicate maintenance window name "patching" (first used at line 4)`},
		{"unknown key", good("      matchers: [env=staging]\n      timezone: UTC\n      times: [{days: [sun], start: \"01:00\", end: \"03:00\"}]\n"), "6:7", `unknown key "timezone"; did you mean "time_zone"?`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("w.yaml", []byte(tc.body))
			wantError(t, err, tc.at, tc.want)
		})
	}
}

func TestMaintenanceWindowLoads(t *testing.T) {
	body := `version: 1
notifications:
  maintenance_windows:
    - name: nightly-patching
      matchers: ['env="staging"', 'alarm=~"web-.*"']
      time_zone: Europe/London
      comment: OS patching
      times:
        - days: [mon-fri]
          start: "22:00"
          end: "02:00"
        - days: [sat, sun]
          start: "00:00"
          end: "24:00"
`
	cfg, err := Parse("w.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	ws := cfg.Notifications.MaintenanceWindows
	if len(ws) != 1 {
		t.Fatalf("windows = %+v", ws)
	}
	w := ws[0]
	if w.Name != "nightly-patching" || w.TimeZone != "Europe/London" || w.Comment != "OS patching" || len(w.Matchers) != 2 {
		t.Errorf("window = %+v", w)
	}
	if len(w.Times) != 2 || w.Times[0].Days[0] != "mon-fri" || w.Times[0].Start != "22:00" || w.Times[1].End != "24:00" {
		t.Errorf("times = %+v", w.Times)
	}
	// The normalized JSON the functions read carries the windows too.
	js, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse("w.json", js)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Notifications.MaintenanceWindows; len(got) != 1 || got[0].Times[1].Days[1] != "sun" || got[0].Matchers[1] != `alarm=~"web-.*"` {
		t.Errorf("after JSON round trip: %+v", got)
	}
}
