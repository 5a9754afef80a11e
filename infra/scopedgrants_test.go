package main

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

func TestRemediatorScopedGrants(t *testing.T) {
	const (
		flowRole = "arn:aws:iam::111122223333:role/vpc-flow-logs-delivery"
		autoRole = "arn:aws:iam::111122223333:role/wk-automation"
	)
	flow := config.RemediationRule{Name: "flow", Matchers: []string{"event_name=DeleteFlowLogs"}, Action: "vpc-restore-flow-logs",
		Mode: config.ModeEnforce, Params: map[string]any{"destination_arn": "arn:aws:logs:eu-west-2:111122223333:log-group:flow",
			"deliver_logs_role_arn": flowRole}}
	auto := func(name, mode, role string) config.RemediationRule {
		return config.RemediationRule{Name: name, Matchers: []string{"alarm=x"}, Action: "ssm-start-automation", Mode: mode,
			Params: map[string]any{"document": "AWS-RestartEC2Instance", "parameters": []any{"AutomationAssumeRole=" + role}}}
	}
	cases := []struct {
		name    string
		rules   []config.RemediationRule
		want    []grant
		wantErr []string
	}{
		{"no scoped action", []config.RemediationRule{{Name: "r", Matchers: []string{"a=b"}, Action: "revoke-open-ingress"}}, nil, nil},
		{"each role to its own service", []config.RemediationRule{flow, auto("auto", config.ModeEnforce, autoRole)}, []grant{
			{Sid: "PassRoleToSsm", Actions: []string{"iam:PassRole"}, Resources: []string{autoRole},
				Conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"ssm.amazonaws.com"}}}},
			{Sid: "PassRoleToVpcFlowLogs", Actions: []string{"iam:PassRole"}, Resources: []string{flowRole},
				Conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"vpc-flow-logs.amazonaws.com"}}}},
		}, nil},
		{"dry-run rules pass no role", []config.RemediationRule{auto("auto", config.ModeDryRun, autoRole)}, nil, nil},
		{"a wildcard role fails the synth", []config.RemediationRule{auto("wild", config.ModeEnforce, "arn:aws:iam::111122223333:role/*")}, nil,
			[]string{"remediation rule wild", "not a literal IAM role ARN"}},
		{"a missing role fails the synth", []config.RemediationRule{{Name: "bare", Matchers: []string{"a=b"}, Action: "ssm-start-automation",
			Params: map[string]any{"document": "AWS-RestartEC2Instance"}}}, nil, []string{"remediation rule bare", "needs AutomationAssumeRole"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Remediation: config.Remediation{Mode: config.ModeDryRun, Rules: tc.rules}}
			gs, err := remediatorGrants(cfg, testEnv, remediate.Default())
			if len(tc.wantErr) > 0 {
				for _, w := range tc.wantErr {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("err = %v, want one containing %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []grant
			for _, g := range gs {
				if strings.HasPrefix(g.Sid, "PassRole") {
					got = append(got, g)
				}
				if g.Sid == "RemediationActions" && slices.Contains(g.Actions, "iam:PassRole") {
					t.Errorf("iam:PassRole granted on %v", g.Resources)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("scoped grants\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestScopedSid(t *testing.T) {
	for _, tc := range []struct {
		p    remediate.ScopedPermission
		want string
	}{
		{remediate.ScopedPermission{Action: "iam:PassRole", Conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"vpc-flow-logs.amazonaws.com"}}}}, "PassRoleToVpcFlowLogs"},
		{remediate.ScopedPermission{Action: "iam:PassRole", Conditions: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"ssm.amazonaws.com"}}}}, "PassRoleToSsm"},
		{remediate.ScopedPermission{Action: "s3:GetObject"}, "GetObject3"},
	} {
		if got := scopedSid(tc.p, 2); got != tc.want {
			t.Errorf("scopedSid(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
