package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// maxTargetInstances bounds how many instances one trigger may name. A
// RunInstances call can start many, but a remediation that stops or
// isolates dozens at once is a fleet decision, not an incident response.
const maxTargetInstances = 20

// instanceType is the CloudFormation type of an EC2 instance target.
const instanceType = "AWS::EC2::Instance"

// instanceSep joins several instance ids in Target.ID; ids never contain it.
const instanceSep = ","

// instanceIDs splits a target's ID into its instance ids.
func instanceIDs(t Target) []string {
	var out []string
	for _, id := range strings.Split(t.ID, instanceSep) {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// validInstanceID reports whether s looks like an EC2 instance id.
func validInstanceID(s string) bool {
	if !strings.HasPrefix(s, "i-") || len(s) < 3 || len(s) > 19 {
		return false
	}
	for _, c := range s[2:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// instancesSet reads the instance ids of CloudTrail request parameters or
// response elements: instanceId, and instancesSet
// ({"items":[{"instanceId":"i-…"}]}).
func instancesSet(raw json.RawMessage) []string {
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	var v struct {
		InstanceID   string `json:"instanceId"`
		InstancesSet struct {
			Items []struct {
				InstanceID string `json:"instanceId"`
			} `json:"items"`
		} `json:"instancesSet"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return nil
	}
	var out []string
	if v.InstanceID != "" {
		out = append(out, v.InstanceID)
	}
	for _, it := range v.InstancesSet.Items {
		out = append(out, it.InstanceID)
	}
	return out
}

// cleanInstanceIDs keeps valid ids, once each, in their first order.
func cleanInstanceIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if validInstanceID(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// instanceTarget finds the instances an EC2 instance action acts on: the
// InstanceId alarm dimension, requestParameters.instancesSet or
// requestParameters.instanceId of an EC2 API call (or the instancesSet of
// its response, for RunInstances), or instance resources of a finding.
func instanceTarget(a alert.Alert) (Target, error) {
	t := Target{Type: instanceType, Region: regionOf(a), Account: accountOf(a)}
	var ids []string
	switch {
	case cleanInstanceIDs([]string{dimension(a, "InstanceId")}) != nil:
		ids, t.From = []string{dimension(a, "InstanceId")}, fromDim+"InstanceId"
	case fromEvent(a, "ec2.amazonaws.com") && cleanInstanceIDs(instancesSet(a.Record.RequestParameters)) != nil:
		ids, t.From = instancesSet(a.Record.RequestParameters), fromRequest+"instancesSet"
		if validInstanceID(requestParam(a, "instanceId")) {
			t.From = fromRequest + "instanceId"
		}
	case fromEvent(a, "ec2.amazonaws.com") && cleanInstanceIDs(instancesSet(a.Record.ResponseElements)) != nil:
		ids, t.From = instancesSet(a.Record.ResponseElements), fromResponse+"instancesSet"
	default:
		for _, r := range a.Resources {
			if r.Type != instanceType && r.Type != "AwsEc2Instance" {
				continue
			}
			id := r.ID
			if id == "" {
				_, id, _ = strings.Cut(r.ARN, ":instance/")
			}
			if validInstanceID(id) {
				ids = append(ids, id)
				t.From = fromResource + r.Type
				if r.Region != "" {
					t.Region = r.Region
				}
				if r.Account != "" {
					t.Account = r.Account
				}
				// One ARN stands for the target only when it names one instance.
				t.ARN = ""
				if len(cleanInstanceIDs(ids)) == 1 {
					t.ARN = r.ARN
				}
			}
		}
	}
	ids = cleanInstanceIDs(ids)
	if len(ids) == 0 {
		return Target{}, noTarget("EC2 instance", "alarm dimension InstanceId", "requestParameters.instancesSet of EC2 API calls",
			"instance resources")
	}
	if len(ids) > maxTargetInstances {
		return Target{}, fmt.Errorf("%w: the trigger names %d instances, more than the %d one remediation acts on",
			ErrNoTarget, len(ids), maxTargetInstances)
	}
	t.ID = strings.Join(ids, instanceSep)
	return t, nil
}

// describeInstances returns the instances by id; a missing one is an error.
func describeInstances(ctx context.Context, c EC2API, ids []string) ([]ec2types.Instance, error) {
	found := make(map[string]ec2types.Instance, len(ids))
	p := ec2.NewDescribeInstancesPaginator(c, &ec2.DescribeInstancesInput{InstanceIds: ids})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances %s: %w", strings.Join(ids, ", "), err)
		}
		for _, r := range page.Reservations {
			for _, in := range r.Instances {
				found[aws.ToString(in.InstanceId)] = in
			}
		}
	}
	out := make([]ec2types.Instance, 0, len(ids))
	for _, id := range ids {
		in, ok := found[id]
		if !ok {
			return nil, fmt.Errorf("describe instances: %s not found", id)
		}
		out = append(out, in)
	}
	return out, nil
}

// instanceTags merges the tags of instances, so an opt-out tag on any one
// of them opts the whole target out.
func instanceTags(ins []ec2types.Instance) map[string]string {
	out := make(map[string]string)
	for _, in := range ins {
		for k, v := range ec2Tags(in.Tags) {
			if _, seen := out[k]; !seen {
				out[k] = v
			}
		}
	}
	return out
}

// plannedInstances describes a plan's instances again, as Apply and Verify
// must before acting on or checking them; none when the plan names none.
func plannedInstances(ctx context.Context, c Clients, ids []string) ([]ec2types.Instance, error) {
	if c.EC2 == nil {
		return nil, missing("EC2")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return describeInstances(ctx, c.EC2, ids)
}

// verifyInstances describes the plan's instances again and reports the first
// one check finds not as the action left it (check says how, or "").
func verifyInstances(ctx context.Context, c Clients, ids []string, check func(ec2types.Instance) string) error {
	ins, err := plannedInstances(ctx, c, ids)
	if err != nil {
		return err
	}
	for _, in := range ins {
		if problem := check(in); problem != "" {
			return fmt.Errorf("%w: instance %s %s", ErrVerify, aws.ToString(in.InstanceId), problem)
		}
	}
	return nil
}

// planInstances describes the target's instances and starts an instance
// action's plan on them, tagged with their merged tags; the action adds the
// changes and fills in data.
func planInstances(ctx context.Context, c Clients, action string, t Target, data any) (Plan, []ec2types.Instance, error) {
	if c.EC2 == nil {
		return Plan{}, nil, missing("EC2")
	}
	ins, err := describeInstances(ctx, c.EC2, instanceIDs(t))
	if err != nil {
		return Plan{}, nil, err
	}
	return Plan{Action: action, Target: t, Data: data, TagsRead: true, Tags: instanceTags(ins)}, ins, nil
}

// pendingInstances describes the plan's instances again and keeps the ids
// of those todo says the action has still to act on, so a second Apply
// leaves alone what the first one did.
func pendingInstances(ctx context.Context, c Clients, ids []string, todo func(ec2types.Instance) bool) ([]string, error) {
	ins, err := plannedInstances(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, in := range ins {
		if todo(in) {
			out = append(out, aws.ToString(in.InstanceId))
		}
	}
	return out, nil
}

func stateOf(in ec2types.Instance) ec2types.InstanceStateName {
	if in.State == nil {
		return ""
	}
	return in.State.Name
}

// live reports whether the instance is running or about to.
func live(in ec2types.Instance) bool {
	s := stateOf(in)
	return s == ec2types.InstanceStateNameRunning || s == ec2types.InstanceStateNamePending
}

// instancePlan is the Plan.Data of the instance actions.
type instancePlan struct {
	// Instances are the ids the plan changes.
	Instances []string
	// SnapshotFirst snapshots each attached EBS volume before stopping.
	SnapshotFirst bool
	// Volumes maps an instance to its attached EBS volumes, read while planning.
	Volumes map[string][]string
	// Snapshots are the snapshot ids Apply created, for the audit trail.
	Snapshots []string
	// Quarantine is the security group isolate puts instances in.
	Quarantine string
	// OldGroups maps each instance to the groups isolate replaced.
	OldGroups map[string][]string
	// OldTokens maps each instance to its HttpTokens setting before
	// enforce-imdsv2.
	OldTokens map[string]string
}

func volumesOf(in ec2types.Instance) []string {
	var out []string
	for _, m := range in.BlockDeviceMappings {
		if m.Ebs != nil && aws.ToString(m.Ebs.VolumeId) != "" {
			out = append(out, aws.ToString(m.Ebs.VolumeId))
		}
	}
	return out
}

// summarize sets the plan's summary from its changes.
func summarize(plan *Plan, none, verb string) {
	switch len(plan.Changes) {
	case 0:
		plan.Summary = none
	case 1:
		plan.Summary = plan.Changes[0]
	default:
		plan.Summary = fmt.Sprintf("%s (%d changes)", verb, len(plan.Changes))
	}
}

// ec2StopInstances stops instances, optionally snapshotting their EBS
// volumes first so the disk state at the time of the incident is kept.
type ec2StopInstances struct{}

func (ec2StopInstances) Name() string { return "ec2-stop-instances" }

func (ec2StopInstances) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "snapshot_first", Type: TypeBool, Default: false,
			Description: "snapshot every attached EBS volume before stopping, to keep evidence of the disk state"},
	}}
}

func (ec2StopInstances) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:StopInstances", "ec2:CreateSnapshot", "ec2:CreateTags"}
}

func (ec2StopInstances) Example() string {
	return `remediation:
  rules:
    - name: stop-crypto-miner
      matchers: ['alarm=~cpu-pegged-.*']
      action: ec2-stop-instances
      params:
        snapshot_first: true
`
}

// Target takes the instances from the InstanceId alarm dimension,
// requestParameters.instancesSet, or instance resources.
func (ec2StopInstances) Target(a alert.Alert, _ Params) (Target, error) { return instanceTarget(a) }

func (s ec2StopInstances) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	d := &instancePlan{SnapshotFirst: p.Bool("snapshot_first"), Volumes: map[string][]string{}}
	plan, ins, err := planInstances(ctx, c, s.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	for _, in := range ins {
		if !live(in) {
			continue
		}
		id := aws.ToString(in.InstanceId)
		d.Instances = append(d.Instances, id)
		if d.SnapshotFirst {
			d.Volumes[id] = volumesOf(in)
			for _, v := range d.Volumes[id] {
				plan.Changes = append(plan.Changes, fmt.Sprintf("snapshot %s of %s", v, id))
			}
		}
		plan.Changes = append(plan.Changes, fmt.Sprintf("stop %s (%s)", id, stateOf(in)))
	}
	summarize(&plan, fmt.Sprintf("%s not running", strings.Join(instanceIDs(t), ", ")),
		fmt.Sprintf("stop %d instance(s)", len(d.Instances)))
	return plan, nil
}

func (ec2StopInstances) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	// Stop only what still runs, so a second Apply takes no second snapshot.
	stop, err := pendingInstances(ctx, c, d.Instances, live)
	if err != nil || len(stop) == 0 {
		return err
	}
	if d.SnapshotFirst {
		for _, id := range stop {
			for _, v := range d.Volumes[id] {
				out, err := c.EC2.CreateSnapshot(ctx, &ec2.CreateSnapshotInput{
					VolumeId:    aws.String(v),
					Description: aws.String("watchkeeper: before stopping " + id),
					TagSpecifications: []ec2types.TagSpecification{{
						ResourceType: ec2types.ResourceTypeSnapshot,
						Tags:         []ec2types.Tag{{Key: aws.String("watchkeeper:instance"), Value: aws.String(id)}},
					}},
				})
				if err != nil {
					return fmt.Errorf("snapshot %s of %s: %w", v, id, err)
				}
				d.Snapshots = append(d.Snapshots, aws.ToString(out.SnapshotId))
			}
		}
	}
	if _, err := c.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: stop}); err != nil {
		return fmt.Errorf("stop instances %s: %w", strings.Join(stop, ", "), err)
	}
	return nil
}

func (ec2StopInstances) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	return verifyInstances(ctx, c, d.Instances, func(in ec2types.Instance) string {
		if s := stateOf(in); s != ec2types.InstanceStateNameStopping && s != ec2types.InstanceStateNameStopped {
			return "is " + string(s)
		}
		return ""
	})
}

func (ec2StopInstances) Undo(p Plan) string { return instancesCommand(p, "start-instances") }

// instancesCommand is the AWS CLI line running `aws ec2 <verb>` on the
// planned instances, or "" when the plan has none: the undo of stop and start.
func instancesCommand(p Plan, verb string) string {
	d, err := planData[*instancePlan](p)
	if err != nil || len(d.Instances) == 0 {
		return ""
	}
	return cli(withRegion(append([]string{"ec2", verb, "--instance-ids"}, d.Instances...), p.Target.Region)...)
}

// ec2RebootInstances reboots instances (a stuck agent, a leaked process).
// A reboot leaves no trace in the instance's description, so Apply tags
// each instance with the time and Plan treats an instance rebooted by
// Watchkeeper within min_interval_minutes as done: that makes the action
// idempotent and keeps a flapping alarm from rebooting in a loop.
type ec2RebootInstances struct{}

// rebootTag records when Watchkeeper last rebooted an instance (RFC 3339).
const rebootTag = "watchkeeper:rebooted-at"

func (ec2RebootInstances) Name() string { return "ec2-reboot-instances" }

func (ec2RebootInstances) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "min_interval_minutes", Type: TypeInt, Default: 30,
			Description: "an instance Watchkeeper rebooted less than this many minutes ago is not rebooted again"},
	}, Check: checkMinInterval}
}

func (ec2RebootInstances) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:RebootInstances", "ec2:CreateTags"}
}

func (ec2RebootInstances) Example() string {
	return `remediation:
  rules:
    - name: reboot-on-status-check
      matchers: ['alarm=~.*-status-check-failed']
      action: ec2-reboot-instances
      params:
        min_interval_minutes: 60
`
}

// Target takes the instances from the InstanceId alarm dimension,
// requestParameters.instancesSet, or instance resources.
func (ec2RebootInstances) Target(a alert.Alert, _ Params) (Target, error) { return instanceTarget(a) }

// rebootPlan is ec2-reboot-instances's Plan.Data.
type rebootPlan struct {
	Instances []string
	// At is when the plan was made; Apply stamps it on each instance.
	At time.Time
}

// rebootedSince reports whether Watchkeeper's tag says the instance was
// rebooted at or after since.
func rebootedSince(in ec2types.Instance, since time.Time) bool {
	at, err := time.Parse(time.RFC3339, ec2Tags(in.Tags)[rebootTag])
	return err == nil && !at.Before(since)
}

func (r ec2RebootInstances) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	d := &rebootPlan{}
	plan, ins, err := planInstances(ctx, c, r.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	since := now.Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d.At = now
	for _, in := range ins {
		id := aws.ToString(in.InstanceId)
		if stateOf(in) != ec2types.InstanceStateNameRunning || rebootedSince(in, since) {
			continue
		}
		d.Instances = append(d.Instances, id)
		plan.Changes = append(plan.Changes, "reboot "+id)
	}
	summarize(&plan, fmt.Sprintf("%s not running or rebooted in the last %d minutes", strings.Join(instanceIDs(t), ", "),
		p.Int("min_interval_minutes")), fmt.Sprintf("reboot %d instances", len(d.Instances)))
	return plan, nil
}

func (ec2RebootInstances) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*rebootPlan](p)
	if err != nil {
		return err
	}
	todo, err := pendingInstances(ctx, c, d.Instances, func(in ec2types.Instance) bool { return !rebootedSince(in, d.At) })
	if err != nil || len(todo) == 0 {
		return err
	}
	if _, err := c.EC2.RebootInstances(ctx, &ec2.RebootInstancesInput{InstanceIds: todo}); err != nil {
		return fmt.Errorf("reboot instances %s: %w", strings.Join(todo, ", "), err)
	}
	if _, err := c.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: todo,
		Tags: []ec2types.Tag{{Key: aws.String(rebootTag), Value: aws.String(d.At.Format(time.RFC3339))}}}); err != nil {
		return fmt.Errorf("tag rebooted instances %s: %w", strings.Join(todo, ", "), err)
	}
	return nil
}

func (ec2RebootInstances) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*rebootPlan](p)
	if err != nil {
		return err
	}
	return verifyInstances(ctx, c, d.Instances, func(in ec2types.Instance) string {
		if !rebootedSince(in, d.At) {
			return "carries no " + rebootTag + " tag from this reboot"
		}
		return ""
	})
}

// Undo cannot take a reboot back; it removes the marker tag, so the next
// trigger may reboot again before min_interval_minutes.
func (ec2RebootInstances) Undo(p Plan) string {
	d, err := planData[*rebootPlan](p)
	if err != nil || len(d.Instances) == 0 {
		return ""
	}
	return cli(withRegion(append(append([]string{"ec2", "delete-tags", "--resources"}, d.Instances...), "--tags", "Key="+rebootTag),
		p.Target.Region)...)
}

// ec2EnforceIMDSv2 requires session tokens on the instance metadata
// service (IMDSv2), closing the SSRF path to instance credentials (CIS AWS
// Foundations 5.6).
type ec2EnforceIMDSv2 struct{}

func (ec2EnforceIMDSv2) Name() string { return "ec2-enforce-imdsv2" }

func (ec2EnforceIMDSv2) Schema() ParamSchema { return ParamSchema{} }

func (ec2EnforceIMDSv2) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:ModifyInstanceMetadataOptions"}
}

func (ec2EnforceIMDSv2) Example() string {
	return `remediation:
  rules:
    - name: imdsv2-on-launch
      matchers: ['event_name=RunInstances']
      action: ec2-enforce-imdsv2
      mode: enforce
`
}

// Target takes the instances from requestParameters.instancesSet or
// .instanceId (ModifyInstanceMetadataOptions), the instancesSet of a
// RunInstances response, the InstanceId alarm dimension, or instance
// resources.
func (ec2EnforceIMDSv2) Target(a alert.Alert, _ Params) (Target, error) { return instanceTarget(a) }

func httpTokens(in ec2types.Instance) string {
	if in.MetadataOptions == nil {
		return ""
	}
	return string(in.MetadataOptions.HttpTokens)
}

// needsTokens reports whether IMDS answers without a session token.
func needsTokens(in ec2types.Instance) bool {
	s := stateOf(in)
	if s == ec2types.InstanceStateNameTerminated || s == ec2types.InstanceStateNameShuttingDown {
		return false
	}
	if in.MetadataOptions != nil && in.MetadataOptions.HttpEndpoint == ec2types.InstanceMetadataEndpointStateDisabled {
		return false
	}
	return httpTokens(in) != string(ec2types.HttpTokensStateRequired)
}

func (e ec2EnforceIMDSv2) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	d := &instancePlan{OldTokens: map[string]string{}}
	plan, ins, err := planInstances(ctx, c, e.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	for _, in := range ins {
		if !needsTokens(in) {
			continue
		}
		id := aws.ToString(in.InstanceId)
		d.Instances = append(d.Instances, id)
		d.OldTokens[id] = httpTokens(in)
		plan.Changes = append(plan.Changes, fmt.Sprintf("require IMDSv2 on %s (http tokens %s)", id, orUnset(httpTokens(in))))
	}
	summarize(&plan, strings.Join(instanceIDs(t), ", ")+" already require IMDSv2 or have IMDS off",
		fmt.Sprintf("require IMDSv2 on %d instances", len(d.Instances)))
	return plan, nil
}

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}

func (ec2EnforceIMDSv2) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	ids, err := pendingInstances(ctx, c, d.Instances, needsTokens)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := c.EC2.ModifyInstanceMetadataOptions(ctx, &ec2.ModifyInstanceMetadataOptionsInput{
			InstanceId: aws.String(id), HttpTokens: ec2types.HttpTokensStateRequired,
		}); err != nil {
			return fmt.Errorf("require IMDSv2 on %s: %w", id, err)
		}
	}
	return nil
}

func (ec2EnforceIMDSv2) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	return verifyInstances(ctx, c, d.Instances, func(in ec2types.Instance) string {
		if needsTokens(in) {
			return "has http tokens " + orUnset(httpTokens(in))
		}
		return ""
	})
}

// Undo sets each instance's tokens back to optional, one CLI call per
// instance (the API takes one).
func (ec2EnforceIMDSv2) Undo(p Plan) string {
	d, err := planData[*instancePlan](p)
	if err != nil || len(d.Instances) == 0 {
		return ""
	}
	lines := make([]string, 0, len(d.Instances))
	for _, id := range d.Instances {
		lines = append(lines, cli(withRegion([]string{"ec2", "modify-instance-metadata-options", "--instance-id", id,
			"--http-tokens", string(ec2types.HttpTokensStateOptional)}, p.Target.Region)...))
	}
	return strings.Join(lines, " && ")
}

// ec2IsolateInstance replaces an instance's security groups with a
// quarantine group (typically one with no rules), cutting it off the
// network while keeping it running for forensics.
type ec2IsolateInstance struct{}

func (ec2IsolateInstance) Name() string { return "ec2-isolate-instance" }

func (ec2IsolateInstance) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "quarantine_group_id", Type: TypeString, Required: true,
			Description: "security group (sg-…) in the instance's VPC that replaces all its groups; give it no rules"},
	}, Check: func(p Params) error {
		if !strings.HasPrefix(p.String("quarantine_group_id"), "sg-") {
			return fmt.Errorf("quarantine_group_id %q is not a security group id (sg-…)", truncate(p.String("quarantine_group_id"), 40))
		}
		return nil
	}}
}

func (ec2IsolateInstance) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ec2:ModifyInstanceAttribute"}
}

func (ec2IsolateInstance) Example() string {
	return `remediation:
  rules:
    - name: isolate-on-guardduty-backdoor
      matchers: ['finding_type=~Backdoor:EC2/.*', 'severity=critical']
      action: ec2-isolate-instance
      params:
        quarantine_group_id: sg-0aaaaaaaaaaaaaaaa
`
}

// Target takes the instances from instance resources of a finding, the
// InstanceId alarm dimension, or requestParameters.instancesSet.
func (ec2IsolateInstance) Target(a alert.Alert, _ Params) (Target, error) { return instanceTarget(a) }

func groupIDs(in ec2types.Instance) []string {
	out := make([]string, 0, len(in.SecurityGroups))
	for _, g := range in.SecurityGroups {
		out = append(out, aws.ToString(g.GroupId))
	}
	return out
}

func isolated(in ec2types.Instance, q string) bool {
	g := groupIDs(in)
	return len(g) == 1 && g[0] == q
}

func (e ec2IsolateInstance) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	q := p.String("quarantine_group_id")
	d := &instancePlan{Quarantine: q, OldGroups: map[string][]string{}}
	plan, ins, err := planInstances(ctx, c, e.Name(), t, d)
	if err != nil {
		return Plan{}, err
	}
	for _, in := range ins {
		if isolated(in, q) || stateOf(in) == ec2types.InstanceStateNameTerminated {
			continue
		}
		id := aws.ToString(in.InstanceId)
		d.Instances = append(d.Instances, id)
		d.OldGroups[id] = groupIDs(in)
		plan.Changes = append(plan.Changes, fmt.Sprintf("replace security groups of %s (%s) with %s",
			id, strings.Join(d.OldGroups[id], ", "), q))
	}
	summarize(&plan, strings.Join(instanceIDs(t), ", ")+" already isolated in "+q,
		fmt.Sprintf("isolate %d instances in %s", len(d.Instances), q))
	return plan, nil
}

func (ec2IsolateInstance) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	ins, err := plannedInstances(ctx, c, d.Instances)
	if err != nil || len(ins) == 0 {
		return err
	}
	for _, in := range ins {
		id := aws.ToString(in.InstanceId)
		if isolated(in, d.Quarantine) {
			continue
		}
		// Groups someone changed since the plan would be lost, and Undo
		// would restore the wrong ones.
		if !slices.Equal(groupIDs(in), d.OldGroups[id]) {
			return fmt.Errorf("%w: security groups of %s are now %s, planned from %s", ErrChanged, id,
				strings.Join(groupIDs(in), ", "), strings.Join(d.OldGroups[id], ", "))
		}
		if _, err := c.EC2.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{
			InstanceId: aws.String(id), Groups: []string{d.Quarantine},
		}); err != nil {
			return fmt.Errorf("isolate %s in %s: %w", id, d.Quarantine, err)
		}
	}
	return nil
}

func (ec2IsolateInstance) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*instancePlan](p)
	if err != nil {
		return err
	}
	return verifyInstances(ctx, c, d.Instances, func(in ec2types.Instance) string {
		if !isolated(in, d.Quarantine) {
			return "is in " + strings.Join(groupIDs(in), ", ")
		}
		return ""
	})
}

// Undo puts each instance back in the groups the plan recorded.
func (ec2IsolateInstance) Undo(p Plan) string {
	d, err := planData[*instancePlan](p)
	if err != nil || len(d.Instances) == 0 {
		return ""
	}
	lines := make([]string, 0, len(d.Instances))
	for _, id := range d.Instances {
		words := append([]string{"ec2", "modify-instance-attribute", "--instance-id", id, "--groups"}, d.OldGroups[id]...)
		lines = append(lines, cli(withRegion(words, p.Target.Region)...))
	}
	return strings.Join(lines, " && ")
}
