package remediate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// IAM principal types a policy action attaches to or detaches from.
const (
	iamUserType = "AWS::IAM::User"
	iamRoleType = "AWS::IAM::Role"
)

// AWS managed policies the IAM actions default to.
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSDenyAll.html
// https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AdministratorAccess.html
const (
	denyAllPolicyARN = "arn:aws:iam::aws:policy/AWSDenyAll"
	adminPolicyARN   = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// policyPlan is the Plan.Data of the IAM policy actions.
type policyPlan struct {
	// Kind is iamUserType or iamRoleType.
	Kind, Principal, PolicyARN string
}

func (d *policyPlan) what() string {
	if d.Kind == iamRoleType {
		return "role " + d.Principal
	}
	return "user " + d.Principal
}

// attachedPolicies lists the managed policies attached to a user or role.
func attachedPolicies(ctx context.Context, c IAMAPI, kind, name string) ([]string, error) {
	var out []string
	if kind == iamRoleType {
		p := iam.NewListAttachedRolePoliciesPaginator(c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list policies attached to role %s: %w", name, err)
			}
			for _, a := range page.AttachedPolicies {
				out = append(out, aws.ToString(a.PolicyArn))
			}
		}
		return out, nil
	}
	p := iam.NewListAttachedUserPoliciesPaginator(c, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list policies attached to user %s: %w", name, err)
		}
		for _, a := range page.AttachedPolicies {
			out = append(out, aws.ToString(a.PolicyArn))
		}
	}
	return out, nil
}

// principalTags reads a user's or role's tags, for the opt-out guardrail.
func principalTags(ctx context.Context, c IAMAPI, kind, name string) (map[string]string, error) {
	out := map[string]string{}
	if kind == iamRoleType {
		p := iam.NewListRoleTagsPaginator(c, &iam.ListRoleTagsInput{RoleName: aws.String(name)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list tags of role %s: %w", name, err)
			}
			for _, t := range page.Tags {
				out[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		return out, nil
	}
	p := iam.NewListUserTagsPaginator(c, &iam.ListUserTagsInput{UserName: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of user %s: %w", name, err)
		}
		for _, t := range page.Tags {
			out[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return out, nil
}

func attachPolicy(ctx context.Context, c IAMAPI, d *policyPlan) error {
	var err error
	if d.Kind == iamRoleType {
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(d.Principal), PolicyArn: aws.String(d.PolicyARN)})
	} else {
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(d.Principal), PolicyArn: aws.String(d.PolicyARN)})
	}
	if err != nil {
		return fmt.Errorf("attach %s to %s: %w", d.PolicyARN, d.what(), err)
	}
	return nil
}

func detachPolicy(ctx context.Context, c IAMAPI, d *policyPlan) error {
	var err error
	if d.Kind == iamRoleType {
		_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(d.Principal), PolicyArn: aws.String(d.PolicyARN)})
	} else {
		_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(d.Principal), PolicyArn: aws.String(d.PolicyARN)})
	}
	if err != nil {
		return fmt.Errorf("detach %s from %s: %w", d.PolicyARN, d.what(), err)
	}
	return nil
}

// policyCLI is the CLI line that attaches (verb "attach") or detaches the
// plan's policy.
func policyCLI(verb string, d *policyPlan) string {
	if d.Kind == iamRoleType {
		return cli("iam", verb+"-role-policy", "--role-name", d.Principal, "--policy-arn", d.PolicyARN)
	}
	return cli("iam", verb+"-user-policy", "--user-name", d.Principal, "--policy-arn", d.PolicyARN)
}

// principalARN is the ARN of a user or role when the account is known.
func principalARN(a alert.Alert, kind, name, account string) string {
	if account == "" {
		return ""
	}
	sort := "user/"
	if kind == iamRoleType {
		sort = "role/"
	}
	return "arn:" + alert.Partition(regionOf(a)) + ":iam::" + account + ":" + sort + name
}

// actorPrincipal is the IAM user or role behind a CloudTrail record's
// caller: an IAM user, or the role an assumed-role session was issued by.
// The root user and AWS services yield "".
func actorPrincipal(r *cloudtrail.Record) (kind, name string) {
	if r == nil {
		return "", ""
	}
	id := r.UserIdentity
	switch id.Type {
	case cloudtrail.IdentityIAMUser:
		return iamUserType, id.UserName
	case cloudtrail.IdentityAssumedRole:
		if sc := id.SessionContext; sc != nil && sc.SessionIssuer != nil && sc.SessionIssuer.Type == "Role" {
			return iamRoleType, sc.SessionIssuer.UserName
		}
	}
	return "", ""
}

// iamAttachDenyAll quarantines an IAM user or role by attaching a policy
// that denies every action. Explicit denies win over any allow, so the
// principal's other policies stay in place for the investigation.
type iamAttachDenyAll struct{}

func (iamAttachDenyAll) Name() string { return "iam-attach-deny-all" }

// Principal sources of iam-attach-deny-all.
const (
	principalActor   = "actor"
	principalSubject = "subject"
)

func (iamAttachDenyAll) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "policy_arn", Type: TypeString, Default: denyAllPolicyARN,
			Description: "managed policy to attach; the AWS managed AWSDenyAll by default"},
		{Name: "principal", Type: TypeString, Default: principalActor,
			Description: "whom to quarantine: actor (the IAM user or role that made the call) or subject (requestParameters.userName/roleName)"},
	}, Check: func(p Params) error {
		if !strings.HasPrefix(p.String("policy_arn"), "arn:") || !strings.Contains(p.String("policy_arn"), ":policy/") {
			return fmt.Errorf("policy_arn %q is not a managed policy ARN", truncate(p.String("policy_arn"), 80))
		}
		if pr := p.String("principal"); pr != principalActor && pr != principalSubject {
			return fmt.Errorf("principal is %q, want %s or %s", truncate(pr, 40), principalActor, principalSubject)
		}
		return nil
	}}
}

func (iamAttachDenyAll) Permissions() []string {
	return []string{"iam:ListAttachedUserPolicies", "iam:ListAttachedRolePolicies", "iam:ListUserTags", "iam:ListRoleTags",
		"iam:AttachUserPolicy", "iam:AttachRolePolicy"}
}

func (iamAttachDenyAll) Example() string {
	return `remediation:
  rules:
    - name: quarantine-trail-tamperer
      matchers: ['event_name=DeleteTrail']
      action: iam-attach-deny-all
      mode: enforce
      params:
        principal: actor
`
}

// Target takes, with principal actor, the IAM user or the role behind an
// assumed-role session that made the call; with principal subject,
// requestParameters.userName or roleName of an IAM call. Either falls back
// to an IAM user or role resource of a finding.
func (iamAttachDenyAll) Target(a alert.Alert, p Params) (Target, error) {
	t := Target{Account: accountOf(a)}
	switch {
	case p.String("principal") != principalSubject:
		if kind, name := actorPrincipal(a.Record); name != "" {
			t.Type, t.ID, t.From = kind, name, "userIdentity"
		}
	case fromEvent(a, "iam.amazonaws.com") && requestParam(a, "userName") != "":
		t.Type, t.ID, t.From = iamUserType, requestParam(a, "userName"), fromRequest+"userName"
	case fromEvent(a, "iam.amazonaws.com") && requestParam(a, "roleName") != "":
		t.Type, t.ID, t.From = iamRoleType, requestParam(a, "roleName"), fromRequest+"roleName"
	}
	if t.ID == "" {
		if r, ok := resourceOfType(a, iamUserType, "AwsIamUser", iamRoleType, "AwsIamRole"); ok && r.ID != "" {
			t.Type, t.ID, t.ARN, t.From = iamUserType, r.ID, r.ARN, fromResource+r.Type
			if r.Type == iamRoleType || r.Type == "AwsIamRole" {
				t.Type = iamRoleType
			}
		}
	}
	if t.ID == "" {
		return Target{}, noTarget("IAM user or role", "userIdentity (principal actor)",
			"requestParameters.userName/roleName (principal subject)", "IAM user and role resources")
	}
	if t.ARN == "" {
		t.ARN = principalARN(a, t.Type, t.ID, t.Account)
	}
	return t, nil
}

func (x iamAttachDenyAll) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.IAM == nil {
		return Plan{}, missing("IAM")
	}
	d := &policyPlan{Kind: t.Type, Principal: t.ID, PolicyARN: p.String("policy_arn")}
	if d.Kind != iamRoleType {
		d.Kind = iamUserType
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return Plan{}, err
	}
	tags, err := principalTags(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: x.Name(), Target: t, Data: d, Tags: tags, TagsRead: true}
	if slices.Contains(attached, d.PolicyARN) {
		plan.Summary = fmt.Sprintf("%s already has %s attached", d.what(), d.PolicyARN)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("attach %s to %s", d.PolicyARN, d.what())
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (iamAttachDenyAll) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil || slices.Contains(attached, d.PolicyARN) {
		return err
	}
	return attachPolicy(ctx, c.IAM, d)
}

func (iamAttachDenyAll) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return err
	}
	if !slices.Contains(attached, d.PolicyARN) {
		return fmt.Errorf("%w: %s does not have %s attached", ErrVerify, d.what(), d.PolicyARN)
	}
	return nil
}

func (iamAttachDenyAll) Undo(p Plan) string {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return ""
	}
	return policyCLI("detach", d)
}

// iamDetachAdminPolicy takes back an administrator policy that an
// AttachUserPolicy or AttachRolePolicy call granted.
type iamDetachAdminPolicy struct{}

func (iamDetachAdminPolicy) Name() string { return "iam-detach-admin-policy" }

func (iamDetachAdminPolicy) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "policy_arns", Type: TypeStringList, Default: []string{adminPolicyARN},
			Description: "policies that count as administrator access; an attach of any other policy is left alone"},
	}, Check: func(p Params) error {
		if len(p.Strings("policy_arns")) == 0 {
			return errors.New("policy_arns is empty: the action would never detach anything")
		}
		return nil
	}}
}

func (iamDetachAdminPolicy) Permissions() []string {
	return []string{"iam:ListAttachedUserPolicies", "iam:ListAttachedRolePolicies", "iam:ListUserTags", "iam:ListRoleTags",
		"iam:DetachUserPolicy", "iam:DetachRolePolicy"}
}

func (iamDetachAdminPolicy) Example() string {
	return `remediation:
  rules:
    - name: no-new-admins
      matchers: ['event_name=AttachUserPolicy']
      action: iam-detach-admin-policy
      mode: enforce
`
}

// Target takes the user or role and the policy from requestParameters of
// AttachUserPolicy or AttachRolePolicy; an attach of a policy outside
// policy_arns names no target. The policy is the target's ID and the user
// or role its Parent.
func (iamDetachAdminPolicy) Target(a alert.Alert, p Params) (Target, error) {
	t := Target{Account: accountOf(a)}
	policy := requestParam(a, "policyArn")
	switch {
	case fromEvent(a, "iam.amazonaws.com", "AttachUserPolicy") && requestParam(a, "userName") != "":
		t.Type, t.Parent = iamUserType, requestParam(a, "userName")
	case fromEvent(a, "iam.amazonaws.com", "AttachRolePolicy") && requestParam(a, "roleName") != "":
		t.Type, t.Parent = iamRoleType, requestParam(a, "roleName")
	}
	if t.Parent == "" || policy == "" {
		return Target{}, noTarget("IAM user or role and policy", "requestParameters.userName/roleName and policyArn of AttachUserPolicy/AttachRolePolicy")
	}
	if !slices.Contains(p.Strings("policy_arns"), policy) {
		return Target{}, fmt.Errorf("%w: policy %s attached to %s is not one of policy_arns", ErrNoTarget, truncate(policy, 200), truncate(t.Parent, 64))
	}
	t.ID, t.From = policy, fromRequest+"policyArn"
	// The principal, not the policy, is what protected_arns guard.
	t.ARN = principalARN(a, t.Type, t.Parent, t.Account)
	return t, nil
}

func (x iamDetachAdminPolicy) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.IAM == nil {
		return Plan{}, missing("IAM")
	}
	d := &policyPlan{Kind: t.Type, Principal: t.Parent, PolicyARN: t.ID}
	if d.Kind != iamRoleType {
		d.Kind = iamUserType
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return Plan{}, err
	}
	tags, err := principalTags(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: x.Name(), Target: t, Data: d, Tags: tags, TagsRead: true}
	if !slices.Contains(attached, d.PolicyARN) {
		plan.Summary = fmt.Sprintf("%s does not have %s attached", d.what(), d.PolicyARN)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("detach %s from %s", d.PolicyARN, d.what())
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (iamDetachAdminPolicy) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil || !slices.Contains(attached, d.PolicyARN) {
		return err
	}
	return detachPolicy(ctx, c.IAM, d)
}

func (iamDetachAdminPolicy) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	attached, err := attachedPolicies(ctx, c.IAM, d.Kind, d.Principal)
	if err != nil {
		return err
	}
	if slices.Contains(attached, d.PolicyARN) {
		return fmt.Errorf("%w: %s still has %s attached", ErrVerify, d.what(), d.PolicyARN)
	}
	return nil
}

func (iamDetachAdminPolicy) Undo(p Plan) string {
	d, err := planData[*policyPlan](p)
	if err != nil {
		return ""
	}
	return policyCLI("attach", d)
}
