package remediate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// guardDutyEnableDetector turns GuardDuty back on in a region after a
// DeleteDetector, or an UpdateDetector that disabled it. GuardDuty allows
// one detector per account and region, so the action enables the one there
// is, or creates one when there is none.
// https://docs.aws.amazon.com/guardduty/latest/APIReference/API_CreateDetector.html
type guardDutyEnableDetector struct{}

// detectorPlan is guardduty-enable-detector's Plan.Data.
type detectorPlan struct {
	// Detector is the one to enable; "" means create one.
	Detector string
	// Created is the detector Apply created, for Undo.
	Created string
}

func (guardDutyEnableDetector) Name() string { return "guardduty-enable-detector" }

func (guardDutyEnableDetector) Schema() ParamSchema { return ParamSchema{} }

func (guardDutyEnableDetector) Permissions() []string {
	return []string{"guardduty:ListDetectors", "guardduty:GetDetector", "guardduty:CreateDetector", "guardduty:UpdateDetector"}
}

func (guardDutyEnableDetector) Example() string {
	return `remediation:
  rules:
    - name: keep-guardduty-on
      matchers: ['event_source=guardduty.amazonaws.com', 'event_name=DeleteDetector']
      action: guardduty-enable-detector
      mode: enforce
`
}

// requestBool reads a boolean at requestParameters.<key>.
func requestBool(a alert.Alert, key string) (value, ok bool) {
	if a.Record == nil || len(a.Record.RequestParameters) == 0 {
		return false, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(a.Record.RequestParameters, &m) != nil {
		return false, false
	}
	if json.Unmarshal(m[key], &value) != nil || m[key] == nil {
		return false, false
	}
	return value, true
}

// Target takes the detector from requestParameters.detectorId of
// DeleteDetector, or of UpdateDetector with enable false. The detector
// may be gone; the region is what matters.
func (guardDutyEnableDetector) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::GuardDuty::Detector", Region: regionOf(a), Account: accountOf(a)}
	id := requestParam(a, "detectorId")
	switch {
	case id == "":
	case fromEvent(a, "guardduty.amazonaws.com", "DeleteDetector"):
		t.ID, t.From = id, fromRequest+"detectorId"
	case fromEvent(a, "guardduty.amazonaws.com", "UpdateDetector"):
		if on, ok := requestBool(a, "enable"); ok && !on {
			t.ID, t.From = id, fromRequest+"detectorId"
		}
	}
	if t.ID == "" {
		return Target{}, noTarget("GuardDuty detector", "requestParameters.detectorId of DeleteDetector or UpdateDetector with enable false")
	}
	return t, nil
}

// regionDetector returns the region's detector and whether it is enabled;
// "" when there is none.
func regionDetector(ctx context.Context, c GuardDutyAPI) (id string, enabled bool, tags map[string]string, err error) {
	out, err := c.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		return "", false, nil, fmt.Errorf("list GuardDuty detectors: %w", err)
	}
	if len(out.DetectorIds) == 0 {
		return "", false, map[string]string{}, nil
	}
	id = out.DetectorIds[0]
	d, err := c.GetDetector(ctx, &guardduty.GetDetectorInput{DetectorId: aws.String(id)})
	if err != nil {
		return "", false, nil, fmt.Errorf("get GuardDuty detector %s: %w", id, err)
	}
	tags = d.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return id, d.Status == gdtypes.DetectorStatusEnabled, tags, nil
}

func (g guardDutyEnableDetector) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.GuardDuty == nil {
		return Plan{}, missing("GuardDuty")
	}
	id, on, tags, err := regionDetector(ctx, c.GuardDuty)
	if err != nil {
		return Plan{}, err
	}
	d := &detectorPlan{Detector: id}
	plan := Plan{Action: g.Name(), Target: t, Data: d, Tags: tags, TagsRead: true}
	switch {
	case on:
		plan.Summary = "GuardDuty detector " + id + " is enabled"
	case id != "":
		plan.Summary = "enable GuardDuty detector " + id
		plan.Changes = []string{plan.Summary}
	default:
		plan.Summary = "create an enabled GuardDuty detector (" + t.ID + " is gone)"
		plan.Changes = []string{plan.Summary}
	}
	return plan, nil
}

func (guardDutyEnableDetector) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*detectorPlan](p)
	if err != nil {
		return err
	}
	if c.GuardDuty == nil {
		return missing("GuardDuty")
	}
	id, on, _, err := regionDetector(ctx, c.GuardDuty)
	if err != nil || on {
		return err
	}
	if id != "" {
		if _, err := c.GuardDuty.UpdateDetector(ctx, &guardduty.UpdateDetectorInput{DetectorId: aws.String(id), Enable: aws.Bool(true)}); err != nil {
			return fmt.Errorf("enable GuardDuty detector %s: %w", id, err)
		}
		return nil
	}
	out, err := c.GuardDuty.CreateDetector(ctx, &guardduty.CreateDetectorInput{
		Enable: aws.Bool(true), Tags: map[string]string{"watchkeeper:created-by": "guardduty-enable-detector"},
	})
	if err != nil {
		return fmt.Errorf("create GuardDuty detector: %w", err)
	}
	d.Created = aws.ToString(out.DetectorId)
	return nil
}

func (guardDutyEnableDetector) Verify(ctx context.Context, c Clients, p Plan) error {
	if _, err := planData[*detectorPlan](p); err != nil {
		return err
	}
	if c.GuardDuty == nil {
		return missing("GuardDuty")
	}
	id, on, _, err := regionDetector(ctx, c.GuardDuty)
	if err != nil {
		return err
	}
	if !on {
		return fmt.Errorf("%w: no enabled GuardDuty detector (found %q)", ErrVerify, id)
	}
	return nil
}

// Undo disables the detector it enabled, or deletes the one it created.
func (guardDutyEnableDetector) Undo(p Plan) string {
	d, err := planData[*detectorPlan](p)
	if err != nil {
		return ""
	}
	switch {
	case d.Created != "":
		return cli(withRegion([]string{"guardduty", "delete-detector", "--detector-id", d.Created}, p.Target.Region)...)
	case d.Detector != "":
		return cli(withRegion([]string{"guardduty", "update-detector", "--detector-id", d.Detector, "--no-enable"}, p.Target.Region)...)
	}
	return ""
}

// configStartRecorder restarts an AWS Config configuration recorder that
// StopConfigurationRecorder stopped (CIS AWS Foundations 3.3: Config is
// enabled in all regions).
type configStartRecorder struct{}

// recorderPlan is config-start-recorder's Plan.Data.
type recorderPlan struct{ Recorder string }

func (configStartRecorder) Name() string { return "config-start-recorder" }

func (configStartRecorder) Schema() ParamSchema { return ParamSchema{} }

func (configStartRecorder) Permissions() []string {
	return []string{"config:DescribeConfigurationRecorderStatus", "config:StartConfigurationRecorder"}
}

func (configStartRecorder) Example() string {
	return `remediation:
  rules:
    - name: keep-config-recording
      matchers: ['event_name=StopConfigurationRecorder']
      action: config-start-recorder
      mode: enforce
`
}

// Target takes the recorder from requestParameters.configurationRecorderName
// of StopConfigurationRecorder.
func (configStartRecorder) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::Config::ConfigurationRecorder", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "config.amazonaws.com", "StopConfigurationRecorder") {
		if n := requestParam(a, "configurationRecorderName"); n != "" {
			t.ID, t.From = n, fromRequest+"configurationRecorderName"
			return t, nil
		}
	}
	return Target{}, noTarget("Config recorder", "requestParameters.configurationRecorderName of StopConfigurationRecorder")
}

func recorderRecording(ctx context.Context, c ConfigAPI, name string) (bool, error) {
	out, err := c.DescribeConfigurationRecorderStatus(ctx, &configservice.DescribeConfigurationRecorderStatusInput{
		ConfigurationRecorderNames: []string{name},
	})
	if err != nil {
		return false, fmt.Errorf("describe status of configuration recorder %s: %w", name, err)
	}
	for _, s := range out.ConfigurationRecordersStatus {
		if aws.ToString(s.Name) == name {
			return s.Recording, nil
		}
	}
	return false, fmt.Errorf("describe status of configuration recorder %s: not found", name)
}

func (r configStartRecorder) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.Config == nil {
		return Plan{}, missing("Config")
	}
	on, err := recorderRecording(ctx, c.Config, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: r.Name(), Target: t, Data: &recorderPlan{Recorder: t.ID}}
	if on {
		plan.Summary = "configuration recorder " + t.ID + " is recording"
		return plan, nil
	}
	plan.Summary = "start configuration recorder " + t.ID
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (configStartRecorder) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*recorderPlan](p)
	if err != nil {
		return err
	}
	if c.Config == nil {
		return missing("Config")
	}
	on, err := recorderRecording(ctx, c.Config, d.Recorder)
	if err != nil || on {
		return err
	}
	if _, err := c.Config.StartConfigurationRecorder(ctx, &configservice.StartConfigurationRecorderInput{
		ConfigurationRecorderName: aws.String(d.Recorder),
	}); err != nil {
		return fmt.Errorf("start configuration recorder %s: %w", d.Recorder, err)
	}
	return nil
}

func (configStartRecorder) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*recorderPlan](p)
	if err != nil {
		return err
	}
	if c.Config == nil {
		return missing("Config")
	}
	on, err := recorderRecording(ctx, c.Config, d.Recorder)
	if err != nil {
		return err
	}
	if !on {
		return fmt.Errorf("%w: configuration recorder %s is not recording", ErrVerify, d.Recorder)
	}
	return nil
}

func (configStartRecorder) Undo(p Plan) string {
	d, err := planData[*recorderPlan](p)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"configservice", "stop-configuration-recorder", "--configuration-recorder-name", d.Recorder},
		p.Target.Region)...)
}
