package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
)

// TestCISMetricFilters checks trail.cis_alarms: one metric filter per CIS
// control on the trail's log group with the pattern text the detector runs,
// and an alarm on each (≥ 1 in 5 minutes) notifying the alarm topic. The
// example creates its trail; options.yaml turns the switch on for an
// existing trail's log group without the detector's cis pack.
func TestCISMetricFilters(t *testing.T) {
	pack, err := packs.Load(config.PackCIS)
	if err != nil {
		t.Fatal(err)
	}
	bothSynths(t, func(t *testing.T, s *synthesis) {
		if s.cfg.Trail.CISAlarms == nil || !*s.cfg.Trail.CISAlarms {
			t.Fatalf("%s: trail.cis_alarms is off; both test configs should deploy the CIS filters", s.name)
		}
		filters := map[string]obj{}
		for _, f := range s.resources("AWS::Logs::MetricFilter") {
			tr := asSlice(props(f)["MetricTransformations"])
			if len(tr) == 1 && dig(tr[0], "MetricNamespace") == CISMetricNamespace {
				filters[fmt.Sprint(dig(tr[0], "MetricName"))] = props(f)
			}
		}
		if len(filters) != len(pack.Rules) {
			t.Errorf("%d CIS metric filters, want %d (one per control)", len(filters), len(pack.Rules))
		}
		alarms := map[string]obj{}
		for _, a := range s.resources("AWS::CloudWatch::Alarm") {
			if props(a)["Namespace"] == CISMetricNamespace {
				alarms[fmt.Sprint(props(a)["MetricName"])] = props(a)
			}
		}
		if len(alarms) != len(pack.Rules) {
			t.Errorf("%d CIS alarms, want %d", len(alarms), len(pack.Rules))
		}
		for _, r := range pack.Rules {
			f, ok := filters[r.ID]
			if !ok {
				t.Errorf("%s: no metric filter", r.ID)
				continue
			}
			if f["FilterPattern"] != r.Pattern {
				t.Errorf("%s: pattern %q, want the pack's %q", r.ID, f["FilterPattern"], r.Pattern)
			}
			if s.cfg.Trail.LogGroupName != "" {
				if f["LogGroupName"] != s.cfg.Trail.LogGroupName {
					t.Errorf("%s: filter on %v, want %s", r.ID, f["LogGroupName"], s.cfg.Trail.LogGroupName)
				}
			} else if id, ok := refID(f["LogGroupName"]); !ok || s.resource(id)["Type"] != "AWS::Logs::LogGroup" {
				t.Errorf("%s: filter on %v, want the trail's log group", r.ID, f["LogGroupName"])
			}
			want := obj{"MetricNamespace": CISMetricNamespace, "MetricName": r.ID, "MetricValue": "1", "DefaultValue": float64(0)}
			if got := asSlice(f["MetricTransformations"]); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
				t.Errorf("%s: metric transformations %v, want [%v]", r.ID, got, want)
			}
			a, ok := alarms[r.ID]
			if !ok {
				t.Errorf("%s: no alarm", r.ID)
				continue
			}
			for key, want := range map[string]any{
				"Statistic": "Sum", "Period": float64(300), "EvaluationPeriods": float64(1), "Threshold": float64(1),
				"ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "notBreaching",
			} {
				if a[key] != want {
					t.Errorf("%s: %s = %v, want %v", r.ID, key, a[key], want)
				}
			}
			desc, _ := a["AlarmDescription"].(string)
			head := "CIS AWS Foundations Benchmark " + r.Control
			if r.SecurityHub != "" {
				head += " (Security Hub " + r.SecurityHub + ")"
			}
			if !strings.HasPrefix(desc, head+": "+r.Title) {
				t.Errorf("%s: description %q lacks the control and title", r.ID, desc)
			}
			if got := alert.SeverityFromText(desc); got != r.Severity {
				t.Errorf("%s: severity read from the description = %q, want %q", r.ID, got, r.Severity)
			}
			if r.SecurityHub != "" && !strings.Contains(desc, "\nrunbook: "+securityHubControlDocs+"#cloudwatch-"+strings.TrimPrefix(r.SecurityHub, "CloudWatch.")) {
				t.Errorf("%s: description %q lacks the Security Hub runbook", r.ID, desc)
			}
			if len([]rune(desc)) > maxAlarmDescription {
				t.Errorf("%s: description is %d characters", r.ID, len([]rune(desc)))
			}
			assertTopicActions(t, s, r.ID, a)
		}
	})
}

func TestCISRunbook(t *testing.T) {
	for _, tt := range []struct{ securityHub, want string }{
		{"CloudWatch.2", securityHubControlDocs + "#cloudwatch-2"},
		{"CloudWatch.14", securityHubControlDocs + "#cloudwatch-14"},
		{"", ""},
		{"CloudWatch.", ""},
		{"Config.1", ""},
	} {
		if got := cisRunbook(packs.Rule{SecurityHub: tt.securityHub}); got != tt.want {
			t.Errorf("cisRunbook(%q) = %q, want %q", tt.securityHub, got, tt.want)
		}
	}
}
