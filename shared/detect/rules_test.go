package detect

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func rulesOf(resp []string) []string { slices.Sort(resp); return resp }

func TestPatternEngineOnSamples(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	d := config.Detection{
		Rules: []config.DetectionRule{
			{ID: "stop-logging", Title: "CloudTrail logging stopped", Severity: "critical", Pattern: `{ ($.eventSource = cloudtrail.amazonaws.com) && ($.eventName = StopLogging) }`},
			{ID: "console-no-mfa", Title: "Console sign-in without MFA", Severity: "high", Pattern: `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }`},
			{ID: "iam-writes", Title: "IAM change", Severity: "medium", Pattern: `{ $.eventSource = "iam.amazonaws.com" && $.readOnly IS FALSE }`},
			{ID: "office", Title: "From the office", Severity: "info", Pattern: `{ $.sourceIPAddress = "203.0.113.*" }`},
		},
		Suppressions: []config.Suppression{
			{Rule: "office", Matchers: []string{`event_name="CreateAccessKey"`}, Reason: "expected"},
			{Rule: "iam-writes", Matchers: []string{`source_ip="203.0.113.10"`}, Reason: "expired drill", Until: "2026-01-01T00:00:00Z"},
		},
	}
	e, err := NewPatternEngine(d, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	if e.Len() != 4 {
		t.Fatalf("Len = %d", e.Len())
	}
	svc := New(e, nil, nil, func() time.Time { return now })

	resp, err := svc.Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.Findings {
		got = append(got, f.Rule)
		if f.Title == "" || f.Severity == "" {
			t.Errorf("finding without title or severity: %+v", f)
		}
	}
	// StopLogging (office IP), CreateAccessKey (iam write; office rule suppressed), ConsoleLogin without MFA.
	want := []string{"console-no-mfa", "iam-writes", "office", "stop-logging"}
	if got = rulesOf(got); !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}

	// The same engine on the EventBridge path (an AttachUserPolicy API call).
	resp, err = svc.Handle(t.Context(), readEvent(t, "detector/eventbridge-api-call.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 2 || rulesOf([]string{resp.Findings[0].Rule, resp.Findings[1].Rule})[0] != "iam-writes" {
		t.Errorf("API call findings = %+v", resp.Findings)
	}
}

func TestPatternEngineSuppressionExpires(t *testing.T) {
	d := config.Detection{
		Rules:        []config.DetectionRule{{ID: "r", Title: "t", Severity: "low", Pattern: `{ $.eventName = "StopLogging" }`}},
		Suppressions: []config.Suppression{{Rule: "r", Reason: "window", Until: "2026-11-25T12:00:00Z"}},
	}
	for _, tt := range []struct {
		now  time.Time
		want int
	}{
		{time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC), 1},
	} {
		e, err := NewPatternEngine(d, func() time.Time { return tt.now })
		if err != nil {
			t.Fatal(err)
		}
		resp, err := New(e, nil, nil, nil).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Findings) != tt.want {
			t.Errorf("at %s: %d findings, want %d", tt.now, len(resp.Findings), tt.want)
		}
	}
}

func TestNewPatternEngineReportsEveryMistake(t *testing.T) {
	_, err := NewPatternEngine(config.Detection{
		Rules: []config.DetectionRule{
			{ID: "a", Pattern: `{ ($.x = 1 }`},
			{ID: "b", Pattern: `{ $.x => 1 }`},
		},
		Suppressions: []config.Suppression{{Rule: "a", Matchers: []string{"=~"}}, {Rule: "a", Until: "tomorrow"}},
	}, nil)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"detection.rules[0] (a)", "detection.rules[1] (b)", "detection.suppressions[0]", "detection.suppressions[1].until"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
