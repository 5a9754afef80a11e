package remediate

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// asgStartInstanceRefresh replaces an Auto Scaling group's instances in
// rolling fashion (a fleet running a compromised or drifted image, a
// memory leak only a fresh instance cures). A refresh already under way
// makes the plan empty, so a second trigger does not stack refreshes.
type asgStartInstanceRefresh struct{}

// refreshPlan is asg-start-instance-refresh's Plan.Data.
type refreshPlan struct {
	Group      string
	MinHealthy int
	Warmup     int
	// RefreshID is the refresh Apply started, for Verify and the undo.
	RefreshID string
}

// Instance refresh statuses under which a refresh is still running.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_InstanceRefresh.html
var activeRefresh = []astypes.InstanceRefreshStatus{
	astypes.InstanceRefreshStatusPending, astypes.InstanceRefreshStatusInProgress,
	astypes.InstanceRefreshStatusCancelling, astypes.InstanceRefreshStatusRollbackInProgress,
	astypes.InstanceRefreshStatusBaking,
}

// Bounds of MinHealthyPercentage.
// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_RefreshPreferences.html
const (
	minHealthyPercentage = 0
	maxHealthyPercentage = 100
)

func (asgStartInstanceRefresh) Name() string { return "asg-start-instance-refresh" }

func (asgStartInstanceRefresh) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "min_healthy_percentage", Type: TypeInt, Default: 90,
			Description: "percentage of the group's capacity that must stay in service during the refresh (0-100)"},
		{Name: "instance_warmup_seconds", Type: TypeInt,
			Description: "seconds a new instance needs before it counts as in service; the group's default when unset"},
	}, Check: func(p Params) error {
		if h := p.Int("min_healthy_percentage"); h < minHealthyPercentage || h > maxHealthyPercentage {
			return fmt.Errorf("min_healthy_percentage is %d, want %d to %d", h, minHealthyPercentage, maxHealthyPercentage)
		}
		if p.Has("instance_warmup_seconds") && p.Int("instance_warmup_seconds") < 0 {
			return fmt.Errorf("instance_warmup_seconds is %d, want at least 0", p.Int("instance_warmup_seconds"))
		}
		return nil
	}}
}

func (asgStartInstanceRefresh) Permissions() []string {
	return []string{"autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeInstanceRefreshes", "autoscaling:StartInstanceRefresh"}
}

func (asgStartInstanceRefresh) Example() string {
	return `remediation:
  rules:
    - name: refresh-leaking-fleet
      matchers: ['alarm=web-memory-high']
      action: asg-start-instance-refresh
      params:
        min_healthy_percentage: 75
        instance_warmup_seconds: 120
`
}

// Target takes the group from the alarm's AutoScalingGroupName dimension,
// requestParameters.autoScalingGroupName, or an Auto Scaling group resource.
func (asgStartInstanceRefresh) Target(a alert.Alert, p Params) (Target, error) {
	return asgAdjustCapacity{}.Target(a, p)
}

// instanceRefresher is the part of the Auto Scaling client instance
// refreshes need. It is asserted on Clients.AutoScaling rather than added to
// AutoScalingAPI, so fakes of the capacity calls need not grow.
type instanceRefresher interface {
	AutoScalingAPI
	DescribeInstanceRefreshes(ctx context.Context, in *autoscaling.DescribeInstanceRefreshesInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeInstanceRefreshesOutput, error)
	StartInstanceRefresh(ctx context.Context, in *autoscaling.StartInstanceRefreshInput, optFns ...func(*autoscaling.Options)) (*autoscaling.StartInstanceRefreshOutput, error)
}

var _ instanceRefresher = (*autoscaling.Client)(nil)

// refresher returns the Auto Scaling client as an instanceRefresher.
func refresher(c Clients) (instanceRefresher, error) {
	r, ok := c.AutoScaling.(instanceRefresher)
	if !ok {
		return nil, missing("Auto Scaling (with instance refresh)")
	}
	return r, nil
}

// runningRefresh returns the group's refresh that is still running, if any.
func runningRefresh(ctx context.Context, c instanceRefresher, group string) (*astypes.InstanceRefresh, error) {
	out, err := c.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group)})
	if err != nil {
		return nil, fmt.Errorf("describe instance refreshes of %s: %w", group, err)
	}
	for _, r := range out.InstanceRefreshes {
		if slices.Contains(activeRefresh, r.Status) {
			return &r, nil
		}
	}
	return nil, nil
}

func (a asgStartInstanceRefresh) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	as, err := refresher(c)
	if err != nil {
		return Plan{}, err
	}
	g, err := describeASG(ctx, as, t.ID)
	if err != nil {
		return Plan{}, err
	}
	run, err := runningRefresh(ctx, as, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &refreshPlan{Group: t.ID, MinHealthy: p.Int("min_healthy_percentage"), Warmup: -1}
	if p.Has("instance_warmup_seconds") {
		d.Warmup = p.Int("instance_warmup_seconds")
	}
	plan := Plan{Action: a.Name(), Target: t, Data: d, TagsRead: true, Tags: asgTags(g.Tags)}
	if run != nil {
		plan.Summary = fmt.Sprintf("instance refresh %s of %s is already %s", aws.ToString(run.InstanceRefreshId), t.ID, run.Status)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("start an instance refresh of %s (%d instances, keep %d%% healthy)", t.ID, len(g.Instances), d.MinHealthy)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (asgStartInstanceRefresh) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*refreshPlan](p)
	if err != nil {
		return err
	}
	as, err := refresher(c)
	if err != nil {
		return err
	}
	run, err := runningRefresh(ctx, as, d.Group)
	if err != nil {
		return err
	}
	if run != nil {
		if d.RefreshID == "" {
			d.RefreshID = aws.ToString(run.InstanceRefreshId)
		}
		return nil
	}
	prefs := &astypes.RefreshPreferences{MinHealthyPercentage: aws.Int32(int32(d.MinHealthy))}
	if d.Warmup >= 0 {
		prefs.InstanceWarmup = aws.Int32(int32(d.Warmup))
	}
	out, err := as.StartInstanceRefresh(ctx, &autoscaling.StartInstanceRefreshInput{
		AutoScalingGroupName: aws.String(d.Group),
		Strategy:             astypes.RefreshStrategyRolling,
		Preferences:          prefs,
	})
	if err != nil {
		return fmt.Errorf("start instance refresh of %s: %w", d.Group, err)
	}
	d.RefreshID = aws.ToString(out.InstanceRefreshId)
	return nil
}

// Verify finds the refresh Apply started, running or done.
func (asgStartInstanceRefresh) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*refreshPlan](p)
	if err != nil {
		return err
	}
	as, err := refresher(c)
	if err != nil {
		return err
	}
	if d.RefreshID == "" {
		return fmt.Errorf("%w: no instance refresh of %s was started", ErrVerify, d.Group)
	}
	out, err := as.DescribeInstanceRefreshes(ctx, &autoscaling.DescribeInstanceRefreshesInput{
		AutoScalingGroupName: aws.String(d.Group), InstanceRefreshIds: []string{d.RefreshID},
	})
	if err != nil {
		return fmt.Errorf("describe instance refresh %s of %s: %w", d.RefreshID, d.Group, err)
	}
	for _, r := range out.InstanceRefreshes {
		if aws.ToString(r.InstanceRefreshId) != d.RefreshID {
			continue
		}
		if slices.Contains(activeRefresh, r.Status) || r.Status == astypes.InstanceRefreshStatusSuccessful {
			return nil
		}
		return fmt.Errorf("%w: instance refresh %s of %s is %s", ErrVerify, d.RefreshID, d.Group, r.Status)
	}
	return fmt.Errorf("%w: instance refresh %s of %s not found", ErrVerify, d.RefreshID, d.Group)
}

// Undo cancels the refresh; instances already replaced stay replaced.
func (asgStartInstanceRefresh) Undo(p Plan) string {
	d, err := planData[*refreshPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"autoscaling", "cancel-instance-refresh", "--auto-scaling-group-name", d.Group}, p.Target.Region)...)
}
