package silence

import (
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestNewChecksEveryField(t *testing.T) {
	tests := []struct {
		name     string
		matchers []string
		author   string
		comment  string
		start    time.Time
		end      time.Time
		want     []string // substrings of the error; none: valid
	}{
		{"valid", []string{`alarm=~"web-.*"`, "env=prod"}, "ana", "deploy", t0, t0.Add(time.Hour), nil},
		{"no matchers", nil, "ana", "deploy", t0, t0.Add(time.Hour), []string{"at least one matcher"}},
		{"bad matcher", []string{"alarm=~("}, "ana", "deploy", t0, t0.Add(time.Hour), []string{`matcher "alarm=~("`}},
		{"no author", []string{"env=prod"}, " ", "deploy", t0, t0.Add(time.Hour), []string{"an author is required"}},
		{"no comment", []string{"env=prod"}, "ana", "", t0, t0.Add(time.Hour), []string{"a comment is required"}},
		{"ends before start", []string{"env=prod"}, "ana", "x", t0, t0, []string{"not after its start"}},
		{"all at once", nil, "", "", t0, t0.Add(-time.Hour), []string{"matcher", "author", "comment", "not after"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.matchers, tt.author, tt.comment, tt.start, tt.end, t0)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Matchers) != len(tt.matchers) || s.Author != tt.author || !s.EndsAt.Equal(tt.end) {
					t.Errorf("silence = %+v", s)
				}
				return
			}
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func mustSilence(t *testing.T, id string, matchers []string, start, end time.Time) Silence {
	t.Helper()
	s, err := New(matchers, "ana", "deploy of "+id, start, end, start)
	if err != nil {
		t.Fatal(err)
	}
	s.ID = id
	return s
}

func TestSilenceActiveAndMatches(t *testing.T) {
	s := mustSilence(t, "s1", []string{`alarm=~"web-.*"`, "env!=prod"}, t0, t0.Add(time.Hour))
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{{t0.Add(-time.Second), false}, {t0, true}, {t0.Add(59 * time.Minute), true}, {t0.Add(time.Hour), false}} {
		if got := s.Active(tt.at); got != tt.want {
			t.Errorf("Active(%s) = %v", tt.at, got)
		}
	}
	for _, tt := range []struct {
		labels map[string]string
		want   bool
	}{
		{map[string]string{"alarm": "web-5xx", "env": "staging"}, true},
		{map[string]string{"alarm": "web-5xx"}, true},
		{map[string]string{"alarm": "web-5xx", "env": "prod"}, false},
		{map[string]string{"alarm": "api-5xx"}, false},
		{nil, false},
	} {
		if got := s.Matches(tt.labels); got != tt.want {
			t.Errorf("Matches(%v) = %v", tt.labels, got)
		}
	}
	if (Silence{}).Matches(map[string]string{}) {
		t.Error("a silence without matchers must match nothing")
	}
	if got := s.MatcherStrings(); got[0] != `alarm=~"web-.*"` || got[1] != `env!="prod"` {
		t.Errorf("MatcherStrings = %q", got)
	}
}

func TestNewWindow(t *testing.T) {
	good := config.MaintenanceWindow{
		Name: "patching", Matchers: []string{"env=staging"}, TimeZone: "Europe/London", Comment: "OS patches",
		Times: []config.WeeklyTime{{Days: []string{"sun"}, Start: "01:00", End: "03:00"}},
	}
	w, err := NewWindow(good)
	if err != nil {
		t.Fatal(err)
	}
	// Sunday 29 March 2026: 02:30 BST is 01:30Z.
	at := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	if !w.Active(at) || !w.Matches(map[string]string{"env": "staging"}) || w.Matches(map[string]string{"env": "prod"}) {
		t.Errorf("window %+v: active %v", w, w.Active(at))
	}
	if got := w.Until(at); !got.Equal(time.Date(2026, 3, 29, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("Until = %s", got)
	}
	bad := []struct {
		name   string
		mutate func(*config.MaintenanceWindow)
		want   string
	}{
		{"no matchers", func(c *config.MaintenanceWindow) { c.Matchers = nil }, "at least one matcher"},
		{"bad matcher", func(c *config.MaintenanceWindow) { c.Matchers = []string{"env"} }, "no operator"},
		{"no times", func(c *config.MaintenanceWindow) { c.Times = nil }, "has no times"},
		{"bad day", func(c *config.MaintenanceWindow) { c.Times[0].Days = []string{"dim"} }, `unknown day "dim"`},
		{"bad zone", func(c *config.MaintenanceWindow) { c.TimeZone = "Nowhere/Town" }, "time zone"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			c.Times = []config.WeeklyTime{good.Times[0]}
			tt.mutate(&c)
			if _, err := NewWindows([]config.MaintenanceWindow{c}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestMatchReason(t *testing.T) {
	tests := []struct {
		m    Match
		want string
	}{
		{Match{Kind: KindSilence, By: "a1b2c3", Comment: "db upgrade", Until: t0}, "silenced by silence a1b2c3 (db upgrade) until 2026-11-25T12:00:00Z"},
		{Match{Kind: KindWindow, By: "patching", Until: t0.In(time.FixedZone("x", 3600))}, "silenced by maintenance window patching until 2026-11-25T12:00:00Z"},
		{Match{Kind: KindWindow, By: "always"}, "silenced by maintenance window always with no end"},
	}
	for _, tt := range tests {
		if got := tt.m.Reason(); got != tt.want {
			t.Errorf("Reason() = %q, want %q", got, tt.want)
		}
	}
}

func TestNewIDIsRandomHex(t *testing.T) {
	a, err := NewID()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewID()
	if len(a) != 2*idBytes || a == b || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("ids %q, %q", a, b)
	}
}
