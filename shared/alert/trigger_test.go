package alert

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseRejectsWithClearErrors(t *testing.T) {
	manyKeys := "{"
	for i := range 30 {
		manyKeys += fmt.Sprintf(`"key%02d":1,`, i)
	}
	manyKeys += `"` + strings.Repeat("k", 300) + `":1}`
	tests := []struct {
		name    string
		payload string
		is      error
		want    []string
	}{
		{"empty", "", ErrInvalidJSON, []string{"empty payload"}},
		{"spaces", " \n ", ErrInvalidJSON, []string{"empty payload"}},
		{"not json", "hello", ErrInvalidJSON, []string{"invalid character"}},
		{"truncated", `{"Records":[{"Sns":`, ErrInvalidJSON, []string{"unexpected end of JSON input"}},
		{"array", `[1,2]`, ErrUnrecognized, []string{"expected a JSON object, got an array"}},
		{"string", `"x"`, ErrUnrecognized, []string{"got a string"}},
		{"empty object", `{}`, ErrUnrecognized, []string{"top-level keys none"}},
		{"unknown keys", `{"httpMethod":"POST","body":"x"}`, ErrUnrecognized, []string{`"body", "httpMethod"`, "want Records, awslogs"}},
		{"many keys", manyKeys, ErrUnrecognized, []string{`"key00"`, "and 19 more"}},
		{"sqs records", `{"Records":[{"eventSource":"aws:sqs","body":"x"}]}`, ErrUnrecognized, []string{`Records[0] is not an SNS record`}},
		{"no records", `{"Records":[]}`, nil, []string{"Records is empty"}},
		{"null keys ignored", `{"Records":null,"awslogs":null}`, ErrUnrecognized, []string{`"Records", "awslogs"`}},
		{"eventbridge without source", `{"detail-type":"X","id":"1"}`, nil, []string{"missing detail-type or source"}},
		{"eventbridge bad time", `{"detail-type":"X","source":"aws.x","time":"noon"}`, nil, []string{`unrecognized timestamp "noon"`}},
		{"guardduty without id", `{"detail-type":"GuardDuty Finding","source":"aws.guardduty","detail":{}}`, nil, []string{"GuardDuty finding: missing id"}},
		{"security hub no findings", `{"detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","detail":{"findings":[]}}`, nil, []string{"no findings"}},
		{"cloudtrail truncated", `{"detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":{"eventVersion":"1.08"}}`,
			nil, []string{"missing required field: eventName, eventSource"}},
		{"job not string", `{"job":42}`, nil, []string{`"job" must be a string`}},
		{"job empty", `{"job":" "}`, nil, []string{`"job" is empty`}},
		{"job bad time", `{"job":"digest","scheduled_time":"soon"}`, nil, []string{"scheduled_time"}},
		{"sns eventbridge schedule", `{"Records":[{"Sns":{"MessageId":"m","Message":"{\"detail-type\":\"Scheduled Event\",\"source\":\"aws.events\"}"}}]}`,
			nil, []string{"is a schedule trigger, not an alert"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := Parse([]byte(tt.payload))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", tr)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if len(err.Error()) > 1000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestSchedulerInput(t *testing.T) {
	tr, err := Parse([]byte(`{"job":"digest","period":"168h","limit":5,"execution_id":"run-1","scheduled_time":"2026-11-30T08:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	j := tr.Job
	if tr.Kind != KindSchedule || j.Job != "digest" || j.ID != "run-1" || !j.Time.Equal(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("job %+v", j)
	}
	if len(j.Params) != 2 || j.Params["period"] != "168h" || j.Params["limit"] != float64(5) {
		t.Errorf("params %v", j.Params)
	}
	if len(tr.Keys) != 1 || tr.Keys[0] != "run-1" {
		t.Errorf("keys %v", tr.Keys)
	}
}

func TestJobFromRuleARN(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:events:eu-west-1:123456789012:rule/Watchkeeper-reminders":             "reminders",
		"arn:aws:events:eu-west-1:123456789012:rule/my-stack-Posture":                  "posture",
		"arn:aws:events:eu-west-1:123456789012:rule/watchkeeper/Watchkeeper-heartbeat": "heartbeat",
		"arn:aws:events:us-east-1:123456789012:rule/MyScheduledRule":                   "",
		"not an arn": "",
	} {
		if got := JobFromRuleARN(in); got != want {
			t.Errorf("JobFromRuleARN(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGenericEventBridgeEvent(t *testing.T) {
	tr, err := Parse([]byte(`{"version":"0","id":"e-1","detail-type":"RDS DB Instance Event","source":"aws.rds","account":"123456789012",
		"time":"2026-11-25T10:00:00Z","region":"eu-west-1","resources":["arn:aws:rds:eu-west-1:123456789012:db:orders-db"],
		"detail":{"EventCategories":["failover"],"Message":"Multi-AZ failover started."}}`))
	if err != nil {
		t.Fatal(err)
	}
	a := tr.Alerts[0]
	checkAlertInvariants(t, &a)
	if a.State != StateEvent || a.Title != "RDS DB Instance Event" || a.Labels[LabelEventSource] != "aws.rds" ||
		a.Labels[LabelResource] != "orders-db" || a.Labels[LabelResourceTyp] != "AWS::RDS::DBInstance" || a.Key != "e-1" {
		t.Errorf("generic event %+v", a)
	}
}

func TestCodeBuildAndEC2States(t *testing.T) {
	ev := func(detailType, source, detail string) string {
		return `{"version":"0","id":"e","detail-type":"` + detailType + `","source":"` + source +
			`","account":"123456789012","time":"2026-11-25T10:00:00Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`
	}
	for _, tt := range []struct {
		payload string
		state   State
	}{
		{ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"FAILED","project-name":"p"}`), StateAlarm},
		{ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"TIMED_OUT","project-name":"p"}`), StateAlarm},
		{ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"SUCCEEDED","project-name":"p"}`), StateOK},
		{ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"IN_PROGRESS","project-name":"p"}`), StateEvent},
		{ev("EC2 Instance State-change Notification", "aws.ec2", `{"instance-id":"i-1","state":"terminated"}`), StateAlarm},
		{ev("EC2 Instance State-change Notification", "aws.ec2", `{"instance-id":"i-1","state":"running"}`), StateOK},
		{ev("EC2 Instance State-change Notification", "aws.ec2", `{"instance-id":"i-1","state":"stopping"}`), StateEvent},
		{ev("EC2 Instance Launch Unsuccessful", "aws.autoscaling", `{"AutoScalingGroupName":"web-asg","StatusCode":"Failed"}`), StateAlarm},
	} {
		tr, err := Parse([]byte(tt.payload))
		if err != nil {
			t.Fatal(err)
		}
		if got := tr.Alerts[0].State; got != tt.state {
			t.Errorf("%s: state %s, want %s", tt.payload, got, tt.state)
		}
	}
	// An ALARM and the OK that resolves it share the alert id.
	fail, _ := Parse([]byte(ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"FAILED","project-name":"p"}`)))
	ok, _ := Parse([]byte(ev("CodeBuild Build State Change", "aws.codebuild", `{"build-status":"SUCCEEDED","project-name":"p"}`)))
	if fail.Alerts[0].ID != ok.Alerts[0].ID {
		t.Error("failed and succeeded builds of one project have different ids")
	}
}

func TestGuardDutySeverity(t *testing.T) {
	for v, want := range map[float64]string{0: "info", 0.9: "info", 1: "low", 3.9: "low", 4: "medium", 6.9: "medium",
		7: "high", 8.9: "high", 9: "critical", 10: "critical"} {
		if got := GuardDutySeverity(v); got != want {
			t.Errorf("GuardDutySeverity(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestResourceFromARN(t *testing.T) {
	for in, want := range map[string]Resource{
		"arn:aws:ec2:eu-west-1:123456789012:instance/i-1": {ARN: "arn:aws:ec2:eu-west-1:123456789012:instance/i-1", Type: "AWS::EC2::Instance",
			ID: "i-1", Region: "eu-west-1", Account: "123456789012"},
		"arn:aws:s3:::bucket-a": {ARN: "arn:aws:s3:::bucket-a", Type: "AWS::S3::Bucket", ID: "bucket-a"},
		"arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:8d0a:autoScalingGroupName/web-asg": {
			ARN:  "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:8d0a:autoScalingGroupName/web-asg",
			Type: "AWS::AutoScaling::AutoScalingGroup", ID: "web-asg", Region: "eu-west-1", Account: "123456789012"},
		"arn:aws:iam::123456789012:user/path/alice": {ARN: "arn:aws:iam::123456789012:user/path/alice", Type: "AWS::IAM::User",
			ID: "alice", Account: "123456789012"},
		"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu": {ARN: "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cpu",
			Type: "AWS::CloudWatch::Alarm", ID: "cpu", Region: "eu-west-1", Account: "123456789012"},
		"instance-arn": {ID: "instance-arn"},
	} {
		if got := ResourceFromARN(in); got != want {
			t.Errorf("ResourceFromARN(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestMakeIDSeparatesParts(t *testing.T) {
	if MakeID("ab", "c") == MakeID("a", "bc") || MakeID("a") == MakeID("a", "") {
		t.Error("MakeID collides on part boundaries")
	}
	if MakeID("x", "y") != MakeID("x", "y") || len(MakeID("x")) != 32 {
		t.Error("MakeID is not a stable 32-hex-digit id")
	}
}

func TestConsoleLinksUsePartitionHosts(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1":     "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/a%20b",
		"cn-north-1":    "https://cn-north-1.console.amazonaws.cn/cloudwatch/home?region=cn-north-1#alarmsV2:alarm/a%20b",
		"us-gov-west-1": "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1#alarmsV2:alarm/a%20b",
	} {
		if got := AlarmConsoleURL(region, "a b"); got != want {
			t.Errorf("AlarmConsoleURL(%s) = %s, want %s", region, got, want)
		}
	}
	if got := AlarmConsoleURL("evil.example.com/x", "a"); !strings.HasPrefix(got, "https://console.aws.amazon.com/") {
		t.Errorf("hostile region became the host: %s", got)
	}
}

func TestInputError(t *testing.T) {
	_, perr := Parse([]byte("{"))
	err := error(&InputError{Function: "detector", Err: perr})
	if !errors.Is(err, ErrInvalidJSON) {
		t.Error("InputError must unwrap to the parse error")
	}
	if got := err.Error(); !strings.HasPrefix(got, "detector cannot read its input: ") {
		t.Errorf("message = %q", got)
	}
}
