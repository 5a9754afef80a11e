package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestMoreTargets(t *testing.T) {
	const (
		i1 = "i-0123456789abcdef0"
		i2 = "i-0fedcba9876543210"
	)
	many := make([]string, maxTargetInstances+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"instanceId":"i-%017x"}`, i)
	}
	cases := []struct {
		name   string
		alert  func(t *testing.T) alert.Alert
		action Action
		params map[string]any
		want   Target
		noneOf string // when set, Target must fail with ErrNoTarget mentioning this
	}{
		{
			name: "instances from RunInstances responseElements",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-1","recipientAccountId":"123456789012",
"requestParameters":{"instanceType":"t3.micro"},"responseElements":{"instancesSet":{"items":[{"instanceId":"`+i1+`"},{"instanceId":"`+i2+`"},{"instanceId":"`+i1+`"}]}}}`)
			},
			action: ec2EnforceIMDSv2{},
			want: Target{Type: instanceType, ID: i1 + "," + i2, Region: "eu-west-1", Account: "123456789012",
				From: "responseElements.instancesSet"},
		},
		{
			name:   "instance from the alarm dimension",
			alert:  func(t *testing.T) alert.Alert { return instanceAlarm(t, i2) },
			action: ec2RebootInstances{},
			want:   Target{Type: instanceType, ID: i2, Region: "eu-west-1", Account: "123456789012", From: "dimension InstanceId"},
		},
		{
			name:   "an ASG alarm names no instance",
			alert:  func(t *testing.T) alert.Alert { return eventAlert(t, "remediator/sns-alarm-cpu.json", 0) },
			action: ec2StopInstances{},
			noneOf: "cannot find the EC2 instance",
		},
		{
			name: "malformed instance ids are ignored",
			alert: func(t *testing.T) alert.Alert {
				return ec2Call(t, "StopInstances", `{"instancesSet":{"items":[{"instanceId":"i-xyz; rm -rf /"},{"instanceId":""}]}}`)
			},
			action: ec2StopInstances{},
			noneOf: "cannot find the EC2 instance",
		},
		{
			name: "too many instances",
			alert: func(t *testing.T) alert.Alert {
				return ec2Call(t, "StopInstances", `{"instancesSet":{"items":[`+strings.Join(many, ",")+`]}}`)
			},
			action: ec2IsolateInstance{},
			params: map[string]any{"quarantine_group_id": "sg-1"},
			noneOf: "more than the 20",
		},
		{
			name:   "snapshot attribute of another call",
			alert:  func(t *testing.T) alert.Alert { return ec2Call(t, "DeleteSnapshot", `{"snapshotId":"snap-1"}`) },
			action: ebsSnapshotPrivate{},
			noneOf: "cannot find the EBS snapshot",
		},
		{
			name: "kms key by ARN",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"keyId":"arn:aws:kms:eu-west-1:123456789012:key/k1"}}`)
			},
			action: kmsCancelKeyDeletion{},
			want: Target{Type: "AWS::KMS::Key", ID: "arn:aws:kms:eu-west-1:123456789012:key/k1", ARN: "arn:aws:kms:eu-west-1:123456789012:key/k1",
				Region: "eu-west-1", Account: "123456789012", From: "requestParameters.keyId"},
		},
		{
			name: "root is never quarantined",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"Root","arn":"arn:aws:iam::123456789012:root"}}`)
			},
			action: iamAttachDenyAll{},
			noneOf: "cannot find the IAM user or role",
		},
		{
			name: "IAM user actor",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","userIdentity":{"type":"IAMUser","userName":"mallory"}}`)
			},
			action: iamAttachDenyAll{},
			want: Target{Type: iamUserType, ID: "mallory", ARN: "arn:aws:iam::123456789012:user/mallory", Account: "123456789012",
				From: "userIdentity"},
		},
		{
			name: "role attach of admin",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","requestParameters":{"roleName":"app","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}}`)
			},
			action: iamDetachAdminPolicy{},
			want: Target{Type: iamRoleType, ID: adminPolicyARN, Parent: "app", ARN: "arn:aws:iam::123456789012:role/app",
				Account: "123456789012", From: "requestParameters.policyArn"},
		},
		{
			name: "attach of a policy that is not admin",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","requestParameters":{"userName":"u",
"policyArn":"arn:aws:iam::aws:policy/ReadOnlyAccess"}}`)
			},
			action: iamDetachAdminPolicy{},
			noneOf: "is not one of policy_arns",
		},
		{
			name: "detector deleted",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"guardduty.amazonaws.com","eventName":"DeleteDetector","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"detectorId":"d1"}}`)
			},
			action: guardDutyEnableDetector{},
			want: Target{Type: "AWS::GuardDuty::Detector", ID: "d1", Region: "eu-west-1", Account: "123456789012",
				From: "requestParameters.detectorId"},
		},
		{
			name: "detector updated without enable",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"guardduty.amazonaws.com","eventName":"UpdateDetector","requestParameters":{"detectorId":"d1","findingPublishingFrequency":"SIX_HOURS"}}`)
			},
			action: guardDutyEnableDetector{},
			noneOf: "cannot find the GuardDuty detector",
		},
		{
			name: "config recorder deleted is not stopped",
			alert: func(t *testing.T) alert.Alert {
				return trailAlert(t, `{"eventSource":"config.amazonaws.com","eventName":"DeleteConfigurationRecorder","requestParameters":{"configurationRecorderName":"default"}}`)
			},
			action: configStartRecorder{},
			noneOf: "cannot find the Config recorder",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := params(t, tc.action, tc.params)
			got, err := tc.action.Target(tc.alert(t), p)
			if tc.noneOf != "" {
				if !errors.Is(err, ErrNoTarget) || !strings.Contains(err.Error(), tc.noneOf) {
					t.Fatalf("err = %v, want ErrNoTarget mentioning %q", err, tc.noneOf)
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

func TestMoreTargetARN(t *testing.T) {
	cases := []struct {
		t    Target
		want string
	}{
		{Target{Type: instanceType, ID: "i-1"}, "arn:aws:ec2:eu-west-1:123456789012:instance/i-1"},
		{Target{Type: instanceType, ID: "i-1,i-2"}, "arn:aws:ec2:eu-west-1:123456789012:instance/i-1 arn:aws:ec2:eu-west-1:123456789012:instance/i-2"},
		{Target{Type: "AWS::EC2::Snapshot", ID: "snap-1"}, "arn:aws:ec2:eu-west-1::snapshot/snap-1"},
		{Target{Type: "AWS::KMS::Key", ID: "k"}, "arn:aws:kms:eu-west-1:123456789012:key/k"},
		{Target{Type: iamUserType, ID: "bob"}, "arn:aws:iam::123456789012:user/bob"},
		{Target{Type: iamRoleType, ID: "app"}, "arn:aws:iam::123456789012:role/app"},
		{Target{Type: "AWS::GuardDuty::Detector", ID: "d"}, "arn:aws:guardduty:eu-west-1:123456789012:detector/d"},
		{Target{Type: "AWS::Config::ConfigurationRecorder", ID: "default"}, "arn:aws:config:eu-west-1:123456789012:configuration-recorder/default/*"},
	}
	for _, tc := range cases {
		if got := targetARN(tc.t, "123456789012", "eu-west-1"); got != tc.want {
			t.Errorf("targetARN(%+v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

// TestProtectedAnyInstance: a target of several instances is protected
// when any one of them is.
func TestProtectedAnyInstance(t *testing.T) {
	g, errs := compileGuardrails(config.Guardrails{ProtectedARNs: []string{"arn:aws:ec2:*:*:instance/i-0bastion"}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cases := []struct {
		ids  string
		want string
	}{
		{"i-0web,i-0bastion", "arn:aws:ec2:*:*:instance/i-0bastion"},
		{"i-0bastion", "arn:aws:ec2:*:*:instance/i-0bastion"},
		{"i-0web,i-0api", ""},
	}
	for _, tc := range cases {
		arn := targetARN(Target{Type: instanceType, ID: tc.ids}, "123456789012", "eu-west-1")
		if got := g.protectedBy(arn); got != tc.want {
			t.Errorf("protectedBy(%s) = %q, want %q", tc.ids, got, tc.want)
		}
	}
}

// FuzzInstancesSet feeds arbitrary request parameters to the instancesSet
// reader behind every EC2 instance action: it must never panic, and what
// instanceTarget accepts must be valid ids, each once, within the cap.
func FuzzInstancesSet(f *testing.F) {
	f.Add(`{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0"}]}}`)
	f.Add(`{"instanceId":"i-0abc","instancesSet":{"items":[{"instanceId":"i-0abc"},{"instanceId":7}]}}`)
	f.Add(`{"instancesSet":{"items":null}}`)
	f.Add(`{"instancesSet":[]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, req string) {
		ids := instancesSet(json.RawMessage(req))
		if len(req) > 0 && req[0] != '{' && ids != nil {
			t.Fatalf("ids %q from a non-object", ids)
		}
		a := ec2Call(t, "StopInstances", `{}`)
		a.Record.RequestParameters = json.RawMessage(req)
		tg, err := instanceTarget(a)
		if err != nil {
			if !errors.Is(err, ErrNoTarget) {
				t.Fatalf("err = %v, want ErrNoTarget", err)
			}
			return
		}
		got := instanceIDs(tg)
		if len(got) == 0 || len(got) > maxTargetInstances {
			t.Fatalf("target %q has %d instances", tg.ID, len(got))
		}
		seen := map[string]bool{}
		for _, id := range got {
			if !validInstanceID(id) || seen[id] {
				t.Fatalf("target %q: bad or repeated id %q", tg.ID, id)
			}
			seen[id] = true
		}
	})
}
