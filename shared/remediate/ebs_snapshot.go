package remediate

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// publicGroup is the createVolumePermission group that shares a snapshot
// with every AWS account.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateVolumePermission.html
const publicGroup = ec2types.PermissionGroupAll

// ebsSnapshotPrivate stops sharing an EBS snapshot publicly (CIS AWS
// Foundations: EBS snapshots are not publicly restorable).
type ebsSnapshotPrivate struct{}

// snapPlan is ebs-snapshot-private's Plan.Data.
type snapPlan struct{ Snapshot string }

func (ebsSnapshotPrivate) Name() string { return "ebs-snapshot-private" }

func (ebsSnapshotPrivate) Schema() ParamSchema { return ParamSchema{} }

func (ebsSnapshotPrivate) Permissions() []string {
	return []string{"ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute", "ec2:ModifySnapshotAttribute"}
}

func (ebsSnapshotPrivate) Example() string {
	return `remediation:
  rules:
    - name: no-public-snapshots
      matchers: ['event_name=ModifySnapshotAttribute']
      action: ebs-snapshot-private
      mode: enforce
`
}

// Target takes the snapshot from requestParameters.snapshotId of
// ModifySnapshotAttribute, or from a snapshot resource.
func (ebsSnapshotPrivate) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::EC2::Snapshot", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "ec2.amazonaws.com", "ModifySnapshotAttribute") {
		if id := requestParam(a, "snapshotId"); strings.HasPrefix(id, "snap-") {
			t.ID, t.From = id, fromRequest+"snapshotId"
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::EC2::Snapshot", "AwsEc2Snapshot"); ok {
		id := r.ID
		if id == "" {
			_, id, _ = strings.Cut(r.ARN, ":snapshot/")
		}
		if strings.HasPrefix(id, "snap-") {
			t.ID, t.ARN, t.From = id, r.ARN, fromResource+r.Type
			return t, nil
		}
	}
	return Target{}, noTarget("EBS snapshot", "requestParameters.snapshotId of ModifySnapshotAttribute", "snapshot resources")
}

// snapshotPublic reports whether the snapshot's createVolumePermission
// includes the group all.
func snapshotPublic(ctx context.Context, c EC2API, id string) (bool, error) {
	out, err := c.DescribeSnapshotAttribute(ctx, &ec2.DescribeSnapshotAttributeInput{
		SnapshotId: aws.String(id), Attribute: ec2types.SnapshotAttributeNameCreateVolumePermission,
	})
	if err != nil {
		return false, fmt.Errorf("describe createVolumePermission of %s: %w", id, err)
	}
	for _, p := range out.CreateVolumePermissions {
		if p.Group == publicGroup {
			return true, nil
		}
	}
	return false, nil
}

func snapshotTags(ctx context.Context, c EC2API, id string) (map[string]string, error) {
	out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: []string{id}})
	if err != nil {
		return nil, fmt.Errorf("describe snapshot %s: %w", id, err)
	}
	for _, s := range out.Snapshots {
		if aws.ToString(s.SnapshotId) == id {
			return ec2Tags(s.Tags), nil
		}
	}
	return nil, fmt.Errorf("describe snapshot %s: not found", id)
}

func (s ebsSnapshotPrivate) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.EC2 == nil {
		return Plan{}, missing("EC2")
	}
	tags, err := snapshotTags(ctx, c.EC2, t.ID)
	if err != nil {
		return Plan{}, err
	}
	public, err := snapshotPublic(ctx, c.EC2, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: s.Name(), Target: t, Data: &snapPlan{Snapshot: t.ID}, TagsRead: true, Tags: tags}
	if !public {
		plan.Summary = "snapshot " + t.ID + " is not public"
		return plan, nil
	}
	plan.Summary = "stop sharing snapshot " + t.ID + " with all AWS accounts"
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (ebsSnapshotPrivate) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*snapPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	public, err := snapshotPublic(ctx, c.EC2, d.Snapshot)
	if err != nil || !public {
		return err
	}
	if _, err := c.EC2.ModifySnapshotAttribute(ctx, &ec2.ModifySnapshotAttributeInput{
		SnapshotId:    aws.String(d.Snapshot),
		Attribute:     ec2types.SnapshotAttributeNameCreateVolumePermission,
		OperationType: ec2types.OperationTypeRemove,
		GroupNames:    []string{string(publicGroup)},
	}); err != nil {
		return fmt.Errorf("remove public createVolumePermission of %s: %w", d.Snapshot, err)
	}
	return nil
}

func (ebsSnapshotPrivate) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*snapPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	public, err := snapshotPublic(ctx, c.EC2, d.Snapshot)
	if err != nil {
		return err
	}
	if public {
		return fmt.Errorf("%w: snapshot %s is still shared with all", ErrVerify, d.Snapshot)
	}
	return nil
}

func (ebsSnapshotPrivate) Undo(p Plan) string {
	d, err := planData[*snapPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"ec2", "modify-snapshot-attribute", "--snapshot-id", d.Snapshot,
		"--attribute", "createVolumePermission", "--operation-type", "add", "--group-names", string(publicGroup)}, p.Target.Region)...)
}
