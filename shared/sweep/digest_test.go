package sweep

import (
	"encoding/json"
	"flag"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect"
	"github.com/watchkeeper/watchkeeper/shared/dispatch"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./shared/sweep -update creates it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (go test ./shared/sweep -update refreshes it after review):\n--- got\n%s", path, got)
	}
}

// digestNow is a Monday morning: the digest covers the seven whole days before.
var digestNow = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

func seedAudit(t *testing.T, store *state.Store) {
	t.Helper()
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }
	records := []state.AuditRecord{
		// Outside the week: the day before it and the morning of the run.
		{Kind: "finding", ID: "old", Time: day(22, 23), Fields: map[string]string{"rule": "posture.root-no-mfa", "severity": "high", "account": "123456789012"}},
		{Kind: "finding", ID: "today", Time: day(30, 1), Fields: map[string]string{"rule": "posture.root-no-mfa", "severity": "high", "account": "123456789012"}},
		// The week. Sweeper findings (one from before findings carried a source).
		{Kind: "finding", ID: "f1", Time: day(23, 0), Fields: map[string]string{"rule": "posture.sg-open-admin-port", "severity": "high", "account": "123456789012", "source": alert.SourceSweeper}},
		{Kind: "finding", ID: "f2", Time: day(24, 12), Fields: map[string]string{"rule": "posture.sg-open-admin-port", "severity": "high", "account": "123456789012", "source": alert.SourceSweeper}},
		{Kind: "finding", ID: "f4", Time: day(29, 23), Fields: map[string]string{"rule": "<script>alert(1)</script>", "severity": "critical", "account": "111122223333"}},
		// Detector findings, with the fields shared/detect writes.
		{Kind: detect.AuditKindFinding, ID: "cis.3.1-unauthorized-api-calls#evt-1", Time: day(25, 8), Fields: map[string]string{
			"rule": "cis.3.1-unauthorized-api-calls", "severity": "medium", "account": "111122223333", "region": "eu-west-1",
			"source": alert.SourceDetector, "actor": "arn:aws:iam::111122223333:user/mallory", "event_name": "DescribeInstances", "event_id": "evt-1"}},
		{Kind: detect.AuditKindFinding, ID: "attack.stop-logging#evt-2", Time: day(24, 3), Fields: map[string]string{
			"rule": "attack.stop-logging", "severity": "critical", "technique": "T1562.008", "account": "123456789012", "region": "eu-west-1",
			"source": alert.SourceDetector, "actor": "arn:aws:iam::123456789012:user/alice", "event_name": "StopLogging", "event_id": "evt-2"}},
		{Kind: detect.AuditKindFinding, ID: "attack.stop-logging#evt-3", Time: day(27, 3), Fields: map[string]string{
			"rule": "attack.stop-logging", "severity": "critical", "technique": "T1562.008", "account": "123456789012", "region": "us-east-1",
			"source": alert.SourceDetector, "actor": "arn:aws:iam::123456789012:user/alice", "event_name": "StopLogging", "event_id": "evt-3"}},
		{Kind: "remediation", ID: "r1", Time: day(24, 13), Fields: map[string]string{"rule": "close-ssh", "outcome": "applied", "resource_arn": "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"}},
		{Kind: "remediation", ID: "r2", Time: day(26, 9), Fields: map[string]string{"rule": "close-ssh", "outcome": "planned", "resource": "sg-2"}},
		{Kind: "remediation", ID: "r3", Time: day(26, 10), Fields: map[string]string{"rule": "close-ssh", "outcome": "applied", "severity": "high", "account": "111122223333"}},
		{Kind: "notification", ID: "n1", Time: day(27, 10), Fields: map[string]string{"rule": "web-cpu-high", "severity": "high", "account": "123456789012"}},
		{Kind: "notification", ID: "n2", Time: day(28, 10), Fields: map[string]string{"rule": "web-cpu-high", "severity": "info", "account": "123456789012"}},
		// Notifications as the notifier writes them: one per alert and trigger.
		{Kind: dispatch.AuditKindNotification, ID: dispatch.NotificationAuditID("sns-1", "alarm-web-5xx"), Time: day(26, 14), Fields: map[string]string{
			"alert_id": "alarm-web-5xx", "rule": "web-5xx", "state": "ALARM", "severity": "critical", "account": "123456789012", "source": alert.SourceAlarm,
			"channels": "chat,pager", "channel_status": "ops/chat=sent,oncall/pager=sent", "outcome": dispatch.OutcomeSent}},
		// The same change through the alarm's direct Lambda action: not counted again.
		{Kind: dispatch.AuditKindNotification, ID: dispatch.NotificationAuditID("alarm-action-1", "alarm-web-5xx"), Time: day(26, 14), Fields: map[string]string{
			"alert_id": "alarm-web-5xx", "rule": "web-5xx", "state": "ALARM", "severity": "critical", "account": "123456789012", "source": alert.SourceAlarm,
			"channel_status": "ops/chat=duplicate,oncall/pager=duplicate", "outcome": dispatch.OutcomeDuplicate}},
		{Kind: dispatch.AuditKindNotification, ID: dispatch.NotificationAuditID("sns-2", "alarm-db-cpu"), Time: day(27, 1), Fields: map[string]string{
			"alert_id": "alarm-db-cpu", "rule": "db-cpu", "state": "ALARM", "severity": "medium", "account": "111122223333", "source": alert.SourceAlarm,
			"channel_status": "ops/chat=failed", "outcome": dispatch.OutcomeFailed}},
		// Silenced and inhibited alerts keep their own records.
		{Kind: dispatch.AuditKindNotification, ID: "alarm-db-cpu#OK#silenced", Time: day(27, 2), Fields: map[string]string{
			"alert_id": "alarm-db-cpu", "state": "OK", "severity": "medium", "account": "111122223333", "outcome": dispatch.StatusSilenced}},
		{Kind: dispatch.AuditKindNotification, ID: "inhibited#alarm-web-latency#ALARM#sns-3", Time: day(26, 14), Fields: map[string]string{
			"alert": "alarm-web-latency", "state": "ALARM", "severity": "high", "account": "123456789012", "status": dispatch.StatusInhibited}},
	}
	for _, r := range records {
		if err := store.PutAudit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDigestFromTheTable(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	cfg := m.Config(t.Context())
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(t.Context(), db, "state"); err != nil {
		t.Fatal(err)
	}
	store := state.NewStore(db, "state", func() time.Time { return digestNow })
	seedAudit(t, store)
	cw := newFakeCloudWatch(t)
	mail := sesv2.NewFromConfig(cfg)
	if _, err := mail.CreateEmailIdentity(t.Context(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String("watchkeeper@example.com")}); err != nil {
		t.Fatal(err)
	}
	channels := []config.Channel{
		{Name: "ops-mail", Type: config.ChannelEmail, From: "watchkeeper@example.com", To: []string{"ops@example.com", "lead@example.com"}},
		{Name: "slack", Type: config.ChannelSlack},
		{Name: "unverified", Type: config.ChannelEmail, From: "nobody@example.org", To: []string{"ops@example.com"}},
	}
	job := DigestJob(DigestClients{Audit: store, CloudWatch: cw.client(), SES: mail, Channels: channels, Stack: "Watchkeeper", Region: "us-east-1",
		Now: func() time.Time { return digestNow }})

	// Only the verified channel: sent, with the chart.
	if _, err := job(t.Context(), &alert.JobRequest{Job: JobDigest, Params: map[string]any{JobParamDigestChannels: []any{"ops-mail"}}}); err != nil {
		t.Fatal(err)
	}
	sent := sentRecipients(t, m.Endpoint())
	if sent == 0 {
		t.Error("nothing sent")
	}
	if len(cw.widgets) != 1 {
		t.Fatalf("%d chart requests, want 1", len(cw.widgets))
	}
	var widget struct {
		Start, End string
		Period     int
		Metrics    [][]any
	}
	if err := json.Unmarshal([]byte(cw.widgets[0]), &widget); err != nil {
		t.Fatal(err)
	}
	if widget.Start != "2026-11-23T00:00:00Z" || widget.End != "2026-11-30T00:00:00Z" || widget.Period != digestChartPeriodSeconds || len(widget.Metrics) != 3 {
		t.Errorf("widget = %s", cw.widgets[0])
	}
	var names []string
	for _, m := range widget.Metrics {
		names = append(names, m[1].(string))
	}
	if !slices.Equal(names, []string{"RecordsReceived", "Findings", HeartbeatMetric}) {
		t.Errorf("chart metrics = %q", names)
	}

	// Every email channel: the unverified sender fails, after the good one was sent.
	_, err := job(t.Context(), &alert.JobRequest{Job: JobDigest})
	if err == nil || !strings.Contains(err.Error(), "channel unverified") || strings.Contains(err.Error(), "ops-mail") {
		t.Errorf("error = %v, want the unverified channel's only", err)
	}
	if n := sentRecipients(t, m.Endpoint()); n != 2*sent {
		t.Errorf("moto counts %d recipients after the second run, want %d (the verified channel's again, nothing else)", n, 2*sent)
	}

	// What was rendered, from the same records.
	records, err := store.AuditBetween(t.Context(), digestNow.Add(-7*24*time.Hour).Truncate(24*time.Hour), digestNow.Truncate(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	d := BuildDigest(records, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	wantKinds := map[string]int{"sweeper finding": 3, "detector finding": 3, "remediation": 3, "notification": 6}
	if !maps.Equal(d.Kinds, wantKinds) {
		t.Errorf("kinds = %v, want %v", d.Kinds, wantKinds)
	}
	wantNotes := map[string]int{"-": 2, "sent": 1, "duplicate": 1, "failed": 1, "silenced": 1, "inhibited": 1}
	if !maps.Equal(d.Notifications, wantNotes) {
		t.Errorf("notifications by outcome = %v, want %v", d.Notifications, wantNotes)
	}
	if !slices.Contains(d.Counts, DigestCount{Kind: "detector finding", Account: "123456789012", Severity: "critical", Count: 2}) ||
		!slices.Contains(d.Counts, DigestCount{Kind: "notification", Account: "123456789012", Severity: "critical", Count: 1}) ||
		!slices.Contains(d.Counts, DigestCount{Kind: "remediation", Account: "111122223333", Severity: "high", Count: 1}) {
		t.Errorf("counts = %+v", d.Counts)
	}
	golden(t, "digest.golden.txt", []byte(d.Text()))
	_, text, html := render.Email(d.Alert("Watchkeeper"), render.Options{MaxLogLines: digestMaxLines})
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("a rule name reached the HTML unescaped")
	}
	if !strings.Contains(text, "By account and severity") {
		t.Errorf("text body lacks the digest: %s", text)
	}
	golden(t, "digest.golden.html", []byte(html))
}

// sentRecipients asks moto's SES (v1, GetSendQuota, which this module's
// SDK clients do not include) how many recipients mail went to: SES v2
// sends through the same backend.
func sentRecipients(t *testing.T, endpoint string) int {
	t.Helper()
	form := url.Values{"Action": {"GetSendQuota"}, "Version": {"2010-12-01"}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// moto routes by the signature's credential scope.
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20261130/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`<SentLast24Hours>([0-9.]+)</SentLast24Hours>`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("GetSendQuota: %s", body)
	}
	var n float64
	if err := json.Unmarshal(m[1], &n); err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestDigestOfAQuietWeek(t *testing.T) {
	d := BuildDigest(nil, time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC))
	if got := d.Text(); !strings.Contains(got, "Nothing happened") || !strings.Contains(got, "2026-11-23 to 2026-11-29") {
		t.Errorf("quiet week = %q", got)
	}
}

func TestDigestParams(t *testing.T) {
	tests := []struct {
		params  map[string]any
		days    int
		chans   []string
		recv    []string
		wantErr string
	}{
		{params: nil, days: 7},
		{params: map[string]any{"days": 14.0, "channels": []any{"a", "b"}}, days: 14, chans: []string{"a", "b"}},
		{params: map[string]any{"days": 0.0}, wantErr: "whole number of days from 1 to 31"},
		{params: map[string]any{"days": 1.5}, wantErr: "whole number"},
		{params: map[string]any{"days": 32.0}, wantErr: "whole number"},
		{params: map[string]any{"channels": "ops"}, wantErr: "list of channel names"},
		{params: map[string]any{"channels": []any{1.0}}, wantErr: "list of channel names"},
		{params: map[string]any{"receivers": []any{"ops", "oncall"}}, days: 7, recv: []string{"ops", "oncall"}},
		{params: map[string]any{"receivers": "ops"}, wantErr: "list of receiver names"},
		{params: map[string]any{"receivers": []any{true}}, wantErr: "list of receiver names"},
	}
	for _, tc := range tests {
		days, chans, recv, err := digestParams(&alert.JobRequest{Params: tc.params})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.params, err, tc.wantErr)
			}
			continue
		}
		if err != nil || days != tc.days || !slices.Equal(chans, tc.chans) || !slices.Equal(recv, tc.recv) {
			t.Errorf("%v: %d %q %q %v", tc.params, days, chans, recv, err)
		}
	}
}

// The digest reads the kinds and outcomes the writers write.
func TestDigestReadsWhatTheWritersWrite(t *testing.T) {
	if auditKindNotification != dispatch.AuditKindNotification || notificationDuplicate != dispatch.OutcomeDuplicate ||
		AuditKindFinding != detect.AuditKindFinding {
		t.Errorf("digest constants drifted from shared/dispatch and shared/detect")
	}
	for _, tc := range []struct {
		r    state.AuditRecord
		want string
	}{
		{state.AuditRecord{Kind: detect.AuditKindFinding, Fields: map[string]string{"source": alert.SourceDetector}}, "detector finding"},
		{state.AuditRecord{Kind: AuditKindFinding, Fields: map[string]string{"source": alert.SourceSweeper}}, "sweeper finding"},
		{state.AuditRecord{Kind: AuditKindFinding, Fields: map[string]string{}}, "sweeper finding"},
		{state.AuditRecord{Kind: AuditKindFinding, Fields: map[string]string{"source": "elsewhere"}}, "finding"},
		{state.AuditRecord{Kind: "notification"}, "notification"},
		{state.AuditRecord{}, "unknown"},
	} {
		if got := digestKind(tc.r); got != tc.want {
			t.Errorf("digestKind(%+v) = %q, want %q", tc.r, got, tc.want)
		}
	}
}
