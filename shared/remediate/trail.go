package remediate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// cloudTrailStartLogging turns logging back on for a trail someone stopped
// (CIS AWS Foundations 3.1 wants CloudTrail on; StopLogging is a classic
// defence-evasion step).
type cloudTrailStartLogging struct{}

// trailPlan is cloudtrail-start-logging's Plan.Data.
type trailPlan struct {
	Trail string
}

func (cloudTrailStartLogging) Name() string { return "cloudtrail-start-logging" }

func (cloudTrailStartLogging) Schema() ParamSchema { return ParamSchema{} }

func (cloudTrailStartLogging) Permissions() []string {
	return []string{"cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"}
}

func (cloudTrailStartLogging) Example() string {
	return `remediation:
  rules:
    - name: restart-trail
      matchers: ['event_name=StopLogging']
      action: cloudtrail-start-logging
      mode: enforce
`
}

// Target takes the trail from requestParameters.name of a CloudTrail API
// call (StopLogging, UpdateTrail) or from a trail resource of a finding. The
// name may be an ARN, which the CloudTrail API accepts as well.
func (cloudTrailStartLogging) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::CloudTrail::Trail", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "cloudtrail.amazonaws.com") {
		if name := requestParam(a, "name"); name != "" {
			t.ID, t.From = name, fromRequest+"name"
			if arn, ok := alert.ParseARN(name); ok {
				t.ARN = name
				if arn.Region != "" {
					t.Region = arn.Region
				}
				// Trail names are unique per account and region, so a trail
				// of the event's own account and region is called by name
				// (shorter in messages and undo lines); any other keeps its ARN.
				if short := alert.ResourceFromARN(name).ID; short != "" && arn.Account == t.Account && arn.Region == regionOf(a) {
					t.ID = short
				}
			}
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::CloudTrail::Trail", "AwsCloudTrailTrail"); ok {
		t.ID, t.ARN, t.From = r.Name(), r.ARN, fromResource+r.Type
		if r.ARN != "" {
			t.ID = r.ARN
		}
		if r.Region != "" {
			t.Region = r.Region
		}
		return t, nil
	}
	return Target{}, noTarget("trail", "requestParameters.name of CloudTrail API calls", "trail resources")
}

func trailLogging(ctx context.Context, c CloudTrailAPI, name string) (bool, error) {
	out, err := c.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: aws.String(name)})
	if err != nil {
		return false, fmt.Errorf("get status of trail %s: %w", name, err)
	}
	return aws.ToBool(out.IsLogging), nil
}

func (a cloudTrailStartLogging) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.CloudTrail == nil {
		return Plan{}, missing("CloudTrail")
	}
	on, err := trailLogging(ctx, c.CloudTrail, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: a.Name(), Target: t, Data: &trailPlan{Trail: t.ID}}
	if on {
		plan.Summary = fmt.Sprintf("trail %s is logging", t.ID)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("start logging on trail %s", t.ID)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (cloudTrailStartLogging) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*trailPlan](p)
	if err != nil {
		return err
	}
	if c.CloudTrail == nil {
		return missing("CloudTrail")
	}
	on, err := trailLogging(ctx, c.CloudTrail, d.Trail)
	if err != nil || on {
		return err
	}
	if _, err := c.CloudTrail.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String(d.Trail)}); err != nil {
		return fmt.Errorf("start logging on trail %s: %w", d.Trail, err)
	}
	return nil
}

func (cloudTrailStartLogging) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*trailPlan](p)
	if err != nil {
		return err
	}
	if c.CloudTrail == nil {
		return missing("CloudTrail")
	}
	on, err := trailLogging(ctx, c.CloudTrail, d.Trail)
	if err != nil {
		return err
	}
	if !on {
		return fmt.Errorf("%w: trail %s is not logging", ErrVerify, d.Trail)
	}
	return nil
}

func (cloudTrailStartLogging) Undo(p Plan) string {
	d, err := planData[*trailPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"cloudtrail", "stop-logging", "--name", d.Trail}, p.Target.Region)...)
}
