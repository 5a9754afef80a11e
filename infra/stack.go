package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

// WatchkeeperStackProps configure the Watchkeeper stack.
type WatchkeeperStackProps struct {
	awscdk.StackProps
	// Config is the loaded, deploy-checked configuration.
	Config *config.Config
	// ConfigJSON is Config normalized (cfg.JSON()), bundled with every function.
	ConfigJSON []byte
	// RepoRoot is the module root holding functions/ and shared/.
	RepoRoot string
}

// NewWatchkeeperStack creates the whole suite from the config: state table,
// alarm topic, event bus, the four functions, the configured alarms and event
// rules, the trail wiring and the health alarms.
func NewWatchkeeperStack(scope constructs.Construct, id string, props *WatchkeeperStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	cfg := props.Config
	dep := cfg.Deployment
	fail := func(err error) {
		awscdk.Annotations_Of(stack).AddError(jsii.String(err.Error()))
	}

	removal, err := removalPolicy(dep.RemovalPolicy)
	if err != nil {
		fail(fmt.Errorf("deployment.removal_policy: %w", err))
		removal = awscdk.RemovalPolicy_RETAIN
	}
	fnRetention, err := retentionDays(dep.LogRetentionDays, config.DefaultLogRetentionDays)
	if err != nil {
		fail(fmt.Errorf("deployment.log_retention_days: %w", err))
	}
	trailRetention, err := retentionDays(cfg.Trail.RetentionDays, config.DefaultTrailRetentionDays)
	if err != nil {
		fail(fmt.Errorf("trail.retention_days: %w", err))
	}

	table := NewStateTable(stack, "State", &StateTableProps{RemovalPolicy: removal})
	topic := NewAlarmTopic(stack, "Alarms", &AlarmTopicProps{RemovalPolicy: removal})
	subscribeEmails(topic.Topic, cfg.Notifications.EmailSubscriptions)
	bus := NewEventBus(stack, "Events")

	// Sigma rules are read relative to the config file and bundled with the
	// detector under the same names; a rule that does not parse fails synth.
	cfgDir, err := filepath.Abs(filepath.Dir(cfg.Source()))
	if err != nil {
		fail(fmt.Errorf("config directory: %w", err))
	}
	if _, err := detect.LoadSigma(cfgDir, cfg.Detection.SigmaFiles); err != nil {
		fail(fmt.Errorf("detection.sigma_files: %w", err))
	}
	fns := map[string]*GoFunction{}
	for _, name := range config.FunctionNames() {
		var dataPaths []string
		if name == config.FunctionDetector {
			dataPaths = cfg.Detection.SigmaFiles
		}
		fns[name] = NewGoFunction(stack, constructID(name), &GoFunctionProps{
			DataDir:       cfgDir,
			DataPaths:     dataPaths,
			Name:          name,
			RepoRoot:      props.RepoRoot,
			ConfigJSON:    props.ConfigJSON,
			Settings:      cfg.Function(name),
			LogRetention:  fnRetention,
			RemovalPolicy: removal,
			Tracing:       dep.Tracing,
			Environment: map[string]*string{
				funcenv.Table:      table.Table.TableName(),
				funcenv.Bus:        bus.Bus.EventBusName(),
				funcenv.AlarmTopic: topic.Topic.TopicArn(),
			},
		})
		table.GrantReadWrite(fns[name].Role)
	}

	topic.Topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fns[config.FunctionNotifier].Function, nil))
	subscribeRemediator(stack, topic.Topic, fns[config.FunctionRemediator].Function, cfg.Remediation.Rules)
	if need, _ := needsGlobalEvents(cfg); need {
		allowGlobalEvents(stack, globalEventsRoleName(id, dep.Region))
	}
	bus.RouteSuiteEvents(fns[config.FunctionNotifier].Function, fns[config.FunctionRemediator].Function)
	for _, name := range []string{config.FunctionDetector, config.FunctionSweeper, config.FunctionRemediator} {
		bus.Bus.GrantPutEventsTo(fns[name].Role, nil)
	}

	env := arnEnv{
		Partition: *awscdk.Aws_PARTITION(),
		Region:    *awscdk.Aws_REGION(),
		Account:   *awscdk.Aws_ACCOUNT_ID(),
		URLSuffix: *awscdk.Aws_URL_SUFFIX(),
	}
	notifierGrants, err := notifierGrants(cfg, env)
	if err != nil {
		fail(fmt.Errorf("notifier permissions: %w", err))
	}
	applyGrants(fns[config.FunctionNotifier].Role, notifierGrants)
	remediatorGrants, err := remediatorGrants(cfg, env, remediate.Default())
	if err != nil {
		fail(fmt.Errorf("remediator permissions: %w", err))
	}
	applyGrants(fns[config.FunctionRemediator].Role, remediatorGrants)

	schedules, err := NewSchedules(stack, "Schedules", &SchedulesProps{
		Schedules:     cfg.Schedules,
		Sweeper:       fns[config.FunctionSweeper].Function,
		RemovalPolicy: removal,
	})
	if err != nil {
		fail(err)
	}
	sweeperJobs := sweeperJobs(cfg, schedules.Jobs)
	sweeperGrants, err := sweeperGrants(sweeperJobs)
	if err != nil {
		fail(fmt.Errorf("sweeper permissions: %w", err))
	}
	applyGrants(fns[config.FunctionSweeper].Role, sweeperGrants)
	sweeperScoped, err := sweeperScopedGrants(sweeperJobs, env)
	if err != nil {
		fail(fmt.Errorf("sweeper permissions: %w", err))
	}
	applyGrants(fns[config.FunctionSweeper].Role, sweeperScoped)
	digest, err := digestGrants(cfg, sweeperJobs, env)
	if err != nil {
		fail(fmt.Errorf("sweeper permissions: %w", err))
	}
	applyGrants(fns[config.FunctionSweeper].Role, digest)
	if _, err := NewAlarms(stack, "ConfiguredAlarms", &AlarmsProps{
		Metric: cfg.Alarms.Metric, Log: cfg.Alarms.Log, Topic: topic.Topic, Namespace: LogMetricNamespace,
		Composite: cfg.Alarms.Composite,
	}); err != nil {
		fail(err)
	}
	// The sweeper takes EC2 instance state changes (the alarm profiles' auto-alarms).
	eventRules, err := NewEventRules(stack, "EventRules", &EventRulesProps{
		Rules: cfg.Events,
		Targets: map[string]awslambda.IFunction{
			config.FunctionNotifier:   fns[config.FunctionNotifier].Function,
			config.FunctionRemediator: fns[config.FunctionRemediator].Function,
			config.FunctionSweeper:    fns[config.FunctionSweeper].Function,
		},
	})
	if err != nil {
		fail(err)
	}

	create := cfg.Trail.Create == nil || *cfg.Trail.Create
	trail := NewTrail(stack, "Trail", &TrailProps{
		Create:               create,
		ExistingLogGroupName: cfg.Trail.LogGroupName,
		LogRetention:         trailRetention,
		FilterPattern:        cfg.Trail.FilterPattern,
		RemovalPolicy:        removal,
		Detector:             fns[config.FunctionDetector].Function,
		GlacierAfterDays:     cfg.Trail.GlacierAfterDays,
		ExpireAfterDays:      cfg.Trail.ExpireAfterDays,
		DataEvents:           cfg.Trail.DataEvents,
	})
	if cfg.Trail.CISAlarms != nil && *cfg.Trail.CISAlarms && trail.LogGroup != nil {
		if _, err := NewCISMetrics(stack, "CISAlarms", &CISMetricsProps{LogGroup: trail.LogGroup, Topic: topic.Topic}); err != nil {
			fail(err)
		}
	}
	// What the posture sweep checks is still wired: CloudFormation names the
	// stack's rules "<stack>-<logical id>-<suffix>".
	sweeperFn := fns[config.FunctionSweeper].Function
	sweeperFn.AddEnvironment(jsii.String(funcenv.RulePrefix), jsii.String(dep.StackName+"-"), nil)
	if trail.LogGroup != nil {
		sweeperFn.AddEnvironment(jsii.String(funcenv.TrailLogGroup), trail.LogGroup.LogGroupName(), nil)
		sweeperFn.AddEnvironment(jsii.String(funcenv.DetectorARN), fns[config.FunctionDetector].Function.FunctionArn(), nil)
	}

	var named []NamedFunction
	var queues []NamedQueue
	for _, name := range config.FunctionNames() {
		named = append(named, NamedFunction{Name: constructID(name), Function: fns[name].Function})
		queues = append(queues, NamedQueue{Name: constructID(name) + "Failures", Queue: fns[name].FailureQueue})
	}
	queues = append(queues, bus.DeadLetterQueues...)
	if schedules.DeadLetterQueue != nil {
		queues = append(queues, NamedQueue{Name: "Schedules", Queue: schedules.DeadLetterQueue})
	}
	queues = append(queues, eventRules.DeadLetterQueues...)
	health := &HealthAlarmsProps{Functions: named, Queues: queues, Topic: topic.Topic,
		Audited: []string{config.FunctionNotifier, config.FunctionDetector}}
	if period := heartbeatPeriod(cfg.Schedules); period > 0 {
		health.Heartbeat = &HeartbeatAlarmProps{Stack: dep.StackName, PeriodSeconds: period}
	}
	NewHealthAlarms(stack, "Health", health)

	if pb := strings.TrimSpace(dep.PermissionsBoundary); pb != "" {
		var policy awsiam.IManagedPolicy
		if strings.HasPrefix(pb, "arn:") {
			policy = awsiam.ManagedPolicy_FromManagedPolicyArn(stack, jsii.String("PermissionsBoundary"), jsii.String(pb))
		} else {
			policy = awsiam.ManagedPolicy_FromManagedPolicyName(stack, jsii.String("PermissionsBoundary"), jsii.String(pb))
		}
		awsiam.PermissionsBoundary_Of(stack).Apply(policy)
	}

	tagKeys := make([]string, 0, len(dep.Tags))
	for k := range dep.Tags {
		tagKeys = append(tagKeys, k)
	}
	slices.Sort(tagKeys)
	for _, k := range tagKeys {
		awscdk.Tags_Of(stack).Add(jsii.String(k), jsii.String(dep.Tags[k]), nil)
	}

	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(description)})
	}
	output("StateTableName", "DynamoDB state table", table.Table.TableName())
	output("EventBusName", "Watchkeeper event bus", bus.Bus.EventBusName())
	output("AlarmTopicArn", "SNS topic every alarm notifies", topic.Topic.TopicArn())
	for _, name := range config.FunctionNames() {
		output(constructID(name)+"FunctionName", "Lambda function "+name, fns[name].Function.FunctionName())
		output(constructID(name)+"FailureQueueUrl", "On-failure queue of "+name, fns[name].FailureQueue.QueueUrl())
	}
	for _, q := range bus.DeadLetterQueues {
		output(q.Name+"DeadLetterQueueUrl", "Dead-letter queue of rule "+q.Name, q.Queue.QueueUrl())
	}
	for _, q := range eventRules.DeadLetterQueues {
		output(q.Name+"DeadLetterQueueUrl", "Dead-letter queue of the rules on resource events to one function", q.Queue.QueueUrl())
	}
	return stack
}

// constructID turns a logical function name into a construct id ("notifier" → "Notifier").
func constructID(name string) string {
	if name == "" {
		return name
	}
	return strings.ToUpper(name[:1]) + name[1:]
}
