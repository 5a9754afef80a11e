package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// accountPABType names the account-level public access block as a target;
// CloudFormation has no type for it, so this follows its naming.
const accountPABType = "AWS::S3::AccountPublicAccessBlock"

// s3AccountPublicAccessBlock turns on all four Block Public Access
// settings for the whole account (CIS AWS Foundations 2.1.4), which
// overrides whatever each bucket says.
//
// The S3 Control API puts the account id in the host name
// ({account}.s3-control.{region}.amazonaws.com). Against an endpoint of
// one's own (a test server, a VPC endpoint) that prefix has to go: give the
// s3control client an EndpointResolverV2 that returns the endpoint as is
// (see staticS3ControlEndpoint in the tests); the account id still travels
// in the x-amz-account-id header.
type s3AccountPublicAccessBlock struct{}

// accountPABPlan is s3-account-public-access-block's Plan.Data.
type accountPABPlan struct {
	Account string
	Before  publicAccess
	Existed bool
}

func (s3AccountPublicAccessBlock) Name() string { return "s3-account-public-access-block" }

func (s3AccountPublicAccessBlock) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "account_id", Type: TypeString,
			Description: "account to act on when the trigger names none (a 12-digit id); the trigger's account wins"},
	}, Check: func(p Params) error {
		if p.Has("account_id") && !accountID(p.String("account_id")) {
			return fmt.Errorf("account_id %q is not a 12-digit account id", truncate(p.String("account_id"), 40))
		}
		return nil
	}}
}

func (s3AccountPublicAccessBlock) Permissions() []string {
	return []string{"s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock"}
}

func (s3AccountPublicAccessBlock) Example() string {
	return `remediation:
  rules:
    - name: account-blocks-public-access
      matchers: ['event_name=~DeleteAccountPublicAccessBlock|PutAccountPublicAccessBlock']
      action: s3-account-public-access-block
      mode: enforce
`
}

func accountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Target takes the account from requestParameters.accountId of an S3
// Control call, the account of the trigger (the CloudTrail record's
// recipient account, the alarm's or finding's account), an account
// resource, or the account_id parameter.
func (s3AccountPublicAccessBlock) Target(a alert.Alert, p Params) (Target, error) {
	t := Target{Type: accountPABType, Region: regionOf(a)}
	switch acct := requestParam(a, "accountId"); {
	case fromEvent(a, "s3.amazonaws.com") && accountID(acct):
		t.ID, t.From = acct, fromRequest+"accountId"
	case accountID(accountOf(a)):
		t.ID, t.From = accountOf(a), "account of the trigger"
	default:
		if r, ok := resourceOfType(a, "AWS::::Account", "AwsAccount"); ok && accountID(r.ID) {
			t.ID, t.From = r.ID, fromResource+r.Type
		} else if accountID(p.String("account_id")) {
			t.ID, t.From = p.String("account_id"), fromParams
		}
	}
	if t.ID == "" {
		return Target{}, noTarget("account", "requestParameters.accountId", "the trigger's account", "account resources",
			"params.account_id")
	}
	t.Account = t.ID
	return t, nil
}

func readAccountPAB(ctx context.Context, c S3ControlAPI, account string) (publicAccess, bool, error) {
	out, err := c.GetPublicAccessBlock(ctx, &s3control.GetPublicAccessBlockInput{AccountId: aws.String(account)})
	if err != nil {
		if apiErrorCode(err) == errNoPublicAccessBlock {
			return publicAccess{}, false, nil
		}
		return publicAccess{}, false, fmt.Errorf("get public access block of account %s: %w", account, err)
	}
	cfg := out.PublicAccessBlockConfiguration
	if cfg == nil {
		return publicAccess{}, false, nil
	}
	return publicAccess{
		BlockPublicAcls:       aws.ToBool(cfg.BlockPublicAcls),
		IgnorePublicAcls:      aws.ToBool(cfg.IgnorePublicAcls),
		BlockPublicPolicy:     aws.ToBool(cfg.BlockPublicPolicy),
		RestrictPublicBuckets: aws.ToBool(cfg.RestrictPublicBuckets),
	}, true, nil
}

func (s s3AccountPublicAccessBlock) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.S3Control == nil {
		return Plan{}, missing("S3 Control")
	}
	before, existed, err := readAccountPAB(ctx, c.S3Control, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: s.Name(), Target: t, Data: &accountPABPlan{Account: t.ID, Before: before, Existed: existed}}
	before.plan(&plan, "account "+t.ID)
	return plan, nil
}

func (s3AccountPublicAccessBlock) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*accountPABPlan](p)
	if err != nil {
		return err
	}
	if c.S3Control == nil {
		return missing("S3 Control")
	}
	now, _, err := readAccountPAB(ctx, c.S3Control, d.Account)
	if err != nil || now.all() {
		return err
	}
	if _, err := c.S3Control.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{
		AccountId: aws.String(d.Account),
		PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("put public access block on account %s: %w", d.Account, err)
	}
	return nil
}

func (s3AccountPublicAccessBlock) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*accountPABPlan](p)
	if err != nil {
		return err
	}
	if c.S3Control == nil {
		return missing("S3 Control")
	}
	now, _, err := readAccountPAB(ctx, c.S3Control, d.Account)
	if err != nil {
		return err
	}
	return now.verify("account " + d.Account)
}

func (s3AccountPublicAccessBlock) Undo(p Plan) string {
	d, err := planData[*accountPABPlan](p)
	if err != nil {
		return ""
	}
	return d.Before.undo(d.Existed, "s3control", "--account-id", d.Account)
}
