package main

import (
	"fmt"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// GlobalEventsRegion is the only region where EventBridge receives the
// CloudTrail events of the global services (IAM, STS, console sign-in).
// https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-iam.html
const GlobalEventsRegion = "us-east-1"

// Sources and detail types of the global-service events forwarded home.
var (
	globalEventSources     = []string{"aws.iam", "aws.signin", "aws.sts"}
	globalEventDetailTypes = []string{"AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"}
	// globalEventServices are the same services as CloudTrail eventSource values.
	globalEventServices = []string{"iam.amazonaws.com", "signin.amazonaws.com", "sts.amazonaws.com"}
)

// globalEventsStatementID names the home default bus's policy statement.
const globalEventsStatementID = "WatchkeeperGlobalEvents"

// maxRoleNameLength is the longest IAM role name.
const maxRoleNameLength = config.MaxIAMRoleNameLength

// globalEventsStackName is the forwarder stack of the stack named stack.
func globalEventsStackName(stack string) string { return stack + "GlobalEvents" }

// globalEventsRoleName is the forwarder's role. It has a fixed name so the
// home bus policy (another region, another stack) can name it; the stack
// name keeps two suites in one account apart, and it starts with the stack
// name so the remediator's self guard protects it.
func globalEventsRoleName(stack, homeRegion string) string {
	suffix := "-GlobalEvents-" + homeRegion
	if len(stack)+len(suffix) > maxRoleNameLength {
		stack = stack[:maxRoleNameLength-len(suffix)]
	}
	return stack + suffix
}

// needsGlobalEvents reports whether the suite, deployed outside us-east-1,
// has a rule that needs IAM, STS or console sign-in events on its home
// default bus: an event rule whose pattern asks for those sources (or for
// every CloudTrail API call), or a remediation rule that only matches
// events of those services. why says which.
func needsGlobalEvents(cfg *config.Config) (need bool, why string) {
	region := cfg.Deployment.Region
	if region == "" || region == GlobalEventsRegion {
		return false, ""
	}
	for _, r := range cfg.Events {
		pattern, _, err := rulePattern(r)
		if err == nil && wantsGlobalEvents(pattern) {
			return true, fmt.Sprintf("event rule %s matches global-service events", r.Name)
		}
	}
	for _, r := range cfg.Remediation.Rules {
		ms, err := config.ParseMatchers(r.Matchers)
		if err != nil {
			continue
		}
		for _, m := range ms {
			if m.Name != alert.LabelEventSource || m.Matches(nil) {
				continue
			}
			for _, svc := range globalEventServices {
				if m.Matches(map[string]string{alert.LabelEventSource: svc}) {
					return true, fmt.Sprintf("remediation rule %s acts on %s events", r.Name, svc)
				}
			}
		}
	}
	return false, ""
}

// wantsGlobalEvents reports whether an EventBridge pattern can match a
// global-service event: its source names one, or it has no source but asks
// for CloudTrail API calls or console sign-ins.
func wantsGlobalEvents(pattern map[string]any) bool {
	src, ok := pattern["source"]
	if !ok {
		for _, dt := range anyStrings(pattern["detail-type"]) {
			if slices.Contains(globalEventDetailTypes, dt) {
				return true
			}
		}
		return false
	}
	for _, s := range anyStrings(src) {
		if slices.Contains(globalEventSources, s) {
			return true
		}
	}
	return false
}

// anyStrings returns the plain strings of a pattern value (a list of
// strings and matchers).
func anyStrings(v any) []string {
	var out []string
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case string:
		out = append(out, v)
	}
	return out
}

// homeDefaultBusARN is the default bus of the home region.
func homeDefaultBusARN(homeRegion string) string {
	return fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", *awscdk.Aws_PARTITION(), homeRegion, *awscdk.Aws_ACCOUNT_ID())
}

// GlobalEventsStackProps configure the forwarder stack.
type GlobalEventsStackProps struct {
	awscdk.StackProps
	// HomeRegion is where the suite runs.
	HomeRegion string
	// RoleName is the forwarder's role (globalEventsRoleName).
	RoleName string
}

// NewGlobalEventsStack is the small us-east-1 stack that forwards IAM, STS
// and console sign-in events to the home region's default bus, where the
// suite's event rules see them as if they had happened there. The default
// bus, not the watchkeeper bus, is the target: the `events:` rules and
// their presets live on the default bus. The rule's role may only put
// events on that one bus.
func NewGlobalEventsStack(scope constructs.Construct, id string, props *GlobalEventsStackProps) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	bus := homeDefaultBusARN(props.HomeRegion)
	role := awsiam.NewRole(stack, jsii.String("ForwarderRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(props.RoleName),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil),
		Description: jsii.String("Lets the Watchkeeper global-events rule put events on the " + props.HomeRegion + " default bus"),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("PutEventsOnHomeBus"),
		Actions:   jsii.Strings("events:PutEvents"),
		Resources: jsii.Strings(bus),
	}))
	dlq := NewDeadLetterQueue(stack, "DeadLetterQueue", awscdk.RemovalPolicy_DESTROY)
	pattern := map[string]any{"source": toAny(globalEventSources), "detail-type": toAny(globalEventDetailTypes)}
	rule := awsevents.NewCfnRule(stack, jsii.String("Forward"), &awsevents.CfnRuleProps{
		Description:  jsii.String("Watchkeeper: IAM, STS and console sign-in events to the " + props.HomeRegion + " default bus"),
		EventPattern: pattern,
		State:        jsii.String("ENABLED"),
		Targets: &[]any{&awsevents.CfnRule_TargetProperty{
			Id:               jsii.String("HomeDefaultBus"),
			Arn:              jsii.String(bus),
			RoleArn:          role.RoleArn(),
			DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: dlq.QueueArn()},
		}},
	})
	dlq.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowForwardRule"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{dlq.QueueArn()},
		Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": rule.AttrArn()}},
	}))
	awscdk.NewCfnOutput(stack, jsii.String("ForwarderDeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Value: dlq.QueueUrl(), Description: jsii.String("Dead-letter queue of the global-events forwarder"),
	})
	return stack
}

// toAny converts strings to a JSON list for a CfnRule pattern.
func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// allowGlobalEvents adds to the home stack the default bus's policy
// statement that lets the forwarder role put events. The principal is the
// account with the role as a condition, because the role lives in another
// stack and region and may not exist yet when this stack deploys.
func allowGlobalEvents(stack awscdk.Stack, roleName string) {
	roleARN := fmt.Sprintf("arn:%s:iam::%s:role/%s", *awscdk.Aws_PARTITION(), *awscdk.Aws_ACCOUNT_ID(), roleName)
	statement := map[string]any{
		"Sid":       globalEventsStatementID,
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", *awscdk.Aws_PARTITION(), *awscdk.Aws_ACCOUNT_ID())},
		"Action":    "events:PutEvents",
		"Resource":  fmt.Sprintf("arn:%s:events:%s:%s:event-bus/default", *awscdk.Aws_PARTITION(), *awscdk.Aws_REGION(), *awscdk.Aws_ACCOUNT_ID()),
		"Condition": map[string]any{"ArnEquals": map[string]any{"aws:PrincipalArn": roleARN}},
	}
	awsevents.NewCfnEventBusPolicy(stack, jsii.String("GlobalEventsBusPolicy"), &awsevents.CfnEventBusPolicyProps{
		EventBusName: jsii.String("default"),
		StatementId:  jsii.String(globalEventsStatementID),
		Statement:    statement,
	})
}

// newGlobalEvents adds the forwarder stack of the suite named name to app,
// in the suite's account and us-east-1, with the same bootstrap qualifier.
func newGlobalEvents(app awscdk.App, cfg *config.Config, name string) awscdk.Stack {
	dep := cfg.Deployment
	env := &awscdk.Environment{Region: jsii.String(GlobalEventsRegion)}
	if dep.Account != "" {
		env.Account = jsii.String(dep.Account)
	}
	return NewGlobalEventsStack(app, globalEventsStackName(name), &GlobalEventsStackProps{
		StackProps: awscdk.StackProps{
			Env: env,
			Synthesizer: awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
				Qualifier: jsii.String(orDefault(dep.BootstrapQualifier, config.DefaultBootstrapQualifier)),
			}),
			Description: jsii.String("Watchkeeper: forwards IAM, STS and console sign-in events from us-east-1 to " + dep.Region),
		},
		HomeRegion: dep.Region,
		RoleName:   globalEventsRoleName(name, dep.Region),
	})
}
