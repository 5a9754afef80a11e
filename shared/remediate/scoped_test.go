package remediate

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestScopedPermissions(t *testing.T) {
	const (
		role     = "arn:aws:iam::123456789012:role/vpc-flow-logs-delivery"
		autoRole = "arn:aws:iam::123456789012:role/ops/wk-automation"
		logGroup = "arn:aws:logs:eu-west-1:123456789012:log-group:flow"
	)
	reg := Default()
	cases := []struct {
		name    string
		action  string
		params  map[string]any
		want    []ScopedPermission
		wantErr string
	}{
		{"flow logs to CloudWatch Logs pass the delivery role", "vpc-restore-flow-logs",
			map[string]any{"destination_arn": logGroup, "deliver_logs_role_arn": role},
			[]ScopedPermission{passRole(role, PassedToFlowLogs)}, ""},
		{"flow logs to S3 pass no role", "vpc-restore-flow-logs",
			map[string]any{"destination_type": "s3", "destination_arn": "arn:aws:s3:::flow-logs"}, nil, ""},
		{"flow logs without a role", "vpc-restore-flow-logs",
			map[string]any{"destination_arn": logGroup}, nil, "needs deliver_logs_role_arn"},
		{"flow logs with a wildcard role", "vpc-restore-flow-logs",
			map[string]any{"destination_arn": logGroup, "deliver_logs_role_arn": "arn:aws:iam::123456789012:role/*"}, nil,
			"is not a literal IAM role ARN"},
		{"flow logs with a user", "vpc-restore-flow-logs",
			map[string]any{"destination_arn": logGroup, "deliver_logs_role_arn": "arn:aws:iam::123456789012:user/bob"}, nil,
			"is not a literal IAM role ARN"},
		{"automation passes its AutomationAssumeRole to SSM", "ssm-start-automation",
			map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole=" + autoRole}},
			[]ScopedPermission{passRole(autoRole, PassedToSSM)}, ""},
		{"automation without a role", "ssm-start-automation",
			map[string]any{"document": "AWS-RestartEC2Instance"}, nil, "parameters needs AutomationAssumeRole=<IAM role ARN>"},
		{"automation with a parameter reference", "ssm-start-automation",
			map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole={{ssm:/wk/role}}"}}, nil,
			"no wildcards or {{ }} references"},
		{"automation with two roles", "ssm-start-automation",
			map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole=" + autoRole, "AutomationAssumeRole=" + role}},
			nil, "sets AutomationAssumeRole 2 times"},
		{"automation with a role of another partition", "ssm-start-automation",
			map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole=arn:aws-cn:iam::123456789012:role/r"}},
			[]ScopedPermission{passRole("arn:aws-cn:iam::123456789012:role/r", PassedToSSM)}, ""},
		{"an action that passes no role", "revoke-open-ingress", nil, nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := reg.ScopedPermissions(tc.action, tc.params)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrInvalidParams) {
					t.Fatalf("err = %v, want ErrInvalidParams containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("ScopedPermissions = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	if _, err := reg.ScopedPermissions("nope", nil); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("unknown action: err = %v", err)
	}
}

func TestCheckRoleARN(t *testing.T) {
	for _, tc := range []struct {
		arn string
		ok  bool
	}{
		{"arn:aws:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/service-role/a.b@c+d=e,f_g-h", true},
		{"arn:aws-us-gov:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/", false},
		{"arn:aws:iam::12345678901:role/r", false},
		{"arn:aws:iam::123456789012:role/r*", false},
		{"arn:aws:iam::123456789012:role/a?c", false},
		{"arn:aws:iam::*:role/r", false},
		{"arn:aws:iam::123456789012:role/p*/r", false},
		{"arn:aws:sts::123456789012:assumed-role/r/s", false},
		{" arn:aws:iam::123456789012:role/r", false},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 65), false},
	} {
		if err := checkRoleARN("p", tc.arn, "for the test"); (err == nil) != tc.ok {
			t.Errorf("checkRoleARN(%q) = %v, want ok %t", tc.arn, err, tc.ok)
		}
	}
}

// TestScopedActionsDeclareNoPassRole: an action that passes a role asks
// for it only through ScopedPermissions, never on every resource.
func TestScopedActionsDeclareNoPassRole(t *testing.T) {
	scoped := 0
	for _, a := range builtins() {
		for _, p := range a.Permissions() {
			if p == PassRoleAction {
				t.Errorf("%s lists %s in Permissions (granted on *)", a.Name(), p)
			}
		}
		if _, ok := a.(ScopedAction); ok {
			scoped++
		}
	}
	if scoped != 2 {
		t.Errorf("%d scoped actions, want 2 (vpc-restore-flow-logs, ssm-start-automation)", scoped)
	}
}

func TestRuleScopedPermissions(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/wk-automation"
	auto := func(name, mode, role string) config.RemediationRule {
		return config.RemediationRule{Name: name, Matchers: []string{"alarm=x"}, Action: "ssm-start-automation", Mode: mode,
			Params: map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole=" + role}}}
	}
	flow := config.RemediationRule{Name: "flow", Matchers: []string{"event_name=DeleteFlowLogs"}, Action: "vpc-restore-flow-logs",
		Params: map[string]any{"destination_arn": "arn:aws:logs:eu-west-1:123456789012:log-group:flow",
			"deliver_logs_role_arn": "arn:aws:iam::123456789012:role/flow"}}
	rem := remediationConfig(config.ModeEnforce, auto("b", "", role), closeSSH, auto("a", "", role),
		auto("dry", config.ModeDryRun, "arn:aws:iam::123456789012:role/only-planned"), flow).Remediation
	got, err := Default().RuleScopedPermissions(rem)
	if err != nil {
		t.Fatal(err)
	}
	// Same role and service merge; the dry-run rule's role is not passed.
	want := []ScopedPermission{passRole(role, PassedToSSM), passRole("arn:aws:iam::123456789012:role/flow", PassedToFlowLogs)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scoped = %+v\nwant %+v", got, want)
	}

	// A dry-run rule without a literal role still fails: a config must not
	// become invalid when a rule is switched to enforce.
	bad := remediationConfig(config.ModeDryRun, auto("wild", "", "arn:aws:iam::123456789012:role/*")).Remediation
	if _, err := Default().RuleScopedPermissions(bad); err == nil || !strings.Contains(err.Error(), "remediation rule wild") ||
		!strings.Contains(err.Error(), "not a literal IAM role ARN") {
		t.Errorf("err = %v", err)
	}
}

// TestMemberRolePassesOnlyNamedRoles: the member role template grants
// iam:PassRole on the rule's role, to SSM only.
func TestMemberRolePassesOnlyNamedRoles(t *testing.T) {
	cfg := remediationConfig(config.ModeEnforce, config.RemediationRule{Name: "restart", Matchers: []string{"alarm=x"},
		Action: "ssm-start-automation", Params: map[string]any{"document": "AWS-RestartEC2Instance",
			"parameters": []any{"AutomationAssumeRole=arn:aws:iam::123456789012:role/wk-automation"}}})
	b, err := MemberRoleTemplate(cfg, Default(), "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Properties struct {
				Policies []struct {
					PolicyDocument struct{ Statement []map[string]any }
				}
			}
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	sts := tmpl.Resources["RemediationRole"].Properties.Policies[0].PolicyDocument.Statement
	if len(sts) != 2 {
		t.Fatalf("statements = %v", sts)
	}
	got, _ := json.Marshal(sts[1])
	want := `{"Action":"iam:PassRole","Condition":{"StringEquals":{"iam:PassedToService":["ssm.amazonaws.com"]}},` +
		`"Effect":"Allow","Resource":["arn:aws:iam::123456789012:role/wk-automation"],"Sid":"ScopedRemediation1"}`
	if string(got) != want {
		t.Errorf("scoped statement\n got %s\nwant %s", got, want)
	}
	if all, _ := json.Marshal(sts[0]); strings.Contains(string(all), PassRoleAction) {
		t.Errorf("the * statement allows %s: %s", PassRoleAction, all)
	}
}
