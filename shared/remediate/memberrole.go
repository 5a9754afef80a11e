package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// MemberRoleTemplate is the CloudFormation template (JSON) of the role the
// remediator assumes in a member account (remediation.cross_account): it
// trusts only the remediator's execution role in the home account (and
// requires the external id when one is set), and allows what the
// configured rules' actions need according to the registry — every action
// of a rule in enforce mode, the read actions (Describe, Get, List) of a
// rule in dry-run, as the remediator's own role in the home account.
func MemberRoleTemplate(cfg *config.Config, reg *Registry, homeAccount string) ([]byte, error) {
	if cfg == nil || reg == nil {
		return nil, errors.New("member role: config and registry are required")
	}
	if len(homeAccount) != 12 || strings.Trim(homeAccount, "0123456789") != "" {
		return nil, fmt.Errorf("member role: home account %q is not a 12-digit account id", homeAccount)
	}
	r := cfg.Remediation
	var actions []string
	var errs []error
	for _, rule := range r.Rules {
		perms, err := reg.Permissions([]string{rule.Action})
		if err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", rule.Name, err))
			continue
		}
		mode := rule.Mode
		if mode == "" {
			mode = r.Mode
		}
		for _, p := range perms {
			if mode == config.ModeEnforce || readOnlyAction(p) {
				actions = append(actions, p)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	scoped, err := reg.RuleScopedPermissions(r)
	if err != nil {
		return nil, fmt.Errorf("member role: %w", err)
	}
	slices.Sort(actions)
	actions = slices.Compact(actions)
	if len(actions) == 0 {
		return nil, errors.New("member role: no remediation rule needs any permission")
	}
	roleName := r.CrossAccount.RoleName
	if roleName == "" {
		roleName = config.DefaultCrossAccountRole
	}
	stack := cfg.Deployment.StackName
	if stack == "" {
		stack = config.DefaultStackName
	}
	p := partition(cfg.Deployment.Region)
	cond := map[string]any{
		// The remediator's role is <stack>-RemediatorRole<hash>-<suffix>, named by CloudFormation.
		"ArnLike": map[string]any{"aws:PrincipalArn": fmt.Sprintf("arn:%s:iam::%s:role/%s-RemediatorRole*", p, homeAccount, stack)},
	}
	if r.CrossAccount.ExternalID != "" {
		cond["StringEquals"] = map[string]any{"sts:ExternalId": r.CrossAccount.ExternalID}
	}
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              "Watchkeeper member role: lets the remediator of account " + homeAccount + " run the configured remediation actions here",
		"Resources": map[string]any{
			"RemediationRole": map[string]any{
				"Type": "AWS::IAM::Role",
				"Properties": map[string]any{
					"RoleName":    roleName,
					"Description": "Assumed by the Watchkeeper remediator (" + stack + ") of account " + homeAccount,
					"AssumeRolePolicyDocument": map[string]any{
						"Version": "2012-10-17",
						"Statement": []any{map[string]any{
							"Effect":    "Allow",
							"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", p, homeAccount)},
							"Action":    "sts:AssumeRole",
							"Condition": cond,
						}},
					},
					"Policies": []any{map[string]any{
						"PolicyName": "WatchkeeperRemediationActions",
						"PolicyDocument": map[string]any{
							"Version": "2012-10-17",
							"Statement": append([]any{map[string]any{
								"Sid": "RemediationActions", "Effect": "Allow", "Action": actions, "Resource": "*",
							}}, scopedStatements(scoped)...),
						},
					}},
				},
			},
		},
		"Outputs": map[string]any{
			"RoleArn": map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{"RemediationRole", "Arn"}}},
		},
	}
	return json.MarshalIndent(tmpl, "", "  ")
}

// readOnlyAction reports whether an IAM action only reads (Describe, Get,
// List): what a dry-run rule's Plan calls.
func readOnlyAction(action string) bool {
	_, op, _ := strings.Cut(action, ":")
	return strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List")
}

// scopedStatements are policy statements of merged scoped permissions, each
// on exactly its resources, with its conditions.
func scopedStatements(perms []ScopedPermission) []any {
	out := make([]any, 0, len(perms))
	for i, p := range perms {
		st := map[string]any{"Sid": fmt.Sprintf("ScopedRemediation%d", i+1), "Effect": "Allow", "Action": p.Action, "Resource": p.Resources}
		if len(p.Conditions) > 0 {
			st["Condition"] = p.Conditions
		}
		out = append(out, st)
	}
	return out
}
