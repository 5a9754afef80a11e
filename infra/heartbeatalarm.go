package main

import (
	"regexp"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// Bounds of the heartbeat alarm's period: CloudWatch's standard resolution
// and its longest period.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
const (
	minHeartbeatPeriodSeconds = 60
	maxHeartbeatPeriodSeconds = 86400
)

// heartbeatMissedBeats is how many beats in a row must be missing before the
// alarm fires: one late run of the scheduler is not an outage.
const heartbeatMissedBeats = 2

var rateExprRE = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)

// HeartbeatAlarmProps say how often the heartbeat runs.
type HeartbeatAlarmProps struct {
	// Stack is the Stack dimension the heartbeat job emits.
	Stack string
	// PeriodSeconds is the longest interval between two heartbeats.
	PeriodSeconds int
}

// heartbeatPeriod is the longest interval between runs of the enabled
// heartbeat schedules, in seconds, within the alarm's bounds; 0 when none runs.
// A cron schedule counts as daily.
func heartbeatPeriod(schedules []config.Schedule) int {
	longest := 0
	for _, s := range schedules {
		if s.Job != sweep.JobHeartbeat || (s.Enabled != nil && !*s.Enabled) {
			continue
		}
		every := maxHeartbeatPeriodSeconds
		if m := rateExprRE.FindStringSubmatch(s.Expression); m != nil {
			n, _ := strconv.Atoi(m[1])
			unit := map[string]int{"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86400, "days": 86400}[m[2]]
			every = n * unit
		}
		longest = max(longest, every)
	}
	if longest == 0 {
		return 0
	}
	longest = (longest + minHeartbeatPeriodSeconds - 1) / minHeartbeatPeriodSeconds * minHeartbeatPeriodSeconds
	return min(max(longest, minHeartbeatPeriodSeconds), maxHeartbeatPeriodSeconds)
}

// newHeartbeatAlarm watches the heartbeat metric: fewer than one beat in
// heartbeatMissedBeats periods in a row, or no data at all, is an ALARM — the
// suite itself went quiet.
func newHeartbeatAlarm(scope constructs.Construct, id string, p *HeartbeatAlarmProps) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		AlarmDescription: jsii.String("Watchkeeper sweeper heartbeat missing: the scheduled jobs stopped running\nseverity: " + config.SeverityHigh),
		Metric: awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace:     jsii.String(metrics.Namespace),
			MetricName:    jsii.String(sweep.HeartbeatMetric),
			DimensionsMap: &map[string]*string{"Stack": jsii.String(p.Stack)},
			Statistic:     jsii.String("SampleCount"),
			Period:        awscdk.Duration_Seconds(jsii.Number(p.PeriodSeconds)),
		}),
		Threshold:          jsii.Number(1),
		ComparisonOperator: awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(heartbeatMissedBeats),
		TreatMissingData:   awscloudwatch.TreatMissingData_BREACHING,
	})
}
