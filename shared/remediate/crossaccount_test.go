package remediate

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Accounts of the cross-account tests: moto answers as homeAccount by
// default, and as the account in a role ARN for that role's session.
const (
	homeAccount   = "123456789012"
	memberAccount = "111111111111"
	otherAccount  = "222222222222"
	testExternal  = "wk-ext-7f3a"
)

// stsRecorder is an HTTP client that keeps the form of every STS request
// before passing it on, so a test sees what AssumeRole really sent.
type stsRecorder struct {
	next  aws.HTTPClient
	mu    sync.Mutex
	forms []url.Values
}

func (r *stsRecorder) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.forms = append(r.forms, form)
	r.mu.Unlock()
	return r.next.Do(req)
}

func (r *stsRecorder) assumeRoles() []url.Values {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []url.Values
	for _, f := range r.forms {
		if f.Get("Action") == "AssumeRole" {
			out = append(out, f)
		}
	}
	return out
}

// memberEC2 is an EC2 client acting in account as moto sees it: through a
// session of a role there.
func (e motoEnv) memberEC2(account string) *ec2.Client {
	cfg := e.cfg.Copy()
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(e.cfg), MemberRoleARN("aws", account, "seeder")))
	return ec2.NewFromConfig(cfg)
}

// inAccount is the sample security group event as if it happened in account.
func inAccount(b []byte, account string) []byte {
	return bytes.ReplaceAll(b, []byte(homeAccount), []byte(account))
}

// TestCrossAccountRevokesInMemberAccount: a CloudTrail event from a member
// account makes the remediator assume the member role (with the external id)
// and revoke the rule in that account, not in its own; a second trigger
// reuses the cached credentials; an account not listed is skipped.
func TestCrossAccountRevokesInMemberAccount(t *testing.T) {
	cfg := remediationConfig(config.ModeEnforce, closeSSH)
	cfg.Remediation.Guardrails.Cooldown = "0s"
	cfg.Remediation.CrossAccount = config.CrossAccount{RoleName: "WatchkeeperRemediation", ExternalID: testExternal, Accounts: []string{memberAccount}}
	rec := &stsRecorder{next: http.DefaultClient}
	h := newHarness(t, cfg)
	stsClient := sts.NewFromConfig(h.env.cfg, func(o *sts.Options) { o.HTTPClient = rec })
	x := NewCrossAccount(h.env.cfg, stsClient, cfg.Remediation.CrossAccount)
	h.svc = h.build(t, cfg, func(_ *Clients, d *Deps) {
		d.Identity = Identity{Account: homeAccount}
		d.Accounts = x
	})
	ctx := context.Background()

	member := h.env.memberEC2(memberAccount)
	vpc, err := member.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := member.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("member-ssh"),
		Description: aws.String("open"), VpcId: vpc.Vpc.VpcId})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(sg.GroupId)
	open := func() bool {
		t.Helper()
		out, err := member.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.SecurityGroups[0].IpPermissions) > 0
	}
	reopen := func() {
		t.Helper()
		if _, err := member.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: openSSH}); err != nil {
			t.Fatal(err)
		}
	}
	reopen()
	// The group exists only in the member account.
	if _, err := ec2.NewFromConfig(h.env.cfg).DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}}); err == nil {
		t.Fatal("the member's group is visible with the home account's credentials: moto does not separate accounts")
	}

	rem := one(t, handle(t, h.svc, inAccount(sgTrigger(t, id, "x-1"), memberAccount)))
	if rem.Outcome != alert.OutcomeApplied || open() {
		t.Fatalf("member account: %+v, still open %v; want applied and closed", rem, open())
	}
	calls := rec.assumeRoles()
	if len(calls) != 1 {
		t.Fatalf("%d AssumeRole calls, want 1", len(calls))
	}
	for k, want := range map[string]string{
		"RoleArn":         "arn:aws:iam::" + memberAccount + ":role/WatchkeeperRemediation",
		"ExternalId":      testExternal,
		"RoleSessionName": RoleSessionName,
	} {
		if got := calls[0].Get(k); got != want {
			t.Errorf("AssumeRole %s = %q, want %q", k, got, want)
		}
	}

	reopen()
	rem = one(t, handle(t, h.svc, inAccount(sgTrigger(t, id, "x-2"), memberAccount)))
	if rem.Outcome != alert.OutcomeApplied || open() {
		t.Fatalf("second trigger: %+v", rem)
	}
	if n := len(rec.assumeRoles()); n != 1 {
		t.Errorf("%d AssumeRole calls after a second trigger, want the cached 1", n)
	}

	reopen()
	rem = one(t, handle(t, h.svc, inAccount(sgTrigger(t, id, "x-3"), otherAccount)))
	if rem.Outcome != alert.OutcomeSkipped || !open() {
		t.Fatalf("account not listed: %+v; want skipped and the rule kept", rem)
	}
	if g := lastAudit(t, h.audit(t), id).Fields["guardrail"]; g != GuardrailAccount {
		t.Errorf("guardrail = %q, want %q", g, GuardrailAccount)
	}
	if n := len(rec.assumeRoles()); n != 1 {
		t.Errorf("an account not listed was assumed into (%d AssumeRole calls)", n)
	}
}

// Without cross_account, a target of another account is skipped rather than
// looked up with the home account's clients; with the account unknown the
// home clients act as before.
func TestOtherAccountWithoutCrossAccount(t *testing.T) {
	cfg := remediationConfig(config.ModeEnforce, closeSSH)
	h := newHarness(t, cfg, func(_ *Clients, d *Deps) { d.Identity = Identity{Account: homeAccount} })
	id := h.env.seedGroup(t, openSSH, nil)
	rem := one(t, handle(t, h.svc, inAccount(sgTrigger(t, id, "o-1"), memberAccount)))
	if rem.Outcome != alert.OutcomeSkipped || len(h.env.ingress(t, id)) == 0 {
		t.Fatalf("%+v; want skipped, the home group untouched", rem)
	}
	if !strings.Contains(rem.Detail, "cross_account") {
		t.Errorf("detail %q does not point at remediation.cross_account", rem.Detail)
	}
	rem = one(t, handle(t, h.svc, sgTrigger(t, id, "o-2")))
	if rem.Outcome != alert.OutcomeApplied {
		t.Fatalf("own account: %+v", rem)
	}
}

// A member role that cannot be assumed fails the decision (so the trigger
// is retried) with the role's ARN in the error, and records it.
func TestCrossAccountAssumeFails(t *testing.T) {
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>r1</RequestId></ErrorResponse>`)
	}))
	defer denied.Close()
	cfg := remediationConfig(config.ModeEnforce, closeSSH)
	cfg.Remediation.CrossAccount = config.CrossAccount{Accounts: []string{memberAccount}}
	h := newHarness(t, cfg)
	stsClient := sts.NewFromConfig(h.env.cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(denied.URL) })
	h.svc = h.build(t, cfg, func(_ *Clients, d *Deps) {
		d.Identity = Identity{Account: homeAccount}
		d.Accounts = NewCrossAccount(h.env.cfg, stsClient, cfg.Remediation.CrossAccount)
	})
	resp, err := h.svc.Handle(context.Background(), inAccount(sgTrigger(t, "sg-0aaaabbbbccccdddd", "f-1"), memberAccount))
	if err == nil || !strings.Contains(err.Error(), "arn:aws:iam::"+memberAccount+":role/"+config.DefaultCrossAccountRole) {
		t.Fatalf("error = %v; want the member role's ARN", err)
	}
	if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomeFailed {
		t.Fatalf("remediations = %+v, want one failed", resp.Remediations)
	}
}
