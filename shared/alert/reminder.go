package alert

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Reminders and group flushes: the sweeper's part of the contract.
//
// A Watchkeeper Reminder event says an alert the notifier sent is still
// firing after its route's repeat_interval; Detail.AlertID names it and
// Detail.Reminder says since when and which reminder this is. A Watchkeeper
// Group event asks the notifier to send the collected alerts of a storm group
// (Detail.Group.Key) as one message; the notifier takes them from the state
// table, so the event carries only the key and a preview.
const (
	// DetailTypeGroup asks the notifier to flush a storm group.
	DetailTypeGroup = "Watchkeeper Group"
	// RuleReminders is the Detail.Rule of reminder and group events: the sweeper job.
	RuleReminders = "reminders"
	// LabelReminder is "true" on reminders.
	LabelReminder = "reminder"
	// LabelGroupKey carries the group key of a group flush.
	LabelGroupKey = "group_key"
)

// Reminder describes one repeat reminder of a firing alert.
type Reminder struct {
	// Number counts the reminders of this firing episode, from 1.
	Number int `json:"number"`
	// FiringSince is when the alert started firing.
	FiringSince time.Time `json:"firing_since"`
}

// Text is the line messages show: "Reminder: still firing since <t> (<n>th reminder)".
func (r *Reminder) Text() string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("Reminder: still firing since %s (%s reminder)",
		r.FiringSince.UTC().Format("2006-01-02 15:04 MST"), Ordinal(r.Number))
}

// Ordinal spells n as 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, …
func Ordinal(n int) string {
	suffix := "th"
	switch n % 100 {
	case 11, 12, 13:
	default:
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

// ReminderDetail is the detail of the Number-th reminder of alert id, firing
// since since, with the alert's title, severity, state and labels, so the
// notifier routes it like the alert itself.
func ReminderDetail(id, severity, title string, state State, labels map[string]string, number int, since time.Time) Detail {
	return Detail{
		SchemaVersion: DetailSchemaVersion,
		AlertID:       id,
		Rule:          RuleReminders,
		Severity:      severity,
		Title:         title,
		State:         state,
		Labels:        labels,
		Reminder:      &Reminder{Number: number, FiringSince: since.UTC()},
	}
}

// GroupDetail is the detail of a group flush event for g (its key, labels
// and a preview of its size; the notifier sends what it claims from the table).
func GroupDetail(g Group, severity string) Detail {
	return Detail{
		SchemaVersion: DetailSchemaVersion,
		AlertID:       g.Key,
		Rule:          RuleReminders,
		Severity:      severity,
		Title:         GroupTitle(g.Count, StateAlarm, g.Labels),
		State:         StateAlarm,
		Group:         &Group{Key: g.Key, Labels: g.Labels, Count: g.Count, Since: g.Since.UTC()},
	}
}

// GroupTitle is the title of a group message: "12 alerts firing: az=eu-west-1a, service=web".
func GroupTitle(count int, state State, labels map[string]string) string {
	what := "firing"
	if state.Resolved() {
		what = "resolved"
	}
	noun := "alerts"
	if count == 1 {
		noun = "alert"
	}
	t := fmt.Sprintf("%d %s %s", count, noun, what)
	if l := FormatLabels(labels); l != "" {
		t += ": " + l
	}
	return t
}

// FormatLabels renders labels as "k=v, k=v", sorted by name.
func FormatLabels(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ", ")
}

// IsGroupFlush reports whether a is a group flush request (a Watchkeeper
// Group event) rather than an alert to deliver as it is.
func (a *Alert) IsGroupFlush() bool {
	return a != nil && a.Group != nil && a.Label(LabelDetailType) == DetailTypeGroup
}

// reminderFields fills a reminder's alert from its detail.
func reminderFields(a *Alert, d *Detail) error {
	if d.State == "" {
		return fmt.Errorf("detail: reminder without state")
	}
	if d.AlertID == "" {
		return fmt.Errorf("detail: reminder without alert_id")
	}
	a.State = d.State
	a.setLabel(LabelReminder, "true")
	// Routed like the alert it repeats: its labels carry the alert's source.
	if src := d.Labels[LabelSource]; src != "" {
		a.Source = src
	}
	if r := d.Reminder; r != nil {
		if r.Number < 1 {
			return fmt.Errorf("detail: reminder number %d (want 1 or more)", r.Number)
		}
		a.Reminder = &Reminder{Number: r.Number, FiringSince: r.FiringSince.UTC()}
		a.Reason = a.Reminder.Text()
	}
	return nil
}

// groupFields fills a group flush request from its detail.
func groupFields(a *Alert, d *Detail) error {
	g := d.Group
	if g == nil || g.Key == "" {
		return fmt.Errorf("detail: group event without group key")
	}
	if d.AlertID != "" && d.AlertID != g.Key {
		return fmt.Errorf("detail: group event alert_id %q differs from group key %q", truncate(d.AlertID, 80), truncate(g.Key, 80))
	}
	d.AlertID = g.Key
	a.State = StateAlarm
	if d.State != "" {
		a.State = d.State
	}
	a.Group = &Group{Key: g.Key, Labels: g.Labels, Count: g.Count, Since: g.Since.UTC()}
	a.setLabel(LabelGroupKey, g.Key)
	return nil
}
