package remediate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// iamDeactivateAccessKey sets an IAM user's access key to Inactive, the
// reversible first step of key-compromise response.
type iamDeactivateAccessKey struct{}

// keyPlan is iam-deactivate-access-key's Plan.Data.
type keyPlan struct {
	User, KeyID string
}

func (iamDeactivateAccessKey) Name() string { return "iam-deactivate-access-key" }

func (iamDeactivateAccessKey) Schema() ParamSchema {
	return ParamSchema{
		Params: []Param{
			{Name: "user_name", Type: TypeString, Description: "IAM user owning the key; with access_key_id, overrides the trigger"},
			{Name: "access_key_id", Type: TypeString, Description: "access key to deactivate; with user_name, overrides the trigger"},
		},
		Check: func(p Params) error {
			if (p.String("user_name") == "") != (p.String("access_key_id") == "") {
				return errors.New("set both user_name and access_key_id, or neither")
			}
			return nil
		},
	}
}

func (iamDeactivateAccessKey) Permissions() []string {
	return []string{"iam:ListAccessKeys", "iam:UpdateAccessKey"}
}

func (iamDeactivateAccessKey) Example() string {
	return `remediation:
  rules:
    - name: no-root-or-break-glass-keys
      matchers: ['event_name=CreateAccessKey', 'actor=break-glass']
      action: iam-deactivate-access-key
      mode: enforce
`
}

// Target takes the user and key from params when both are set, else from
// responseElements.accessKey of a CreateAccessKey call, else from
// requestParameters of an UpdateAccessKey call (a key switched back on).
func (iamDeactivateAccessKey) Target(a alert.Alert, p Params) (Target, error) {
	// IAM is global: no region, so the region guard never skips it.
	t := Target{Type: "AWS::IAM::AccessKey", Account: accountOf(a)}
	switch {
	case p.String("user_name") != "":
		t.Parent, t.ID, t.From = p.String("user_name"), p.String("access_key_id"), fromParams
	case fromEvent(a, "iam.amazonaws.com", "CreateAccessKey") && responseElement(a, "accessKey", "accessKeyId") != "":
		t.Parent = responseElement(a, "accessKey", "userName")
		t.ID, t.From = responseElement(a, "accessKey", "accessKeyId"), fromResponse+"accessKey"
	case fromEvent(a, "iam.amazonaws.com", "UpdateAccessKey") && requestParam(a, "accessKeyId") != "":
		t.Parent = requestParam(a, "userName")
		t.ID, t.From = requestParam(a, "accessKeyId"), fromRequest+"accessKeyId"
	}
	if t.ID == "" || t.Parent == "" {
		// Without the user name the API would act on the remediator's own keys.
		return Target{}, noTarget("IAM user and access key", "params user_name and access_key_id",
			"responseElements.accessKey of CreateAccessKey", "requestParameters of UpdateAccessKey")
	}
	if t.Account != "" {
		t.ARN = "arn:" + alert.Partition(regionOf(a)) + ":iam::" + t.Account + ":user/" + t.Parent
	}
	return t, nil
}

func keyStatus(ctx context.Context, c IAMAPI, user, keyID string) (iamtypes.StatusType, error) {
	in := &iam.ListAccessKeysInput{UserName: aws.String(user)}
	p := iam.NewListAccessKeysPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list access keys of %s: %w", user, err)
		}
		for _, k := range page.AccessKeyMetadata {
			if aws.ToString(k.AccessKeyId) == keyID {
				return k.Status, nil
			}
		}
	}
	return "", fmt.Errorf("list access keys of %s: key %s not found", user, keyID)
}

func (a iamDeactivateAccessKey) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.IAM == nil {
		return Plan{}, missing("IAM")
	}
	st, err := keyStatus(ctx, c.IAM, t.Parent, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: a.Name(), Target: t, Data: &keyPlan{User: t.Parent, KeyID: t.ID}}
	if st == iamtypes.StatusTypeInactive {
		plan.Summary = fmt.Sprintf("access key %s of %s is already inactive", t.ID, t.Parent)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("deactivate access key %s of %s (now %s)", t.ID, t.Parent, st)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (iamDeactivateAccessKey) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*keyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	st, err := keyStatus(ctx, c.IAM, d.User, d.KeyID)
	if err != nil || st == iamtypes.StatusTypeInactive {
		return err
	}
	if _, err := c.IAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
		UserName:    aws.String(d.User),
		AccessKeyId: aws.String(d.KeyID),
		Status:      iamtypes.StatusTypeInactive,
	}); err != nil {
		return fmt.Errorf("deactivate access key %s of %s: %w", d.KeyID, d.User, err)
	}
	return nil
}

func (iamDeactivateAccessKey) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*keyPlan](p)
	if err != nil {
		return err
	}
	if c.IAM == nil {
		return missing("IAM")
	}
	st, err := keyStatus(ctx, c.IAM, d.User, d.KeyID)
	if err != nil {
		return err
	}
	if st != iamtypes.StatusTypeInactive {
		return fmt.Errorf("%w: access key %s of %s is %s", ErrVerify, d.KeyID, d.User, st)
	}
	return nil
}

func (iamDeactivateAccessKey) Undo(p Plan) string {
	d, err := planData[*keyPlan](p)
	if err != nil {
		return ""
	}
	return cli("iam", "update-access-key", "--user-name", d.User, "--access-key-id", d.KeyID, "--status", "Active")
}
