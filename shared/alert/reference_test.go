package alert

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// TestReferencePayloads parses each real payload in ../shared/reference/payloads.
func TestReferencePayloads(t *testing.T) {
	dir := referencePayloads(t)
	tests := []struct {
		file   string
		kind   Kind
		alerts int
		check  func(t *testing.T, tr *Trigger)
	}{
		{"a0_sns_event_generic.aws-lambda-go.json", KindSNS, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Source != SourceSNS || a.Title != "TestInvoke" || a.Description != "Hello from SNS!" || a.State != StateEvent {
				t.Errorf("generic SNS alert %+v", a)
			}
			if tr.Keys[0] != "95df01b4-ee98-5cb9-9903-4c221d41eb5e" {
				t.Errorf("key %v", tr.Keys)
			}
		}},
		{"a1_sns_cloudwatch_alarm_single_metric.aws-lambda-go.json", KindSNS, 1, func(t *testing.T, tr *Trigger) {
			m := tr.Alerts[0].Metric
			if m.Statistic != "Average" || m.TreatMissingData != "missing" || m.Unit != "Bytes" || *m.Threshold != 0 ||
				len(m.Dimensions) != 1 || m.Dimensions[0] != (Dimension{"InstanceId", "TestInstance"}) {
				t.Errorf("metric %+v", m)
			}
			// "EXAMPLE" is neither a region code nor a display name.
			if r := tr.Alerts[0].Labels[LabelRegion]; r != "" {
				t.Errorf("region %q from placeholder values", r)
			}
		}},
		{"a2_sns_cloudwatch_alarm_metric_math.aws-lambda-go.json", KindSNS, 1, func(t *testing.T, tr *Trigger) {
			m := tr.Alerts[0].Metric
			if len(m.Metrics) != 2 || m.Metrics[0].Expression != "m1*1" || !m.Metrics[0].ReturnData ||
				m.Metrics[1].Name != "NetworkOut" || m.Metrics[1].Stat != "Average" || m.Metrics[1].Period != 60 {
				t.Errorf("metric math %+v", m.Metrics)
			}
		}},
		{"b1_alarm_lambda_action_metric_alarm.awsdocs.json", KindAlarmAction, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Metric.Name != "CallCount" || a.Metric.Unit != "Percent" || a.Labels["dim_InstanceId"] != "i-12345678" ||
				a.PreviousState != StateInsufficientData || a.Labels[LabelRegion] != "us-east-1" {
				t.Errorf("alarm action %+v / %+v", a, a.Metric)
			}
		}},
		{"b2_alarm_lambda_action_composite_alarm.awsdocs.json", KindAlarmAction, 1, func(t *testing.T, tr *Trigger) {
			m := tr.Alerts[0].Metric
			if !strings.HasPrefix(m.AlarmRule, "ALARM(CompositeDemo.FirstChild)") || len(m.TriggeringAlarms) != 1 {
				t.Errorf("composite %+v", m)
			}
		}},
		{"b3_alarm_lambda_action_metric_math.powertools.json", KindAlarmAction, 1, func(t *testing.T, tr *Trigger) {
			m := tr.Alerts[0].Metric
			if len(m.Metrics) != 3 || m.Threshold == nil || *m.Threshold != 10 || len(m.RecentDatapoints) != 1 {
				t.Errorf("metric math action %+v", m)
			}
		}},
		{"c1_cwlogs_subscription_event.aws-lambda-go.json", KindLogs, 0, func(t *testing.T, tr *Trigger) {
			if tr.Logs.LogGroup != "testLogGroup" || len(tr.Logs.Events) != 2 || tr.Logs.Events[1].Message != "[ERROR] Second test message" {
				t.Errorf("logs %+v", tr.Logs)
			}
		}},
		{"c1b_cwlogs_subscription_event.sam-cli.json", KindLogs, 0, nil},
		{"c2_cwlogs_subscription_event_cloudtrail.encoded.json", KindLogs, 0, func(t *testing.T, tr *Trigger) {
			// The batch decodes; each of its truncated records fails on its own.
			if len(tr.Logs.Events) != 3 {
				t.Fatalf("%d events", len(tr.Logs.Events))
			}
			for _, e := range tr.Logs.Events {
				if _, err := cloudtrail.Parse([]byte(e.Message)); err == nil {
					t.Errorf("truncated record %s parsed", e.ID)
				}
			}
		}},
		{"c3_cwlogs_subscription_event_control_message.encoded.json", KindLogs, 0, func(t *testing.T, tr *Trigger) {
			if !tr.Logs.Control || len(tr.Logs.Events) != 0 || len(tr.Keys) != 0 {
				t.Errorf("control message %+v", tr.Logs)
			}
		}},
		{"c5_CONSTRUCTED_cwlogs_subscription_event_stratus.encoded.json", KindLogs, 0, func(t *testing.T, tr *Trigger) {
			names := []string{}
			for _, e := range tr.Logs.Events {
				r, err := cloudtrail.Parse([]byte(e.Message))
				if err != nil {
					t.Fatalf("record %s: %v", e.ID, err)
				}
				names = append(names, r.EventName+" by "+r.Actor())
			}
			if strings.Join(names, ",") != "DeleteTrail by christophe,StopLogging by christophe" {
				t.Errorf("records %v", names)
			}
		}},
		{"d1_eventbridge_scheduled_event.awsdocs.json", KindSchedule, 0, func(t *testing.T, tr *Trigger) {
			if tr.Job.Job != "" || tr.Job.ID != "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa" || tr.Job.Rule == "" {
				t.Errorf("job %+v", tr.Job)
			}
		}},
		{"d1b_eventbridge_scheduled_event.sam-cli-template.json", KindSchedule, 0, nil},
		{"d2_eventbridge_ec2_instance_state_change.awsdocs.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			if a := tr.Alerts[0]; a.State != StateEvent || a.Labels[LabelResource] != "i-abcd1111" {
				t.Errorf("ec2 %+v", a)
			}
		}},
		{"d3_eventbridge_ec2_instance_launch_successful_autoscaling.aws-lambda-go.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			if a := tr.Alerts[0]; a.Labels["auto_scaling_group"] != "my-auto-scaling-group" || a.State != StateEvent {
				t.Errorf("asg %+v", a)
			}
		}},
		{"d4_eventbridge_codebuild_build_state_change.aws-lambda-go.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			if a := tr.Alerts[0]; a.State != StateOK || a.Labels[LabelProject] != "my-sample-project" || len(a.Links) != 2 {
				t.Errorf("codebuild %+v", a)
			}
		}},
		{"d5_eventbridge_aws_api_call_via_cloudtrail.awsdocs.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Record == nil || a.Record.EventName != "CreateBucket" || a.Labels[LabelActor] != "root" || a.Severity != SeverityHigh ||
				a.Labels[LabelResource] != "bucket-test-iad" {
				t.Errorf("api call %+v", a)
			}
		}},
		{"d5b_eventbridge_aws_console_signin_via_cloudtrail.awsdocs.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Record.MFAUsed() || a.Labels[LabelEventName] != "ConsoleLogin" || a.Severity != SeverityHigh {
				t.Errorf("sign-in %+v", a)
			}
		}},
		{"d6_eventbridge_guardduty_finding.captured_sample_finding.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Severity != SeverityMedium || a.State != StateFinding || a.Labels["sample"] != "true" || a.Labels[LabelRegion] != "ca-central-1" {
				t.Errorf("guardduty %+v", a)
			}
		}},
		{"d6b_sns_wrapping_guardduty_eventbridge_event.captured.json", KindSNS, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			if a.Labels[LabelFindingType] != "Backdoor:EC2/Spambot" || tr.Keys[0] != "f041e509-0fa7-5c39-af20-bdb72e802e09" {
				t.Errorf("guardduty via SNS %+v", a)
			}
		}},
		{"d7_eventbridge_securityhub_findings_imported.awsdocs-auditmanager.json", KindEventBridge, 1, func(t *testing.T, tr *Trigger) {
			a := tr.Alerts[0]
			// PASSED and RESOLVED: the control is fine.
			if a.Severity != SeverityInfo || a.State != StateOK || a.Labels[LabelControl] != "IAM.4" {
				t.Errorf("security hub %+v", a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			tr := mustParse(t, filepath.Join(dir, tt.file))
			if tr.Kind != tt.kind || len(tr.Alerts) != tt.alerts {
				t.Fatalf("kind %q with %d alerts, want %q with %d", tr.Kind, len(tr.Alerts), tt.kind, tt.alerts)
			}
			for i := range tr.Alerts {
				checkAlertInvariants(t, &tr.Alerts[i])
			}
			if tt.check != nil {
				tt.check(t, tr)
			}
		})
	}
}

// The real log-metric-filter alarm body is an SNS Message, not a trigger.
func TestReferenceLogMetricFilterAlarmBody(t *testing.T) {
	dir := referencePayloads(t)
	for _, f := range []string{"a3_sns_alarm_message_body_real_log_metric_filter.json", "a3_sns_alarm_message_body_real_log_metric_filter.raw.txt"} {
		body := readFile(t, filepath.Join(dir, f))
		a, err := ParseAlarmMessage(body)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		m := a.Metric
		if a.Labels[LabelRegion] != "ap-northeast-1" || m.Statistic != "Sum" || m.Unit != "" || *m.Threshold != 1 ||
			len(m.Dimensions) != 0 || m.TreatMissingData != "missing" || m.Comparison != "GreaterThanOrEqualToThreshold" {
			t.Errorf("%s: alert %+v metric %+v", f, a.Labels, m)
		}
		if _, err := Parse(body); !errors.Is(err, ErrUnrecognized) || !strings.Contains(err.Error(), "ParseAlarmMessage") {
			t.Errorf("Parse of a bare alarm body: %v", err)
		}
	}
}

// Decoded batches from the reference corpus parse with ParseLogsData,
// including the account-level policy field.
func TestReferenceDecodedLogsBatches(t *testing.T) {
	dir := referencePayloads(t)
	for file, want := range map[string]struct {
		events  int
		control bool
		policy  string
	}{
		"c1_cwlogs_subscription_event.aws-lambda-go.decoded.json":    {2, false, ""},
		"c2_cwlogs_decoded_cloudtrail_loggroup.awsdocs.json":         {3, false, ""},
		"c3_cwlogs_control_message.decoded.json":                     {0, true, ""},
		"c4_cwlogs_decoded_account_level_policy.powertools.json":     {2, false, "ACCOUNT_LEVEL_POLICY"},
		"c5_CONSTRUCTED_cwlogs_decoded_with_stratus_cloudtrail.json": {2, false, ""},
	} {
		b, err := ParseLogsData(readFile(t, filepath.Join(dir, file)))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if len(b.Events) != want.events || b.Control != want.control || b.PolicyLevel != want.policy {
			t.Errorf("%s: events %d control %v policy %q, want %+v", file, len(b.Events), b.Control, b.PolicyLevel, want)
		}
	}
}
