// Package silence mutes alerts on purpose: dynamic silences (matchers, author,
// comment, start and end) stored in the state table and added from `wk
// silence`, and static maintenance windows (weekly ranges in a time zone)
// from notifications.maintenance_windows. A silenced alert is not sent but is
// recorded; the Silencer answers "is this alert silenced now, and by what".
package silence

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/silence/weekly"
)

// Silence is a dynamic silence: alerts whose labels satisfy every matcher are
// muted from StartsAt until EndsAt.
type Silence struct {
	// ID identifies the silence in the table and on the command line.
	ID string
	// Matchers all must hold; a silence always has at least one.
	Matchers []config.Matcher
	// Author is who added it; Comment says why.
	Author  string
	Comment string
	// StartsAt and EndsAt bound when it is in effect: StartsAt <= t < EndsAt.
	StartsAt time.Time
	EndsAt   time.Time
	// CreatedAt is when it was added.
	CreatedAt time.Time
}

// idBytes is the randomness of a silence id: 48 bits, 12 hex digits, short
// enough to type and, with the conditional write, never silently reused.
const idBytes = 6

// NewID returns a fresh random silence id.
func NewID() (string, error) {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("silence id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// New builds a silence from matcher strings (route syntax, at least one),
// checking every field. id is left empty for the table to fill.
func New(matchers []string, author, comment string, startsAt, endsAt, createdAt time.Time) (Silence, error) {
	var errs []error
	ms, err := parseMatchers(matchers)
	if err != nil {
		errs = append(errs, err)
	}
	if strings.TrimSpace(author) == "" {
		errs = append(errs, errors.New("an author is required"))
	}
	if strings.TrimSpace(comment) == "" {
		errs = append(errs, errors.New("a comment is required: say why alerts are silenced"))
	}
	if !endsAt.After(startsAt) {
		errs = append(errs, fmt.Errorf("ends at %s, not after its start %s", endsAt.UTC().Format(time.RFC3339), startsAt.UTC().Format(time.RFC3339)))
	}
	if err := errors.Join(errs...); err != nil {
		return Silence{}, err
	}
	return Silence{Matchers: ms, Author: author, Comment: comment, StartsAt: startsAt.UTC(), EndsAt: endsAt.UTC(), CreatedAt: createdAt.UTC()}, nil
}

// parseMatchers parses a non-empty list of matchers. An empty list is refused:
// it would silence every alert.
func parseMatchers(ss []string) ([]config.Matcher, error) {
	if len(ss) == 0 {
		return nil, errors.New("at least one matcher is required (an empty list would silence every alert)")
	}
	return config.ParseMatchers(ss)
}

// Active reports whether the silence is in effect at t.
func (s Silence) Active(t time.Time) bool {
	return !t.Before(s.StartsAt) && t.Before(s.EndsAt)
}

// Matches reports whether labels satisfy every matcher. A silence without
// matchers matches nothing (never everything).
func (s Silence) Matches(labels map[string]string) bool {
	return len(s.Matchers) > 0 && config.MatchAll(s.Matchers, labels)
}

// MatcherStrings renders the matchers in route syntax.
func (s Silence) MatcherStrings() []string { return matcherStrings(s.Matchers) }

func matcherStrings(ms []config.Matcher) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.String()
	}
	return out
}

// Window is a static maintenance window from the config.
type Window struct {
	// Name identifies the window in messages and audit records.
	Name string
	// Matchers all must hold; a window always has at least one.
	Matchers []config.Matcher
	// Schedule is when the window is open.
	Schedule weekly.Schedule
	// Comment says why alerts are silenced.
	Comment string
}

// NewWindow builds a window from its config entry (already validated by
// config.Validate; the checks are repeated so a hand-built config fails too).
func NewWindow(c config.MaintenanceWindow) (Window, error) {
	ms, err := parseMatchers(c.Matchers)
	if err != nil {
		return Window{}, fmt.Errorf("maintenance window %q: %w", c.Name, err)
	}
	ranges := make([]weekly.Range, 0, len(c.Times))
	for i, t := range c.Times {
		r, err := weekly.Parse(t.Days, t.Start, t.End)
		if err != nil {
			return Window{}, fmt.Errorf("maintenance window %q, times[%d]: %w", c.Name, i, err)
		}
		ranges = append(ranges, r)
	}
	if len(ranges) == 0 {
		return Window{}, fmt.Errorf("maintenance window %q has no times", c.Name)
	}
	sched, err := weekly.NewSchedule(c.TimeZone, ranges)
	if err != nil {
		return Window{}, fmt.Errorf("maintenance window %q: time zone: %w", c.Name, err)
	}
	return Window{Name: c.Name, Matchers: ms, Schedule: sched, Comment: c.Comment}, nil
}

// NewWindows builds every configured window.
func NewWindows(cs []config.MaintenanceWindow) ([]Window, error) {
	out := make([]Window, 0, len(cs))
	for _, c := range cs {
		w, err := NewWindow(c)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Active reports whether the window is open at t.
func (w Window) Active(t time.Time) bool { return w.Schedule.Active(t) }

// Matches reports whether labels satisfy every matcher (none: nothing).
func (w Window) Matches(labels map[string]string) bool {
	return len(w.Matchers) > 0 && config.MatchAll(w.Matchers, labels)
}

// Until is when the window, open at t, closes (the zero time: never).
func (w Window) Until(t time.Time) time.Time { return w.Schedule.End(t) }

// Kinds of Match.
const (
	// KindSilence is a dynamic silence from the table.
	KindSilence = "silence"
	// KindWindow is a maintenance window from the config.
	KindWindow = "maintenance window"
)

// Match says what silenced an alert.
type Match struct {
	// Kind is KindSilence or KindWindow.
	Kind string
	// By is the silence id or the window name.
	By string
	// Comment is the silence's or window's comment.
	Comment string
	// Author of a dynamic silence ("" for a window).
	Author string
	// Until is when it lifts; the zero time for a window that never closes.
	Until time.Time
}

// Reason is the one-line explanation put on every silenced delivery:
// "silenced by <kind> <id or name> (<comment>) until <time>".
func (m Match) Reason() string {
	var b strings.Builder
	b.WriteString("silenced by ")
	b.WriteString(m.Kind)
	b.WriteString(" ")
	b.WriteString(m.By)
	if m.Comment != "" {
		b.WriteString(" (")
		b.WriteString(m.Comment)
		b.WriteString(")")
	}
	if m.Until.IsZero() {
		b.WriteString(" with no end")
	} else {
		b.WriteString(" until ")
		b.WriteString(m.Until.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// lasts reports whether m lifts later than o (never lifting is latest).
func (m Match) lasts(o Match) bool {
	switch {
	case m.Until.IsZero():
		return !o.Until.IsZero()
	case o.Until.IsZero():
		return false
	}
	return m.Until.After(o.Until)
}
