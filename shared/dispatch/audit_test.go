package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

type auditFixture struct {
	fixture
	store *state.Store
	table *silence.Table
	logs  *bytes.Buffer
	now   *time.Time
}

// newAuditFixture is the test config's notifier over a moto table, with
// silences and the per-alert audit written through auditor (nil: the table).
func newAuditFixture(t *testing.T, auditor NotificationAuditor) auditFixture {
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
	name := "dispatch-audit-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := state.CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 10, 1, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	store := state.NewStore(db, name, clock)
	tab := silence.NewTable(db, name, clock)
	if auditor == nil {
		auditor = store
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	sl := silence.NewSilencer(nil, tab, silence.WithClock(clock), silence.WithCacheTTL(0))
	svc, err := New(cfg, chans, store, logger, WithSilencer(sl, store), WithNotificationAudit(auditor, clock))
	if err != nil {
		t.Fatal(err)
	}
	return auditFixture{fixture: fixture{svc: svc, channels: recs}, store: store, table: tab, logs: &logs, now: &now}
}

func (f auditFixture) records(t *testing.T) []state.AuditRecord {
	t.Helper()
	rs, err := f.store.AuditBetween(t.Context(), time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// withMessageID is the sample SNS event as another delivery of the same
// alarm change (the direct alarm action's twin, or a second subscription).
func withMessageID(t *testing.T, ev []byte, id string) []byte {
	t.Helper()
	const orig = "6a1f0c52-3d8e-5b7a-9e41-0c2d3b4a5f61"
	if !bytes.Contains(ev, []byte(orig)) {
		t.Fatal("sample SNS event lost its MessageId")
	}
	return bytes.ReplaceAll(ev, []byte(orig), []byte(id))
}

func TestNotificationAuditOneRecordPerAlert(t *testing.T) {
	f := newAuditFixture(t, nil)
	ev := readEvent(t, "notifier/sns-alarm-cpu.json")

	// First attempt: chat fails, audit is sent. One record says both.
	f.channels["chat"].fail, f.channels["chat"].retry = errors.New("slack said 503"), true
	if _, err := f.svc.Handle(t.Context(), ev); err == nil {
		t.Fatal("want an error so the invocation is retried")
	}
	rs := f.records(t)
	if len(rs) != 1 {
		t.Fatalf("%d audit records after one alert, want 1: %+v", len(rs), rs)
	}
	first := rs[0]
	want := map[string]string{
		"alert_id": first.Fields["alert_id"], "trigger_key": first.Fields["trigger_key"],
		"state": "ALARM", "severity": "high", "account": "123456789012", "region": "eu-west-1",
		"source": "cloudwatch.alarm", "rule": "web-cpu-high",
		"receivers": "ops", "channels": "chat,audit", "channel_status": "ops/chat=failed,ops/audit=sent",
		"outcome": OutcomeFailed, "attempts": "1",
	}
	for k, v := range want {
		if first.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, first.Fields[k], v)
		}
	}
	if first.Kind != AuditKindNotification || first.Fields["alert_id"] == "" || first.Fields["trigger_key"] == "" ||
		first.ID != NotificationAuditID(first.Fields["trigger_key"], first.Fields["alert_id"]) {
		t.Errorf("record identity = %s %s %v", first.Kind, first.ID, first.Fields)
	}
	if !strings.Contains(first.Fields["title"], "web-cpu-high") || !strings.Contains(first.Fields["error"], "slack said 503") {
		t.Errorf("title %q, error %q", first.Fields["title"], first.Fields["error"])
	}

	// The retry a minute later: chat goes out, audit is a duplicate of the
	// first attempt's send. Still one record, at the first attempt's time.
	*f.now = f.now.Add(time.Minute)
	f.channels["chat"].fail = nil
	if _, err := f.svc.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	rs = f.records(t)
	if len(rs) != 1 {
		t.Fatalf("%d audit records after a redelivery, want 1: %+v", len(rs), rs)
	}
	if got := rs[0]; !got.Time.Equal(first.Time) || got.Fields["channel_status"] != "ops/chat=sent,ops/audit=sent" ||
		got.Fields["outcome"] != OutcomeSent || got.Fields["attempts"] != "2" || got.Fields["error"] != "" {
		t.Errorf("record after the retry = %v at %s", got.Fields, got.Time)
	}

	// The same change delivered by another trigger: nothing is sent, and
	// its record says duplicate, which the digest does not count again.
	if _, err := f.svc.Handle(t.Context(), withMessageID(t, ev, "0b0b0b0b-0000-4000-8000-000000000001")); err != nil {
		t.Fatal(err)
	}
	rs = f.records(t)
	if len(rs) != 2 {
		t.Fatalf("%d audit records, want 2", len(rs))
	}
	var twin state.AuditRecord
	for _, r := range rs {
		if r.ID != first.ID {
			twin = r
		}
	}
	if twin.Fields["outcome"] != OutcomeDuplicate || twin.Fields["channel_status"] != "ops/chat=duplicate,ops/audit=duplicate" || twin.Fields["attempts"] != "1" {
		t.Errorf("second trigger's record = %v", twin.Fields)
	}
	if f.channels["chat"].count() != 1 || f.channels["audit"].count() != 1 {
		t.Errorf("sent chat=%d audit=%d, want one each", f.channels["chat"].count(), f.channels["audit"].count())
	}
}

func TestNotificationAuditLeavesSilencesTheirOwnRecord(t *testing.T) {
	f := newAuditFixture(t, nil)
	s, err := silence.New([]string{`alarm=~"web-.*"`}, "ana", "web tier redeploy", f.now.Add(-time.Minute), f.now.Add(time.Hour), *f.now)
	if err != nil {
		t.Fatal(err)
	}
	s.ID = "abc123"
	if err := f.table.Put(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json")); err != nil {
		t.Fatal(err)
	}
	rs := f.records(t)
	if len(rs) != 1 || rs[0].Fields["outcome"] != StatusSilenced || rs[0].Fields["account"] != "123456789012" {
		t.Fatalf("records of a silenced alert = %+v, want the silence's one, with its account", rs)
	}
	if !strings.HasSuffix(rs[0].ID, "#silenced") {
		t.Errorf("record id %q is not the silence's", rs[0].ID)
	}
}

func TestNotificationAuditRecordsEveryAlertOfATrigger(t *testing.T) {
	f := newAuditFixture(t, nil)
	for _, name := range []string{"notifier/eventbridge-guardduty-finding.json", "notifier/watchkeeper-finding.json", "notifier/eventbridge-codebuild-failed.json"} {
		resp, err := f.svc.Handle(t.Context(), readEvent(t, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		rs := f.records(t)
		found := 0
		for _, a := range resp.Alerts {
			for _, r := range rs {
				if r.Fields["alert_id"] == a.ID && r.Fields["severity"] == a.Severity && r.Fields["source"] == a.Source {
					found++
				}
			}
		}
		if found != len(resp.Alerts) || len(resp.Alerts) == 0 {
			t.Errorf("%s: %d of %d alerts have a record", name, found, len(resp.Alerts))
		}
	}
}

type failingNotificationAuditor struct{ puts int }

func (a *failingNotificationAuditor) FindAudit(context.Context, string, string) (state.AuditRecord, bool, error) {
	return state.AuditRecord{}, false, errors.New("table unreachable")
}

func (a *failingNotificationAuditor) PutAuditAt(context.Context, state.AuditRecord) error {
	a.puts++
	return errors.New("table unreachable")
}

func TestNotificationAuditFailureDoesNotBlockDelivery(t *testing.T) {
	bad := &failingNotificationAuditor{}
	f := newAuditFixture(t, bad)
	resp, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatalf("an audit failure failed the invocation: %v", err)
	}
	if got := statuses(resp.Deliveries); got != "ops/chat=sent ops/audit=sent" || bad.puts != 1 {
		t.Errorf("deliveries %s, %d audit writes", got, bad.puts)
	}
	// The failure is logged and counted as an EMF metric.
	var counted, logged bool
	for line := range bytes.Lines(f.logs.Bytes()) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if v, ok := m[AuditMetric].(float64); ok && v == 1 && m["Function"] == "notifier" {
			counted = true
		}
		if msg, _ := m["msg"].(string); strings.Contains(msg, "audit record") && m["level"] == "ERROR" {
			logged = true
		}
	}
	if !counted || !logged {
		t.Errorf("counted %v, logged %v:\n%s", counted, logged, f.logs)
	}
}

func TestNotificationOutcome(t *testing.T) {
	tests := []struct {
		statuses []string
		skipped  string
		err      error
		want     string
	}{
		{statuses: []string{"sent", "duplicate"}, want: OutcomeSent},
		{statuses: []string{"written"}, want: OutcomeSent},
		{statuses: []string{"sent", "failed"}, want: OutcomeFailed},
		{statuses: nil, err: errors.New("table down"), want: OutcomeFailed},
		{statuses: []string{"grouped", "duplicate"}, want: StatusGrouped},
		{statuses: []string{"duplicate", "duplicate"}, want: OutcomeDuplicate},
		{statuses: []string{"duplicate", "suppressed"}, want: "suppressed"},
		{statuses: []string{"silenced", "suppressed"}, want: StatusSilenced},
		{statuses: []string{"inhibited"}, want: StatusInhibited},
		{skipped: "reminder dropped", want: OutcomeSkipped},
		{want: OutcomeUnrouted},
	}
	for _, tc := range tests {
		if got := notificationOutcome(tc.statuses, tc.skipped, tc.err); got != tc.want {
			t.Errorf("%v %q %v: %s, want %s", tc.statuses, tc.skipped, tc.err, got, tc.want)
		}
	}
}

func TestChannelStatusRoundTrip(t *testing.T) {
	ds := []outcome.Delivery{{Receiver: "ops", Channel: "chat", Status: "sent"}, {Receiver: "oncall", Channel: "pager", Status: "failed"}}
	s := formatChannelStatus(ds)
	if s != "ops/chat=sent,oncall/pager=failed" {
		t.Fatalf("format = %q", s)
	}
	got := ParseChannelStatus(s)
	if !slices.Equal(got, []ChannelStatus{{"ops", "chat", "sent"}, {"oncall", "pager", "failed"}}) {
		t.Errorf("parse = %+v", got)
	}
	if got := ParseChannelStatus("ops/chat=sent,,=x,a/=b,noslash=sent,x/y="); len(got) != 1 {
		t.Errorf("malformed entries kept: %+v", got)
	}
}

func TestMergeChannelStatusKeepsEarlierSends(t *testing.T) {
	tests := []struct {
		prev, cur, want, outcome string
	}{
		{prev: "ops/chat=failed,ops/audit=sent", cur: "ops/chat=sent,ops/audit=duplicate", want: "ops/chat=sent,ops/audit=sent", outcome: OutcomeSent},
		{prev: "ops/chat=written", cur: "ops/chat=duplicate,ops/audit=failed", want: "ops/chat=written,ops/audit=failed", outcome: OutcomeFailed},
		// A duplicate the earlier attempt did not send stays a duplicate.
		{prev: "ops/chat=failed", cur: "ops/chat=duplicate", want: "ops/chat=duplicate", outcome: OutcomeDuplicate},
	}
	for _, tc := range tests {
		f := map[string]string{"channel_status": tc.cur, "outcome": notificationOutcome(statusesOf(tc.cur), "", nil)}
		mergeChannelStatus(f, map[string]string{"channel_status": tc.prev})
		if f["channel_status"] != tc.want || f["outcome"] != tc.outcome {
			t.Errorf("%s then %s: %v, want %s (%s)", tc.prev, tc.cur, f, tc.want, tc.outcome)
		}
	}
}

func FuzzParseChannelStatus(f *testing.F) {
	for _, s := range []string{"ops/chat=sent,oncall/pager=failed", "", ",,,", "a/b=c=d", "x/y/z=sent", "ops/chat=sent,=,/="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, cs := range ParseChannelStatus(s) {
			if cs.Receiver == "" || cs.Channel == "" || cs.Status == "" || strings.Contains(cs.Receiver+cs.Channel+cs.Status, ",") {
				t.Fatalf("bad entry %+v from %q", cs, s)
			}
			// What parses formats back to itself.
			one := formatChannelStatus([]outcome.Delivery{{Receiver: cs.Receiver, Channel: cs.Channel, Status: cs.Status}})
			if back := ParseChannelStatus(one); len(back) != 1 || back[0] != cs {
				t.Fatalf("%+v does not round-trip: %q → %+v", cs, one, back)
			}
		}
	})
}
