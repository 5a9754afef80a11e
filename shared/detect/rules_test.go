package detect

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
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
	svc := New(e, nil, nil, func() time.Time { return now }, WithSuppressor(mustSuppressor(t, d.Suppressions, now)))

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

func TestSuppressionExpires(t *testing.T) {
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
		sup, err := NewSuppressor(d.Suppressions, func() time.Time { return tt.now })
		if err != nil {
			t.Fatal(err)
		}
		resp, err := New(e, nil, nil, nil, WithSuppressor(sup)).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
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
	}, nil)
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"detection.rules[0] (a)", "detection.rules[1] (b)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// logsRecords are the CloudTrail records of the sample Logs batch, as delivered.
func logsRecords(t *testing.T) [][]byte {
	t.Helper()
	var batch struct {
		LogEvents []struct {
			Message string `json:"message"`
		} `json:"logEvents"`
	}
	if err := json.Unmarshal(readEvent(t, "detector/logs-cloudtrail.decoded.json"), &batch); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, ev := range batch.LogEvents {
		out = append(out, []byte(ev.Message))
	}
	return out
}

func TestPatternEngineWithPacks(t *testing.T) {
	e, err := NewPatternEngine(config.Detection{Packs: []string{config.PackCIS, config.PackAttack}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cis, _ := packs.Load(config.PackCIS)
	attack, _ := packs.Load(config.PackAttack)
	// Burst rules are the threshold engine's, not findings per record.
	perRecord := 0
	for _, r := range append(cis.Rules, attack.Rules...) {
		if r.Threshold == nil {
			perRecord++
		} else if e.HasRule(r.ID) {
			t.Errorf("burst rule %s is an engine rule", r.ID)
		}
	}
	if e.Len() != perRecord || perRecord == len(cis.Rules)+len(attack.Rules) {
		t.Errorf("Len = %d, want %d of %d pack rules", e.Len(), perRecord, len(cis.Rules)+len(attack.Rules))
	}

	// Record by record, in the sample batch's order.
	want := map[string][]string{
		"StopLogging":                   {"attack.defense-evasion.cloudtrail-stopped", "cis.4.5"},
		"AuthorizeSecurityGroupIngress": {"cis.4.10"},
		"CreateAccessKey":               {"attack.persistence.access-key-for-other-user"},
		"ConsoleLogin":                  {"attack.initial-access.console-login-without-mfa", "cis.4.2"},
		"DescribeInstances":             nil,
	}
	records := logsRecords(t)
	if len(records) != len(want) {
		t.Fatalf("sample batch has %d records, want %d", len(records), len(want))
	}
	for _, raw := range records {
		rec, err := cloudtrail.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range e.Evaluate(rec, raw) {
			got = append(got, m.Rule)
			if strings.Contains(m.Description, "ATT&CK") {
				t.Errorf("%s: the technique is a field, not part of the description: %q", m.Rule, m.Description)
			}
			if strings.HasPrefix(m.Rule, "cis.") != strings.Contains(m.Description, "CIS AWS Foundations Benchmark: 4.") {
				t.Errorf("%s: CIS reference wrong in %q", m.Rule, m.Description)
			}
		}
		if got = rulesOf(got); !slices.Equal(got, want[rec.EventName]) {
			t.Errorf("%s: findings %v, want %v", rec.EventName, got, want[rec.EventName])
		}
	}

	// The whole batch through the service, published findings included.
	pub := &capture{}
	cat, err := NewCatalog(config.Detection{Packs: []string{config.PackCIS, config.PackAttack}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := New(e, pub, nil, nil, WithCatalog(cat)).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.Findings {
		got = append(got, f.Rule)
	}
	wantAll := []string{
		"attack.defense-evasion.cloudtrail-stopped", "attack.initial-access.console-login-without-mfa",
		"attack.persistence.access-key-for-other-user", "cis.4.10", "cis.4.2", "cis.4.5",
	}
	if got = rulesOf(got); !slices.Equal(got, wantAll) {
		t.Errorf("findings = %v, want %v", got, wantAll)
	}
	if len(pub.details) != len(wantAll) {
		t.Fatalf("published %d findings, want %d", len(pub.details), len(wantAll))
	}
	for _, d := range pub.details {
		if d.Rule == "attack.defense-evasion.cloudtrail-stopped" && d.Technique != "T1562.008" {
			t.Errorf("published technique = %q", d.Technique)
		}
		if d.Technique == "" {
			t.Errorf("%s: published without a technique", d.Rule)
		}
		if d.Rule == "cis.4.5" && !strings.HasSuffix(d.Description, "CIS AWS Foundations Benchmark: 4.5 (Security Hub CloudWatch.5)") {
			t.Errorf("published description = %q", d.Description)
		}
	}

	// The EventBridge path: AttachUserPolicy of AdministratorAccess.
	resp, err = New(e, nil, nil, nil).Handle(t.Context(), readEvent(t, "detector/eventbridge-api-call.json"))
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, f := range resp.Findings {
		got = append(got, f.Rule)
	}
	if want := []string{"attack.privilege-escalation.administrator-access-attached", "cis.4.4"}; !slices.Equal(rulesOf(got), want) {
		t.Errorf("API call findings = %v, want %v", got, want)
	}
}

// TestCIS41DoesNotFireOnEverything shows why cis.4.1 uses the v4.0+ text:
// the v1.4-v3.0 text, all ||, fires on every sample record, ours on none of
// them (none was refused) and on an AccessDenied record.
func TestCIS41DoesNotFireOnEverything(t *testing.T) {
	cis, err := packs.Load(config.PackCIS)
	if err != nil {
		t.Fatal(err)
	}
	var ours *filterpattern.Pattern
	for _, r := range cis.Rules {
		if r.ID == "cis.4.1" {
			if ours, err = r.Compile(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ours == nil {
		t.Fatal("no cis.4.1")
	}
	flawed, err := filterpattern.Compile(`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }`)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range logsRecords(t) {
		ev := filterpattern.NewEvent(string(raw))
		if !flawed.MatchEvent(ev) {
			t.Errorf("the v1.4-v3.0 text unexpectedly skips %s", raw[:80])
		}
		if ours.MatchEvent(ev) {
			t.Errorf("cis.4.1 fires on a call that was not refused: %s", raw[:80])
		}
	}
	denied := `{"eventVersion":"1.10","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.10","errorCode":"AccessDenied","recipientAccountId":"123456789012"}`
	if !ours.Match(denied) {
		t.Error("cis.4.1 misses an AccessDenied call")
	}

	// Through the engine: cis.4.1 is in the pack yet raises nothing on the samples.
	e, err := NewPatternEngine(config.Detection{Packs: []string{config.PackCIS}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := New(e, nil, nil, nil).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range resp.Findings {
		if f.Rule == "cis.4.1" {
			t.Errorf("cis.4.1 fired: %+v", f)
		}
	}
}

func TestPatternEnginePackSuppression(t *testing.T) {
	d := config.Detection{
		Packs: []string{config.PackCIS, config.PackAttack},
		Suppressions: []config.Suppression{
			{Rule: "cis.4.10", Reason: "security groups are managed by CDK"},
			{Rule: "attack.defense-evasion.cloudtrail-stopped", Matchers: []string{`source_ip="203.0.113.10"`}, Reason: "trail rebuild from the office"},
			{Rule: "cis.4.2", Matchers: []string{`source_ip="198.51.100.1"`}, Reason: "does not match the sample"},
		},
	}
	e, err := NewPatternEngine(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := New(e, nil, nil, nil, WithSuppressor(mustSuppressor(t, d.Suppressions, time.Now()))).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range resp.Findings {
		got = append(got, f.Rule)
	}
	want := []string{"attack.initial-access.console-login-without-mfa", "attack.persistence.access-key-for-other-user", "cis.4.2", "cis.4.5"}
	if got = rulesOf(got); !slices.Equal(got, want) {
		t.Errorf("findings = %v, want %v", got, want)
	}
}

func TestNewPatternEnginePackMistakes(t *testing.T) {
	tests := []struct {
		name string
		d    config.Detection
		want []string
	}{
		{"unknown pack", config.Detection{Packs: []string{"cis", "nist"}}, []string{`detection.packs[1]`, `"nist"`, "cis, attack"}},
		{"custom rule reuses a pack id", config.Detection{
			Packs: []string{"attack"},
			Rules: []config.DetectionRule{{ID: "attack.impact.s3-bucket-deleted", Title: "t", Severity: "low", Pattern: `{ $.eventName = "DeleteBucket" }`}},
		}, []string{"detection.rules[0] (attack.impact.s3-bucket-deleted)", "pack attack"}},
		{"two custom rules share an id", config.Detection{
			Rules: []config.DetectionRule{
				{ID: "mine", Pattern: `{ $.eventName = "A" }`},
				{ID: "mine", Pattern: `{ $.eventName = "B" }`},
			},
		}, []string{"detection.rules[1] (mine)", "detection.rules[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewPatternEngine(tt.d, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestPatternEnginePackListedTwice(t *testing.T) {
	once, err := NewPatternEngine(config.Detection{Packs: []string{"cis"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	twice, err := NewPatternEngine(config.Detection{Packs: []string{"cis", "cis"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if once.Len() != twice.Len() {
		t.Errorf("Len = %d listed once, %d listed twice", once.Len(), twice.Len())
	}
}
