package alert

import (
	"encoding/json"
	"testing"
)

func TestRunbookFromText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"CPU above 80%\nseverity: high\nrunbook: https://wiki.example.com/runbooks/web-cpu-high", "https://wiki.example.com/runbooks/web-cpu-high"},
		{"Runbook = http://r.example/x?y=1 trailing words", "http://r.example/x?y=1"},
		{"see the runbook: https://inline.example (not on its own line)", ""},
		{"runbook: javascript:alert(1)", ""},
		{"runbook: https://a.example/<script>", "https://a.example/"},
		{"", ""},
	} {
		if got := RunbookFromText(tt.in); got != tt.want {
			t.Errorf("RunbookFromText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAlarmCarriesItsRunbookLink(t *testing.T) {
	msg, _ := json.Marshal(map[string]any{
		"AlarmName":        "web-cpu-high",
		"AlarmDescription": "Average CPU of the web tier above 80%\nseverity: high\nrunbook: https://wiki.example.com/runbooks/web-cpu-high",
		"AWSAccountId":     "123456789012",
		"NewStateValue":    "ALARM",
		"NewStateReason":   "Threshold Crossed",
		"StateChangeTime":  "2026-11-25T09:55:12.345+0000",
		"Region":           "EU (Ireland)",
		"AlarmArn":         "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-cpu-high",
		"OldStateValue":    "OK",
		"Trigger":          map[string]any{"MetricName": "CPUUtilization", "Namespace": "AWS/EC2", "Statistic": "AVERAGE", "Period": 300, "EvaluationPeriods": 2, "ComparisonOperator": "GreaterThanThreshold", "Threshold": 80},
	})
	a, err := ParseAlarmMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range a.Links {
		if l.Title == "Runbook" && l.URL == "https://wiki.example.com/runbooks/web-cpu-high" {
			found = true
		}
	}
	if !found || a.Severity != SeverityHigh {
		t.Errorf("links = %+v, severity %q", a.Links, a.Severity)
	}
}
