package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// GuardrailSelf skips an action on an IAM principal the suite itself, its
// deployment or the people who repair the account depend on: the
// remediator's own role, the roles of its stack, the CDK bootstrap roles, the
// cross-account member role, and remediation.guardrails.never_quarantine.
// Quarantining one of them would switch the watchkeeper off, or lock out the
// break-glass path, with no remediator left to undo it.
const GuardrailSelf = "self"

// Identity is who the remediator runs as.
type Identity struct {
	// Account is the remediator's own account.
	Account string
	// RoleARN is its execution role (arn:<partition>:iam::<account>:role/<name>),
	// "" when it does not run as a role.
	RoleARN string
}

// callerIdentity is the part of the STS client WhoAmI uses.
type callerIdentity interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

var _ callerIdentity = (*sts.Client)(nil)

// WhoAmI asks STS who the caller is; a Lambda function's caller is an
// assumed-role session of its execution role, which is turned back into the
// role's ARN. https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
func WhoAmI(ctx context.Context, api callerIdentity) (Identity, error) {
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Identity{}, fmt.Errorf("who am I (sts:GetCallerIdentity): %w", err)
	}
	id := Identity{Account: aws.ToString(out.Account)}
	id.RoleARN = roleOfSession(aws.ToString(out.Arn))
	return id, nil
}

// roleOfSession turns arn:<p>:sts::<acct>:assumed-role/<role>/<session>
// into arn:<p>:iam::<acct>:role/<role>; any other ARN yields "".
func roleOfSession(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "sts" {
		return ""
	}
	res, ok := strings.CutPrefix(parts[5], "assumed-role/")
	if !ok {
		return ""
	}
	role, _, ok := strings.Cut(res, "/")
	if !ok || role == "" {
		return ""
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + role
}

// selfGuard holds the principal patterns GuardrailSelf refuses, each with
// the reason given in the decision.
type selfGuard struct {
	rules []selfRule
}

type selfRule struct {
	glob glob
	why  string
}

// compileSelfGuard builds the guard from the config and the remediator's
// identity. Role ARNs are matched with and without a path, and in any
// account: a role of the same name in a member account is as vital there.
func compileSelfGuard(cfg *config.Config, id Identity) (selfGuard, []error) {
	var (
		g    selfGuard
		errs []error
	)
	add := func(pattern, why string) {
		gl, err := compileGlob(pattern)
		if err != nil {
			errs = append(errs, err)
			return
		}
		g.rules = append(g.rules, selfRule{glob: gl, why: why})
	}
	role := func(name, why string) {
		add("arn:*:iam::*:role/"+name, why)
		add("arn:*:iam::*:role/*/"+name, why)
	}
	if i := strings.LastIndex(id.RoleARN, ":role/"); i >= 0 {
		name := id.RoleARN[i+len(":role/"):]
		name = name[strings.LastIndex(name, "/")+1:]
		if name != "" {
			role(name, "it is the remediator's own role")
		}
	}
	dep := cfg.Deployment
	stack := dep.StackName
	if stack == "" {
		stack = config.DefaultStackName
	}
	// CloudFormation names a role without an explicit name <stack>-<logical id>-<suffix>.
	role(stack+"-*", "it is a role of the "+stack+" stack")
	q := dep.BootstrapQualifier
	if q == "" {
		q = config.DefaultBootstrapQualifier
	}
	role("cdk-"+q+"-*", "it is a CDK bootstrap role (qualifier "+q+") that deploys this stack")
	if ca := cfg.Remediation.CrossAccount; len(ca.Accounts) > 0 {
		name := ca.RoleName
		if name == "" {
			name = config.DefaultCrossAccountRole
		}
		role(name, "it is the member role the remediator acts through")
	}
	never := cfg.Remediation.Guardrails.NeverQuarantine
	if never == nil {
		never = config.DefaultNeverQuarantine()
	}
	for i, p := range never {
		gl, err := compileGlob(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediation.guardrails.never_quarantine[%d]: %w", i, err))
			continue
		}
		g.rules = append(g.rules, selfRule{glob: gl, why: fmt.Sprintf("it matches never_quarantine pattern %q", p)})
	}
	return g, errs
}

// principalOf is the IAM user or role a target is, or belongs to (the user
// of an access key, the principal an attached policy is detached from), as
// an ARN; "" for a target that is no IAM principal.
func principalOf(t Target, account, partition string) string {
	name := t.ID
	if t.Parent != "" {
		name = t.Parent
	}
	var sort string
	switch t.Type {
	case iamRoleType:
		sort = "role/"
	case iamUserType, "AWS::IAM::AccessKey":
		sort = "user/"
	default:
		return ""
	}
	if strings.HasPrefix(name, "arn:") {
		return name
	}
	return "arn:" + partition + ":iam::" + account + ":" + sort + name
}

// check returns GuardrailSelf and why when the target is, or belongs to, a
// principal the guard protects.
func (g selfGuard) check(t Target, account, partition string) (guardrail, why string) {
	arns := []string{principalOf(t, account, partition)}
	if strings.Contains(t.ARN, ":iam::") {
		arns = append(arns, t.ARN)
	}
	for _, arn := range arns {
		if arn == "" {
			continue
		}
		for _, r := range g.rules {
			if r.glob.match(arn) {
				return GuardrailSelf, fmt.Sprintf("%s (%s) is never quarantined: %s", t.Name(), arn, r.why)
			}
		}
	}
	return "", ""
}
