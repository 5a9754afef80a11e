package remediate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// eventAlert parses a file under events/ and returns its alert number i,
// skipping when the file is absent.
func eventAlert(t *testing.T, rel string, i int) alert.Alert {
	t.Helper()
	trig, err := alert.Parse(eventFile(t, rel))
	if err != nil {
		t.Fatalf("parse events/%s: %v", rel, err)
	}
	if len(trig.Alerts) <= i {
		t.Fatalf("events/%s has %d alerts, want alert %d", rel, len(trig.Alerts), i)
	}
	return trig.Alerts[i]
}

// trailAlert makes the alert of one CloudTrail record.
func trailAlert(t testing.TB, record string) alert.Alert {
	t.Helper()
	rec, err := cloudtrail.Parse([]byte(record))
	if err != nil {
		t.Fatal(err)
	}
	return *alert.FromCloudTrail(rec)
}

const createAccessKeyRecord = `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"mallory"},
"requestParameters":{"userName":"ci-bot"},
"responseElements":{"accessKey":{"accessKeyId":"AKIAEXAMPLENEWKEY001","status":"Active","userName":"ci-bot","createDate":"Nov 25, 2026 9:00:00 AM"}}}`

func TestTargets(t *testing.T) {
	cases := []struct {
		name   string
		alert  func(t *testing.T) alert.Alert
		action Action
		params map[string]any
		want   Target
		noneOf string // when set, Target must fail with ErrNoTarget mentioning this
	}{
		{
			name: "sg from AuthorizeSecurityGroupIngress requestParameters.groupId",
			alert: func(t *testing.T) alert.Alert {
				return eventAlert(t, "remediator/eventbridge-authorize-sg-ingress.json", 0)
			},
			action: revokeOpenIngress{},
			want: Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-0123456789abcdef0", Region: "eu-west-1", Account: "123456789012",
				From: "requestParameters.groupId"},
		},
		{
			name:   "sg from a watchkeeper finding's record",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "remediator/watchkeeper-finding.json", 0) },
			action: revokeOpenIngress{},
			want: Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-0123456789abcdef0", Region: "eu-west-1", Account: "123456789012",
				From: "requestParameters.groupId"},
		},
		{
			name: "sg from a Security Hub finding resource",
			alert: func(t *testing.T) alert.Alert {
				return eventAlert(t, "notifier/eventbridge-securityhub-finding.json", 0)
			},
			action: revokeOpenIngress{},
			want: Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-0123456789abcdef0", Region: "eu-west-1", Account: "123456789012",
				ARN: "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0", From: "resource AwsEc2SecurityGroup"},
		},
		{
			name:   "an alarm names no security group",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "remediator/sns-alarm-cpu.json", 0) },
			action: revokeOpenIngress{},
			noneOf: "cannot find the security group in this trigger",
		},
		{
			name:   "asg from the alarm dimension",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "remediator/sns-alarm-cpu.json", 0) },
			action: asgAdjustCapacity{},
			params: map[string]any{"by": 1},
			want: Target{Type: "AWS::AutoScaling::AutoScalingGroup", ID: "web-asg", Region: "eu-west-1", Account: "123456789012",
				From: "dimension AutoScalingGroupName"},
		},
		{
			name:   "asg from an Auto Scaling event resource",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "notifier/eventbridge-asg-launch.json", 0) },
			action: asgAdjustCapacity{},
			params: map[string]any{"by": 1},
			want: Target{Type: "AWS::AutoScaling::AutoScalingGroup", ID: "web-asg", Region: "eu-west-1", Account: "123456789012",
				ARN:  "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:8d0a4f1e-2b3c-4d5e-9f60-7a8b9c0d1e2f:autoScalingGroupName/web-asg",
				From: "resource AWS::AutoScaling::AutoScalingGroup"},
		},
		{
			name: "a CloudTrail call names no Auto Scaling group",
			alert: func(t *testing.T) alert.Alert {
				return eventAlert(t, "remediator/eventbridge-authorize-sg-ingress.json", 0)
			},
			action: asgAdjustCapacity{},
			params: map[string]any{"by": 1},
			noneOf: "cannot find the Auto Scaling group",
		},
		{
			name:   "trail ARN of the event's own account becomes its name",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "remediator/eventbridge-stop-logging.json", 0) },
			action: cloudTrailStartLogging{},
			want: Target{Type: "AWS::CloudTrail::Trail", ID: "watchkeeper-trail", Region: "eu-west-1", Account: "123456789012",
				ARN: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/watchkeeper-trail", From: "requestParameters.name"},
		},
		{
			name: "trail ARN of another account stays an ARN",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1","recipientAccountId":"123456789012",
					"requestParameters":{"name":"arn:aws:cloudtrail:eu-west-1:999999999999:trail/org"}}`)
			},
			action: cloudTrailStartLogging{},
			want: Target{Type: "AWS::CloudTrail::Trail", ID: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org", Region: "eu-west-1",
				Account: "123456789012", ARN: "arn:aws:cloudtrail:eu-west-1:999999999999:trail/org", From: "requestParameters.name"},
		},
		{
			name: "bucket from requestParameters.bucketName",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","awsRegion":"eu-west-1","recipientAccountId":"123456789012",
					"requestParameters":{"bucketName":"web-assets","acl":[""]}}`)
			},
			action: s3BlockPublicAccess{},
			want: Target{Type: "AWS::S3::Bucket", ID: "web-assets", Region: "eu-west-1", Account: "123456789012",
				ARN: "arn:aws:s3:::web-assets", From: "requestParameters.bucketName"},
		},
		{
			name: "bucket from a Security Hub finding resource ARN",
			alert: func(t *testing.T) alert.Alert {
				return eventAlert(t, "notifier/eventbridge-securityhub-finding.json", 1)
			},
			action: s3BlockPublicAccess{},
			want: Target{Type: "AWS::S3::Bucket", ID: "web-assets-123456789012", Region: "eu-west-1", Account: "123456789012",
				ARN: "arn:aws:s3:::web-assets-123456789012", From: "resource AwsS3Bucket"},
		},
		{
			name:   "access key from CreateAccessKey responseElements",
			alert:  func(t *testing.T) alert.Alert { return trailAlert(t, createAccessKeyRecord) },
			action: iamDeactivateAccessKey{},
			want: Target{Type: "AWS::IAM::AccessKey", ID: "AKIAEXAMPLENEWKEY001", Parent: "ci-bot", Account: "123456789012",
				ARN: "arn:aws:iam::123456789012:user/ci-bot", From: "responseElements.accessKey"},
		},
		{
			name:   "access key from params wins",
			alert:  func(t *testing.T) alert.Alert { return trailAlert(t, createAccessKeyRecord) },
			action: iamDeactivateAccessKey{},
			params: map[string]any{"user_name": "legacy", "access_key_id": "AKIAEXAMPLELEGACY01"},
			want: Target{Type: "AWS::IAM::AccessKey", ID: "AKIAEXAMPLELEGACY01", Parent: "legacy", Account: "123456789012",
				ARN: "arn:aws:iam::123456789012:user/legacy", From: "params"},
		},
		{
			name: "a failed CreateAccessKey has no key",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","errorCode":"AccessDenied",
					"requestParameters":{"userName":"ci-bot"},"responseElements":null}`)
			},
			action: iamDeactivateAccessKey{},
			noneOf: "cannot find the IAM user and access key",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.alert(t)
			got, err := tc.action.Target(a, params(t, tc.action, tc.params))
			if tc.noneOf != "" {
				if !errors.Is(err, ErrNoTarget) || !strings.Contains(err.Error(), tc.noneOf) {
					t.Fatalf("err = %v, want ErrNoTarget with %q", err, tc.noneOf)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("target\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// FuzzTarget feeds arbitrary request parameters and response elements to
// every built-in's Target: it must never panic, must fail only with
// ErrNoTarget, and a target it returns must be usable.
func FuzzTarget(f *testing.F) {
	f.Add("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-1"}`, `null`)
	f.Add("iam.amazonaws.com", "CreateAccessKey", `{}`, `{"accessKey":{"userName":"u","accessKeyId":"AKIA"}}`)
	f.Add("iam.amazonaws.com", "UpdateAccessKey", `{"userName":"u","accessKeyId":"AKIA","status":"Active"}`, `null`)
	f.Add("cloudtrail.amazonaws.com", "StopLogging", `{"name":"arn:aws:cloudtrail:eu-west-1:1:trail/x"}`, `null`)
	f.Add("s3.amazonaws.com", "PutBucketPolicy", `{"bucketName":"b/../c"}`, `null`)
	f.Add("autoscaling.amazonaws.com", "UpdateAutoScalingGroup", `{"autoScalingGroupName":7}`, `[]`)
	f.Add("ec2.amazonaws.com", "X", `{"groupId":{"nested":"sg-1"}}`, `"str"`)
	f.Add("ec2.amazonaws.com", "StopInstances", `{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"},{"instanceId":"i-1"}]}}`, `null`)
	f.Add("ec2.amazonaws.com", "RunInstances", `{}`, `{"instancesSet":{"items":[{"instanceId":"i-0abc"}]}}`)
	f.Add("ec2.amazonaws.com", "ModifySnapshotAttribute", `{"snapshotId":"snap-1"}`, `null`)
	f.Add("kms.amazonaws.com", "ScheduleKeyDeletion", `{"keyId":"arn:aws:kms:eu-west-1:1:key/k"}`, `null`)
	f.Add("iam.amazonaws.com", "AttachRolePolicy", `{"roleName":"r","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}`, `null`)
	f.Add("guardduty.amazonaws.com", "UpdateDetector", `{"detectorId":"d","enable":false}`, `null`)
	f.Add("config.amazonaws.com", "StopConfigurationRecorder", `{"configurationRecorderName":"default"}`, `null`)
	f.Add("ecs.amazonaws.com", "UpdateService", `{"cluster":"arn:aws:ecs:eu-west-1:1:cluster/prod","service":"arn:aws:ecs:eu-west-1:1:service/prod/api"}`, `null`)
	f.Add("lambda.amazonaws.com", "PutFunctionConcurrency20171031", `{"functionName":"arn:aws:lambda:eu-west-1:1:function:f"}`, `null`)
	f.Add("rds.amazonaws.com", "ModifyDBSnapshotAttribute", `{"dBSnapshotIdentifier":"s","dBInstanceIdentifier":"db"}`, `null`)
	f.Add("ec2.amazonaws.com", "CreateVpc", `{"vpcId":"vpc-0a"}`, `{"vpc":{"vpcId":"vpc-1"}}`)
	f.Add("s3.amazonaws.com", "DeleteAccountPublicAccessBlock", `{"accountId":"123456789012"}`, `null`)
	f.Fuzz(func(t *testing.T, source, name, req, resp string) {
		rec := &cloudtrail.Record{EventSource: source, EventName: name, AWSRegion: "eu-west-1", RecipientAccountID: "123456789012",
			RequestParameters: json.RawMessage(req), ResponseElements: json.RawMessage(resp)}
		a := alert.Alert{Record: rec, Labels: map[string]string{}}
		a.Resources = alert.ResourcesFromRecord(rec)
		for _, act := range builtins() {
			p, err := act.Schema().Validate(minimalParams(act.Name()))
			if err != nil {
				t.Fatal(err)
			}
			tg, err := act.Target(a, p)
			if err != nil {
				if !errors.Is(err, ErrNoTarget) {
					t.Fatalf("%s: err = %v, want ErrNoTarget", act.Name(), err)
				}
				continue
			}
			if tg.ID == "" || len(tg.ID) > maxIDLen || tg.Type == "" || tg.From == "" {
				t.Fatalf("%s: unusable target %+v", act.Name(), tg)
			}
		}
	})
}
