package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// ec2Actions maps the config's ec2_action to the CDK alarm action.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/UsingAlarmActions.html
var ec2Actions = map[string]awscloudwatchactions.Ec2InstanceAction{
	config.EC2ActionRecover:   awscloudwatchactions.Ec2InstanceAction_RECOVER,
	config.EC2ActionReboot:    awscloudwatchactions.Ec2InstanceAction_REBOOT,
	config.EC2ActionStop:      awscloudwatchactions.Ec2InstanceAction_STOP,
	config.EC2ActionTerminate: awscloudwatchactions.Ec2InstanceAction_TERMINATE,
}

// alarmMetric is the metric a configured alarm watches: its one metric, or,
// for a metric math alarm, the query that returns data (the exact queries
// replace it in the template, see mathQueries).
func alarmMetric(m config.MetricAlarm) awscloudwatch.IMetric {
	period := awscdk.Duration_Seconds(jsii.Number(m.PeriodSeconds))
	if len(m.Metrics) == 0 {
		return queryMetric(m.Namespace, m.Metric, m.Dimensions, m.Statistic, period)
	}
	using := map[string]awscloudwatch.IMetric{}
	var ret config.MetricQuery
	for _, q := range m.Metrics {
		if q.ReturnData {
			ret = q
		}
		if q.Expression == "" {
			using[q.ID] = queryMetric(q.Namespace, q.Metric, q.Dimensions, firstSet(q.Statistic, m.Statistic), period)
		}
	}
	if ret.Expression == "" {
		return using[ret.ID]
	}
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(ret.Expression),
		UsingMetrics: &using,
		Period:       period,
	})
}

func queryMetric(namespace, name string, dimensions map[string]string, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	dims := make(map[string]*string, len(dimensions))
	for k, v := range dimensions {
		dims[k] = jsii.String(v)
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(namespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &dims,
		// The metric parses the statistic: p99, tm90 and the like become an ExtendedStatistic.
		Statistic: jsii.String(alert.NormalizeStatistic(statistic)),
		Period:    period,
	})
}

func firstSet(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// mathQueries are a metric math alarm's queries exactly as configured (ids,
// expressions, labels, which one returns data), as the template's Metrics.
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-cloudwatch-alarm-metricdataquery.html
func mathQueries(m config.MetricAlarm) []any {
	out := make([]any, 0, len(m.Metrics))
	for _, q := range m.Metrics {
		e := map[string]any{"Id": q.ID, "ReturnData": q.ReturnData}
		if q.Label != "" {
			e["Label"] = q.Label
		}
		if q.Expression != "" {
			e["Expression"] = q.Expression
			e["Period"] = m.PeriodSeconds
		} else {
			dims := make([]any, 0, len(q.Dimensions))
			for _, k := range slices.Sorted(maps.Keys(q.Dimensions)) {
				dims = append(dims, map[string]any{"Name": k, "Value": q.Dimensions[k]})
			}
			metric := map[string]any{"Namespace": q.Namespace, "MetricName": q.Metric}
			if len(dims) > 0 {
				metric["Dimensions"] = dims
			}
			e["MetricStat"] = map[string]any{
				"Metric": metric,
				"Period": m.PeriodSeconds,
				"Stat":   alert.NormalizeStatistic(firstSet(q.Statistic, m.Statistic)),
			}
		}
		out = append(out, e)
	}
	return out
}

// addMetricAlarm creates a configured metric alarm with its actions: the
// topic on ALARM, on OK unless ok_actions is false and on INSUFFICIENT_DATA
// when asked; an EC2 action; its tags.
func addMetricAlarm(c constructs.Construct, id string, p *awscloudwatch.AlarmProps, m config.MetricAlarm, topicAction awscloudwatch.IAlarmAction, a *Alarms) error {
	var ec2Action awscloudwatch.IAlarmAction
	if m.EC2Action != "" {
		act, ok := ec2Actions[m.EC2Action]
		if !ok {
			return fmt.Errorf("unknown ec2_action %q", m.EC2Action)
		}
		ec2Action = awscloudwatchactions.NewEc2Action(act)
	}
	alarm := awscloudwatch.NewAlarm(c, jsii.String(id), p)
	alarm.AddAlarmAction(topicAction)
	if ec2Action != nil {
		alarm.AddAlarmAction(ec2Action)
	}
	if m.OKActions == nil || *m.OKActions {
		alarm.AddOkAction(topicAction)
	}
	if m.InsufficientDataActions {
		alarm.AddInsufficientDataAction(topicAction)
	}
	if len(m.Metrics) > 0 {
		cfn := alarm.Node().DefaultChild().(awscloudwatch.CfnAlarm)
		for _, prop := range []string{"Namespace", "MetricName", "Dimensions", "Statistic", "ExtendedStatistic", "Period", "Unit"} {
			cfn.AddPropertyDeletionOverride(jsii.String(prop))
		}
		cfn.AddPropertyOverride(jsii.String("Metrics"), mathQueries(m))
	}
	tagAlarm(alarm, m.Tags)
	tagRunbook(alarm, m.Runbook, m.Tags)
	a.Alarms = append(a.Alarms, alarm)
	return nil
}

func tagAlarm(scope constructs.IConstruct, tags map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		awscdk.Tags_Of(scope).Add(jsii.String(k), jsii.String(tags[k]), nil)
	}
}

// addCompositeAlarms creates the composite alarms, each after the alarms its
// rule names, notifying the topic on ALARM and OK.
func addCompositeAlarms(c constructs.Construct, composite []config.CompositeAlarm, action awscloudwatch.IAlarmAction, a *Alarms) []error {
	var errs []error
	byName := map[string]constructs.IConstruct{}
	for _, al := range a.Alarms {
		byName[*al.Node().Id()] = al
	}
	for i, ca := range composite {
		desc, err := alarmDescription(ca.Description, ca.Severity, ca.Runbook)
		if err == nil {
			_, err = config.ParseAlarmRule(ca.Rule)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("alarms.composite[%d] (%s): %w", i, ca.Name, err))
			continue
		}
		comp := awscloudwatch.NewCompositeAlarm(c, jsii.String("Composite"+constructID(ca.Name)), &awscloudwatch.CompositeAlarmProps{
			CompositeAlarmName: jsii.String(ca.Name),
			AlarmDescription:   jsii.String(desc),
			AlarmRule:          awscloudwatch.AlarmRule_FromString(jsii.String(ca.Rule)),
		})
		comp.AddAlarmAction(action)
		comp.AddOkAction(action)
		// The rule names alarms by name only; CloudFormation must create them first.
		refs, _ := config.ParseAlarmRule(ca.Rule)
		for _, r := range refs {
			for _, prefix := range []string{"Metric", "Log", "Composite"} {
				if dep, ok := byName[prefix+constructID(r)]; ok {
					comp.Node().AddDependency(dep)
				}
			}
		}
		tagAlarm(comp, ca.Tags)
		tagRunbook(comp, ca.Runbook, ca.Tags)
		byName["Composite"+constructID(ca.Name)] = comp
		a.Composite = append(a.Composite, comp)
	}
	if len(errs) == 0 {
		return nil
	}
	return []error{errors.Join(errs...)}
}
