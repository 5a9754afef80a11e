package remediate

import (
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestOptInCheck(t *testing.T) {
	tagged := Plan{Action: "asg-adjust-capacity", Target: Target{ID: "web-asg"}, TagsRead: true,
		Tags: map[string]string{"watchkeeper:remediate": " ON "}}
	untagged := Plan{Action: "asg-adjust-capacity", Target: Target{ID: "web-asg"}, TagsRead: true, Tags: map[string]string{}}
	otherValue := Plan{Action: "asg-adjust-capacity", Target: Target{ID: "web-asg"}, TagsRead: true,
		Tags: map[string]string{"watchkeeper:remediate": "later"}}
	tagless := Plan{Action: "cloudtrail-start-logging", Target: Target{ID: "main"}}
	cases := []struct {
		name, tag string
		plan      Plan
		exempt    bool
		want      string
		why       string
	}{
		{"mode off acts on anything", "", untagged, false, "", ""},
		{"mode off ignores tagless plans", "", tagless, false, "", ""},
		{"tagged", "watchkeeper:remediate=on", tagged, false, "", ""},
		{"untagged", "watchkeeper:remediate=on", untagged, false, GuardrailOptIn, "web-asg is not tagged watchkeeper:remediate=on (opt-in mode)"},
		{"other value", "watchkeeper:remediate=on", otherValue, false, GuardrailOptIn, "not tagged"},
		{"bare key matches any value", "watchkeeper:remediate", otherValue, false, "", ""},
		{"exempt rule still needs the tag where tags are read", "watchkeeper:remediate=on", untagged, true, GuardrailOptIn, "not tagged"},
		{"tags not read", "watchkeeper:remediate=on", tagless, false, GuardrailOptIn,
			"cloudtrail-start-logging does not read the tags of main; set opt_in_exempt"},
		{"tags not read, exempt rule", "watchkeeper:remediate=on", tagless, true, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g, why := parseOptIn(tc.tag).check(tc.plan, tc.exempt)
			if g != tc.want || !strings.Contains(why, tc.why) {
				t.Errorf("check = %q, %q; want %q containing %q", g, why, tc.want, tc.why)
			}
		})
	}
}

// optInConfig is remediationConfig in opt-in mode.
func optInConfig(rules ...config.RemediationRule) *config.Config {
	cfg := remediationConfig(config.ModeEnforce, rules...)
	cfg.Remediation.Guardrails.OptInTag = "watchkeeper:remediate=on"
	return cfg
}

// TestServiceOptInMode runs the service against moto in opt-in mode: the
// tagged group is scaled, the untagged one is left alone with the opt-in
// guardrail named in the response, the audit record and the published event.
func TestServiceOptInMode(t *testing.T) {
	for _, tc := range []struct {
		name        string
		tags        map[string]string
		outcome     string
		guardrail   string
		wantDesired int32
	}{
		{"tagged", map[string]string{"watchkeeper:remediate": "on"}, alert.OutcomeApplied, "", 4},
		{"untagged", map[string]string{"team": "web"}, alert.OutcomeSkipped, GuardrailOptIn, 2},
		{"opted out wins", map[string]string{"watchkeeper:remediate": "off"}, alert.OutcomeSkipped, GuardrailOptOut, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, optInConfig(scaleOnCPU))
			h.env.seedASG(t, "web-asg", 1, 2, 6, tc.tags)
			resp := handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json"))
			if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != tc.outcome {
				t.Fatalf("remediations = %+v, want one %s", resp.Remediations, tc.outcome)
			}
			if got := h.env.desired(t, "web-asg"); got != tc.wantDesired {
				t.Errorf("desired = %d, want %d", got, tc.wantDesired)
			}
			recs := h.audit(t)
			if len(recs) != 1 || recs[0].Fields["guardrail"] != tc.guardrail || recs[0].Fields["outcome"] != tc.outcome {
				t.Errorf("audit = %+v, want guardrail %q", recs, tc.guardrail)
			}
			h.bus.mu.Lock()
			defer h.bus.mu.Unlock()
			if len(h.bus.events) != 1 || h.bus.events[0].Label(alert.LabelGuardrail) != tc.guardrail {
				t.Errorf("published %+v, want guardrail %q", h.bus.events, tc.guardrail)
			}
		})
	}
}

// TestServiceOptInTaglessActions: a trail's tags are not read by
// cloudtrail-start-logging, so opt-in mode refuses it unless the rule is
// opt_in_exempt; the trail in moto shows which happened.
func TestServiceOptInTaglessActions(t *testing.T) {
	restart := config.RemediationRule{Name: "restart-trail", Matchers: []string{"event_name=StopLogging"}, Action: "cloudtrail-start-logging"}
	exempt := restart
	exempt.OptInExempt = true
	for _, tc := range []struct {
		name        string
		rule        config.RemediationRule
		wantLogging bool
		guardrail   string
	}{
		{"refused", restart, false, GuardrailOptIn},
		{"exempt", exempt, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, optInConfig(tc.rule))
			h.env.seedTrail(t, "watchkeeper-trail", false)
			resp := handle(t, h.svc, sampleEvent(t, "eventbridge-stop-logging.json"))
			if got := h.env.trailLogging(t, "watchkeeper-trail"); got != tc.wantLogging {
				t.Errorf("logging = %t, want %t (remediations %+v)", got, tc.wantLogging, resp.Remediations)
			}
			recs := h.audit(t)
			if len(recs) != 1 || recs[0].Fields["guardrail"] != tc.guardrail {
				t.Fatalf("audit = %+v, want guardrail %q", recs, tc.guardrail)
			}
			if tc.guardrail != "" && !strings.Contains(recs[0].Fields["detail"], "set opt_in_exempt on the rule") {
				t.Errorf("detail = %q", recs[0].Fields["detail"])
			}
			if got := h.bus.outcomes(); !slices.Equal(got, []string{"restart-trail:" + resp.Remediations[0].Outcome}) {
				t.Errorf("published %v", got)
			}
		})
	}
}
