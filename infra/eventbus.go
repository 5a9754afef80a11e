package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Names of the suite's own events on its bus; the contract is package alert's.
const (
	// eventBusName is the custom bus the functions publish to.
	eventBusName = alert.BusName
	// eventSourcePrefix starts the source of every event the suite emits (watchkeeper.detector, …).
	eventSourcePrefix = "watchkeeper."
	// Detail types the functions emit.
	detailFinding     = alert.DetailTypeFinding
	detailRemediation = alert.DetailTypeRemediation
	detailReminder    = alert.DetailTypeReminder
	detailGroup       = alert.DetailTypeGroup
	detailDigest      = alert.DetailTypeDigest
)

// Retry policy of the rule targets: EventBridge's maxima, so a throttled or
// failing function gets every chance before the event lands in the DLQ.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
const (
	ruleRetryAttempts    = 185
	ruleMaxEventAgeHours = 24
)

// EventBus is the suite's custom bus with the rules that route its own
// events between functions.
type EventBus struct {
	scope constructs.Construct
	// Bus is the custom event bus.
	Bus awsevents.EventBus
	// DeadLetterQueues catch events a rule could not deliver, named by rule id.
	DeadLetterQueues []NamedQueue
}

// NewEventBus creates the bus; RouteSuiteEvents adds its rules once the functions exist.
func NewEventBus(scope constructs.Construct, id string) *EventBus {
	c := constructs.NewConstruct(scope, jsii.String(id))
	bus := awsevents.NewEventBus(c, jsii.String("Bus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(eventBusName),
		Description:  jsii.String("Watchkeeper findings, remediation reports and reminders"),
	})
	return &EventBus{scope: c, Bus: bus}
}

// RouteSuiteEvents sends findings, remediation reports, reminders, group
// flushes and digests to the notifier and findings to the remediator, each
// target with a DLQ and a retry policy.
func (eb *EventBus) RouteSuiteEvents(notifier, remediator awslambda.IFunction) {
	eb.route("ToNotifier", "Findings, remediation reports, reminders, group flushes and digests to the notifier",
		[]string{detailFinding, detailRemediation, detailReminder, detailGroup, detailDigest}, notifier)
	eb.route("ToRemediator", "Findings to the remediator", []string{detailFinding}, remediator)
}

// route adds a rule on the suite's own sources and detailTypes targeting fn.
func (eb *EventBus) route(id, description string, detailTypes []string, fn awslambda.IFunction) {
	dlq := NewDeadLetterQueue(eb.scope, id+"DeadLetterQueue", awscdk.RemovalPolicy_DESTROY)
	eb.DeadLetterQueues = append(eb.DeadLetterQueues, NamedQueue{Name: id, Queue: dlq})
	awsevents.NewRule(eb.scope, jsii.String(id), &awsevents.RuleProps{
		EventBus:    eb.Bus,
		Description: jsii.String(description),
		EventPattern: &awsevents.EventPattern{
			Source:     awsevents.Match_Prefix(jsii.String(eventSourcePrefix)),
			DetailType: jsii.Strings(detailTypes...),
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, &awseventstargets.LambdaFunctionProps{
			DeadLetterQueue: dlq,
			RetryAttempts:   jsii.Number(ruleRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(ruleMaxEventAgeHours)),
		})},
	})
}
