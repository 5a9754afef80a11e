package remediate

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Bounds of ScheduleKeyDeletion's waiting period, for Undo.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html
const (
	minPendingWindowDays = 7
	maxPendingWindowDays = 30
)

// kmsCancelKeyDeletion cancels a scheduled KMS key deletion. CancelKeyDeletion
// leaves the key Disabled, so anything encrypting with it keeps failing;
// with enable: true the action also enables it.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CancelKeyDeletion.html
type kmsCancelKeyDeletion struct{}

// kmsPlan is kms-cancel-key-deletion's Plan.Data.
type kmsPlan struct {
	Key string
	// Cancel and Enable say what the plan does.
	Cancel, Enable bool
	// WindowDays is the waiting period left when planned, for Undo.
	WindowDays int
}

func (kmsCancelKeyDeletion) Name() string { return "kms-cancel-key-deletion" }

func (kmsCancelKeyDeletion) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "enable", Type: TypeBool, Default: false,
			Description: "also enable the key; CancelKeyDeletion leaves it Disabled"},
	}}
}

func (kmsCancelKeyDeletion) Permissions() []string {
	return []string{"kms:DescribeKey", "kms:ListResourceTags", "kms:CancelKeyDeletion", "kms:EnableKey"}
}

func (kmsCancelKeyDeletion) Example() string {
	return `remediation:
  rules:
    - name: keep-kms-keys
      matchers: ['event_name=ScheduleKeyDeletion']
      action: kms-cancel-key-deletion
      params:
        enable: true
`
}

// Target takes the key from requestParameters.keyId of ScheduleKeyDeletion
// (or DisableKey), or from a KMS key resource.
func (kmsCancelKeyDeletion) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::KMS::Key", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "kms.amazonaws.com", "ScheduleKeyDeletion", "DisableKey") {
		if id := requestParam(a, "keyId"); id != "" {
			t.ID, t.From = id, fromRequest+"keyId"
			if strings.HasPrefix(id, "arn:") {
				t.ARN = id
			}
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::KMS::Key", "AwsKmsKey"); ok {
		t.ID, t.ARN, t.From = r.Name(), r.ARN, fromResource+r.Type
		return t, nil
	}
	return Target{}, noTarget("KMS key", "requestParameters.keyId of ScheduleKeyDeletion", "KMS key resources")
}

func describeKey(ctx context.Context, c KMSAPI, id string) (kmstypes.KeyMetadata, error) {
	out, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		return kmstypes.KeyMetadata{}, fmt.Errorf("describe key %s: %w", id, err)
	}
	if out.KeyMetadata == nil {
		return kmstypes.KeyMetadata{}, fmt.Errorf("describe key %s: no metadata", id)
	}
	return *out.KeyMetadata, nil
}

func keyTags(ctx context.Context, c KMSAPI, id string) (map[string]string, error) {
	out := map[string]string{}
	p := kms.NewListResourceTagsPaginator(c, &kms.ListResourceTagsInput{KeyId: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tags of key %s: %w", id, err)
		}
		for _, t := range page.Tags {
			out[aws.ToString(t.TagKey)] = aws.ToString(t.TagValue)
		}
	}
	return out, nil
}

// windowDays is the waiting period left until deletion, in [7, 30].
func windowDays(k kmstypes.KeyMetadata, now time.Time) int {
	days := minPendingWindowDays
	if k.DeletionDate != nil {
		days = int(math.Ceil(k.DeletionDate.Sub(now).Hours() / 24))
	}
	return min(max(days, minPendingWindowDays), maxPendingWindowDays)
}

func (k kmsCancelKeyDeletion) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.KMS == nil {
		return Plan{}, missing("KMS")
	}
	meta, err := describeKey(ctx, c.KMS, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &kmsPlan{Key: aws.ToString(meta.KeyId)}
	plan := Plan{Action: k.Name(), Target: t, Data: d}
	if plan.Tags, err = keyTags(ctx, c.KMS, d.Key); err != nil {
		return Plan{}, err
	}
	plan.TagsRead = true
	state := meta.KeyState
	if state == kmstypes.KeyStatePendingDeletion {
		d.Cancel, d.WindowDays = true, windowDays(meta, time.Now())
		when := ""
		if meta.DeletionDate != nil {
			when = " on " + meta.DeletionDate.UTC().Format(time.DateOnly)
		}
		plan.Changes = append(plan.Changes, "cancel deletion of key "+d.Key+" scheduled"+when)
		state = kmstypes.KeyStateDisabled
	}
	if p.Bool("enable") && state == kmstypes.KeyStateDisabled {
		d.Enable = true
		plan.Changes = append(plan.Changes, "enable key "+d.Key)
	}
	switch {
	case len(plan.Changes) == 0:
		plan.Summary = fmt.Sprintf("key %s is not pending deletion (%s)", d.Key, meta.KeyState)
	case d.Cancel && !d.Enable:
		plan.Summary = plan.Changes[0] + " (the key stays Disabled)"
	default:
		plan.Summary = strings.Join(plan.Changes, " and ")
	}
	return plan, nil
}

func (kmsCancelKeyDeletion) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*kmsPlan](p)
	if err != nil {
		return err
	}
	if c.KMS == nil {
		return missing("KMS")
	}
	meta, err := describeKey(ctx, c.KMS, d.Key)
	if err != nil {
		return err
	}
	if d.Cancel && meta.KeyState == kmstypes.KeyStatePendingDeletion {
		if _, err := c.KMS.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: aws.String(d.Key)}); err != nil {
			return fmt.Errorf("cancel deletion of key %s: %w", d.Key, err)
		}
		meta.KeyState = kmstypes.KeyStateDisabled
	}
	if d.Enable && meta.KeyState == kmstypes.KeyStateDisabled {
		if _, err := c.KMS.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(d.Key)}); err != nil {
			return fmt.Errorf("enable key %s: %w", d.Key, err)
		}
	}
	return nil
}

func (kmsCancelKeyDeletion) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*kmsPlan](p)
	if err != nil {
		return err
	}
	if c.KMS == nil {
		return missing("KMS")
	}
	meta, err := describeKey(ctx, c.KMS, d.Key)
	if err != nil {
		return err
	}
	if meta.KeyState == kmstypes.KeyStatePendingDeletion || (d.Enable && meta.KeyState != kmstypes.KeyStateEnabled) {
		return fmt.Errorf("%w: key %s is %s", ErrVerify, d.Key, meta.KeyState)
	}
	return nil
}

// Undo schedules the deletion again with the waiting period that was left
// (at least the 7-day minimum), disabling the key first when Apply enabled it.
func (kmsCancelKeyDeletion) Undo(p Plan) string {
	d, err := planData[*kmsPlan](p)
	if err != nil || (!d.Cancel && !d.Enable) {
		return ""
	}
	var lines []string
	if d.Enable {
		lines = append(lines, cli(withRegion([]string{"kms", "disable-key", "--key-id", d.Key}, p.Target.Region)...))
	}
	if d.Cancel {
		days := min(max(d.WindowDays, minPendingWindowDays), maxPendingWindowDays)
		lines = append(lines, cli(withRegion([]string{"kms", "schedule-key-deletion", "--key-id", d.Key,
			"--pending-window-in-days", strconv.Itoa(days)}, p.Target.Region)...))
	}
	return strings.Join(lines, " && ")
}
