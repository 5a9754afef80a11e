package detect

import (
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestSigmaRulesRaiseAttributedFindings(t *testing.T) {
	rules, err := LoadSigma("testdata", []string{"sigma"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != 1 || len(rules.Aggregating) != 1 {
		t.Fatalf("loaded %d rules and %d aggregating ones, want 1 and 1", len(rules.Rules), len(rules.Aggregating))
	}
	e, err := NewPatternEngine(config.Detection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddSigma(rules.Rules); err != nil {
		t.Fatal(err)
	}
	if err := e.AddSigma(rules.Rules); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("adding a rule twice: %v", err)
	}
	pub := &capture{}
	resp, err := New(e, pub, nil, nil).Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 1 || resp.Findings[0].Rule != "sigma:trail_stopped" || resp.Findings[0].Severity != "high" {
		t.Fatalf("findings = %+v", resp.Findings)
	}
	d := pub.details[0]
	for _, want := range []string{"by Watchkeeper tests", "Detection Rule License 1.1", "A test rule written"} {
		if !strings.Contains(d.Description, want) {
			t.Errorf("finding description lacks %q (the licence requires author and link):\n%s", want, d.Description)
		}
	}
}

func TestLoadSigmaReportsBrokenRulesAndMissingPaths(t *testing.T) {
	_, err := LoadSigma("testdata", []string{"sigma-broken", "no-such-dir"})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"sigma-broken/bad.yml", "no-such-dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestSigmaSeverity(t *testing.T) {
	for level, want := range map[string]string{"informational": "info", "low": "low", "High": "high", "critical": "critical", "": "medium", "weird": "medium"} {
		if got := sigmaSeverity(level); got != want {
			t.Errorf("sigmaSeverity(%q) = %q, want %q", level, got, want)
		}
	}
}
