package main

import (
	"maps"
	"slices"
	"strings"

	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// eventsPrincipal is the service that delivers rule targets.
const eventsPrincipal = "events.amazonaws.com"

// EventRulesProps configure the rules on resource events.
type EventRulesProps struct {
	// Rules are the config's `events:` entries.
	Rules []config.EventRule
	// Targets are the functions a rule may invoke, by logical name (notifier, …).
	Targets map[string]awslambda.IFunction
}

// EventRules routes AWS service events from the default bus to the functions.
type EventRules struct {
	// DeadLetterQueues catch the events a target function could not take, one
	// queue per target function (so a redrive goes back to that function
	// only), in the order the targets first appear; none without rules.
	DeadLetterQueues []NamedQueue
	// Rules in config order.
	Rules []awsevents.CfnRule
}

// NewEventRules creates one rule per config entry on the default bus, with the
// preset's or the raw pattern and a target per configured function, each with
// its function's dead-letter queue and the retry policy of the suite's own
// rules unless the entry's delivery overrides it. An unknown preset or target
// is an error: such a rule must not deploy.
//
// The rules are CfnRules because the typed L2 pattern holds lists of strings
// only; a raw pattern's matchers ({"prefix": …}, {"numeric": …}) and keys must
// reach the template as written.
func NewEventRules(scope constructs.Construct, id string, props *EventRulesProps) (*EventRules, error) {
	r := &EventRules{}
	if len(props.Rules) == 0 {
		return r, nil
	}
	c := constructs.NewConstruct(scope, jsii.String(id))
	queues := map[string]awssqs.Queue{}
	var order []string
	sources := map[string][]any{}
	queueFor := func(target string) awssqs.Queue {
		if q, ok := queues[target]; ok {
			return q
		}
		q := NewDeadLetterQueue(c, constructID(target)+"DeadLetterQueue", awscdk.RemovalPolicy_DESTROY)
		queues[target] = q
		order = append(order, target)
		r.DeadLetterQueues = append(r.DeadLetterQueues, NamedQueue{Name: "EventRules" + constructID(target), Queue: q})
		return q
	}

	var errs []error
	for i, rule := range props.Rules {
		pattern, description, err := rulePattern(rule)
		if err != nil {
			errs = append(errs, fmt.Errorf("events[%d] (%s): %w", i, rule.Name, err))
			continue
		}
		ruleID := constructID(rule.Name)
		var targets []any
		var fns []awslambda.IFunction
		var names []string
		for _, name := range rule.Targets {
			fn, ok := props.Targets[name]
			if !ok {
				errs = append(errs, fmt.Errorf("events[%d] (%s): %q takes no resource events in this version (targets: %s)",
					i, rule.Name, name, strings.Join(slices.Sorted(maps.Keys(props.Targets)), ", ")))
				continue
			}
			retries, maxAge := targetRetryPolicy(rule.Delivery[name])
			fns = append(fns, fn)
			names = append(names, name)
			targets = append(targets, &awsevents.CfnRule_TargetProperty{
				Id:               jsii.String(constructID(name)),
				Arn:              fn.FunctionArn(),
				DeadLetterConfig: &awsevents.CfnRule_DeadLetterConfigProperty{Arn: queueFor(name).QueueArn()},
				RetryPolicy: &awsevents.CfnRule_RetryPolicyProperty{
					MaximumRetryAttempts:     jsii.Number(retries),
					MaximumEventAgeInSeconds: jsii.Number(maxAge),
				},
			})
		}
		if len(targets) == 0 {
			continue
		}
		cfn := awsevents.NewCfnRule(c, jsii.String(ruleID), &awsevents.CfnRuleProps{
			Description:  jsii.String("Watchkeeper " + rule.Name + ": " + description),
			EventPattern: pattern,
			State:        jsii.String("ENABLED"),
			Targets:      &targets,
		})
		for i, fn := range fns {
			fn.AddPermission(jsii.String("EventRule"+ruleID), &awslambda.Permission{
				Principal: awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil),
				Action:    jsii.String("lambda:InvokeFunction"),
				SourceArn: cfn.AttrArn(),
			})
			sources[names[i]] = append(sources[names[i]], cfn.AttrArn())
		}
		r.Rules = append(r.Rules, cfn)
	}
	for _, target := range order {
		q := queues[target]
		q.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowEventRules"),
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String(eventsPrincipal), nil)},
			Actions:    jsii.Strings("sqs:SendMessage"),
			Resources:  &[]*string{q.QueueArn()},
			Conditions: &map[string]any{"ArnEquals": map[string]any{"aws:SourceArn": sources[target]}},
		}))
	}
	return r, errors.Join(errs...)
}

// targetRetryPolicy is a target's retry attempts and maximum event age in
// seconds: the suite's defaults unless the rule's delivery overrides them.
func targetRetryPolicy(d config.TargetDelivery) (retries, maxAgeSeconds int) {
	retries, maxAgeSeconds = ruleRetryAttempts, ruleMaxEventAgeHours*3600
	if d.RetryAttempts != nil {
		retries = *d.RetryAttempts
	}
	if d.MaxEventAgeSeconds != 0 {
		maxAgeSeconds = d.MaxEventAgeSeconds
	}
	return retries, maxAgeSeconds
}

// rulePattern returns the rule's pattern as plain JSON values (strings,
// float64s, maps, slices), which is what jsii passes through unchanged, and a
// description of what it catches.
func rulePattern(rule config.EventRule) (map[string]any, string, error) {
	if rule.Preset != "" {
		p, err := LookupEventPreset(rule.Preset)
		if err != nil {
			return nil, "", err
		}
		if p, err = p.WithMinSeverity(rule.MinSeverity); err != nil {
			return nil, "", err
		}
		m, err := p.PatternMap()
		if err != nil {
			return nil, "", fmt.Errorf("preset %s: %w", rule.Preset, err)
		}
		return m, p.Description + " (preset " + rule.Preset + ")", nil
	}
	if len(rule.Pattern) == 0 {
		return nil, "", errors.New("needs a preset or a pattern")
	}
	// A round trip through JSON turns YAML's integer types into numbers and
	// fails on anything EventBridge could not read either.
	data, err := json.Marshal(rule.Pattern)
	if err != nil {
		return nil, "", fmt.Errorf("pattern: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, "", fmt.Errorf("pattern: %w", err)
	}
	return m, "events matching its configured pattern", nil
}
