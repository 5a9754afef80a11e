package remediate

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// asgAdjustCapacity changes an Auto Scaling group's desired capacity by a
// step or to a value, always within the group's min and max.
type asgAdjustCapacity struct{}

// asgPlan is asg-adjust-capacity's Plan.Data.
type asgPlan struct {
	Group    string
	From, To int32
	Min, Max int32
}

func (asgAdjustCapacity) Name() string { return "asg-adjust-capacity" }

func (asgAdjustCapacity) Schema() ParamSchema {
	return ParamSchema{
		Params: []Param{
			{Name: "by", Type: TypeInt, Description: "change the desired capacity by this many instances (negative scales in)"},
			{Name: "to", Type: TypeInt, Description: "set the desired capacity to this many instances"},
		},
		Check: func(p Params) error { return checkStep(p, "capacity") },
	}
}

func (asgAdjustCapacity) Permissions() []string {
	return []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:SetDesiredCapacity"}
}

func (asgAdjustCapacity) Example() string {
	return `remediation:
  rules:
    - name: scale-out-on-cpu
      matchers: ['alarm=web-cpu-high']
      action: asg-adjust-capacity
      params:
        by: 2
`
}

// Target takes the group from the alarm's AutoScalingGroupName dimension,
// from requestParameters.autoScalingGroupName of an Auto Scaling API call, or
// from an Auto Scaling group resource (EventBridge Auto Scaling events).
func (asgAdjustCapacity) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::AutoScaling::AutoScalingGroup", Region: regionOf(a), Account: accountOf(a)}
	if name := dimension(a, "AutoScalingGroupName"); name != "" && len(name) <= maxIDLen {
		t.ID, t.From = name, fromDim+"AutoScalingGroupName"
		return t, nil
	}
	if fromEvent(a, "autoscaling.amazonaws.com") {
		if name := requestParam(a, "autoScalingGroupName"); name != "" {
			t.ID, t.From = name, fromRequest+"autoScalingGroupName"
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::AutoScaling::AutoScalingGroup", "AwsAutoScalingAutoScalingGroup"); ok {
		t.ID, t.ARN, t.From = r.ID, r.ARN, fromResource+r.Type
		if r.Region != "" {
			t.Region = r.Region
		}
		return t, nil
	}
	return Target{}, noTarget("Auto Scaling group", "alarm dimension AutoScalingGroupName",
		"requestParameters.autoScalingGroupName", "Auto Scaling group resources")
}

func describeASG(ctx context.Context, c AutoScalingAPI, name string) (astypes.AutoScalingGroup, error) {
	out, err := c.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return astypes.AutoScalingGroup{}, fmt.Errorf("describe Auto Scaling group %s: %w", name, err)
	}
	for _, g := range out.AutoScalingGroups {
		if aws.ToString(g.AutoScalingGroupName) == name {
			return g, nil
		}
	}
	return astypes.AutoScalingGroup{}, fmt.Errorf("describe Auto Scaling group %s: not found", name)
}

func (a asgAdjustCapacity) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.AutoScaling == nil {
		return Plan{}, missing("Auto Scaling")
	}
	g, err := describeASG(ctx, c.AutoScaling, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &asgPlan{Group: t.ID, From: aws.ToInt32(g.DesiredCapacity), Min: aws.ToInt32(g.MinSize), Max: aws.ToInt32(g.MaxSize)}
	want := stepWant(d.From, p)
	d.To = int32(min(max(want, int64(d.Min)), int64(d.Max)))
	plan := Plan{Action: a.Name(), Target: t, Data: d, TagsRead: true, Tags: asgTags(g.Tags)}
	bound := fmt.Sprintf("max %d", d.Max)
	if want < int64(d.From) {
		bound = fmt.Sprintf("min %d", d.Min)
	}
	if d.To == d.From {
		plan.Summary = fmt.Sprintf("desired capacity of %s is already %d", d.Group, d.From)
		if want != int64(d.To) {
			plan.Summary = fmt.Sprintf("desired %d already at %s", d.From, bound)
		}
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("desired %d → %d (%s)", d.From, d.To, bound)
	if want != int64(d.To) {
		plan.Summary += fmt.Sprintf(", capped from %d", want)
	}
	plan.Changes = []string{fmt.Sprintf("set desired capacity of %s from %d to %d", d.Group, d.From, d.To)}
	return plan, nil
}

func (asgAdjustCapacity) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*asgPlan](p)
	if err != nil {
		return err
	}
	if c.AutoScaling == nil {
		return missing("Auto Scaling")
	}
	g, err := describeASG(ctx, c.AutoScaling, d.Group)
	if err != nil {
		return err
	}
	if done, err := stepDone("desired capacity of "+d.Group, d.From, d.To, aws.ToInt32(g.DesiredCapacity)); done || err != nil {
		return err
	}
	if _, err := c.AutoScaling.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{
		AutoScalingGroupName: aws.String(d.Group),
		DesiredCapacity:      aws.Int32(d.To),
		HonorCooldown:        aws.Bool(false),
	}); err != nil {
		return fmt.Errorf("set desired capacity of %s to %d: %w", d.Group, d.To, err)
	}
	return nil
}

func (asgAdjustCapacity) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*asgPlan](p)
	if err != nil {
		return err
	}
	if c.AutoScaling == nil {
		return missing("Auto Scaling")
	}
	g, err := describeASG(ctx, c.AutoScaling, d.Group)
	if err != nil {
		return err
	}
	if now := aws.ToInt32(g.DesiredCapacity); now != d.To {
		return fmt.Errorf("%w: desired capacity of %s is %d, want %d", ErrVerify, d.Group, now, d.To)
	}
	return nil
}

func (asgAdjustCapacity) Undo(p Plan) string {
	d, err := planData[*asgPlan](p)
	if err != nil || d.From == d.To {
		return ""
	}
	return cli(withRegion([]string{"autoscaling", "set-desired-capacity", "--auto-scaling-group-name", d.Group,
		"--desired-capacity", strconv.Itoa(int(d.From))}, p.Target.Region)...)
}

func asgTags(tags []astypes.TagDescription) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}
