package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsschedulertargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// Retry policy of the scheduler's target: a missed posture sweep or heartbeat
// is worth little after an hour, and the next run comes anyway.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-retry-policy.html
const (
	scheduleRetryAttempts     = 3
	scheduleMaxEventAgeMinute = 60
)

// SchedulesProps configure the sweeper's schedules.
type SchedulesProps struct {
	Schedules []config.Schedule
	Sweeper   awslambda.IFunction
	// RemovalPolicy of the dead-letter queue.
	RemovalPolicy awscdk.RemovalPolicy
}

// Schedules runs the sweeper's jobs on EventBridge Scheduler, each in its own
// time zone, with the job and the run's id and time as input.
type Schedules struct {
	// DeadLetterQueue catches invocations the scheduler could not deliver; nil without schedules.
	DeadLetterQueue awssqs.Queue
	// Jobs are the jobs of enabled schedules, sorted, once each.
	Jobs []string
}

// NewSchedules creates one schedule per config entry. A job this build of the
// sweeper does not run is an error: a schedule that would fail every run
// must not deploy.
func NewSchedules(scope constructs.Construct, id string, props *SchedulesProps) (*Schedules, error) {
	s := &Schedules{}
	if len(props.Schedules) == 0 {
		return s, nil
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	s.DeadLetterQueue = NewDeadLetterQueue(c, "DeadLetterQueue", props.RemovalPolicy)
	// One role for every schedule, assumable only by EventBridge Scheduler on
	// behalf of this account; the targets add the invoke and DLQ grants.
	role := awsiam.NewRole(c, jsii.String("Role"), &awsiam.RoleProps{
		Description: jsii.String("EventBridge Scheduler invoking the Watchkeeper sweeper"),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("scheduler.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]any{"StringEquals": map[string]any{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()}},
		}),
	})

	jobs := map[string]bool{}
	var errs []error
	for i, sc := range props.Schedules {
		if _, err := sweep.LookupJob(sc.Job); err != nil {
			errs = append(errs, fmt.Errorf("schedules[%d] (%s): %w", i, sc.Name, err))
			continue
		}
		enabled := sc.Enabled == nil || *sc.Enabled
		if enabled {
			jobs[sc.Job] = true
		}
		input := map[string]any{}
		maps.Copy(input, sc.Input)
		input[alert.JobInputKey] = sc.Job
		input[alert.JobInputExecutionID] = awsscheduler.ContextAttribute_ExecutionId()
		input[alert.JobInputScheduledTime] = awsscheduler.ContextAttribute_ScheduledTime()
		awsscheduler.NewSchedule(c, jsii.String(constructID(sc.Name)), &awsscheduler.ScheduleProps{
			Description: jsii.String(fmt.Sprintf("Watchkeeper sweeper job %s (%s)", sc.Job, sc.Name)),
			Schedule:    awsscheduler.ScheduleExpression_Expression(jsii.String(sc.Expression), awscdk.TimeZone_Of(jsii.String(sc.TimeZone))),
			Enabled:     jsii.Bool(enabled),
			Target: awsschedulertargets.NewLambdaInvoke(props.Sweeper, &awsschedulertargets.ScheduleTargetBaseProps{
				Input:           awsscheduler.ScheduleTargetInput_FromObject(input),
				DeadLetterQueue: s.DeadLetterQueue,
				RetryAttempts:   jsii.Number(scheduleRetryAttempts),
				MaxEventAge:     awscdk.Duration_Minutes(jsii.Number(scheduleMaxEventAgeMinute)),
				Role:            role,
			}),
		})
	}
	// After the targets: their grants create the role's policy this applies to.
	justifyWildcards(role, map[string]string{
		`/^Resource::<SweeperFunction[0-9A-F]+\.Arn>:\*$/`: "The LambdaInvoke target grants lambda:InvokeFunction on " +
			"the sweeper's ARN and on '<arn>:*', its versions and aliases. Both name this one function; no other " +
			"function can be invoked.",
	})
	s.Jobs = slices.Sorted(maps.Keys(jobs))
	return s, errors.Join(errs...)
}
