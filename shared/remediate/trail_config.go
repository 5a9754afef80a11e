package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// cloudTrailRestoreConfig turns a trail's multi-region recording and log
// file validation back on (CIS AWS Foundations 3.1 and 3.2): an UpdateTrail
// that narrows a trail to one region, or drops the digest files, hides what
// an intruder does next.
type cloudTrailRestoreConfig struct{}

// trailConfigPlan is cloudtrail-restore-trail-config's Plan.Data.
type trailConfigPlan struct {
	Trail string
	// MultiRegion and Validation say which setting Apply turns on.
	MultiRegion, Validation bool
}

func (cloudTrailRestoreConfig) Name() string { return "cloudtrail-restore-trail-config" }

func (cloudTrailRestoreConfig) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "multi_region", Type: TypeBool, Default: true, Description: "make the trail record every region"},
		{Name: "log_file_validation", Type: TypeBool, Default: true, Description: "turn log file integrity validation on"},
	}, Check: func(p Params) error {
		if !p.Bool("multi_region") && !p.Bool("log_file_validation") {
			return errors.New("multi_region and log_file_validation are both false: the action would never change anything")
		}
		return nil
	}}
}

func (cloudTrailRestoreConfig) Permissions() []string {
	return []string{"cloudtrail:GetTrail", "cloudtrail:UpdateTrail"}
}

func (cloudTrailRestoreConfig) Example() string {
	return `remediation:
  rules:
    - name: restore-trail-config
      matchers: ['event_name=UpdateTrail']
      action: cloudtrail-restore-trail-config
      mode: enforce
`
}

// Target takes the trail from requestParameters.name of a CloudTrail API
// call (UpdateTrail) or a trail resource of a finding.
func (cloudTrailRestoreConfig) Target(a alert.Alert, p Params) (Target, error) {
	return cloudTrailStartLogging{}.Target(a, p)
}

func getTrail(ctx context.Context, c CloudTrailAPI, name string) (cttypes.Trail, error) {
	out, err := c.GetTrail(ctx, &cloudtrail.GetTrailInput{Name: aws.String(name)})
	if err != nil {
		return cttypes.Trail{}, fmt.Errorf("get trail %s: %w", name, err)
	}
	if out.Trail == nil {
		return cttypes.Trail{}, fmt.Errorf("get trail %s: not found", name)
	}
	return *out.Trail, nil
}

// trailGaps says which wanted settings the trail lacks.
func trailGaps(tr cttypes.Trail, multi, validation bool) (needMulti, needValidation bool) {
	return multi && !aws.ToBool(tr.IsMultiRegionTrail), validation && !aws.ToBool(tr.LogFileValidationEnabled)
}

func (a cloudTrailRestoreConfig) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.CloudTrail == nil {
		return Plan{}, missing("CloudTrail")
	}
	tr, err := getTrail(ctx, c.CloudTrail, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &trailConfigPlan{Trail: t.ID}
	d.MultiRegion, d.Validation = trailGaps(tr, p.Bool("multi_region"), p.Bool("log_file_validation"))
	plan := Plan{Action: a.Name(), Target: t, Data: d}
	if d.MultiRegion {
		plan.Changes = append(plan.Changes, "make trail "+t.ID+" multi-region")
	}
	if d.Validation {
		plan.Changes = append(plan.Changes, "turn on log file validation of trail "+t.ID)
	}
	summarize(&plan, fmt.Sprintf("trail %s is multi-region and validates its log files as wanted", t.ID), "restore trail "+t.ID)
	return plan, nil
}

func (cloudTrailRestoreConfig) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*trailConfigPlan](p)
	if err != nil {
		return err
	}
	if c.CloudTrail == nil {
		return missing("CloudTrail")
	}
	tr, err := getTrail(ctx, c.CloudTrail, d.Trail)
	if err != nil {
		return err
	}
	multi, validation := trailGaps(tr, d.MultiRegion, d.Validation)
	if !multi && !validation {
		return nil
	}
	in := &cloudtrail.UpdateTrailInput{Name: aws.String(d.Trail)}
	if multi {
		// A multi-region trail must record global service events.
		in.IsMultiRegionTrail, in.IncludeGlobalServiceEvents = aws.Bool(true), aws.Bool(true)
	}
	if validation {
		in.EnableLogFileValidation = aws.Bool(true)
	}
	if _, err := c.CloudTrail.UpdateTrail(ctx, in); err != nil {
		return fmt.Errorf("update trail %s: %w", d.Trail, err)
	}
	return nil
}

func (cloudTrailRestoreConfig) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*trailConfigPlan](p)
	if err != nil {
		return err
	}
	if c.CloudTrail == nil {
		return missing("CloudTrail")
	}
	tr, err := getTrail(ctx, c.CloudTrail, d.Trail)
	if err != nil {
		return err
	}
	var off []string
	if multi, validation := trailGaps(tr, d.MultiRegion, d.Validation); multi || validation {
		if multi {
			off = append(off, "multi-region")
		}
		if validation {
			off = append(off, "log file validation")
		}
		return fmt.Errorf("%w: trail %s still lacks %s", ErrVerify, d.Trail, strings.Join(off, " and "))
	}
	return nil
}

// Undo turns off what Apply turned on.
func (cloudTrailRestoreConfig) Undo(p Plan) string {
	d, err := planData[*trailConfigPlan](p)
	if err != nil || (!d.MultiRegion && !d.Validation) {
		return ""
	}
	words := []string{"cloudtrail", "update-trail", "--name", d.Trail}
	if d.MultiRegion {
		words = append(words, "--no-is-multi-region-trail")
	}
	if d.Validation {
		words = append(words, "--no-enable-log-file-validation")
	}
	return cli(withRegion(words, p.Target.Region)...)
}
