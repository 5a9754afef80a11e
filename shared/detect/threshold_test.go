package detect

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// thresholdService is a detector with thresholds and dedup in a fresh
// moto table, publishing to pub; engine may be nil.
func thresholdService(t *testing.T, d config.Detection, engine Engine, pub Publisher, now *time.Time, aggregating ...*sigma.Rule) (*Service, *countingTable) {
	t.Helper()
	db, table := stateTable(t)
	var known func(string) bool
	if pe, ok := engine.(*PatternEngine); ok {
		known = pe.HasRule
	}
	th, err := NewThresholds(d, aggregating, known)
	if err != nil {
		t.Fatal(err)
	}
	if pe, ok := engine.(*PatternEngine); ok {
		pe.AddThresholdPatterns(th)
	}
	cat, err := NewCatalog(d, aggregating)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	sup, err := NewSuppressor(d.Suppressions, clock)
	if err != nil {
		t.Fatal(err)
	}
	return New(engine, pub, nil, clock,
		WithThresholds(th, state.NewWindowCounter(db, table)),
		WithDedup(state.NewFindingDedup(db, table), time.Hour),
		WithSuppressor(sup), WithCatalog(cat), WithTrailLogGroup("fallback-group")), db
}

func exampleThresholds(t *testing.T) config.Detection {
	t.Helper()
	// The example config's thresholds, as users write them.
	c, err := config.Load("../../watchkeeper.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return config.Detection{Thresholds: c.Detection.Thresholds, DedupWindow: "1h"}
}

func findingRules(resp outcome.Response) []string {
	var out []string
	for _, f := range resp.Findings {
		if !f.Deduplicated {
			out = append(out, f.Rule)
		}
	}
	slices.Sort(out)
	return out
}

func TestAccessDeniedThreshold(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := base.Add(10 * time.Minute)
	pub := &capture{}
	svc, db := thresholdService(t, exampleThresholds(t), nil, pub, &now)
	denied := func(who string, at time.Time) []byte {
		code := "AccessDenied"
		if strings.HasPrefix(who, "ec2") {
			code = "Client.UnauthorizedOperation"
		}
		return trailRecord(t, at, map[string]any{"userIdentity": user(who), "errorCode": code, "eventName": "ListSecrets", "eventSource": "secretsmanager.amazonaws.com"})
	}
	// Nine from alice and three from bob: no finding, one counter update per principal.
	batch := append(repeat(9, func(i int) []byte { return denied("alice", base.Add(time.Duration(i)*time.Second)) }),
		repeat(3, func(i int) []byte { return denied("bob", base.Add(time.Duration(i)*time.Second)) })...)
	batch = append(batch, trailRecord(t, base, map[string]any{"userIdentity": user("alice")})) // not denied
	resp, err := svc.Handle(t.Context(), logsEvent(t, "trail-group", batch...))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 0 {
		t.Fatalf("findings below the threshold: %+v", resp.Findings)
	}
	if got := db.updates.Load(); got != 2 {
		t.Errorf("%d UpdateItem calls for two principals' counts, want 2 (aggregate first)", got)
	}
	// The tenth from alice crosses the threshold: one finding with the count and window.
	resp, err = svc.Handle(t.Context(), logsEvent(t, "trail-group", denied("alice", base.Add(30*time.Second))))
	if err != nil {
		t.Fatal(err)
	}
	if got := findingRules(resp); !slices.Equal(got, []string{"access-denied-burst"}) || !resp.Findings[0].Published {
		t.Fatalf("findings = %+v", resp.Findings)
	}
	d := pub.details[0]
	if d.Count != 10 || d.Window != "5m0s" || d.Technique != "T1580" || d.Severity != "high" ||
		!strings.Contains(d.Description, "10 matching records from principal arn:aws:iam::123456789012:user/alice within 5m0s") ||
		d.Record == nil || d.Record.Actor.UserName != "alice" {
		t.Errorf("finding = %+v", d)
	}
	if !hasLink(d.Links, "Record in Logs Insights", "trail-group") {
		t.Errorf("links = %+v", d.Links)
	}
	// More denials from alice in the window: counted, not published again.
	resp, err = svc.Handle(t.Context(), logsEvent(t, "trail-group", denied("alice", base.Add(40*time.Second)), denied("alice", base.Add(41*time.Second))))
	if err != nil {
		t.Fatal(err)
	}
	if len(findingRules(resp)) != 0 || len(pub.details) != 1 {
		t.Errorf("published again: %+v", resp.Findings)
	}
	// EC2's spelling of the error counts too: bob reaches ten.
	if _, err := svc.Handle(t.Context(), logsEvent(t, "trail-group", repeat(7, func(i int) []byte { return denied("ec2-bob", base.Add(time.Minute)) })...)); err != nil {
		t.Fatal(err)
	}
	if len(pub.details) != 1 {
		t.Errorf("ec2-bob is another principal: %d findings", len(pub.details))
	}
}

func hasLink(links []alert.Link, title, contains string) bool {
	for _, l := range links {
		if l.Title == title && strings.Contains(l.URL, contains) {
			return true
		}
	}
	return false
}

// The threshold's pattern runs in the thresholds themselves (no engine)
// or, moved there by AddThresholdPatterns, in the rule engine; both count
// the same, and the engine's internal rule never becomes a finding.
//
// The threshold is the attack pack's burst rule (the example config's
// copy gave way to it).
func TestConsoleLoginFailureThresholdPerSourceIP(t *testing.T) {
	packDetection := config.Detection{Packs: []string{config.PackAttack}, DedupWindow: "1h"}
	for _, withEngine := range []bool{false, true} {
		t.Run(map[bool]string{false: "thresholds decode", true: "engine decodes"}[withEngine], func(t *testing.T) {
			base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
			now := base
			pub := &capture{}
			var engine Engine
			if withEngine {
				e, err := NewPatternEngine(packDetection, nil)
				if err != nil {
					t.Fatal(err)
				}
				engine = e
			}
			var logs strings.Builder
			svc, _ := thresholdService(t, packDetection, engine, pub, &now)
			svc.logger = slog.New(slog.NewJSONHandler(&logs, nil))
			failed := func(ip string, i int) []byte {
				return trailRecord(t, base.Add(time.Duration(i)*time.Second), map[string]any{
					"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "sourceIPAddress": ip,
					"errorMessage": "Failed authentication", "responseElements": map[string]any{"ConsoleLogin": "Failure"},
				})
			}
			// Two from each of two addresses: nothing.
			if resp, err := svc.Handle(t.Context(), logsEvent(t, "g", failed("198.51.100.1", 0), failed("198.51.100.2", 1), failed("198.51.100.1", 2), failed("198.51.100.2", 3))); err != nil || len(resp.Findings) != 0 {
				t.Fatalf("spread over two addresses: %+v, %v", resp.Findings, err)
			}
			// A third from one of them: one finding, keyed by that address.
			resp, err := svc.Handle(t.Context(), logsEvent(t, "g", failed("198.51.100.2", 4)))
			if err != nil {
				t.Fatal(err)
			}
			if got := findingRules(resp); !slices.Equal(got, []string{"attack.credential-access.console-login-failure-burst"}) ||
				!strings.Contains(pub.details[0].Description, "source ip 198.51.100.2") || pub.details[0].Count != 3 {
				t.Fatalf("findings = %+v / %+v", resp.Findings, pub.details)
			}
			if strings.Contains(logs.String(), thresholdRulePrefix) {
				t.Errorf("an internal threshold rule reached the metrics:\n%s", logs.String())
			}
		})
	}
}

// Records older than the window stop counting: the previous bucket is
// weighted by how much of it the window still covers.
func TestThresholdWindowSlides(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := base
	pub := &capture{}
	d := config.Detection{Thresholds: []config.Threshold{{ID: "puts", Title: "t", Severity: "low",
		Pattern: `{ $.eventName = "PutObject" }`, Count: 10, Window: "5m", Key: "account"}}}
	svc, _ := thresholdService(t, d, nil, pub, &now)
	put := func(at time.Time) []byte { return trailRecord(t, at, map[string]any{"eventName": "PutObject"}) }
	if _, err := svc.Handle(t.Context(), logsEvent(t, "g", repeat(6, func(i int) []byte { return put(base.Add(time.Minute)) })...)); err != nil {
		t.Fatal(err)
	}
	// Two minutes into the next bucket: 4 + 6 × 3/5 = 7.6 < 10.
	if resp, err := svc.Handle(t.Context(), logsEvent(t, "g", repeat(4, func(i int) []byte { return put(base.Add(7 * time.Minute)) })...)); err != nil || len(resp.Findings) != 0 {
		t.Fatalf("old records still counted in full: %+v, %v", resp.Findings, err)
	}
	// Three more: 7 + 3.6 = 10.6.
	resp, err := svc.Handle(t.Context(), logsEvent(t, "g", repeat(3, func(i int) []byte { return put(base.Add(7 * time.Minute)) })...))
	if err != nil || len(resp.Findings) != 1 || pub.details[0].Count != 11 {
		t.Fatalf("findings = %+v, %v", resp.Findings, err)
	}
}

// A threshold over a rule counts that rule's unsuppressed matches.
func TestThresholdOverARule(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := base
	pub := &capture{}
	d := config.Detection{
		Rules: []config.DetectionRule{{ID: "secret-read", Title: "Secret read", Severity: "info", Pattern: `{ $.eventName = "GetSecretValue" }`}},
		Thresholds: []config.Threshold{{ID: "bulk-secret-reads", Title: "Bulk secret reads", Severity: "high",
			Rule: "secret-read", Count: 3, Window: "10m", Key: "access_key", Technique: "T1555.006"}},
		Suppressions: []config.Suppression{{Principal: "*:user/rotation", Reason: "the rotation job reads every secret", Until: "2030-01-01T00:00:00Z"}},
	}
	e, err := NewPatternEngine(d, nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := thresholdService(t, d, e, pub, &now)
	read := func(who string) []byte {
		return trailRecord(t, base, map[string]any{"userIdentity": user(who), "eventName": "GetSecretValue", "eventSource": "secretsmanager.amazonaws.com"})
	}
	resp, err := svc.Handle(t.Context(), logsEvent(t, "g", read("carol"), read("rotation"), read("rotation"), read("rotation"), read("carol"), read("carol")))
	if err != nil {
		t.Fatal(err)
	}
	// carol's reads: three secret-read findings folded into one by dedup, and the threshold.
	if got := findingRules(resp); !slices.Equal(got, []string{"bulk-secret-reads", "secret-read"}) {
		t.Fatalf("findings = %v", got)
	}
	for _, d := range pub.details {
		if d.Rule == "bulk-secret-reads" && (d.Technique != "T1555.006" || d.Record.Actor.AccessKeyID != "AKIAcarol") {
			t.Errorf("threshold finding = %+v", d)
		}
	}
	if _, err := NewThresholds(config.Detection{Thresholds: []config.Threshold{{ID: "x", Rule: "nope", Count: 1, Window: "1m", Key: "account"}}}, nil, e.HasRule); err == nil ||
		!strings.Contains(err.Error(), `rule "nope" is not a loaded rule`) {
		t.Errorf("unknown rule: %v", err)
	}
}
