package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/state"
)

// TestAuditCommand lists records seeded in moto's table through `wk audit`,
// the table found from the stack's output.
func TestAuditCommand(t *testing.T) {
	_, table := silenceEnv(t)
	// silenceEnv pointed the SDK's environment at moto.
	cfg, err := awsconfig.LoadDefaultConfig(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	store := state.NewStore(dynamodb.NewFromConfig(cfg), table, nil)
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	recent := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	seed := []state.AuditRecord{
		{Kind: "notification", ID: "sns-1#alarm-web", Time: day.Add(10 * time.Hour), Fields: map[string]string{
			"title": "web-cpu-high in ALARM", "severity": "high", "account": "123456789012", "rule": "web-cpu-high",
			"source": "cloudwatch.alarm", "outcome": "sent", "channel_status": "ops/chat=sent"}},
		{Kind: "finding", ID: "attack.stop-logging#evt-1", Time: day.Add(11 * time.Hour), Fields: map[string]string{
			"rule": "attack.stop-logging", "severity": "critical", "account": "123456789012", "source": "watchkeeper.detector",
			"event_name": "StopLogging", "actor": "arn:aws:iam::123456789012:user/mallory\t\x1b[31mred"}},
		{Kind: "remediation", ID: "r1", Time: day.Add(30 * time.Hour), Fields: map[string]string{
			"rule": "close-ssh", "outcome": "planned", "resource": "sg-1", "detail": "would revoke 0.0.0.0/0:22"}},
		{Kind: "finding", ID: "recent", Time: recent, Fields: map[string]string{"rule": "posture.root-no-mfa", "source": "watchkeeper.sweeper", "title": "Root has no MFA"}},
	}
	for _, r := range seed {
		if err := store.PutAudit(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}

	r := wkRun(t, nil, "audit", "-from", "2026-11-24T00:00:00Z", "-to", "2026-11-25T00:00:00Z")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	for i, want := range [][]string{
		{"2026-11-24T10:00:00Z", "notification", "cloudwatch.alarm", "high", "123456789012", "web-cpu-high", "sent", "web-cpu-high in ALARM → ops/chat=sent"},
		{"2026-11-24T11:00:00Z", "finding", "detector", "critical", "attack.stop-logging", "StopLogging by arn:aws:iam::123456789012:user/mallory"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("line %d %q lacks %q", i+1, lines[i+1], w)
			}
		}
	}
	if strings.ContainsAny(r.stdout, "\x1b\t") {
		t.Errorf("control characters from a record reached the terminal: %q", r.stdout)
	}

	// By kind, over both days.
	r = wkRun(t, nil, "audit", "-kind", "remediation", "-from", "2026-11-24T00:00:00Z", "-to", "2026-11-26T00:00:00Z", "-table", table)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); r.code != exitOK || len(lines) != 2 ||
		!strings.Contains(lines[1], "close-ssh") || !strings.Contains(lines[1], "planned") || !strings.Contains(lines[1], "would revoke") {
		t.Errorf("-kind remediation: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// -since from now, as JSON.
	r = wkRun(t, nil, "audit", "-since", "2h", "-json")
	if r.code != exitOK {
		t.Fatalf("-json: exit %d\n%s", r.code, r.stderr)
	}
	var got auditRecordJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &got); err != nil {
		t.Fatalf("-json printed %q: %v", r.stdout, err)
	}
	if got.ID != "recent" || got.Kind != "finding" || !got.Time.Equal(recent) || got.Fields["title"] != "Root has no MFA" {
		t.Errorf("-json record = %+v", got)
	}

	// Nothing there: an empty table and a note on stderr.
	r = wkRun(t, nil, "audit", "-from", "2026-10-01T00:00:00Z", "-to", "2026-10-02T00:00:00Z", "-kind", "finding")
	if r.code != exitOK || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "no audit records") {
		t.Errorf("empty span: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A stack without the table output.
	r = wkRun(t, nil, "audit", "-stack", "NoSuchStack")
	if r.code != exitFunctionError || r.stderr == "" {
		t.Errorf("missing stack: exit %d %q", r.code, r.stderr)
	}
}

func TestAuditSpan(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		since, from, to string
		start, end      time.Time
		wantErr         string
	}{
		{since: "24h", start: now.Add(-24 * time.Hour), end: now},
		{since: "7d", start: now.Add(-7 * 24 * time.Hour), end: now},
		{since: "24h", from: "2026-11-20T00:00:00Z", to: "2026-11-21T06:00:00Z",
			start: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)},
		{since: "31d", start: now.Add(-31 * 24 * time.Hour), end: now},
		{since: "32d", wantErr: "over 31 days"},
		{since: "soon", wantErr: "-since"},
		{from: "yesterday", wantErr: "-from"},
		{since: "1h", to: "2026-13-01", wantErr: "-to"},
		{from: "2026-11-26T00:00:00Z", to: "2026-11-25T00:00:00Z", wantErr: "empty"},
	}
	for _, tc := range tests {
		start, end, err := auditSpan(now, tc.since, tc.from, tc.to)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: error %v, want %q", tc, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !start.Equal(tc.start) || !end.Equal(tc.end) {
			t.Errorf("%+v: %s to %s, %v", tc, start, end, err)
		}
	}
}

func TestAuditBadFlags(t *testing.T) {
	for _, args := range [][]string{{"audit", "extra"}, {"audit", "-since", "0h"}, {"audit", "-nope"}} {
		if r := wkRun(t, nil, args...); r.code != exitHarness {
			t.Errorf("%q: exit %d, want %d", args, r.code, exitHarness)
		}
	}
}
