package alert

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

const decodedSuffix = ".decoded.json"

// TestEncodedSampleEventsMatchDecodedTwins keeps every encoded logs event in
// events/ reproducible from the readable *.decoded.json beside it: encoding
// the twin gives the file byte for byte, and decoding the file gives the twin.
// Run with -update after editing a twin.
func TestEncodedSampleEventsMatchDecodedTwins(t *testing.T) {
	twins, err := filepath.Glob(filepath.Join(eventsDir(t), "*", "*"+decodedSuffix))
	if err != nil {
		t.Fatal(err)
	}
	if len(twins) < 3 {
		t.Fatalf("found %d decoded twins, want at least 3", len(twins))
	}
	for _, twin := range twins {
		encodedPath := strings.TrimSuffix(twin, decodedSuffix) + ".json"
		t.Run(filepath.Base(encodedPath), func(t *testing.T) {
			decoded := readFile(t, twin)
			encoded, err := EncodeLogs(decoded)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(encodedPath, encoded, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			onDisk := readFile(t, encodedPath)
			if !bytes.Equal(onDisk, encoded) {
				t.Errorf("%s is not the encoding of %s; run go test ./shared/alert -run TestEncodedSample -update", filepath.Base(encodedPath), filepath.Base(twin))
			}
			want, err := ParseLogsData(decoded)
			if err != nil {
				t.Fatal(err)
			}
			tr := mustParse(t, encodedPath)
			if tr.Kind != KindLogs || !reflect.DeepEqual(tr.Logs, want) {
				t.Errorf("decoding %s gives %+v, want %+v", filepath.Base(encodedPath), tr.Logs, want)
			}
		})
	}
}

// sampleExpectation is what parsing one sample event must give.
type sampleExpectation struct {
	kind   Kind
	alerts int
	// states of the alerts, in order.
	states []State
	// labels every alert must carry (subset match on the first alert).
	labels map[string]string
	// severity of the first alert ("" skips).
	severity string
	keys     int
	// logEvents for logs batches; control for CONTROL_MESSAGE.
	logEvents int
	control   bool
	job       string
}

// sampleExpectations covers every file in events/ outside malformed/;
// TestParseEverySampleEvent fails on a file missing here.
var sampleExpectations = map[string]sampleExpectation{
	"notifier/sns-alarm-cpu.json": {kind: KindSNS, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"alarm": "web-cpu-high", "region": "eu-west-1", "account": "123456789012", "namespace": "AWS/EC2",
			"metric": "CPUUtilization", "dim_AutoScalingGroupName": "web-asg", "resource": "web-asg", "topic": "watchkeeper-alarms"}},
	"notifier/sns-alarm-ok.json": {kind: KindSNS, alerts: 1, states: []State{StateOK}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"alarm": "web-cpu-high", "region": "eu-west-1"}},
	"notifier/sns-alarm-metric-math.json": {kind: KindSNS, alerts: 1, states: []State{StateAlarm}, severity: SeverityCritical, keys: 1,
		labels: map[string]string{"alarm": "web-alb-5xx-rate", "alarm_type": "metric-math", "namespace": "AWS/ApplicationELB",
			"dim_LoadBalancer": "app/web-alb/50dc6c495c0c9188"}},
	"notifier/sns-alarm-log-filter.json": {kind: KindSNS, alerts: 1, states: []State{StateAlarm}, severity: DefaultAlarmSeverity, keys: 1,
		labels: map[string]string{"alarm": "app-warn-burst", "region": "ap-northeast-1", "account": "111122223333", "namespace": "Watchkeeper/Logs"}},
	"notifier/sns-alarm-lambda-errors.json": {kind: KindSNS, alerts: 1, states: []State{StateAlarm}, severity: SeverityMedium, keys: 1,
		labels: map[string]string{"alarm": "scheduled-job-errors", "region": "eu-west-1", "account": "123456789012", "namespace": "AWS/Lambda",
			"metric": "Errors", "dim_FunctionName": "nightly-report", "resource": "nightly-report", "topic": "watchkeeper-alarms"}},
	"notifier/alarm-action-metric.json": {kind: KindAlarmAction, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"alarm": "orders-queue-age", "region": "eu-west-1", "dim_QueueName": "orders", "resource_type": "AWS::SQS::Queue"}},
	"notifier/alarm-action-composite.json": {kind: KindAlarmAction, alerts: 1, states: []State{StateAlarm}, severity: SeverityCritical, keys: 1,
		labels: map[string]string{"alarm": "web-tier-degraded", "alarm_type": "composite"}},
	"notifier/eventbridge-alarm-state-change.json": {kind: KindEventBridge, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"alarm": "orders-db-free-storage-low", "dim_DBInstanceIdentifier": "orders-db", "source": SourceAlarm}},
	"notifier/eventbridge-guardduty-finding.json": {kind: KindEventBridge, alerts: 1, states: []State{StateFinding}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"finding_type": "CryptoCurrency:EC2/BitcoinTool.B!DNS", "resource": "i-0a1b2c3d4e5f60718", "event_source": "aws.guardduty"}},
	"notifier/sns-guardduty-finding.json": {kind: KindSNS, alerts: 1, states: []State{StateFinding}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"finding_type": "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", "topic": "watchkeeper-findings",
			"actor": "web-asg-instance"}},
	"notifier/eventbridge-securityhub-finding.json": {kind: KindEventBridge, alerts: 2, states: []State{StateFinding, StateFinding}, severity: SeverityCritical, keys: 2,
		labels: map[string]string{"control": "EC2.19", "resource": "sg-0123456789abcdef0", "status": "FAILED"}},
	"notifier/eventbridge-codebuild-failed.json": {kind: KindEventBridge, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"project": "web-app", "status": "FAILED", "resource": "web-app"}},
	"notifier/eventbridge-asg-launch.json": {kind: KindEventBridge, alerts: 1, states: []State{StateEvent}, severity: SeverityInfo, keys: 1,
		labels: map[string]string{"auto_scaling_group": "web-asg", "instance": "i-0b2c3d4e5f6071829", "resource": "web-asg"}},
	"notifier/eventbridge-ec2-state-change.json": {kind: KindEventBridge, alerts: 1, states: []State{StateAlarm}, severity: SeverityLow, keys: 1,
		labels: map[string]string{"resource": "i-0c3d4e5f60718293a", "status": "stopped"}},
	"notifier/watchkeeper-finding.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateFinding}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"rule": "ec2-sg-open-ssh-world", "source": SourceDetector, "event_name": "AuthorizeSecurityGroupIngress",
			"actor": "dev-admin/bob@example.com", "resource": "sg-0123456789abcdef0", "technique": "T1133"}},
	"notifier/watchkeeper-remediation.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateRemediated}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"rule": "revoke-world-ssh", "action": "ec2-revoke-ingress", "mode": ModeEnforce, "outcome": OutcomeApplied}},
	"detector/logs-cloudtrail.json":             {kind: KindLogs, logEvents: 5, keys: 5},
	"detector/logs-control-message.json":        {kind: KindLogs, control: true},
	"detector/logs-truncated-record.json":       {kind: KindLogs, logEvents: 3, keys: 3},
	"detector/logs-console-login-failures.json": {kind: KindLogs, logEvents: 3, keys: 3},
	"detector/eventbridge-api-call.json": {kind: KindEventBridge, alerts: 1, states: []State{StateFinding}, severity: SeverityMedium, keys: 1,
		labels: map[string]string{"event_name": "AttachUserPolicy", "actor": "alice", "resource": "svc-backup", "resource_type": "AWS::IAM::User", "region": "us-east-1"}},
	"remediator/sns-alarm-cpu.json": {kind: KindSNS, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"dim_AutoScalingGroupName": "web-asg"}},
	"remediator/eventbridge-authorize-sg-ingress.json": {kind: KindEventBridge, alerts: 1, states: []State{StateFinding}, severity: SeverityMedium, keys: 1,
		labels: map[string]string{"event_name": "AuthorizeSecurityGroupIngress", "resource": "sg-0123456789abcdef0", "actor": "dev-admin/bob@example.com",
			"source_ip": "198.51.100.23"}},
	"remediator/eventbridge-stop-logging.json": {kind: KindEventBridge, alerts: 1, states: []State{StateFinding}, severity: SeverityMedium, keys: 1,
		labels: map[string]string{"event_name": "StopLogging", "resource": "watchkeeper-trail", "resource_type": "AWS::CloudTrail::Trail"}},
	"remediator/watchkeeper-finding.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateFinding}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"rule": "ec2-sg-open-ssh-world"}},
	"sweeper/scheduler-posture.json":   {kind: KindSchedule, job: "posture"},
	"sweeper/scheduler-heartbeat.json": {kind: KindSchedule, job: "heartbeat", keys: 1},
	"sweeper/scheduled-event.json":     {kind: KindSchedule, job: "posture", keys: 1},
	"notifier/reminder.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"reminder": "true", "source": SourceAlarm, "alarm": "web-cpu-high", "job": "reminders"}},
	"notifier/group.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateAlarm}, severity: SeverityHigh, keys: 1,
		labels: map[string]string{"group_key": "root/0:5f0c2a7d9e1b4c38", "region": "eu-west-1"}},
	"sweeper/scheduler-reminders.json":        {kind: KindSchedule, job: "reminders", keys: 1},
	"sweeper/scheduler-reconcile.json":        {kind: KindSchedule, job: "reconcile", keys: 1},
	"sweeper/scheduler-digest.json":           {kind: KindSchedule, job: "digest", keys: 1},
	"sweeper/scheduler-digest-receivers.json": {kind: KindSchedule, job: "digest", keys: 1},
	"notifier/digest.json": {kind: KindWatchkeeper, alerts: 1, states: []State{StateEvent}, severity: SeverityInfo, keys: 1,
		labels: map[string]string{"detail_type": DetailTypeDigest, "job": RuleDigest, "source": SourceSweeper}},
	"sweeper/ec2-state-running.json": {kind: KindEventBridge, alerts: 1, states: []State{StateOK}, severity: SeverityLow, keys: 1,
		labels: map[string]string{"resource": "i-0a1b2c3d4e5f60718", "status": "running"}},
}

// TestParseEverySampleEvent parses every file under events/: files in
// malformed/ must fail with a clear error, the others must give what
// sampleExpectations says.
func TestParseEverySampleEvent(t *testing.T) {
	root := eventsDir(t)
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasSuffix(rel, decodedSuffix) || rel == "README.md" {
			return nil
		}
		seen[rel] = true
		t.Run(rel, func(t *testing.T) {
			payload := readFile(t, path)
			if strings.HasPrefix(rel, "malformed/") {
				tr, err := Parse(payload)
				if err == nil {
					t.Fatalf("Parse succeeded with %+v, want an error", tr)
				}
				if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrUnrecognized) && !strings.Contains(err.Error(), "base64") {
					t.Errorf("error %q names neither invalid JSON, an unrecognized shape nor bad base64", err)
				}
				return
			}
			want, ok := sampleExpectations[rel]
			if !ok {
				t.Fatalf("no expectation for %s: add one to sampleExpectations", rel)
			}
			tr, err := Parse(payload)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkSample(t, tr, want)
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range slices.Sorted(maps.Keys(sampleExpectations)) {
		if !seen[rel] {
			t.Errorf("expected sample event %s is missing", rel)
		}
	}
}

func checkSample(t *testing.T, tr *Trigger, want sampleExpectation) {
	t.Helper()
	if tr.Kind != want.kind {
		t.Errorf("kind %q, want %q", tr.Kind, want.kind)
	}
	if len(tr.Alerts) != want.alerts {
		t.Fatalf("%d alerts, want %d", len(tr.Alerts), want.alerts)
	}
	if len(tr.Keys) != want.keys {
		t.Errorf("keys %v, want %d", tr.Keys, want.keys)
	}
	for i := range tr.Alerts {
		a := &tr.Alerts[i]
		checkAlertInvariants(t, a)
		if a.State != want.states[i] {
			t.Errorf("alert %d state %q, want %q", i, a.State, want.states[i])
		}
		if a.Key == "" || a.Key != tr.Keys[i] {
			t.Errorf("alert %d key %q does not match trigger keys %v", i, a.Key, tr.Keys)
		}
	}
	if len(tr.Alerts) > 0 {
		a := tr.Alerts[0]
		if want.severity != "" && a.Severity != want.severity {
			t.Errorf("severity %q, want %q", a.Severity, want.severity)
		}
		for k, v := range want.labels {
			if a.Labels[k] != v {
				t.Errorf("label %s=%q, want %q (labels %v)", k, a.Labels[k], v, a.Labels)
			}
		}
	}
	switch want.kind {
	case KindLogs:
		if tr.Logs == nil {
			t.Fatal("no logs batch")
		}
		if tr.Logs.Control != want.control || len(tr.Logs.Events) != want.logEvents {
			t.Errorf("logs control=%v events=%d, want control=%v events=%d", tr.Logs.Control, len(tr.Logs.Events), want.control, want.logEvents)
		}
	case KindSchedule:
		if tr.Job == nil || tr.Job.Job != want.job {
			t.Errorf("job %+v, want %q", tr.Job, want.job)
		}
	}
}

// The detector's samples hold what their names say: five valid CloudTrail
// records, and one invalid record among valid ones.
func TestDetectorSampleRecords(t *testing.T) {
	dir := filepath.Join(eventsDir(t), "detector")
	for file, want := range map[string]struct {
		names   string
		invalid int
	}{
		"logs-cloudtrail.json":       {"StopLogging,AuthorizeSecurityGroupIngress,CreateAccessKey,ConsoleLogin,DescribeInstances", 0},
		"logs-truncated-record.json": {"StopLogging,DescribeInstances", 1},
	} {
		tr := mustParse(t, filepath.Join(dir, file))
		var names []string
		invalid := 0
		for _, e := range tr.Logs.Events {
			r, err := cloudtrail.Parse([]byte(e.Message))
			if err != nil {
				invalid++
				continue
			}
			names = append(names, r.EventName)
		}
		if strings.Join(names, ",") != want.names || invalid != want.invalid {
			t.Errorf("%s: records %v with %d invalid, want %s with %d", file, names, invalid, want.names, want.invalid)
		}
	}
}
