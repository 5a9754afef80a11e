package detect

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

func mustSuppressor(t *testing.T, ss []config.Suppression, now time.Time) *Suppressor {
	t.Helper()
	s, err := NewSuppressor(ss, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSuppressorConditions(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	rec := &cloudtrail.Record{
		EventName: "PutObject", EventSource: "s3.amazonaws.com", AWSRegion: "eu-west-1",
		SourceIPAddress: "198.51.100.23", UserAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.9.8",
		RecipientAccountID: "123456789012",
		UserIdentity:       cloudtrail.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/ci-deploy/run-42", AccountID: "123456789012"},
	}
	const until = "2027-01-01T00:00:00Z"
	cases := []struct {
		name string
		s    config.Suppression
		rule string
		want bool
	}{
		{"global by principal glob", config.Suppression{Principal: "arn:aws:sts::*:assumed-role/ci-deploy/*"}, "any", true},
		{"principal glob misses", config.Suppression{Principal: "arn:aws:sts::*:assumed-role/admin/*"}, "any", false},
		{"? is one character", config.Suppression{Principal: "arn:aws:sts::123456789012:assumed-role/ci-deploy/run-4?"}, "any", true},
		{"glob metacharacters are literal", config.Suppression{Principal: "arn:aws:sts::123456789012:assumed-role/ci.deploy/*"}, "any", false},
		{"cidr contains", config.Suppression{SourceCIDR: "198.51.100.0/24"}, "any", true},
		{"cidr misses", config.Suppression{SourceCIDR: "203.0.113.0/24"}, "any", false},
		{"ipv6 cidr never holds an ipv4 address", config.Suppression{SourceCIDR: "2001:db8::/32"}, "any", false},
		{"user agent glob", config.Suppression{UserAgent: "*Terraform/*"}, "any", true},
		{"user agent misses", config.Suppression{UserAgent: "aws-cli/*"}, "any", false},
		{"account", config.Suppression{Account: "123456789012"}, "any", true},
		{"other account", config.Suppression{Account: "210987654321"}, "any", false},
		{"region", config.Suppression{Region: "eu-west-1"}, "any", true},
		{"other region", config.Suppression{Region: "us-east-1"}, "any", false},
		{"all conditions hold", config.Suppression{Rule: "r", Principal: "*ci-deploy*", SourceCIDR: "198.51.100.0/24", Region: "eu-west-1", Matchers: []string{`event_name="PutObject"`}}, "r", true},
		{"one condition fails", config.Suppression{Rule: "r", Principal: "*ci-deploy*", SourceCIDR: "198.51.100.0/24", Region: "us-east-1"}, "r", false},
		{"other rule", config.Suppression{Rule: "r", Principal: "*"}, "other", false},
		{"matcher on the rule label", config.Suppression{Matchers: []string{`rule=~"attack\\..*"`}}, "attack.x", true},
		{"expired", config.Suppression{Principal: "*", Until: "2026-01-01T00:00:00Z"}, "any", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.s.Until == "" {
				tc.s.Until = until
			}
			tc.s.Reason = "test"
			s := mustSuppressor(t, []config.Suppression{tc.s}, now)
			_, reason, got := s.Suppressed(tc.rule, rec, func() map[string]string {
				return map[string]string{"event_name": rec.EventName}
			})
			if got != tc.want || (got && reason != "test") {
				t.Errorf("Suppressed = %v (%q), want %v", got, reason, tc.want)
			}
		})
	}
	// A service name as source address is in no CIDR.
	svcRec := *rec
	svcRec.SourceIPAddress = "ec2.amazonaws.com"
	s := mustSuppressor(t, []config.Suppression{{SourceCIDR: "0.0.0.0/0", Reason: "x", Until: until}}, now)
	if _, _, ok := s.Suppressed("r", &svcRec, nil); ok {
		t.Error("a service principal's record fell in a CIDR")
	}
}

func TestNewSuppressorReportsEveryMistake(t *testing.T) {
	_, err := NewSuppressor([]config.Suppression{
		{Rule: "a", Matchers: []string{"=~"}},
		{Rule: "a", Until: "tomorrow"},
		{SourceCIDR: "10.0.0.0/33"},
	}, nil)
	for _, want := range []string{"detection.suppressions[0]", "detection.suppressions[1].until", "detection.suppressions[2].source_cidr"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// Suppressed matches are not published but are counted per rule in the
// SuppressedMatches metric and logged at debug level.
func TestSuppressedMatchesAreCounted(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	e := eventNameEngine{"StopLogging": "stop", "ConsoleLogin": "login", "CreateAccessKey": "key"}
	sup := mustSuppressor(t, []config.Suppression{
		{Rule: "stop", Reason: "trail rebuild", Until: "2027-01-01T00:00:00Z"},
		{SourceCIDR: "0.0.0.0/0", Reason: "everything from IPv4", Until: "2027-01-01T00:00:00Z", Matchers: []string{`rule="login"`}},
	}, now)
	var logs bytes.Buffer
	pub := &capture{}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	resp, err := New(e, pub, logger, func() time.Time { return now }, WithSuppressor(sup)).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 1 || resp.Findings[0].Rule != "key" || len(pub.details) != 1 {
		t.Fatalf("findings = %+v", resp.Findings)
	}
	suppressed, matches := map[string]float64{}, map[string]float64{}
	debug := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if v, ok := m["SuppressedMatches"].(float64); ok {
			suppressed[m["Rule"].(string)] = v
		}
		if v, ok := m["Matches"].(float64); ok {
			matches[m["Rule"].(string)] = v
		}
		if m["msg"] == "match suppressed" && m["level"] == "DEBUG" && m["reason"] != "" {
			debug++
		}
	}
	if suppressed["stop"] != 1 || suppressed["login"] != 1 || len(suppressed) != 2 {
		t.Errorf("SuppressedMatches = %v", suppressed)
	}
	if matches["key"] != 1 || len(matches) != 1 {
		t.Errorf("Matches = %v (rules without matches must not be emitted)", matches)
	}
	if debug != 2 {
		t.Errorf("%d debug lines about suppressed matches, want 2:\n%s", debug, logs.String())
	}
}
