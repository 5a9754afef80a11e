package dispatch

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

const testConfig = `
version: 1
notifications:
  dedup_window: 1h
  channels:
    - {name: chat, type: file, format: slack}
    - {name: pager, type: file, format: text}
    - {name: audit, type: file, format: json}
  receivers:
    - {name: ops, channels: [chat, audit]}
    - {name: oncall, channels: [pager]}
    - {name: quiet, channels: [audit]}
  route:
    receiver: ops
    routes:
      - matchers: ['severity="critical"']
        receiver: oncall
        continue: true
      - matchers: ['source="eventbridge"']
        receiver: quiet
        send_resolved: false
`

// recorder is a channel that records what it was asked to send and fails on demand.
type recorder struct {
	mu    sync.Mutex
	sent  []string
	fail  error
	retry bool
}

func (r *recorder) Notify(_ context.Context, a alert.Alert) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.retry, r.fail
	}
	r.sent = append(r.sent, a.ID+"/"+string(a.State))
	return false, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sent)
}

type fixture struct {
	svc      *Service
	channels map[string]*recorder
}

var tableSeq atomic.Int64

func newFixture(t *testing.T, withTable bool) fixture {
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
	var marks marker
	if withTable {
		m := moto.Get(t)
		db := dynamodb.NewFromConfig(m.Config(t.Context()))
		name := "dispatch-" + strconv.FormatInt(tableSeq.Add(1), 10)
		if err := state.CreateTable(t.Context(), db, name); err != nil {
			t.Fatal(err)
		}
		marks = state.NewStore(db, name, nil)
	}
	svc, err := New(cfg, chans, marks, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fixture{svc: svc, channels: recs}
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandleRoutesAlarmToReceivers(t *testing.T) {
	f := newFixture(t, true)
	resp, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Function != "notifier" || resp.Trigger != "sns" || len(resp.Alerts) != 1 {
		t.Fatalf("response = %+v", resp)
	}
	var got []string
	for _, d := range resp.Deliveries {
		got = append(got, d.Receiver+"/"+d.Channel+"="+d.Status)
	}
	// The CPU alarm is high severity: no child route matches, so the root's receiver gets it.
	want := []string{"ops/chat=sent", "ops/audit=sent"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
	if f.channels["pager"].count() != 0 || f.channels["chat"].count() != 1 || f.channels["audit"].count() != 1 {
		t.Errorf("channel sends: pager=%d chat=%d audit=%d", f.channels["pager"].count(), f.channels["chat"].count(), f.channels["audit"].count())
	}
}

func TestContinueDeliversToSeveralReceivers(t *testing.T) {
	f := newFixture(t, false)
	a := alert.Alert{ID: "gd", State: alert.StateFinding, Severity: "critical", Labels: map[string]string{"severity": "critical", "source": "eventbridge"}}
	ds, _, err := f.svc.deliver(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range ds {
		got = append(got, d.Receiver+"/"+d.Channel+"="+d.Status)
	}
	want := []string{"oncall/pager=sent", "quiet/audit=sent"}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries = %v, want %v", got, want)
	}
}

func TestRedeliveryIsSentOnce(t *testing.T) {
	f := newFixture(t, true)
	ev := readEvent(t, "notifier/sns-alarm-cpu.json")
	if _, err := f.svc.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	resp, err := f.svc.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Duplicates != 1 {
		t.Errorf("duplicates = %d, want 1", resp.Duplicates)
	}
	for _, d := range resp.Deliveries {
		if d.Status != "duplicate" {
			t.Errorf("redelivery %s/%s status %q, want duplicate", d.Receiver, d.Channel, d.Status)
		}
	}
	if n := f.channels["chat"].count(); n != 1 {
		t.Errorf("chat got %d messages, want 1", n)
	}
	// The same alarm returning to OK is a new state: sent again.
	if _, err := f.svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-ok.json")); err != nil {
		t.Fatal(err)
	}
	if n := f.channels["chat"].count(); n != 2 {
		t.Errorf("chat got %d messages after OK, want 2", n)
	}
}

func TestFailedChannelIsRetriedAloneOnRedelivery(t *testing.T) {
	f := newFixture(t, true)
	f.channels["chat"].fail, f.channels["chat"].retry = errors.New("slack said 503"), true
	ev := readEvent(t, "notifier/sns-alarm-cpu.json")
	resp, err := f.svc.Handle(t.Context(), ev)
	if err == nil {
		t.Fatal("want an error so the invocation is retried")
	}
	failed := 0
	for _, d := range resp.Deliveries {
		if d.Status == "failed" {
			failed++
			if d.Channel != "chat" {
				t.Errorf("unexpected failure on %s", d.Channel)
			}
		}
	}
	if failed != 1 || f.channels["audit"].count() != 1 {
		t.Errorf("other channels must still be delivered: %+v", resp.Deliveries)
	}
	f.channels["chat"].fail = nil
	if _, err := f.svc.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if f.channels["chat"].count() != 1 || f.channels["audit"].count() != 1 {
		t.Errorf("retry must send only what failed: chat=%d audit=%d", f.channels["chat"].count(), f.channels["audit"].count())
	}
}

func TestSendResolvedFalseSuppresses(t *testing.T) {
	f := newFixture(t, false)
	a := alert.Alert{ID: "x", State: alert.StateOK, Severity: "low", Labels: map[string]string{"source": "eventbridge"}}
	ds, dup, err := f.svc.deliver(t.Context(), a)
	if err != nil || dup {
		t.Fatal(err, dup)
	}
	if len(ds) != 1 || ds[0].Status != "suppressed" || ds[0].Receiver != "quiet" {
		t.Errorf("deliveries = %+v", ds)
	}
	a.State = alert.StateAlarm
	ds, _, _ = f.svc.deliver(t.Context(), a)
	if len(ds) != 1 || ds[0].Status != "sent" {
		t.Errorf("ALARM must be sent: %+v", ds)
	}
}

func TestWithoutTableEveryAlertIsSent(t *testing.T) {
	f := newFixture(t, false)
	ev := readEvent(t, "notifier/sns-alarm-cpu.json")
	for range 2 {
		if _, err := f.svc.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.channels["chat"].count(); n != 2 {
		t.Errorf("chat got %d, want 2 (no dedup without a table)", n)
	}
}

func TestBadInputIsAnError(t *testing.T) {
	f := newFixture(t, false)
	for _, name := range []string{"malformed/truncated.json", "malformed/unknown-shape.json", "malformed/not-json.txt"} {
		if _, err := f.svc.Handle(t.Context(), readEvent(t, name)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestLogsPayloadIsSkipped(t *testing.T) {
	f := newFixture(t, false)
	resp, err := f.svc.Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Skipped == "" || len(resp.Deliveries) != 0 {
		t.Errorf("response = %+v", resp)
	}
}

func TestEveryNotifierSampleIsDelivered(t *testing.T) {
	f := newFixture(t, false)
	files, _ := filepath.Glob(filepath.Join("..", "..", "events", "notifier", "*.json"))
	if len(files) == 0 {
		t.Fatal("no notifier samples")
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := f.svc.Handle(context.Background(), b)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
			continue
		}
		if filepath.Base(p) == "group.json" {
			// A group flush sends what the table holds; without one, nothing.
			if resp.Skipped == "" || len(resp.Deliveries) != 0 {
				t.Errorf("group.json without a table: %+v", resp)
			}
			continue
		}
		if len(resp.Alerts) == 0 || len(resp.Deliveries) == 0 {
			t.Errorf("%s: alerts=%d deliveries=%d", filepath.Base(p), len(resp.Alerts), len(resp.Deliveries))
		}
	}
}

func TestRemediationReportIsNotADuplicateOfItsFinding(t *testing.T) {
	f := newFixture(t, true)
	finding := alert.Alert{ID: "f1", Key: "k1", State: alert.StateFinding, Severity: "low", Labels: map[string]string{}}
	planned := alert.Alert{ID: "f1", Key: "k2", State: alert.StateFinding, Severity: "low", Labels: map[string]string{alert.LabelOutcome: "planned"}}
	for _, a := range []alert.Alert{finding, planned, planned} {
		if _, _, err := f.svc.deliver(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.channels["chat"].count(); n != 2 {
		t.Errorf("chat got %d messages, want 2 (the finding, then its remediation report once)", n)
	}
}

// enricherFunc adapts a function to Enricher.
type enricherFunc func(ctx context.Context, a *alert.Alert) error

func (f enricherFunc) Enrich(ctx context.Context, a *alert.Alert) error { return f(ctx, a) }

func TestEnrichersRunOnceBeforeDelivery(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(testConfig))
	if err != nil {
		t.Fatal(err)
	}
	var seen []alert.Alert
	chat := notify.NotifierFunc(func(_ context.Context, a alert.Alert) (bool, error) { seen = append(seen, a); return false, nil })
	calls := 0
	add := enricherFunc(func(_ context.Context, a *alert.Alert) error {
		calls++
		a.Logs = &alert.LogEvidence{Lines: []alert.LogLine{{Message: "WARN x"}}}
		return nil
	})
	failing := enricherFunc(func(context.Context, *alert.Alert) error { return errors.New("logs unavailable") })
	chans := map[string]notify.Notifier{"chat": chat, "pager": chat, "audit": chat}
	svc, err := New(cfg, chans, nil, nil, WithEnrichers(failing, add))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json")); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("enricher ran %d times for one alert, want 1", calls)
	}
	if len(seen) != 2 {
		t.Fatalf("delivered %d messages, want 2 (ops: chat, audit)", len(seen))
	}
	for _, a := range seen {
		if a.Logs == nil || a.Logs.Lines[0].Message != "WARN x" {
			t.Errorf("channel got the alert without the enrichment: %+v", a.Logs)
		}
	}
}
