package main

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// LogMetricNamespace is the CloudWatch namespace of the metrics the log
// alarms' metric filters publish, one metric per alarm, named after it.
const LogMetricNamespace = config.LogMetricNamespace

// maxAlarmDescription is the longest AlarmDescription CloudWatch accepts.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
const maxAlarmDescription = config.MaxAlarmDescriptionLength

// comparisonOperators maps CloudWatch's ComparisonOperator names (what the
// config holds after normalization) to the CDK enum, whose members are named differently.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
var comparisonOperators = map[string]awscloudwatch.ComparisonOperator{
	"GreaterThanThreshold":          awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
	"GreaterThanOrEqualToThreshold": awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
	"LessThanThreshold":             awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
	"LessThanOrEqualToThreshold":    awscloudwatch.ComparisonOperator_LESS_THAN_OR_EQUAL_TO_THRESHOLD,
}

// missingData maps CloudWatch's TreatMissingData values to the CDK enum.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
var missingData = map[string]awscloudwatch.TreatMissingData{
	"missing":      awscloudwatch.TreatMissingData_MISSING,
	"notBreaching": awscloudwatch.TreatMissingData_NOT_BREACHING,
	"breaching":    awscloudwatch.TreatMissingData_BREACHING,
	"ignore":       awscloudwatch.TreatMissingData_IGNORE,
}

// AlarmsProps configure the configured metric and log alarms.
type AlarmsProps struct {
	// Metric are the config's alarms.metric entries (normalized: long comparison names, defaults applied).
	Metric []config.MetricAlarm
	// Log are the config's alarms.log entries.
	Log []config.LogAlarm
	// Topic receives ALARM and OK notifications.
	Topic awssns.ITopic
	// Namespace of the log alarms' metrics; empty means LogMetricNamespace.
	Namespace string
	// Composite are the config's alarms.composite entries.
	Composite []config.CompositeAlarm
}

// Alarms are the alarms the config asks for. Each is named exactly as
// configured, so runbooks and remediation matchers (alarm="web-cpu-high")
// can rely on the name, and its description carries the severity marker
// and runbook the notifier reads.
type Alarms struct {
	// Alarms in config order: metric alarms, then log alarms.
	Alarms []awscloudwatch.Alarm
	// MetricFilters of the log alarms, in config order.
	MetricFilters []awslogs.MetricFilter
	// Composite alarms in config order.
	Composite []awscloudwatch.CompositeAlarm
}

// NewAlarms creates the metric alarms and, for each log alarm, a metric
// filter on the existing log group plus an alarm on its count; every alarm
// notifies Topic on ALARM and OK.
func NewAlarms(scope constructs.Construct, id string, props *AlarmsProps) (*Alarms, error) {
	a := &Alarms{}
	if len(props.Metric)+len(props.Log)+len(props.Composite) == 0 {
		return a, nil
	}
	namespace := props.Namespace
	if namespace == "" {
		namespace = LogMetricNamespace
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	action := awscloudwatchactions.NewSnsAction(props.Topic)
	var errs []error
	add := func(id string, p *awscloudwatch.AlarmProps) {
		alarm := awscloudwatch.NewAlarm(c, jsii.String(id), p)
		alarm.AddAlarmAction(action)
		alarm.AddOkAction(action)
		a.Alarms = append(a.Alarms, alarm)
	}

	for i, m := range props.Metric {
		desc, err := alarmDescription(m.Description, m.Severity, m.Runbook)
		if err != nil {
			errs = append(errs, fmt.Errorf("alarms.metric[%d] (%s): %w", i, m.Name, err))
			continue
		}
		comparison, ok := comparisonOperators[m.Comparison]
		if !ok {
			errs = append(errs, fmt.Errorf("alarms.metric[%d] (%s): unknown comparison %q", i, m.Name, m.Comparison))
			continue
		}
		missing, ok := missingData[m.TreatMissingData]
		if !ok {
			errs = append(errs, fmt.Errorf("alarms.metric[%d] (%s): unknown treat_missing_data %q", i, m.Name, m.TreatMissingData))
			continue
		}
		metric := alarmMetric(m)
		p := &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(m.Name),
			AlarmDescription:   jsii.String(desc),
			Metric:             metric,
			Threshold:          jsii.Number(m.Threshold),
			ComparisonOperator: comparison,
			EvaluationPeriods:  jsii.Number(m.EvaluationPeriods),
			TreatMissingData:   missing,
		}
		if m.DatapointsToAlarm > 0 {
			p.DatapointsToAlarm = jsii.Number(m.DatapointsToAlarm)
		}
		if err := addMetricAlarm(c, "Metric"+constructID(m.Name), p, m, action, a); err != nil {
			errs = append(errs, fmt.Errorf("alarms.metric[%d] (%s): %w", i, m.Name, err))
		}
	}

	groups := map[string]awslogs.ILogGroup{}
	for i, l := range props.Log {
		desc, err := alarmDescription(l.Description, l.Severity, l.Runbook)
		if err != nil {
			errs = append(errs, fmt.Errorf("alarms.log[%d] (%s): %w", i, l.Name, err))
			continue
		}
		group, ok := groups[l.LogGroup]
		if !ok {
			group = awslogs.LogGroup_FromLogGroupName(c, jsii.String(fmt.Sprintf("LogGroup%d", len(groups))), jsii.String(l.LogGroup))
			groups[l.LogGroup] = group
		}
		filter := awslogs.NewMetricFilter(c, jsii.String("Filter"+constructID(l.Name)), &awslogs.MetricFilterProps{
			LogGroup:        group,
			FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(l.Pattern)),
			MetricNamespace: jsii.String(namespace),
			MetricName:      jsii.String(l.Name),
			MetricValue:     jsii.String("1"),
			// Zero when nothing matches keeps the metric continuous, so the
			// alarm returns to OK instead of staying on the last count.
			DefaultValue: jsii.Number(0),
		})
		a.MetricFilters = append(a.MetricFilters, filter)
		add("Log"+constructID(l.Name), &awscloudwatch.AlarmProps{
			AlarmName:        jsii.String(l.Name),
			AlarmDescription: jsii.String(desc),
			Metric: filter.Metric(&awscloudwatch.MetricOptions{
				Statistic: jsii.String("Sum"),
				Period:    awscdk.Duration_Seconds(jsii.Number(l.PeriodSeconds)),
			}),
			Threshold:          jsii.Number(l.Threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			EvaluationPeriods:  jsii.Number(l.EvaluationPeriods),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		tagRunbook(a.Alarms[len(a.Alarms)-1], l.Runbook, nil)
	}
	errs = append(errs, addCompositeAlarms(c, props.Composite, action, a)...)
	return a, errors.Join(errs...)
}

// alarmDescription is the configured description followed by the lines the
// notifier reads back from an alarm: "severity: <sev>" (alert.SeverityFromText)
// and "runbook: <url>". A description too long to leave room for them is
// shortened, never the markers. A description that itself names another
// severity first would win over the marker, so it is an error.
func alarmDescription(description, severity, runbook string) (string, error) {
	sev := alert.NormalizeSeverity(severity)
	if sev == "" {
		return "", fmt.Errorf("unknown severity %q", severity)
	}
	suffix := "severity: " + sev
	if runbook != "" {
		suffix += "\nrunbook: " + runbook
	}
	description = strings.TrimSpace(description)
	if description == "" {
		return suffix, nil
	}
	room := maxAlarmDescription - utf8.RuneCountInString(suffix) - 1 // the newline between
	if room < 1 {
		return "", fmt.Errorf("severity and runbook need %d characters, more than the %d an alarm description holds",
			utf8.RuneCountInString(suffix), maxAlarmDescription)
	}
	if utf8.RuneCountInString(description) > room {
		description = string([]rune(description)[:room-1]) + "…"
	}
	// Checked after shortening, which can turn "severity: lowest" into "severity: low…".
	if got := alert.SeverityFromText(description); got != "" && got != sev {
		return "", fmt.Errorf("description names severity %q, which would override the configured %q", got, sev)
	}
	return description + "\n" + suffix, nil
}
