package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
)

// CISMetricNamespace is the CloudWatch namespace of the CIS metric filters.
const CISMetricNamespace = config.CISMetricNamespace

// The CIS monitoring controls' alarm: at least one matching record in five
// minutes. https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html
const (
	cisAlarmPeriodSeconds = 300
	cisAlarmThreshold     = 1
)

// securityHubControlDocs is the page documenting the Security Hub
// CloudWatch.x controls; each control has an anchor "#cloudwatch-x".
const securityHubControlDocs = "https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html"

// CISMetricsProps configure the CISMetrics.
type CISMetricsProps struct {
	// LogGroup is the trail's log group.
	LogGroup awslogs.ILogGroup
	// Topic receives ALARM and OK notifications.
	Topic awssns.ITopic
	// Namespace of the metrics; empty means CISMetricNamespace.
	Namespace string
}

// CISMetrics deploys the cis pack's rules the way the CIS AWS Foundations
// Benchmark asks for them (section 4, Security Hub CloudWatch.1-14): a metric
// filter on the trail's log group with the very pattern the detector runs,
// and an alarm on its count that notifies the alarm topic.
type CISMetrics struct {
	// MetricFilters, one per control, in pack order.
	MetricFilters []awslogs.MetricFilter
	// Alarms, one per metric filter.
	Alarms []awscloudwatch.Alarm
}

// NewCISMetrics creates a metric filter and an alarm for every rule of the
// built-in cis pack, read from the pack itself so the deployed pattern text
// cannot drift from the detector's.
func NewCISMetrics(scope constructs.Construct, id string, props *CISMetricsProps) (*CISMetrics, error) {
	pack, err := packs.Load(config.PackCIS)
	if err != nil {
		return nil, fmt.Errorf("cis metric filters: %w", err)
	}
	namespace := props.Namespace
	if namespace == "" {
		namespace = CISMetricNamespace
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	action := awscloudwatchactions.NewSnsAction(props.Topic)
	m := &CISMetrics{}
	for _, r := range pack.Rules {
		desc, err := alarmDescription(cisAlarmText(r), r.Severity, cisRunbook(r))
		if err != nil {
			return nil, fmt.Errorf("cis metric filters: %s: %w", r.ID, err)
		}
		cid := "Control" + strings.ReplaceAll(r.Control, ".", "_")
		filter := awslogs.NewMetricFilter(c, jsii.String(cid+"Filter"), &awslogs.MetricFilterProps{
			LogGroup:        props.LogGroup,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(r.Pattern)),
			MetricNamespace: jsii.String(namespace),
			MetricName:      jsii.String(r.ID),
			MetricValue:     jsii.String("1"),
			// Zero when nothing matches keeps the metric continuous, so the
			// alarm returns to OK instead of staying on the last count.
			DefaultValue: jsii.Number(0),
		})
		alarm := awscloudwatch.NewAlarm(c, jsii.String(cid+"Alarm"), &awscloudwatch.AlarmProps{
			AlarmDescription: jsii.String(desc),
			Metric: filter.Metric(&awscloudwatch.MetricOptions{
				Statistic: jsii.String("Sum"),
				Period:    awscdk.Duration_Seconds(jsii.Number(cisAlarmPeriodSeconds)),
			}),
			Threshold:          jsii.Number(cisAlarmThreshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
		m.MetricFilters = append(m.MetricFilters, filter)
		m.Alarms = append(m.Alarms, alarm)
	}
	return m, nil
}

// cisAlarmText opens an alarm's description: the control, its Security Hub
// id, the rule's title and explanation.
func cisAlarmText(r packs.Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CIS AWS Foundations Benchmark %s", r.Control)
	if r.SecurityHub != "" {
		fmt.Fprintf(&b, " (Security Hub %s)", r.SecurityHub)
	}
	fmt.Fprintf(&b, ": %s.\n%s", r.Title, strings.TrimSpace(r.Description))
	return b.String()
}

// cisRunbook links the Security Hub control's documentation, or nothing for
// a control Security Hub does not check.
func cisRunbook(r packs.Rule) string {
	n, ok := strings.CutPrefix(r.SecurityHub, "CloudWatch.")
	if !ok || n == "" {
		return ""
	}
	return securityHubControlDocs + "#cloudwatch-" + n
}
