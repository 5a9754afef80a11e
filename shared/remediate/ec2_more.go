package remediate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// ec2StartInstances starts stopped instances (a production instance someone
// stopped outside change control).
type ec2StartInstances struct{}

func (ec2StartInstances) Name() string { return "ec2-start-instances" }

func (ec2StartInstances) Schema() ParamSchema { return ParamSchema{} }

func (ec2StartInstances) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:StartInstances"}
}

func (ec2StartInstances) Example() string {
	return `remediation:
  rules:
    - name: restart-stopped-bastion
      matchers: ['event_name=StopInstances']
      action: ec2-start-instances
`
}

// Target takes the instances from requestParameters.instancesSet of an EC2
// API call (StopInstances), the InstanceId alarm dimension, or instance
// resources.
func (ec2StartInstances) Target(a alert.Alert, _ Params) (Target, error) { return instanceTarget(a) }

func stopped(in ec2types.Instance) bool { return stateOf(in) == ec2types.InstanceStateNameStopped }

func (s ec2StartInstances) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	d := &instancePlan{}
	plan, ins, err := planInstances(ctx, c, s.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	for _, in := range ins {
		// A stopping instance cannot be started yet; the next trigger will.
		if !stopped(in) {
			continue
		}
		id := aws.ToString(in.InstanceId)
		d.Instances = append(d.Instances, id)
		plan.Changes = append(plan.Changes, "start "+id)
	}
	summarize(&plan, strings.Join(instanceIDs(t), ", ")+" not stopped", fmt.Sprintf("start %d instances", len(d.Instances)))
	return plan, nil
}

func (ec2StartInstances) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	start, err := pendingInstances(ctx, c, d.Instances, stopped)
	if err != nil || len(start) == 0 {
		return err
	}
	if _, err := c.EC2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: start}); err != nil {
		return fmt.Errorf("start instances %s: %w", strings.Join(start, ", "), err)
	}
	return nil
}

func (ec2StartInstances) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	return verifyInstances(ctx, c, d.Instances, func(in ec2types.Instance) string {
		if !live(in) {
			return "is " + string(stateOf(in))
		}
		return ""
	})
}

func (ec2StartInstances) Undo(p Plan) string { return instancesCommand(p, "stop-instances") }

// ec2DetachInstanceProfile removes the IAM instance profile of instances
// whose credentials leaked or are being abused (GuardDuty
// UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration): the role's
// sessions on the instance stop being renewed.
type ec2DetachInstanceProfile struct{}

// profilePlan is ec2-detach-instance-profile's Plan.Data.
type profilePlan struct {
	// Associations maps an instance to the association Apply removes.
	Associations map[string]string
	// Profiles maps an instance to its instance profile ARN, for the undo.
	Profiles map[string]string
}

func (ec2DetachInstanceProfile) Name() string { return "ec2-detach-instance-profile" }

func (ec2DetachInstanceProfile) Schema() ParamSchema { return ParamSchema{} }

func (ec2DetachInstanceProfile) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:DescribeIamInstanceProfileAssociations", "ec2:DisassociateIamInstanceProfile"}
}

func (ec2DetachInstanceProfile) Example() string {
	return `remediation:
  rules:
    - name: cut-exfiltrated-credentials
      matchers: ['finding_type=~UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.*']
      action: ec2-detach-instance-profile
      mode: enforce
`
}

// Target takes the instances from instance resources of a finding, the
// InstanceId alarm dimension, or requestParameters.instanceId of an EC2 API
// call (AssociateIamInstanceProfile, ReplaceIamInstanceProfileAssociation).
func (ec2DetachInstanceProfile) Target(a alert.Alert, _ Params) (Target, error) {
	return instanceTarget(a)
}

// profileAssociations returns each instance's current (associating or
// associated) instance profile association.
func profileAssociations(ctx context.Context, c EC2API, ids []string) (map[string]ec2types.IamInstanceProfileAssociation, error) {
	out := make(map[string]ec2types.IamInstanceProfileAssociation)
	p := ec2.NewDescribeIamInstanceProfileAssociationsPaginator(c, &ec2.DescribeIamInstanceProfileAssociationsInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-id"), Values: ids}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instance profile associations of %s: %w", strings.Join(ids, ", "), err)
		}
		for _, a := range page.IamInstanceProfileAssociations {
			id := aws.ToString(a.InstanceId)
			if !slices.Contains(ids, id) {
				continue
			}
			if a.State == ec2types.IamInstanceProfileAssociationStateAssociated || a.State == ec2types.IamInstanceProfileAssociationStateAssociating {
				out[id] = a
			}
		}
	}
	return out, nil
}

func profileARN(a ec2types.IamInstanceProfileAssociation) string {
	if a.IamInstanceProfile == nil {
		return ""
	}
	return aws.ToString(a.IamInstanceProfile.Arn)
}

func (e ec2DetachInstanceProfile) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	d := &profilePlan{Associations: map[string]string{}, Profiles: map[string]string{}}
	plan, _, err := planInstances(ctx, c, e.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	ids := instanceIDs(t)
	assoc, err := profileAssociations(ctx, c.EC2, ids)
	if err != nil {
		return Plan{}, err
	}
	for _, id := range ids {
		a, ok := assoc[id]
		if !ok {
			continue
		}
		d.Associations[id] = aws.ToString(a.AssociationId)
		d.Profiles[id] = profileARN(a)
		plan.Changes = append(plan.Changes, fmt.Sprintf("detach instance profile %s from %s", profileARN(a), id))
	}
	summarize(&plan, strings.Join(ids, ", ")+" have no instance profile",
		fmt.Sprintf("detach the instance profiles of %d instances", len(d.Associations)))
	return plan, nil
}

// planned lists the plan's instances in a stable order.
func (d *profilePlan) planned() []string { return slices.Sorted(maps.Keys(d.Associations)) }

// associationsNow reads again the current profile associations of the
// plan's instances, as Apply and Verify must; none when the plan names none.
func (d *profilePlan) associationsNow(ctx context.Context, c Clients) ([]string, map[string]ec2types.IamInstanceProfileAssociation, error) {
	if c.EC2 == nil {
		return nil, nil, missing("EC2")
	}
	ids := d.planned()
	if len(ids) == 0 {
		return nil, nil, nil
	}
	now, err := profileAssociations(ctx, c.EC2, ids)
	if err != nil {
		return nil, nil, err
	}
	return ids, now, nil
}

func (ec2DetachInstanceProfile) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*profilePlan](p)
	if err != nil {
		return err
	}
	ids, now, err := d.associationsNow(ctx, c)
	if err != nil {
		return err
	}
	for _, id := range ids {
		a, ok := now[id]
		if !ok {
			continue
		}
		// A profile swapped since the plan would be detached without the
		// undo knowing what to put back.
		if aws.ToString(a.AssociationId) != d.Associations[id] {
			return fmt.Errorf("%w: instance profile of %s is now %s, planned %s", ErrChanged, id, profileARN(a), d.Profiles[id])
		}
		if _, err := c.EC2.DisassociateIamInstanceProfile(ctx, &ec2.DisassociateIamInstanceProfileInput{
			AssociationId: a.AssociationId,
		}); err != nil {
			return fmt.Errorf("detach instance profile %s from %s: %w", d.Profiles[id], id, err)
		}
	}
	return nil
}

func (ec2DetachInstanceProfile) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*profilePlan](p)
	if err != nil {
		return err
	}
	ids, now, err := d.associationsNow(ctx, c)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if a, ok := now[id]; ok {
			return fmt.Errorf("%w: instance %s still has instance profile %s (%s)", ErrVerify, id, profileARN(a), a.State)
		}
	}
	return nil
}

// Undo associates each instance's profile again, by the ARN the plan read.
func (ec2DetachInstanceProfile) Undo(p Plan) string {
	d, err := planData[*profilePlan](p)
	if err != nil || len(d.Associations) == 0 {
		return ""
	}
	var lines []string
	for _, id := range d.planned() {
		lines = append(lines, cli(withRegion([]string{"ec2", "associate-iam-instance-profile", "--instance-id", id,
			"--iam-instance-profile", "Arn=" + d.Profiles[id]}, p.Target.Region)...))
	}
	return strings.Join(lines, " && ")
}

// ec2SnapshotVolumes snapshots every EBS volume attached to instances, to
// keep the disks as evidence before anyone touches them. Each snapshot is
// tagged with the instance and the trigger; a volume Watchkeeper
// snapshotted less than min_interval_minutes ago is not snapshotted again,
// which makes the action idempotent and a flapping alarm cheap.
type ec2SnapshotVolumes struct{}

// Tags ec2-snapshot-volumes puts on its snapshots.
const (
	snapshotInstanceTag = "watchkeeper:instance"
	snapshotTriggerTag  = "watchkeeper:trigger"
)

// maxEC2TagValue is the longest EC2 tag value.
// https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions
const maxEC2TagValue = 256

// volumePlan is ec2-snapshot-volumes' Plan.Data.
type volumePlan struct {
	// Volumes maps each volume to snapshot to its instance.
	Volumes map[string]string
	Trigger string
	// Snapshots are the snapshot ids Apply created, for the undo.
	Snapshots []string
	// Since is the start of the interval in which an earlier snapshot counts.
	Since time.Time
}

func (ec2SnapshotVolumes) Name() string { return "ec2-snapshot-volumes" }

func (ec2SnapshotVolumes) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "min_interval_minutes", Type: TypeInt, Default: 60,
			Description: "a volume Watchkeeper snapshotted less than this many minutes ago is not snapshotted again"},
	}, Check: checkMinInterval}
}

func (ec2SnapshotVolumes) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:DescribeSnapshots", "ec2:CreateSnapshot", "ec2:CreateTags"}
}

func (ec2SnapshotVolumes) Example() string {
	return `remediation:
  rules:
    - name: keep-disks-of-compromised-instances
      matchers: ['finding_type=~(Backdoor|CryptoCurrency|Trojan):EC2/.*']
      action: ec2-snapshot-volumes
      mode: enforce
      params:
        min_interval_minutes: 120
`
}

// Target takes the instances from instance resources of a finding, the
// InstanceId alarm dimension, or requestParameters.instancesSet, and
// remembers the alert's ID for the snapshots' tags.
func (ec2SnapshotVolumes) Target(a alert.Alert, _ Params) (Target, error) {
	t, err := instanceTarget(a)
	if err != nil {
		return Target{}, err
	}
	t.Trigger = truncateTag(a.ID)
	return t, nil
}

// truncateTag cuts s to an EC2 tag value.
func truncateTag(s string) string {
	if len(s) <= maxEC2TagValue {
		return s
	}
	return truncate(s, maxEC2TagValue-len("…"))
}

// recentSnapshots returns the volumes among vols that have a Watchkeeper
// snapshot started at or after since.
func recentSnapshots(ctx context.Context, c EC2API, vols []string, since time.Time) (map[string]bool, error) {
	out := make(map[string]bool)
	if len(vols) == 0 {
		return out, nil
	}
	p := ec2.NewDescribeSnapshotsPaginator(c, &ec2.DescribeSnapshotsInput{
		OwnerIds: []string{"self"},
		Filters: []ec2types.Filter{
			{Name: aws.String("volume-id"), Values: vols},
			{Name: aws.String("tag-key"), Values: []string{snapshotTriggerTag}},
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe snapshots of %s: %w", strings.Join(vols, ", "), err)
		}
		for _, s := range page.Snapshots {
			if s.State != ec2types.SnapshotStateError && !aws.ToTime(s.StartTime).Before(since) {
				out[aws.ToString(s.VolumeId)] = true
			}
		}
	}
	return out, nil
}

func (e ec2SnapshotVolumes) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	d := &volumePlan{Volumes: map[string]string{}, Trigger: t.Trigger}
	plan, ins, err := planInstances(ctx, c, e.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	since := time.Now().UTC().Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d.Since = since
	var all []string
	owner := map[string]string{}
	for _, in := range ins {
		for _, v := range volumesOf(in) {
			all = append(all, v)
			owner[v] = aws.ToString(in.InstanceId)
		}
	}
	recent, err := recentSnapshots(ctx, c.EC2, all, since)
	if err != nil {
		return Plan{}, err
	}
	for _, v := range all {
		if recent[v] {
			continue
		}
		d.Volumes[v] = owner[v]
		plan.Changes = append(plan.Changes, fmt.Sprintf("snapshot %s of %s", v, owner[v]))
	}
	summarize(&plan, fmt.Sprintf("the EBS volumes of %s have a Watchkeeper snapshot from the last %d minutes, or there are none",
		strings.Join(instanceIDs(t), ", "), p.Int("min_interval_minutes")),
		fmt.Sprintf("snapshot %d EBS volumes", len(d.Volumes)))
	return plan, nil
}

// planned lists the plan's volumes in a stable order.
func (d *volumePlan) planned() []string { return slices.Sorted(maps.Keys(d.Volumes)) }

// recentNow lists the plan's volumes and reads again which have a
// Watchkeeper snapshot since the plan's interval began, as Apply and Verify
// must.
func (d *volumePlan) recentNow(ctx context.Context, c Clients) ([]string, map[string]bool, error) {
	if c.EC2 == nil {
		return nil, nil, missing("EC2")
	}
	vols := d.planned()
	recent, err := recentSnapshots(ctx, c.EC2, vols, d.Since)
	if err != nil {
		return nil, nil, err
	}
	return vols, recent, nil
}

func (ec2SnapshotVolumes) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*volumePlan](p)
	if err != nil {
		return err
	}
	vols, recent, err := d.recentNow(ctx, c)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if recent[v] {
			continue
		}
		tags := []ec2types.Tag{{Key: aws.String(snapshotInstanceTag), Value: aws.String(d.Volumes[v])},
			{Key: aws.String(snapshotTriggerTag), Value: aws.String(orUnset(d.Trigger))}}
		out, err := c.EC2.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
			VolumeId:          aws.String(v),
			Description:       aws.String("watchkeeper: evidence of " + d.Volumes[v]),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSnapshot, Tags: tags}},
		})
		if err != nil {
			return fmt.Errorf("snapshot %s of %s: %w", v, d.Volumes[v], err)
		}
		d.Snapshots = append(d.Snapshots, aws.ToString(out.SnapshotId))
	}
	return nil
}

func (ec2SnapshotVolumes) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*volumePlan](p)
	if err != nil {
		return err
	}
	vols, recent, err := d.recentNow(ctx, c)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if !recent[v] {
			return fmt.Errorf("%w: volume %s of %s has no Watchkeeper snapshot", ErrVerify, v, d.Volumes[v])
		}
	}
	return nil
}

// Undo deletes the snapshots Apply took.
func (ec2SnapshotVolumes) Undo(p Plan) string {
	d, err := planData[*volumePlan](p)
	if err != nil || len(d.Snapshots) == 0 {
		return ""
	}
	lines := make([]string, 0, len(d.Snapshots))
	for _, s := range d.Snapshots {
		lines = append(lines, cli(withRegion([]string{"ec2", "delete-snapshot", "--snapshot-id", s}, p.Target.Region)...))
	}
	return strings.Join(lines, " && ")
}
