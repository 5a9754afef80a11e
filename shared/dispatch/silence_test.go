package dispatch

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// silenceFixture is the dispatch fixture with a silencer and, optionally, the
// table in moto holding dynamic silences and audit records.
type silenceFixture struct {
	fixture
	store *state.Store
	table *silence.Table
}

func newSilenceFixture(t *testing.T, windows []silence.Window, now func() time.Time, audit Auditor) silenceFixture {
	t.Helper()
	cfg, err := config.Parse("test.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	recs := map[string]*recorder{"chat": {}, "pager": {}, "audit": {}}
	chans := map[string]notify.Notifier{}
	for k, v := range recs {
		chans[k] = v
	}
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "dispatch-silence-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	store := state.NewStore(db, name, now)
	tab := silence.NewTable(db, name, now)
	if audit == nil {
		audit = store
	}
	sl := silence.NewSilencer(windows, tab, silence.WithClock(now), silence.WithCacheTTL(0))
	svc, err := New(cfg, chans, store, nil, WithSilencer(sl, audit))
	if err != nil {
		t.Fatal(err)
	}
	return silenceFixture{fixture: fixture{svc: svc, channels: recs}, store: store, table: tab}
}

func (f silenceFixture) sentCount() int {
	n := 0
	for _, r := range f.channels {
		n += r.count()
	}
	return n
}

// TestSilencedAlarmIsRecordedNotSent: a dynamic silence on the web alarms
// holds back the ALARM and its OK, says why on every delivery, writes an
// audit record each time, and once expired the alarm goes out again.
func TestSilencedAlarmIsRecordedNotSent(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC)
	clock := func() time.Time { return now }
	f := newSilenceFixture(t, nil, clock, nil)
	ctx := t.Context()
	s, err := silence.New([]string{`alarm=~"web-.*"`}, "ana", "web tier redeploy", now.Add(-time.Minute), now.Add(2*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	s.ID = "abc123"
	if err := f.table.Put(ctx, s); err != nil {
		t.Fatal(err)
	}

	resp, err := f.svc.Handle(ctx, readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(resp.Deliveries), "ops/chat=silenced ops/audit=silenced"; got != want {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
	wantReason := "silenced by silence abc123 (web tier redeploy) until 2026-11-25T12:00:30Z"
	for _, d := range resp.Deliveries {
		if d.Error != wantReason {
			t.Errorf("delivery reason = %q, want %q", d.Error, wantReason)
		}
	}
	if n := f.sentCount(); n != 0 {
		t.Fatalf("%d messages sent for a silenced alert", n)
	}

	// The resolved notification of the silenced alarm is silenced too.
	now = now.Add(45 * time.Minute)
	resp, err = f.svc.Handle(ctx, readEvent(t, "notifier/sns-alarm-ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(resp.Deliveries), "ops/chat=silenced ops/audit=silenced"; got != want {
		t.Errorf("OK deliveries = %v, want %v", got, want)
	}
	if n := f.sentCount(); n != 0 {
		t.Fatalf("%d messages sent for a silenced OK", n)
	}

	// Both decisions are in the audit trail.
	recs, err := f.store.AuditBetween(ctx, now.Add(-time.Hour), now.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("audit records = %+v, want 2", recs)
	}
	for i, wantState := range []string{"ALARM", "OK"} {
		r := recs[i]
		if r.Kind != "notification" || r.Fields["state"] != wantState || r.Fields["outcome"] != "silenced" ||
			r.Fields["silenced_by"] != "abc123" || r.Fields["silence_kind"] != "silence" || r.Fields["author"] != "ana" ||
			r.Fields["comment"] != "web tier redeploy" || r.Fields["until"] != "2026-11-25T12:00:30Z" ||
			r.Fields["channels"] != "chat,audit" || r.Fields["receivers"] != "ops" || !strings.HasSuffix(r.ID, "#"+wantState+"#silenced") {
			t.Errorf("audit record %d = %+v", i, r)
		}
	}

	// Expired, the silence no longer holds the alarm back.
	if _, err := f.table.Expire(ctx, "abc123"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	resp, err = f.svc.Handle(ctx, readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(resp.Deliveries), "ops/chat=sent ops/audit=sent"; got != want {
		t.Errorf("after expiry = %v, want %v", got, want)
	}
}

// TestMaintenanceWindowSilences: a weekly window in London silences the
// matching alert while open and keeps send_resolved suppression as is.
func TestMaintenanceWindowSilences(t *testing.T) {
	w, err := silence.NewWindow(config.MaintenanceWindow{
		Name: "web-patching", Matchers: []string{"alarm=web-cpu-high"}, TimeZone: "Europe/London", Comment: "OS patches",
		Times: []config.WeeklyTime{{Days: []string{"wed"}, Start: "09:00", End: "11:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 0, 30, 0, time.UTC) // Wednesday 10:00 GMT
	f := newSilenceFixture(t, []silence.Window{w}, func() time.Time { return now }, nil)
	resp, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "silenced by maintenance window web-patching (OS patches) until 2026-11-25T11:00:00Z"
	if len(resp.Deliveries) != 2 || resp.Deliveries[0].Status != StatusSilenced || resp.Deliveries[0].Error != want {
		t.Errorf("deliveries = %+v", resp.Deliveries)
	}
	if f.sentCount() != 0 {
		t.Error("a message went out during the window")
	}
	// An alert the window does not match is sent as usual.
	resp, err = f.svc.Handle(t.Context(), readEvent(t, "notifier/eventbridge-codebuild-failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Deliveries {
		if d.Status == StatusSilenced {
			t.Errorf("unmatched alert silenced: %+v", d)
		}
	}
}

type failingAuditor struct{}

func (failingAuditor) PutAudit(context.Context, state.AuditRecord) error {
	return errors.New("table unavailable")
}

// TestSilencedAlertWithoutRecordIsRetried: when the audit record cannot be
// written the invocation fails (and is retried), and still nothing is sent.
func TestSilencedAlertWithoutRecordIsRetried(t *testing.T) {
	w, err := silence.NewWindow(config.MaintenanceWindow{
		Name: "all-web", Matchers: []string{`alarm=~"web-.*"`}, TimeZone: "UTC",
		Times: []config.WeeklyTime{{Days: []string{"mon-sun"}, Start: "00:00", End: "24:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := newSilenceFixture(t, []silence.Window{w}, time.Now, failingAuditor{})
	resp, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err == nil || !strings.Contains(err.Error(), "record silenced alert") {
		t.Fatalf("err = %v, want the audit failure", err)
	}
	if f.sentCount() != 0 || len(resp.Deliveries) != 2 || resp.Deliveries[0].Error != "silenced by maintenance window all-web with no end" {
		t.Errorf("deliveries = %+v, sent %d", resp.Deliveries, f.sentCount())
	}
}

// brokenSilencer cannot read its table and knows of no silence.
type brokenSilencer struct{}

func (brokenSilencer) Silenced(context.Context, map[string]string) (silence.Match, bool, error) {
	return silence.Match{}, false, errors.New("throttled")
}

// TestUnreadableSilencesDeliver: when the silences cannot be read, alerts
// are delivered rather than dropped on a guess.
func TestUnreadableSilencesDeliver(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	chans := map[string]notify.Notifier{"chat": rec, "pager": &recorder{}, "audit": &recorder{}}
	svc, err := New(cfg, chans, nil, nil, WithSilencer(brokenSilencer{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(resp.Deliveries); got != "ops/chat=sent ops/audit=sent" || rec.count() != 1 {
		t.Errorf("deliveries = %v", got)
	}
}
