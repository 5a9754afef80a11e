package remediate

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// remediatorRole is the execution role the self-guard tests run as.
const remediatorRole = "arn:aws:iam::123456789012:role/wk-remediator-exec"

// deleteTrailBy is a DeleteTrail call by a session of role, which
// iam-attach-deny-all (principal actor) quarantines.
func deleteTrailBy(id, role string) []byte {
	return apiCallEvent(id, "aws.cloudtrail", `{"eventSource":"cloudtrail.amazonaws.com","eventName":"DeleteTrail","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"name":"org-trail"},
"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/`+role+`/s","accountId":"123456789012",
"sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/`+role+`","accountId":"123456789012","userName":"`+role+`"}}}}`)
}

// TestSelfQuarantineGuard runs the three IAM actions in enforce mode against
// moto on the principals the guard protects, and on one it does not: each
// protected one is skipped with GuardrailSelf in the response, the audit
// record and the event, and keeps its policies and keys; the other is
// quarantined.
func TestSelfQuarantineGuard(t *testing.T) {
	cfg := remediationConfig(config.ModeEnforce,
		config.RemediationRule{Name: "quarantine", Matchers: []string{"event_name=DeleteTrail"}, Action: "iam-attach-deny-all"},
		config.RemediationRule{Name: "keys", Matchers: []string{"event_name=CreateAccessKey"}, Action: "iam-deactivate-access-key"},
		config.RemediationRule{Name: "admins", Matchers: []string{"event_name=AttachRolePolicy"}, Action: "iam-detach-admin-policy"},
	)
	cfg.Deployment.StackName = "Watchkeeper"
	cfg.Deployment.BootstrapQualifier = "hnb659fds"
	cfg.Remediation.CrossAccount = config.CrossAccount{RoleName: "WatchkeeperRemediation", Accounts: []string{"111111111111"}}
	cfg.Remediation.Guardrails.NeverQuarantine = append(config.DefaultNeverQuarantine(), "arn:aws:iam::*:role/security-*")
	identity := func(_ *Clients, d *Deps) {
		d.Identity = Identity{Account: "123456789012", RoleARN: remediatorRole}
	}
	h := newHarness(t, cfg, identity)
	// moto has no AWS managed AWSDenyAll: quarantine with a policy of its own.
	cfg.Remediation.Rules[0].Params = map[string]any{"policy_arn": h.env.seedPolicy(t, "DenyAll", denyAllDoc)}
	admin := h.env.seedPolicy(t, "AdministratorAccess", adminDoc)
	cfg.Remediation.Rules[2].Params = map[string]any{"policy_arns": []any{admin}}
	h.svc = h.build(t, cfg, identity)
	deny := cfg.Remediation.Rules[0].Params["policy_arn"].(string)
	ctx := context.Background()
	c := iam.NewFromConfig(h.env.cfg)
	roles := []string{"wk-remediator-exec", "Watchkeeper-NotifierRoleA1B2-XYZ", "cdk-hnb659fds-cfn-exec-role-123456789012-eu-west-1",
		"ops-break-glass", "WatchkeeperRemediation", "security-responder", "OrganizationAccountAccessRole", "ci-deployer"}
	for _, r := range roles {
		if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r), AssumeRolePolicyDocument: aws.String(trustDoc)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Watchkeeper-NotifierRoleA1B2-XYZ"), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	key := h.env.seedKey(t, "BreakGlassAdmin")

	for i, role := range roles {
		t.Run(role, func(t *testing.T) {
			rem := one(t, handle(t, h.svc, deleteTrailBy("dt-"+role, role)))
			attached, err := attachedPolicies(ctx, c, iamRoleType, role)
			if err != nil {
				t.Fatal(err)
			}
			if role == "ci-deployer" {
				if rem.Outcome != alert.OutcomeApplied || !slices.Contains(attached, deny) {
					t.Fatalf("unprotected role: %+v, attached %v; want it quarantined", rem, attached)
				}
				return
			}
			if rem.Outcome != alert.OutcomeSkipped || len(attached) > 1 || slices.Contains(attached, deny) {
				t.Fatalf("case %d: %+v, attached %v; want skipped and nothing attached", i, rem, attached)
			}
			if g := lastAudit(t, h.audit(t), role).Fields["guardrail"]; g != GuardrailSelf {
				t.Errorf("audit guardrail = %q, want %q", g, GuardrailSelf)
			}
		})
	}

	// The access key of a break-glass user stays active.
	rem := one(t, handle(t, h.svc, apiCallEvent("cak-1", "aws.iam", `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","responseElements":{"accessKey":{"userName":"BreakGlassAdmin","accessKeyId":"`+key+`","status":"Active"}}}`)))
	if rem.Outcome != alert.OutcomeSkipped || h.env.keyStatus(t, "BreakGlassAdmin", key) != "Active" {
		t.Errorf("break-glass key: %+v, status %s; want skipped and Active", rem, h.env.keyStatus(t, "BreakGlassAdmin", key))
	}
	// The stack's own role keeps its administrator policy.
	rem = one(t, handle(t, h.svc, apiCallEvent("arp-1", "aws.iam", `{"eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy","awsRegion":"us-east-1",
"recipientAccountId":"123456789012","requestParameters":{"roleName":"Watchkeeper-NotifierRoleA1B2-XYZ","policyArn":"`+admin+`"}}`)))
	got, _ := attachedPolicies(ctx, c, iamRoleType, "Watchkeeper-NotifierRoleA1B2-XYZ")
	if rem.Outcome != alert.OutcomeSkipped || !slices.Equal(got, []string{admin}) {
		t.Errorf("stack role admin policy: %+v, attached %v; want skipped and kept", rem, got)
	}
	var self int
	for _, e := range h.bus.events {
		if e.Label(alert.LabelGuardrail) == GuardrailSelf {
			self++
		}
	}
	if want := len(roles) - 1 + 2; self != want {
		t.Errorf("%d events with guardrail %s, want %d", self, GuardrailSelf, want)
	}
}

// Which principals the guard refuses, and why, with and without paths and
// in other accounts.
func TestSelfGuardCheck(t *testing.T) {
	cfg := &config.Config{Deployment: config.Deployment{StackName: "Prod-WK", BootstrapQualifier: "abc123"}}
	cfg.Remediation.Guardrails.NeverQuarantine = []string{"arn:aws:iam::123456789012:user/alice"}
	g, errs := compileSelfGuard(cfg, Identity{Account: "123456789012", RoleARN: "arn:aws:iam::123456789012:role/Prod-WK-Remediator"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cases := []struct {
		name string
		t    Target
		acct string
		want bool
	}{
		{"own role", Target{Type: iamRoleType, ID: "Prod-WK-Remediator"}, "123456789012", true},
		{"own role with path", Target{Type: iamRoleType, ID: "x", ARN: "arn:aws:iam::123456789012:role/service/Prod-WK-Remediator"}, "123456789012", true},
		{"stack role", Target{Type: iamRoleType, ID: "Prod-WK-NotifierServiceRole-1"}, "123456789012", true},
		{"cdk role other account", Target{Type: iamRoleType, ID: "cdk-abc123-deploy-role-2-eu-west-1"}, "222222222222", true},
		{"other qualifier", Target{Type: iamRoleType, ID: "cdk-hnb659fds-deploy-role"}, "123456789012", false},
		{"listed user", Target{Type: iamUserType, ID: "alice"}, "123456789012", true},
		{"listed user's key", Target{Type: "AWS::IAM::AccessKey", ID: "AKIA1", Parent: "alice"}, "123456789012", true},
		{"listed user's admin policy", Target{Type: iamUserType, ID: adminPolicyARN, Parent: "alice"}, "123456789012", true},
		{"listed user in another account", Target{Type: iamUserType, ID: "alice"}, "222222222222", false},
		{"unknown account", Target{Type: iamRoleType, ID: "Prod-WK-X"}, "", true},
		{"other user", Target{Type: iamUserType, ID: "bob"}, "123456789012", false},
		{"not IAM", Target{Type: "AWS::EC2::SecurityGroup", ID: "Prod-WK-sg"}, "123456789012", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gr, why := g.check(tc.t, tc.acct, "aws")
			if (gr == GuardrailSelf) != tc.want || (tc.want && why == "") {
				t.Errorf("check = %q %q, want refused %v", gr, why, tc.want)
			}
		})
	}
	if _, errs := compileSelfGuard(&config.Config{Remediation: config.Remediation{Guardrails: config.Guardrails{NeverQuarantine: []string{"arn:[x]"}}}}, Identity{}); len(errs) != 1 {
		t.Errorf("bad never_quarantine pattern: errors %v, want one", errs)
	}
}

func TestRoleOfSession(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/Watchkeeper-Remediator-1/Watchkeeper-remediator": "arn:aws:iam::123456789012:role/Watchkeeper-Remediator-1",
		"arn:aws-cn:sts::123456789012:assumed-role/r/s":                                          "arn:aws-cn:iam::123456789012:role/r",
		"arn:aws:iam::123456789012:user/moto":                                                    "",
		"arn:aws:sts::123456789012:federated-user/bob":                                           "",
		"arn:aws:sts::123456789012:assumed-role/":                                                "",
		"garbage": "",
	} {
		if got := roleOfSession(in); got != want {
			t.Errorf("roleOfSession(%q) = %q, want %q", in, got, want)
		}
	}
}

// WhoAmI against moto: as the default user there is no role; as a session
// of an assumed role, that role's ARN.
func TestWhoAmIMoto(t *testing.T) {
	env := startMoto(t)
	ctx := context.Background()
	id, err := WhoAmI(ctx, sts.NewFromConfig(env.cfg))
	if err != nil || id.Account != "123456789012" || id.RoleARN != "" {
		t.Fatalf("as the moto user: %+v, %v", id, err)
	}
	role := env.cfg.Copy()
	role.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(env.cfg), "arn:aws:iam::123456789012:role/Watchkeeper-RemediatorRole-9"))
	id, err = WhoAmI(ctx, sts.NewFromConfig(role))
	if err != nil || id.RoleARN != "arn:aws:iam::123456789012:role/Watchkeeper-RemediatorRole-9" {
		t.Fatalf("as an assumed role: %+v, %v", id, err)
	}
}
