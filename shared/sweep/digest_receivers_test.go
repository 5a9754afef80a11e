package sweep

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// The digest job publishes one Digest event for the named receivers, with
// the numbers the e-mail shows; e-mail channels of those receivers are left
// to the notifier, and channels named directly still get SES mail.
func TestDigestToReceivers(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	ctx := t.Context()
	cfg := m.Config(ctx)
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(ctx, db, "state"); err != nil {
		t.Fatal(err)
	}
	store := state.NewStore(db, "state", func() time.Time { return digestNow })
	seedAudit(t, store)
	mail := sesv2.NewFromConfig(cfg)
	if _, err := mail.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("watchkeeper@example.com")}); err != nil {
		t.Fatal(err)
	}
	eb, received := busToQueue(t, cfg, "digest-bus")
	cw := newFakeCloudWatch(t)
	channels := []config.Channel{
		{Name: "ops-mail", Type: config.ChannelEmail, From: "watchkeeper@example.com", To: []string{"ops@example.com", "lead@example.com", "sre@example.com"}},
		{Name: "audit-mail", Type: config.ChannelEmail, From: "watchkeeper@example.com", To: []string{"audit@example.com"}},
		{Name: "slack", Type: config.ChannelSlack},
		{Name: "pager", Type: config.ChannelPagerDuty},
	}
	receivers := []config.Receiver{{Name: "ops", Channels: []string{"slack", "ops-mail"}}, {Name: "oncall", Channels: []string{"pager"}}}
	job := DigestJob(DigestClients{Audit: store, CloudWatch: cw.client(), SES: mail, Channels: channels, Receivers: receivers,
		Bus: bus.New(eb, "digest-bus"), Stack: "Watchkeeper", Region: "us-east-1", Now: func() time.Time { return digestNow }})
	run := func(params map[string]any) error {
		_, err := job(ctx, &alert.JobRequest{Job: JobDigest, Params: params})
		return err
	}

	// Receivers only: one event, no mail, no chart drawn by the sweeper.
	if err := run(map[string]any{JobParamDigestReceivers: []any{"ops", "oncall"}}); err != nil {
		t.Fatal(err)
	}
	if n := sentRecipients(t, m.Endpoint()); n != 0 {
		t.Errorf("%d recipients mailed, want none: the receivers' channels are the notifier's", n)
	}
	if len(cw.widgets) != 0 {
		t.Errorf("the sweeper drew %d charts for the receivers; the notifier draws theirs", len(cw.widgets))
	}
	got := received()
	if len(got) != 1 {
		t.Fatalf("%d events, want 1", len(got))
	}
	a := got[0]
	if !a.IsDigest() || a.Source != alert.SourceSweeper || a.State != alert.StateEvent || a.Severity != alert.SeverityInfo {
		t.Fatalf("event = %+v", a)
	}
	from, to := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	records, err := store.AuditBetween(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	d := BuildDigest(records, from, to)
	s := a.Digest
	if !slices.Equal(s.Receivers, []string{"ops", "oncall"}) || !s.From.Equal(from) || !s.To.Equal(to) {
		t.Errorf("digest receivers/period = %q %s %s", s.Receivers, s.From, s.To)
	}
	if !maps.Equal(s.Totals, d.Kinds) || !maps.Equal(s.Remediations, d.Outcomes) || !maps.Equal(s.Notifications, d.Notifications) {
		t.Errorf("totals = %v %v %v, want the e-mail's %v %v %v", s.Totals, s.Remediations, s.Notifications, d.Kinds, d.Outcomes, d.Notifications)
	}
	if len(s.Rows) != len(d.Counts) || len(s.Rules) != len(d.Rules) || s.RowsDropped != 0 {
		t.Fatalf("rows %d rules %d dropped %d, want %d %d 0", len(s.Rows), len(s.Rules), s.RowsDropped, len(d.Counts), len(d.Rules))
	}
	for i, c := range d.Counts {
		if r := s.Rows[i]; r.Kind != c.Kind || r.Account != c.Account || r.Severity != c.Severity || r.Count != c.Count {
			t.Errorf("row %d = %+v, want %+v", i, r, c)
		}
	}
	if s.Rules[0].Rule == "" || s.Rules[0].Count != d.Rules[0].Count {
		t.Errorf("first rule = %+v, want %+v", s.Rules[0], d.Rules[0])
	}
	var widget struct{ Start, End string }
	if err := json.Unmarshal([]byte(s.Widget), &widget); err != nil || widget.Start != "2026-11-23T00:00:00Z" || widget.End != "2026-11-30T00:00:00Z" {
		t.Errorf("widget = %s (%v)", s.Widget, err)
	}
	if a.ID != alert.DigestID("Watchkeeper", from, to) || !strings.Contains(a.Title, "2026-11-23 to 2026-11-29") {
		t.Errorf("id %q title %q", a.ID, a.Title)
	}

	// What audit-mail alone counts in moto (SES counts per recipient).
	if err := run(map[string]any{JobParamDigestChannels: []any{"audit-mail"}}); err != nil {
		t.Fatal(err)
	}
	auditOnly := sentRecipients(t, m.Endpoint())
	if auditOnly == 0 {
		t.Fatal("audit-mail was not mailed")
	}
	// Receivers and channels: the direct channel by SES (with the chart), the
	// receiver's own e-mail channel only through the event.
	if err := run(map[string]any{JobParamDigestReceivers: []any{"ops"}, JobParamDigestChannels: []any{"audit-mail", "ops-mail"}}); err != nil {
		t.Fatal(err)
	}
	if n := sentRecipients(t, m.Endpoint()); n != 2*auditOnly {
		t.Errorf("%d recipients mailed, want %d: audit-mail again, ops-mail not (ops covers it)", n, 2*auditOnly)
	}
	if len(cw.widgets) != 2 {
		t.Errorf("%d charts drawn for the mail, want 2", len(cw.widgets))
	}
	if got := received(); len(got) != 1 || !slices.Equal(got[0].Digest.Receivers, []string{"ops"}) {
		t.Errorf("second run published %d events", len(got))
	}

	// An unknown receiver: nothing is sent, the error names the valid ones.
	err = run(map[string]any{JobParamDigestReceivers: []any{"ops", "nobody"}})
	if err == nil || !strings.Contains(err.Error(), `unknown receiver "nobody" (valid: ops, oncall)`) {
		t.Errorf("error = %v", err)
	}
	if got := received(); len(got) != 0 {
		t.Errorf("%d events published despite the unknown receiver", len(got))
	}
	if n := sentRecipients(t, m.Endpoint()); n != 2*auditOnly {
		t.Errorf("%d recipients mailed after the refused run, want still %d", n, 2*auditOnly)
	}
}

func TestDigestToReceiversNeedsTheBus(t *testing.T) {
	job := DigestJob(DigestClients{Audit: emptyAudit{}, Receivers: []config.Receiver{{Name: "ops"}},
		Now: func() time.Time { return digestNow }})
	_, err := job(t.Context(), &alert.JobRequest{Job: JobDigest, Params: map[string]any{JobParamDigestReceivers: []any{"ops"}}})
	if err == nil || !strings.Contains(err.Error(), "WATCHKEEPER_BUS") {
		t.Errorf("error = %v, want the missing bus named", err)
	}
}

type emptyAudit struct{}

func (emptyAudit) AuditBetween(_ context.Context, _, _ time.Time) ([]state.AuditRecord, error) {
	return nil, nil
}
