package dispatch

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

const lifecycleConfig = `
version: 1
notifications:
  dedup_window: 1h
  channels:
    - {name: chat, type: file, format: slack}
    - {name: pager, type: file, format: text}
  receivers:
    - {name: ops, channels: [chat]}
    - {name: oncall, channels: [pager]}
  inhibit_rules:
    - source_matchers: [alarm=az-down]
      target_matchers: [resource_type=instance]
      equal: [az]
    - source_matchers: [kind=peer]
      target_matchers: [kind=peer]
  route:
    receiver: ops
    repeat_interval: 4h
    routes:
      - matchers: [team=web]
        receiver: ops
        group_by: [az]
        group_wait: 30s
        group_interval: 5m
      - matchers: [severity=critical]
        receiver: oncall
        repeat_interval: 1h
        continue: true
      - matchers: [az=a]
        receiver: ops
        repeat_interval: 2h
`

// capture is a channel that keeps every alert it is given and fails on demand.
type capture struct {
	mu   sync.Mutex
	got  []alert.Alert
	fail error
}

func (c *capture) Notify(_ context.Context, a alert.Alert) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail != nil {
		return true, c.fail
	}
	c.got = append(c.got, a)
	return false, nil
}

func (c *capture) all() []alert.Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]alert.Alert(nil), c.got...)
}

type lifeFixture struct {
	svc   *Service
	store *state.Store
	chat  *capture
	pager *capture
	now   time.Time
}

func newLifeFixture(t *testing.T) *lifeFixture {
	t.Helper()
	cfg, err := config.Parse("life.yaml", []byte(lifecycleConfig))
	if err != nil {
		t.Fatal(err)
	}
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "life-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	f := &lifeFixture{chat: &capture{}, pager: &capture{}, now: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return f.now }
	f.store = state.NewStore(db, name, clock)
	f.svc, err = New(cfg, map[string]notify.Notifier{"chat": f.chat, "pager": f.pager}, f.store, nil, WithAlertState(f.store, clock))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *lifeFixture) alarm(id string, st alert.State, labels map[string]string) alert.Alert {
	l := map[string]string{"severity": "high"}
	for k, v := range labels {
		l[k] = v
	}
	return alert.Alert{ID: id, Key: id + "@" + f.now.Format(time.RFC3339Nano), Source: alert.SourceAlarm, State: st,
		Severity: l["severity"], Title: "alarm " + id, Labels: l, Time: f.now}
}

func (f *lifeFixture) handle(t *testing.T, a alert.Alert) ([]outcome.Delivery, string) {
	t.Helper()
	ds, _, skipped, err := f.svc.process(t.Context(), a)
	if err != nil {
		t.Fatalf("%s: %v", a.ID, err)
	}
	return ds, skipped
}

func statuses(ds []outcome.Delivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Receiver+"/"+d.Channel+"="+d.Status)
	}
	return strings.Join(s, " ")
}

func TestAlertStateIsRecorded(t *testing.T) {
	f := newLifeFixture(t)
	a := f.alarm("a1", alert.StateAlarm, map[string]string{"severity": "critical", "az": "a"})
	ds, _ := f.handle(t, a)
	if got := statuses(ds); got != "oncall/pager=sent ops/chat=sent" {
		t.Errorf("deliveries %s", got)
	}
	rec, found, err := f.store.GetAlert(t.Context(), "a1")
	if err != nil || !found {
		t.Fatal(found, err)
	}
	// The shortest repeat_interval of the matched routes (oncall's 1h, not az=a's 2h).
	if !rec.Firing || rec.RepeatInterval != time.Hour || !rec.FiringSince.Equal(f.now) || !rec.LastNotified.Equal(f.now) ||
		strings.Join(rec.Receivers, ",") != "oncall,ops" || rec.Labels["az"] != "a" || rec.Severity != "critical" {
		t.Errorf("record %+v", rec)
	}
	f.now = f.now.Add(time.Minute)
	f.handle(t, f.alarm("a1", alert.StateOK, map[string]string{"severity": "critical", "az": "a"}))
	rec, _, _ = f.store.GetAlert(t.Context(), "a1")
	if rec.Firing || rec.State != "OK" || rec.PreviousState != "ALARM" {
		t.Errorf("after OK: %+v", rec)
	}
}

func TestRemindersSentPastDedupAndDroppedWhenResolved(t *testing.T) {
	f := newLifeFixture(t)
	labels := map[string]string{"severity": "critical", "az": "a"}
	since := f.now
	f.handle(t, f.alarm("r1", alert.StateAlarm, labels))
	// The same alert again within the dedup window is not sent.
	f.now = f.now.Add(10 * time.Minute)
	if ds, _ := f.handle(t, f.alarm("r1", alert.StateAlarm, labels)); !strings.Contains(statuses(ds), "=duplicate") {
		t.Errorf("repeat within the window: %s", statuses(ds))
	}
	reminder := func(n int) alert.Alert {
		a := f.alarm("r1", alert.StateAlarm, labels)
		a.Reminder = &alert.Reminder{Number: n, FiringSince: since}
		a.Reason = a.Reminder.Text()
		return a
	}
	f.now = f.now.Add(time.Hour)
	ds, _ := f.handle(t, reminder(1))
	if got := statuses(ds); got != "oncall/pager=sent ops/chat=sent" {
		t.Errorf("reminder 1: %s", got)
	}
	rec, _, _ := f.store.GetAlert(t.Context(), "r1")
	if !rec.LastNotified.Equal(f.now) {
		t.Errorf("reminder did not move last notified: %+v", rec)
	}
	// A redelivered reminder is a duplicate; the next one is new.
	if ds, _ := f.handle(t, reminder(1)); statuses(ds) != "oncall/pager=duplicate ops/chat=duplicate" {
		t.Errorf("reminder 1 again: %s", statuses(ds))
	}
	if ds, _ := f.handle(t, reminder(2)); statuses(ds) != "oncall/pager=sent ops/chat=sent" {
		t.Errorf("reminder 2: %s", statuses(ds))
	}
	got := f.pager.all()
	if len(got) != 3 || got[1].Reminder == nil || got[1].Reason != "Reminder: still firing since 2026-11-25 10:00 UTC (1st reminder)" {
		t.Fatalf("pager got %d messages; second %+v", len(got), got[1].Reminder)
	}

	// A reminder of an earlier firing episode is stale.
	f.now = f.now.Add(time.Minute)
	old := reminder(3)
	old.Reminder.FiringSince = since.Add(-time.Hour)
	if ds, skipped := f.handle(t, old); len(ds) != 0 || !strings.Contains(skipped, "fires again since") {
		t.Errorf("stale reminder: %s, skipped %q", statuses(ds), skipped)
	}

	f.handle(t, f.alarm("r1", alert.StateOK, labels))
	ds, skipped := f.handle(t, reminder(3))
	if len(ds) != 0 || !strings.Contains(skipped, "dropped: it is OK") {
		t.Errorf("reminder after OK: %s, skipped %q", statuses(ds), skipped)
	}
	if n := len(f.pager.all()); n != 4 { // the OK itself
		t.Errorf("pager got %d messages, want 4", n)
	}
}

func TestInhibition(t *testing.T) {
	f := newLifeFixture(t)
	ctx := t.Context()
	f.handle(t, f.alarm("az-a", alert.StateAlarm, map[string]string{"alarm": "az-down", "az": "a"}))

	target := f.alarm("i-1", alert.StateAlarm, map[string]string{"resource_type": "instance", "az": "a"})
	ds, _ := f.handle(t, target)
	if statuses(ds) != "ops/chat=inhibited" || !strings.Contains(ds[0].Error, "inhibited by alert az-a (alarm az-a)") {
		t.Errorf("target in the same az: %+v", ds)
	}
	audit, err := f.store.AuditBetween(ctx, f.now.Add(-time.Hour), f.now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(audit) != 1 || audit[0].Kind != "notification" || audit[0].Fields["inhibited_by"] != "az-a" ||
		audit[0].Fields["alert"] != "i-1" || audit[0].Fields["status"] != StatusInhibited {
		t.Errorf("audit = %+v", audit)
	}
	// Its state is still recorded.
	if rec, found, _ := f.store.GetAlert(ctx, "i-1"); !found || !rec.Firing {
		t.Errorf("inhibited alert's state not recorded: %+v", rec)
	}

	other := f.alarm("i-2", alert.StateAlarm, map[string]string{"resource_type": "instance", "az": "b"})
	if ds, _ := f.handle(t, other); statuses(ds) != "ops/chat=sent" {
		t.Errorf("target in another az: %s", statuses(ds))
	}

	// Alerts matching both sides of a rule do not mute each other, nor themselves.
	f.handle(t, f.alarm("p1", alert.StateAlarm, map[string]string{"kind": "peer"}))
	if ds, _ := f.handle(t, f.alarm("p2", alert.StateAlarm, map[string]string{"kind": "peer"})); statuses(ds) != "ops/chat=sent" {
		t.Errorf("peer: %s", statuses(ds))
	}

	// Once the source resolves, the target goes out.
	f.now = f.now.Add(time.Minute)
	f.handle(t, f.alarm("az-a", alert.StateOK, map[string]string{"alarm": "az-down", "az": "a"}))
	target.Key = "again"
	if ds, _ := f.handle(t, target); statuses(ds) != "ops/chat=sent" {
		t.Errorf("target after the source resolved: %s", statuses(ds))
	}
}

func TestGroupingForStorms(t *testing.T) {
	f := newLifeFixture(t)
	web := func(i int, az string) alert.Alert {
		return f.alarm(fmt.Sprintf("w%d", i), alert.StateAlarm, map[string]string{"team": "web", "az": az})
	}
	// The first alert of the group goes out at once.
	if ds, _ := f.handle(t, web(0, "a")); statuses(ds) != "ops/chat=sent" {
		t.Fatalf("first: %s", statuses(ds))
	}
	// The storm is collected.
	for i := 1; i <= 11; i++ {
		f.now = f.now.Add(time.Second)
		if ds, _ := f.handle(t, web(i, "a")); statuses(ds) != "ops/chat=grouped" {
			t.Fatalf("alert %d: %s", i, statuses(ds))
		}
	}
	// A redelivered alert is not collected twice.
	if ds, _ := f.handle(t, web(11, "a")); statuses(ds) != "ops/chat=duplicate" {
		t.Errorf("redelivery: %s", statuses(ds))
	}
	// An alert without the group_by label is not grouped.
	if ds, _ := f.handle(t, f.alarm("no-az", alert.StateAlarm, map[string]string{"team": "web"})); statuses(ds) != "ops/chat=sent" {
		t.Errorf("without the label: %s", statuses(ds))
	}
	// Another az is another group.
	if ds, _ := f.handle(t, web(50, "b")); statuses(ds) != "ops/chat=sent" {
		t.Errorf("other group: %s", statuses(ds))
	}
	// A flush before group_interval sends nothing.
	ds, _, skipped, err := f.svc.process(t.Context(), groupFlush(t, f, "a"))
	if err != nil || len(ds) != 0 || !strings.Contains(skipped, "no alerts due") {
		t.Errorf("early flush: %s %q %v", statuses(ds), skipped, err)
	}
	if n := len(f.chat.all()); n != 3 {
		t.Fatalf("chat got %d messages during the storm, want 3", n)
	}

	// Once group_interval passed, the channel fails: the group is kept.
	f.now = f.now.Add(5 * time.Minute)
	f.chat.fail = errors.New("503")
	if _, _, _, err := f.svc.process(t.Context(), groupFlush(t, f, "a")); err == nil {
		t.Fatal("failed group send: no error")
	}
	f.chat.fail = nil
	ds, _, _, err = f.svc.process(t.Context(), groupFlush(t, f, "a"))
	if err != nil || statuses(ds) != "ops/chat=sent" {
		t.Fatalf("flush: %s %v", statuses(ds), err)
	}
	got := f.chat.all()
	g := got[len(got)-1]
	if g.Group == nil || g.Group.Count != 11 || len(g.Group.Members) != 11 || g.Group.Members[0].ID != "w11" ||
		g.Group.Labels["az"] != "a" || g.Title != "11 alerts firing: az=a" || g.Source != SourceGroup || g.Severity != "high" {
		t.Fatalf("group message %+v / %+v", g, g.Group)
	}
	// Every member was notified by it: reminders count from now.
	if rec, _, _ := f.store.GetAlert(t.Context(), "w5"); !rec.LastNotified.Equal(f.now) {
		t.Errorf("member not marked notified: %+v", rec)
	}
	// Flushed once: the same flush again finds nothing.
	if _, _, skipped, _ := f.svc.process(t.Context(), groupFlush(t, f, "a")); skipped == "" {
		t.Error("second flush sent again")
	}

	// Within the interval after the message, alerts queue; the first one
	// after it makes the group due and sends one message with both.
	f.now = f.now.Add(time.Minute)
	f.handle(t, web(12, "a"))
	f.now = f.now.Add(5 * time.Minute)
	ds, _ = f.handle(t, web(13, "a"))
	if statuses(ds) != "ops/chat=grouped ops/chat=sent" || ds[1].AlertID == "w13" {
		t.Fatalf("due on arrival: %+v", ds)
	}
	last := f.chat.all()
	if g := last[len(last)-1]; g.Group == nil || g.Group.Count != 2 {
		t.Errorf("second group message %+v", g.Group)
	}
}

// groupFlush is the Watchkeeper Group event the sweeper would publish for
// the web route's group of az.
func groupFlush(t *testing.T, f *lifeFixture, az string) alert.Alert {
	t.Helper()
	ms := f.svc.router.Receivers(map[string]string{"team": "web", "az": az})
	spec := groupSpec(alert.Alert{Labels: map[string]string{"az": az}}, ms[0])
	return alert.Alert{ID: spec.Key, State: alert.StateAlarm, Severity: "high",
		Labels: map[string]string{alert.LabelDetailType: alert.DetailTypeGroup},
		Group:  &alert.Group{Key: spec.Key, Labels: spec.Labels}}
}

func TestGroupKeys(t *testing.T) {
	m := route.Match{Receiver: "ops", Path: "root/0", GroupBy: []string{"b", "a"}}
	key := func(labels map[string]string) string { return groupSpec(alert.Alert{Labels: labels}, m).Key }
	same := key(map[string]string{"a": "1", "b": "2", "other": "x"})
	if same != key(map[string]string{"b": "2", "a": "1", "other": "y"}) {
		t.Error("labels outside group_by changed the group")
	}
	if same == key(map[string]string{"a": "1, b=2"}) {
		t.Error("a value spelling another label set falls into its group")
	}
	if !strings.HasPrefix(same, "root/0:") {
		t.Errorf("key %q does not name its route", same)
	}
	if s := groupSpec(alert.Alert{Labels: map[string]string{"a": "1"}}, m); len(s.Labels) != 1 || s.Labels["a"] != "1" {
		t.Errorf("group labels %v", s.Labels)
	}
}
