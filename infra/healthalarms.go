package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/metrics"
)

// healthAlarmPeriodMinutes is the evaluation period of the health alarms: the
// shortest period standard Lambda and SQS metrics are published at.
const healthAlarmPeriodMinutes = 1

// NamedFunction is a function with its logical name (notifier, …).
type NamedFunction struct {
	// Name prefixes the alarms' construct ids.
	Name string
	// Function is watched for errors and throttles.
	Function awslambda.IFunction
}

// NamedQueue is a dead-letter queue with a name for its alarm.
type NamedQueue struct {
	// Name prefixes the alarm's construct id.
	Name string
	// Queue is watched for visible messages.
	Queue awssqs.IQueue
}

// HealthAlarmsProps configure the HealthAlarms.
type HealthAlarmsProps struct {
	// Functions get an Errors and a Throttles alarm each.
	Functions []NamedFunction
	// Queues get a "messages visible" alarm each.
	Queues []NamedQueue
	// Topic receives ALARM and OK notifications.
	Topic awssns.ITopic
	// Heartbeat, when set, adds an alarm on the sweeper heartbeat's absence.
	Heartbeat *HeartbeatAlarmProps
	// Audited are the functions (notifier, detector) that count the audit
	// records they failed to write; each gets an alarm on that count.
	Audited []string
}

// AuditWriteErrorsMetric is the EMF metric (Watchkeeper namespace, dimension
// Function) the notifier and the detector emit when an audit record could not
// be written (dispatch.AuditMetric, detect.AuditMetric).
const AuditWriteErrorsMetric = "AuditWriteErrors"

// HealthAlarms watch the suite itself: any function error or throttle and
// any message parked in a dead-letter queue.
type HealthAlarms struct {
	// Alarms in creation order.
	Alarms []awscloudwatch.Alarm
}

// NewHealthAlarms creates the alarms, all notifying Topic on ALARM and OK.
func NewHealthAlarms(scope constructs.Construct, id string, props *HealthAlarmsProps) *HealthAlarms {
	c := constructs.NewConstruct(scope, jsii.String(id))
	h := &HealthAlarms{}
	period := &awscloudwatch.MetricOptions{Period: awscdk.Duration_Minutes(jsii.Number(healthAlarmPeriodMinutes))}
	action := awscloudwatchactions.NewSnsAction(props.Topic)
	add := func(id, description string, metric awscloudwatch.IMetric) {
		a := awscloudwatch.NewAlarm(c, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(0),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		h.Alarms = append(h.Alarms, a)
	}
	for _, f := range props.Functions {
		add(f.Name+"Errors", "Watchkeeper "+f.Name+" function reported errors", f.Function.MetricErrors(period))
		add(f.Name+"Throttles", "Watchkeeper "+f.Name+" function was throttled", f.Function.MetricThrottles(period))
	}
	for _, q := range props.Queues {
		add(q.Name+"Messages", "Watchkeeper dead-letter queue "+q.Name+" holds undelivered events",
			q.Queue.MetricApproximateNumberOfMessagesVisible(period))
	}
	for _, fn := range props.Audited {
		add(constructID(fn)+"AuditWriteErrors", "Watchkeeper "+fn+" could not write audit records (the weekly digest and wk audit miss them)",
			awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace:     jsii.String(metrics.Namespace),
				MetricName:    jsii.String(AuditWriteErrorsMetric),
				DimensionsMap: &map[string]*string{"Function": jsii.String(fn)},
				Statistic:     jsii.String("Sum"),
				Period:        period.Period,
			}))
	}
	if props.Heartbeat != nil {
		a := newHeartbeatAlarm(c, "SweeperHeartbeat", props.Heartbeat)
		a.AddAlarmAction(action)
		a.AddOkAction(action)
		h.Alarms = append(h.Alarms, a)
	}
	return h
}
