package remediate

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestMemberRoleTemplate(t *testing.T) {
	cfg := remediationConfig(config.ModeDryRun,
		withMode(closeSSH, config.ModeEnforce),
		config.RemediationRule{Name: "keys", Matchers: []string{"event_name=CreateAccessKey"}, Action: "iam-deactivate-access-key"},
	)
	cfg.Deployment.StackName = "WK"
	cfg.Remediation.CrossAccount = config.CrossAccount{RoleName: "WKMember", ExternalID: "ext-123", Accounts: []string{"111111111111"}}
	b, err := MemberRoleTemplate(cfg, Default(), "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				RoleName                 string
				AssumeRolePolicyDocument struct{ Statement []map[string]any }
				Policies                 []struct {
					PolicyDocument struct {
						Statement []struct {
							Action   []string
							Resource string
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b, &tmpl); err != nil {
		t.Fatal(err)
	}
	role := tmpl.Resources["RemediationRole"]
	if role.Type != "AWS::IAM::Role" || role.Properties.RoleName != "WKMember" {
		t.Fatalf("role = %+v", role)
	}
	trust, _ := json.Marshal(role.Properties.AssumeRolePolicyDocument)
	for _, want := range []string{`"arn:aws:iam::123456789012:root"`, `"arn:aws:iam::123456789012:role/WK-RemediatorRole*"`, `"sts:ExternalId":"ext-123"`} {
		if !strings.Contains(string(trust), want) {
			t.Errorf("trust policy %s lacks %s", trust, want)
		}
	}
	got := role.Properties.Policies[0].PolicyDocument.Statement[0].Action
	// Enforce: everything revoke-open-ingress needs; dry-run: the reads of
	// iam-deactivate-access-key, not UpdateAccessKey.
	ssh, _ := Default().Permissions([]string{"revoke-open-ingress"})
	for _, p := range append(ssh, "iam:ListAccessKeys") {
		if !slices.Contains(got, p) {
			t.Errorf("actions %v lack %s", got, p)
		}
	}
	if slices.Contains(got, "iam:UpdateAccessKey") || slices.Contains(got, "iam:AttachRolePolicy") {
		t.Errorf("actions %v allow a write of a dry-run rule or of an action not configured", got)
	}

	if _, err := MemberRoleTemplate(cfg, Default(), "12345"); err == nil {
		t.Error("a bad home account is accepted")
	}
	bad := remediationConfig(config.ModeEnforce, config.RemediationRule{Name: "x", Matchers: []string{"a=b"}, Action: "no-such-action"})
	if _, err := MemberRoleTemplate(bad, Default(), "123456789012"); err == nil || !strings.Contains(err.Error(), "no-such-action") {
		t.Errorf("unknown action: %v", err)
	}
	if _, err := MemberRoleTemplate(remediationConfig(config.ModeEnforce), Default(), "123456789012"); err == nil {
		t.Error("a config without rules yields a role allowing nothing")
	}
}
