package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// vpcType is the CloudFormation type of a VPC target.
const vpcType = "AWS::EC2::VPC"

// flowLogActive is the FlowLogStatus of a flow log that delivers.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_FlowLog.html
const flowLogActive = "ACTIVE"

// vpcRestoreFlowLogs creates a flow log for a VPC that has no active one
// (CIS AWS Foundations 3.9; DeleteFlowLogs is a defence-evasion step), to
// the rule's CloudWatch Logs group or S3 bucket.
type vpcRestoreFlowLogs struct{}

// flowLogPlan is vpc-restore-flow-logs' Plan.Data.
type flowLogPlan struct {
	VPC                        string
	DestinationType            string
	DestinationARN, DeliverARN string
	TrafficType                string
	// FlowLogs are the ids Apply created, for the undo.
	FlowLogs []string
}

func (vpcRestoreFlowLogs) Name() string { return "vpc-restore-flow-logs" }

func (vpcRestoreFlowLogs) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "destination_type", Type: TypeString, Default: string(ec2types.LogDestinationTypeCloudWatchLogs),
			Description: "cloud-watch-logs or s3"},
		{Name: "destination_arn", Type: TypeString, Required: true,
			Description: "ARN of the log group (arn:aws:logs:…:log-group:name) or bucket (arn:aws:s3:::name[/prefix]) to deliver to"},
		{Name: "deliver_logs_role_arn", Type: TypeString,
			Description: "IAM role VPC Flow Logs assumes to write to the log group; required for cloud-watch-logs"},
		{Name: "traffic_type", Type: TypeString, Default: string(ec2types.TrafficTypeAll), Description: "ALL, ACCEPT or REJECT"},
		{Name: "vpc_id", Type: TypeString,
			Description: "VPC to act on when the trigger names none (DeleteFlowLogs names only flow log ids)"},
	}, Check: checkFlowLogParams}
}

func checkFlowLogParams(p Params) error {
	var errs []error
	dest := p.String("destination_arn")
	switch p.String("destination_type") {
	case string(ec2types.LogDestinationTypeCloudWatchLogs):
		if !strings.Contains(dest, ":logs:") || !strings.Contains(dest, ":log-group:") {
			errs = append(errs, fmt.Errorf("destination_arn %q is not a log group ARN", truncate(dest, 80)))
		}
		if !p.Has("deliver_logs_role_arn") {
			errs = append(errs, errors.New("destination_type cloud-watch-logs needs deliver_logs_role_arn (an IAM role ARN)"))
		} else if err := checkRoleARN("deliver_logs_role_arn", p.String("deliver_logs_role_arn"), "and VPC Flow Logs needs it to write to the log group"); err != nil {
			errs = append(errs, err)
		}
	case string(ec2types.LogDestinationTypeS3):
		if !strings.Contains(dest, ":s3:::") {
			errs = append(errs, fmt.Errorf("destination_arn %q is not an S3 bucket ARN", truncate(dest, 80)))
		}
	default:
		errs = append(errs, fmt.Errorf("destination_type %q is not cloud-watch-logs or s3", truncate(p.String("destination_type"), 40)))
	}
	switch ec2types.TrafficType(p.String("traffic_type")) {
	case ec2types.TrafficTypeAll, ec2types.TrafficTypeAccept, ec2types.TrafficTypeReject:
	default:
		errs = append(errs, fmt.Errorf("traffic_type %q is not ALL, ACCEPT or REJECT", truncate(p.String("traffic_type"), 40)))
	}
	if p.Has("vpc_id") && !validVPCID(p.String("vpc_id")) {
		errs = append(errs, fmt.Errorf("vpc_id %q is not a VPC id (vpc-…)", truncate(p.String("vpc_id"), 40)))
	}
	return errors.Join(errs...)
}

// Permissions are the EC2 calls, plus what CreateFlowLogs checks on the
// caller for S3 delivery (logs:CreateLogDelivery). iam:PassRole of the
// CloudWatch Logs delivery role is scoped to that role (ScopedPermissions).
// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam.html
func (vpcRestoreFlowLogs) Permissions() []string {
	return []string{"ec2:DescribeVpcs", "ec2:DescribeFlowLogs", "ec2:CreateFlowLogs", "logs:CreateLogDelivery"}
}

// ScopedPermissions pass the delivery role to VPC Flow Logs, only when the
// rule delivers to CloudWatch Logs (Apply passes no role for S3).
func (vpcRestoreFlowLogs) ScopedPermissions(p Params) []ScopedPermission {
	if p.String("destination_type") != string(ec2types.LogDestinationTypeCloudWatchLogs) || !p.Has("deliver_logs_role_arn") {
		return nil
	}
	return []ScopedPermission{passRole(p.String("deliver_logs_role_arn"), PassedToFlowLogs)}
}

func (vpcRestoreFlowLogs) Example() string {
	return `remediation:
  rules:
    - name: restore-vpc-flow-logs
      matchers: ['event_name=DeleteFlowLogs']
      action: vpc-restore-flow-logs
      mode: enforce
      params:
        vpc_id: vpc-0123456789abcdef0
        destination_arn: arn:aws:logs:eu-west-1:123456789012:log-group:vpc-flow-logs
        deliver_logs_role_arn: arn:aws:iam::123456789012:role/vpc-flow-logs-delivery
`
}

func validVPCID(s string) bool {
	if !strings.HasPrefix(s, "vpc-") || len(s) < 5 || len(s) > 21 {
		return false
	}
	for _, c := range s[4:] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Target takes the VPC from requestParameters.vpcId of an EC2 API call,
// responseElements.vpc.vpcId of CreateVpc, a VPC resource, or the vpc_id
// parameter.
func (vpcRestoreFlowLogs) Target(a alert.Alert, p Params) (Target, error) {
	t := Target{Type: vpcType, Region: regionOf(a), Account: accountOf(a)}
	switch {
	case fromEvent(a, "ec2.amazonaws.com") && validVPCID(requestParam(a, "vpcId")):
		t.ID, t.From = requestParam(a, "vpcId"), fromRequest+"vpcId"
	case fromEvent(a, "ec2.amazonaws.com", "CreateVpc") && validVPCID(responseElement(a, "vpc", "vpcId")):
		t.ID, t.From = responseElement(a, "vpc", "vpcId"), fromResponse+"vpc.vpcId"
	default:
		for _, r := range a.Resources {
			if r.Type != vpcType && r.Type != "AwsEc2Vpc" {
				continue
			}
			id := r.ID
			if _, v, ok := strings.Cut(r.ARN, ":vpc/"); ok {
				id = v
			}
			if validVPCID(id) {
				t.ID, t.ARN, t.From = id, r.ARN, fromResource+r.Type
				if r.Region != "" {
					t.Region = r.Region
				}
				break
			}
		}
		if t.ID == "" && validVPCID(p.String("vpc_id")) {
			t.ID, t.From = p.String("vpc_id"), fromParams
		}
	}
	if t.ID == "" {
		return Target{}, noTarget("VPC", "requestParameters.vpcId", "responseElements.vpc.vpcId", "VPC resources", "params.vpc_id")
	}
	return t, nil
}

// activeFlowLogs returns the ids of the VPC's active flow logs.
func activeFlowLogs(ctx context.Context, c EC2API, vpc string) ([]string, error) {
	var out []string
	p := ec2.NewDescribeFlowLogsPaginator(c, &ec2.DescribeFlowLogsInput{
		Filter: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{vpc}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe flow logs of %s: %w", vpc, err)
		}
		for _, f := range page.FlowLogs {
			if aws.ToString(f.ResourceId) == vpc && aws.ToString(f.FlowLogStatus) == flowLogActive {
				out = append(out, aws.ToString(f.FlowLogId))
			}
		}
	}
	return out, nil
}

func (v vpcRestoreFlowLogs) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.EC2 == nil {
		return Plan{}, missing("EC2")
	}
	vpcs, err := c.EC2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{t.ID}})
	if err != nil {
		return Plan{}, fmt.Errorf("describe VPC %s: %w", t.ID, err)
	}
	if len(vpcs.Vpcs) != 1 {
		return Plan{}, fmt.Errorf("describe VPC %s: not found", t.ID)
	}
	active, err := activeFlowLogs(ctx, c.EC2, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &flowLogPlan{VPC: t.ID, DestinationType: p.String("destination_type"), DestinationARN: p.String("destination_arn"),
		DeliverARN: p.String("deliver_logs_role_arn"), TrafficType: p.String("traffic_type")}
	plan := Plan{Action: v.Name(), Target: t, Data: d, TagsRead: true, Tags: ec2Tags(vpcs.Vpcs[0].Tags)}
	if len(active) > 0 {
		plan.Summary = fmt.Sprintf("VPC %s has active flow logs (%s)", t.ID, strings.Join(active, ", "))
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("create a flow log of %s traffic in VPC %s to %s", d.TrafficType, t.ID, d.DestinationARN)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (vpcRestoreFlowLogs) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*flowLogPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	active, err := activeFlowLogs(ctx, c.EC2, d.VPC)
	if err != nil || len(active) > 0 {
		return err
	}
	in := &ec2.CreateFlowLogsInput{
		ResourceIds: []string{d.VPC}, ResourceType: ec2types.FlowLogsResourceTypeVpc,
		TrafficType: ec2types.TrafficType(d.TrafficType), LogDestinationType: ec2types.LogDestinationType(d.DestinationType),
		LogDestination: aws.String(d.DestinationARN),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpcFlowLog,
			Tags: []ec2types.Tag{{Key: aws.String("watchkeeper:restored"), Value: aws.String("true")}}}},
	}
	if d.DeliverARN != "" && d.DestinationType == string(ec2types.LogDestinationTypeCloudWatchLogs) {
		in.DeliverLogsPermissionArn = aws.String(d.DeliverARN)
	}
	out, err := c.EC2.CreateFlowLogs(ctx, in)
	if err != nil {
		return fmt.Errorf("create flow log of VPC %s: %w", d.VPC, err)
	}
	if len(out.Unsuccessful) > 0 {
		u := out.Unsuccessful[0]
		msg := ""
		if u.Error != nil {
			msg = aws.ToString(u.Error.Code) + ": " + aws.ToString(u.Error.Message)
		}
		return fmt.Errorf("create flow log of VPC %s: %s", d.VPC, msg)
	}
	d.FlowLogs = append(d.FlowLogs, out.FlowLogIds...)
	return nil
}

func (vpcRestoreFlowLogs) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*flowLogPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	active, err := activeFlowLogs(ctx, c.EC2, d.VPC)
	if err != nil {
		return err
	}
	if len(active) == 0 {
		return fmt.Errorf("%w: VPC %s has no active flow log", ErrVerify, d.VPC)
	}
	return nil
}

// Undo deletes the flow logs Apply created.
func (vpcRestoreFlowLogs) Undo(p Plan) string {
	d, err := planData[*flowLogPlan](p)
	if err != nil || len(d.FlowLogs) == 0 {
		return ""
	}
	return cli(withRegion(append([]string{"ec2", "delete-flow-logs", "--flow-log-ids"}, d.FlowLogs...), p.Target.Region)...)
}
