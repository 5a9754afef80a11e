package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// EventPreset is a ready-made EventBridge pattern that an `events:` entry
// names instead of writing the pattern itself.
type EventPreset struct {
	// Description says what the rule catches; it becomes the rule's description.
	Description string
	// Pattern is the event pattern as JSON, exactly as EventBridge takes it.
	Pattern string
	// Doc links the service's page describing the event.
	Doc string
	// severity, when set, rewrites the pattern for an event rule's
	// min_severity (guardduty, securityhub).
	severity func(min string) (pattern, description string)
}

// eventPresets are the presets by name. Patterns are written as JSON so they
// read like the AWS documentation and reach the template verbatim.
var eventPresets = map[string]EventPreset{
	"codebuild-failed": {
		Description: "CodeBuild builds that failed or were stopped",
		Pattern: `{"source":["aws.codebuild"],"detail-type":["CodeBuild Build State Change"],` +
			`"detail":{"build-status":["FAILED","STOPPED"]}}`,
		Doc: "https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html",
	},
	"codepipeline-failed": {
		Description: "CodePipeline executions that failed",
		Pattern: `{"source":["aws.codepipeline"],"detail-type":["CodePipeline Pipeline Execution State Change"],` +
			`"detail":{"state":["FAILED"]}}`,
		Doc: "https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html",
	},
	"asg-launch-failed": {
		Description: "Auto Scaling instance launches that failed",
		Pattern:     `{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Launch Unsuccessful"]}`,
		Doc:         "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html",
	},
	"asg-terminate-failed": {
		Description: "Auto Scaling instance terminations that failed",
		Pattern:     `{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Terminate Unsuccessful"]}`,
		Doc:         "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html",
	},
	"asg-launch": {
		Description: "Auto Scaling instance launches",
		Pattern:     `{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Launch Successful"]}`,
		Doc:         "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html",
	},
	"asg-terminate": {
		Description: "Auto Scaling instance terminations",
		Pattern:     `{"source":["aws.autoscaling"],"detail-type":["EC2 Instance Terminate Successful"]}`,
		Doc:         "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-event-reference.html",
	},
	"ec2-state-change": {
		Description: "EC2 instance state changes",
		Pattern:     `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"]}`,
		Doc:         "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html",
	},
	// Numeric matching keeps the severities at or above the minimum (see
	// guardDutySeverity).
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html#eb-filtering-numeric-matching
	config.PresetGuardDuty: {
		Description: "GuardDuty findings of medium severity (4) and above",
		Pattern:     guardDutyPattern(guardDutySeverity["medium"]),
		Doc:         "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html",
		severity: func(min string) (string, string) {
			return guardDutyPattern(guardDutySeverity[min]),
				fmt.Sprintf("GuardDuty findings of %s severity (%g) and above", min, guardDutySeverity[min])
		},
	},
	config.PresetSecurityHub: {
		Description: "New Security Hub findings of HIGH or CRITICAL severity",
		Pattern:     securityHubPattern("high"),
		Doc:         "https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-cwe-integration-types.html",
		severity: func(min string) (string, string) {
			labels := securityHubLabels(min)
			return securityHubPattern(min), "New Security Hub findings of " + strings.Join(labels, ", ") + " severity"
		},
	},
	"health": {
		Description: "AWS Health events about this account",
		Pattern:     `{"source":["aws.health"],"detail-type":["AWS Health Event"]}`,
		Doc:         "https://docs.aws.amazon.com/health/latest/ug/cloudwatch-events-health.html",
	},
}

// guardDutySeverity is where each min_severity starts on GuardDuty's scale:
// 1–3.9 low, 4–6.9 medium, 7–8.9 high, 9 and above critical.
// https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html
var guardDutySeverity = map[string]float64{"low": 1, "medium": 4, "high": 7, "critical": 9}

func guardDutyPattern(min float64) string {
	return fmt.Sprintf(`{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],`+
		`"detail":{"severity":[{"numeric":[">=",%g]}]}}`, min)
}

// securityHubLabels are the ASFF severity labels at or above min.
// https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html#Severity
func securityHubLabels(min string) []string {
	all := config.EventSeverities()
	i := slices.Index(all, min)
	labels := make([]string, 0, len(all)-i)
	for _, l := range all[i:] {
		labels = append(labels, strings.ToUpper(l))
	}
	return labels
}

func securityHubPattern(min string) string {
	labels, _ := json.Marshal(securityHubLabels(min))
	return `{"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"],` +
		`"detail":{"findings":{"Severity":{"Label":` + string(labels) + `},"Workflow":{"Status":["NEW"]}}}}`
}

// WithMinSeverity returns the preset narrowed (or widened) to findings of
// severity min and above; "" keeps the preset's default. A preset without
// severities refuses a min.
func (p EventPreset) WithMinSeverity(min string) (EventPreset, error) {
	if min == "" {
		return p, nil
	}
	if p.severity == nil {
		return p, fmt.Errorf("min_severity applies only to the %s and %s presets", config.PresetGuardDuty, config.PresetSecurityHub)
	}
	if !slices.Contains(config.EventSeverities(), min) {
		return p, fmt.Errorf("unknown min_severity %q (valid: %s)", min, strings.Join(config.EventSeverities(), ", "))
	}
	p.Pattern, p.Description = p.severity(min)
	return p, nil
}

// EventPresetNames lists the preset names in order.
func EventPresetNames() []string {
	return slices.Sorted(maps.Keys(eventPresets))
}

// LookupEventPreset returns the named preset; an unknown name is an error
// listing the valid ones.
func LookupEventPreset(name string) (EventPreset, error) {
	p, ok := eventPresets[name]
	if !ok {
		return EventPreset{}, fmt.Errorf("unknown event preset %q (valid: %s)", name, strings.Join(EventPresetNames(), ", "))
	}
	return p, nil
}

// PatternMap decodes the preset's pattern for the template.
func (p EventPreset) PatternMap() (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal([]byte(p.Pattern), &m); err != nil {
		return nil, fmt.Errorf("decode preset pattern: %w", err)
	}
	return m, nil
}
