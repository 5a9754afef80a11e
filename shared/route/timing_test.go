package route

import (
	"slices"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestTimingInheritedAndDefaulted(t *testing.T) {
	root, err := Build(config.Route{
		Receiver: "ops", GroupBy: []string{"az"}, GroupInterval: "10m",
		Routes: []config.Route{
			{Matchers: []string{"team=web"}, Receiver: "web", RepeatInterval: "1h",
				Routes: []config.Route{{Matchers: []string{"severity=critical"}, GroupWait: "5s", GroupBy: []string{"..."}}}},
			{Matchers: []string{"team=db"}, Receiver: "db", GroupBy: []string{}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                   string
		labels                 map[string]string
		wait, interval, repeat time.Duration
		groupBy                []string
		grouped                bool
		receiver               string
	}{
		{"root defaults and its own interval", map[string]string{}, DefaultGroupWait, 10 * time.Minute, DefaultRepeatInterval, []string{"az"}, true, "ops"},
		{"child overrides repeat", map[string]string{"team": "web"}, DefaultGroupWait, 10 * time.Minute, time.Hour, []string{"az"}, true, "web"},
		{"grandchild: group by every label", map[string]string{"team": "web", "severity": "critical"}, 5 * time.Second, 10 * time.Minute, time.Hour, []string{"..."}, false, "web"},
		{"empty group_by is no grouping", map[string]string{"team": "db"}, DefaultGroupWait, 10 * time.Minute, DefaultRepeatInterval, []string{}, false, "db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms := root.Receivers(tc.labels)
			if len(ms) != 1 {
				t.Fatalf("matches %+v", ms)
			}
			m := ms[0]
			if m.Receiver != tc.receiver || m.GroupWait != tc.wait || m.GroupInterval != tc.interval || m.RepeatInterval != tc.repeat ||
				!slices.Equal(m.GroupBy, tc.groupBy) || m.Grouped() != tc.grouped {
				t.Errorf("match %+v grouped=%v", m, m.Grouped())
			}
		})
	}
}

func TestTimingBadDuration(t *testing.T) {
	if _, err := Build(config.Route{Receiver: "ops", Routes: []config.Route{{GroupWait: "soon"}}}); err == nil {
		t.Error("want an error for a bad group_wait")
	}
}
