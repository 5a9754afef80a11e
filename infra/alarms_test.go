package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// configuredAlarms returns the stack's alarms that carry a fixed name, by name.
func (s *synthesis) configuredAlarms() map[string]obj {
	out := map[string]obj{}
	for _, a := range s.resources("AWS::CloudWatch::Alarm") {
		if name, ok := props(a)["AlarmName"].(string); ok {
			out[name] = props(a)
		}
	}
	return out
}

// assertAlarmDescription checks the alarm description keeps the configured
// text and carries the severity and runbook the notifier reads back.
func assertAlarmDescription(t *testing.T, name string, p obj, description, severity, runbook string) {
	t.Helper()
	desc, _ := p["AlarmDescription"].(string)
	if got := alert.SeverityFromText(desc); got != severity {
		t.Errorf("%s: severity read from description %q = %q, want %q", name, desc, got, severity)
	}
	if !strings.HasPrefix(desc, description) {
		t.Errorf("%s: description %q does not start with the configured %q", name, desc, description)
	}
	if runbook != "" && !strings.Contains(desc, "\nrunbook: "+runbook) {
		t.Errorf("%s: description %q lacks runbook %s", name, desc, runbook)
	}
}

// assertTopicActions checks ALARM and OK notify the alarm topic and nothing else.
func assertTopicActions(t *testing.T, s *synthesis, name string, p obj) {
	t.Helper()
	topicID := sortedKeys(s.resources("AWS::SNS::Topic"))[0]
	for _, key := range []string{"AlarmActions", "OKActions"} {
		acts := asSlice(p[key])
		if id, _ := refID(acts[0]); len(acts) != 1 || id != topicID {
			t.Errorf("%s: %s = %v, want the alarm topic %s", name, key, acts, topicID)
		}
	}
}

func TestConfiguredMetricAlarms(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		alarms := s.configuredAlarms()
		if want := len(s.cfg.Alarms.Metric) + len(s.cfg.Alarms.Log); len(alarms) != want {
			t.Errorf("%d named alarms %v, want %d (one per configured alarm)", len(alarms), sortedKeys(alarms), want)
		}
		for _, m := range s.cfg.Alarms.Metric {
			p, ok := alarms[m.Name]
			if !ok {
				t.Errorf("no alarm named %s", m.Name)
				continue
			}
			var dims []string
			for _, d := range asSlice(p["Dimensions"]) {
				dims = append(dims, fmt.Sprint(dig(d, "Name"), "=", dig(d, "Value")))
			}
			slices.Sort(dims)
			var wantDims []string
			for k, v := range m.Dimensions {
				wantDims = append(wantDims, k+"="+v)
			}
			slices.Sort(wantDims)
			if !slices.Equal(dims, wantDims) {
				t.Errorf("%s: dimensions %v, want %v", m.Name, dims, wantDims)
			}
			wantDatapoints := any(nil)
			if m.DatapointsToAlarm > 0 {
				wantDatapoints = float64(m.DatapointsToAlarm)
			}
			for key, want := range map[string]any{
				"Namespace":          m.Namespace,
				"MetricName":         m.Metric,
				"Statistic":          m.Statistic,
				"Period":             float64(m.PeriodSeconds),
				"EvaluationPeriods":  float64(m.EvaluationPeriods),
				"DatapointsToAlarm":  wantDatapoints,
				"Threshold":          m.Threshold,
				"ComparisonOperator": m.Comparison,
				"TreatMissingData":   m.TreatMissingData,
			} {
				if p[key] != want {
					t.Errorf("%s: %s = %v, want %v", m.Name, key, p[key], want)
				}
			}
			assertAlarmDescription(t, m.Name, p, m.Description, m.Severity, m.Runbook)
			assertTopicActions(t, s, m.Name, p)
		}
	})
}

func TestConfiguredLogAlarms(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		filters := map[string]obj{}
		for id, f := range s.resources("AWS::Logs::MetricFilter") {
			if dig(asSlice(props(f)["MetricTransformations"])[0], "MetricNamespace") == LogMetricNamespace {
				filters[id] = f
			}
		}
		if len(filters) != len(s.cfg.Alarms.Log) {
			t.Errorf("%d metric filters, want %d (one per log alarm)", len(filters), len(s.cfg.Alarms.Log))
		}
		alarms := s.configuredAlarms()
		for _, l := range s.cfg.Alarms.Log {
			var found obj
			for _, f := range filters {
				if dig(props(f), "MetricTransformations") != nil && fmt.Sprint(dig(asSlice(props(f)["MetricTransformations"])[0], "MetricName")) == l.Name {
					found = props(f)
				}
			}
			if found == nil {
				t.Errorf("%s: no metric filter publishing metric %s", l.Name, l.Name)
				continue
			}
			if found["LogGroupName"] != l.LogGroup {
				t.Errorf("%s: filter on %v, want %s", l.Name, found["LogGroupName"], l.LogGroup)
			}
			if found["FilterPattern"] != l.Pattern {
				t.Errorf("%s: pattern %q, want %q verbatim", l.Name, found["FilterPattern"], l.Pattern)
			}
			want := obj{"MetricNamespace": LogMetricNamespace, "MetricName": l.Name, "MetricValue": "1", "DefaultValue": float64(0)}
			if got := asSlice(found["MetricTransformations"]); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
				t.Errorf("%s: metric transformations %v, want [%v]", l.Name, got, want)
			}

			p, ok := alarms[l.Name]
			if !ok {
				t.Errorf("no alarm named %s", l.Name)
				continue
			}
			for key, want := range map[string]any{
				"Namespace":          LogMetricNamespace,
				"MetricName":         l.Name,
				"Statistic":          "Sum",
				"Period":             float64(l.PeriodSeconds),
				"EvaluationPeriods":  float64(l.EvaluationPeriods),
				"Threshold":          l.Threshold,
				"ComparisonOperator": "GreaterThanOrEqualToThreshold",
				"TreatMissingData":   "notBreaching",
			} {
				if p[key] != want {
					t.Errorf("%s: %s = %v, want %v", l.Name, key, p[key], want)
				}
			}
			if p["Dimensions"] != nil {
				t.Errorf("%s: dimensions %v on a filter metric published without any", l.Name, p["Dimensions"])
			}
			assertAlarmDescription(t, l.Name, p, l.Description, l.Severity, l.Runbook)
			assertTopicActions(t, s, l.Name, p)
		}
	})
}

func TestAlarmDescription(t *testing.T) {
	const runbook = "https://wiki.example.com/runbooks/x"
	suffix := "severity: high\nrunbook: " + runbook
	room := maxAlarmDescription - utf8.RuneCountInString(suffix) - 1
	atLimit := strings.Repeat("é", room)
	tests := []struct {
		name        string
		description string
		severity    string
		runbook     string
		want        string
		wantErr     string
	}{
		{name: "plain", description: "CPU is high.", severity: "high", runbook: runbook, want: "CPU is high.\n" + suffix},
		{name: "no runbook", description: "Errors.", severity: "low", want: "Errors.\nseverity: low"},
		{name: "no description", severity: "critical", want: "severity: critical"},
		{name: "trimmed", description: "  padded \n", severity: "info", want: "padded\nseverity: info"},
		{name: "same severity in text", description: "Severity: high, page someone.", severity: "high", want: "Severity: high, page someone.\nseverity: high"},
		{name: "at the limit", description: atLimit, severity: "high", runbook: runbook, want: atLimit + "\n" + suffix},
		{name: "over the limit", description: atLimit + "x", severity: "high", runbook: runbook,
			want: strings.Repeat("é", room-1) + "…\n" + suffix},
		{name: "conflicting severity", description: "severity: low but loud", severity: "high", wantErr: `names severity "low"`},
		{name: "unknown severity", description: "x", severity: "urgent", wantErr: `unknown severity "urgent"`},
		{name: "shortening makes a severity", description: strings.Repeat("x", room-len("severity: low")-1) + "severity: lowest",
			severity: "high", runbook: runbook, wantErr: `names severity "low"`},
		{name: "runbook too long", description: "x", severity: "high", runbook: "https://example.com/" + strings.Repeat("a", maxAlarmDescription),
			wantErr: "more than the 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := alarmDescription(tc.description, tc.severity, tc.runbook)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
			if n := utf8.RuneCountInString(got); n > maxAlarmDescription {
				t.Errorf("%d characters, over the %d limit", n, maxAlarmDescription)
			}
			if sev := alert.SeverityFromText(got); sev != tc.severity {
				t.Errorf("severity read back %q, want %q", sev, tc.severity)
			}
		})
	}
}

// TestMetricAlarmStatistics builds alarms in a small stack (no synth) and
// reads the CfnAlarm: a percentile must become an ExtendedStatistic.
func TestMetricAlarmStatistics(t *testing.T) {
	tests := []struct {
		statistic    string
		wantStat     string
		wantExtended string
	}{
		{"Average", "Average", ""},
		{"sum", "Sum", ""},
		{"SampleCount", "SampleCount", ""},
		{"p99", "", "p99"},
		{"P99.9", "", "p99.9"},
		{"tm90", "", "tm90"},
	}
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("T"), jsii.String("arn:aws:sns:us-east-1:123456789012:alarms"))
	var metric []config.MetricAlarm
	for i, tc := range tests {
		metric = append(metric, config.MetricAlarm{
			Name: fmt.Sprintf("a%d", i), Namespace: "AWS/ELB", Metric: "Latency", Statistic: tc.statistic,
			PeriodSeconds: 60, EvaluationPeriods: 1, Comparison: "GreaterThanThreshold", Threshold: 1,
			TreatMissingData: "missing", Severity: "medium",
		})
	}
	a, err := NewAlarms(stack, "A", &AlarmsProps{Metric: metric, Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Alarms) != len(tests) {
		t.Fatalf("%d alarms, want %d", len(a.Alarms), len(tests))
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for i, tc := range tests {
		cfn := a.Alarms[i].Node().DefaultChild().(awscloudwatch.CfnAlarm)
		if got := str(cfn.Statistic()); got != tc.wantStat {
			t.Errorf("%s: Statistic = %q, want %q", tc.statistic, got, tc.wantStat)
		}
		if got := str(cfn.ExtendedStatistic()); got != tc.wantExtended {
			t.Errorf("%s: ExtendedStatistic = %q, want %q", tc.statistic, got, tc.wantExtended)
		}
	}
}

// FuzzAlarmDescription checks that whatever the configured text, a
// description that is accepted fits CloudWatch's limit and reads back the
// configured severity.
func FuzzAlarmDescription(f *testing.F) {
	f.Add("Web tier CPU is high.", "high", "https://wiki.example.com/runbooks/web-cpu-high")
	f.Add("", "medium", "")
	f.Add(strings.Repeat("ü", 2000), "critical", "https://example.com/r")
	f.Add("severity: low", "low", "")
	f.Add("SEVERITY=info, really", "high", "")
	f.Fuzz(func(t *testing.T, description, severity, runbook string) {
		got, err := alarmDescription(description, severity, runbook)
		if err != nil {
			return
		}
		if n := utf8.RuneCountInString(got); n > maxAlarmDescription {
			t.Errorf("%d characters, over the %d limit", n, maxAlarmDescription)
		}
		if sev := alert.SeverityFromText(got); sev != alert.NormalizeSeverity(severity) {
			t.Errorf("severity read back %q from %q, want %q", sev, got, severity)
		}
		if runbook != "" && !strings.HasSuffix(got, "\nrunbook: "+runbook) {
			t.Errorf("%q does not end with the runbook", got)
		}
	})
}
