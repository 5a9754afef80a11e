package main

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// CloudWatch publishes alarm notifications to SNS without message
// attributes (the Sns.MessageAttributes of an alarm notification is empty),
// so an attribute filter policy would drop every alarm. The remediator's
// subscription filters on the message body instead, whose AlarmName is the
// alarm's name.
// https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering-scope.html
const alarmNameKey = "AlarmName"

// maxFilterPolicyValues is SNS's limit on the combinations of values in one
// filter policy; with one key, the number of names and prefixes.
// https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
const maxFilterPolicyValues = 150

// nonAlarmLabels are labels an alarm alert never carries: they come from
// CloudTrail records, findings, jobs and the suite's own reports. A matcher
// on one that rejects the empty value (an absent label counts as "") keeps
// its rule off alarms.
var nonAlarmLabels = []string{
	alert.LabelEventName, alert.LabelEventSource, alert.LabelActor, alert.LabelActorType, alert.LabelSourceIP,
	alert.LabelErrorCode, alert.LabelFindingType, alert.LabelControl, alert.LabelRule, alert.LabelJob,
	alert.LabelDetailType, alert.LabelAction, alert.LabelMode, alert.LabelOutcome, alert.LabelGuardrail,
}

// alarmFilter is what the remediator's subscription to the alarm topic
// receives.
type alarmFilter struct {
	// Subscribe is false when no remediation rule can match an alarm.
	Subscribe bool
	// Names and Prefixes of the alarms to deliver; both empty with Subscribe
	// means every alarm (see Why).
	Names, Prefixes []string
	// Why explains the choice, for the synth log and the docs.
	Why string
}

// Filtered reports whether the subscription has a filter policy.
func (f alarmFilter) Filtered() bool { return len(f.Names)+len(f.Prefixes) > 0 }

// remediatorAlarmFilter derives the filter from the remediation rules: the
// rules that can match an alarm must each pin the alarm name (alarm="x", or
// alarm=~"prefix.*"); one that does not leaves the subscription unfiltered.
func remediatorAlarmFilter(rules []config.RemediationRule) alarmFilter {
	var f alarmFilter
	for _, r := range rules {
		ms, err := config.ParseMatchers(r.Matchers)
		if err != nil || !alarmCapable(ms) {
			continue
		}
		f.Subscribe = true
		name, prefix, ok := alarmNameOf(ms)
		if !ok {
			return alarmFilter{Subscribe: true, Why: fmt.Sprintf("rule %s can match alarms without pinning the alarm name (alarm=\"name\" or alarm=~\"prefix.*\"), so every alarm is delivered", r.Name)}
		}
		if name != "" {
			f.Names = append(f.Names, name)
		} else {
			f.Prefixes = append(f.Prefixes, prefix)
		}
	}
	if !f.Subscribe {
		f.Why = "no remediation rule can match an alarm"
		return f
	}
	f.Names, f.Prefixes = sortedUnique(f.Names), sortedUnique(f.Prefixes)
	if n := len(f.Names) + len(f.Prefixes); n > maxFilterPolicyValues {
		return alarmFilter{Subscribe: true, Why: fmt.Sprintf("%d alarm names and prefixes exceed the %d values of an SNS filter policy, so every alarm is delivered", n, maxFilterPolicyValues)}
	}
	f.Why = "only alarms the remediation rules name are delivered"
	return f
}

// alarmCapable reports whether a rule with matchers ms can match an alarm
// alert.
func alarmCapable(ms []config.Matcher) bool {
	for _, m := range ms {
		switch {
		case m.Name == alert.LabelSource && !m.Matches(map[string]string{alert.LabelSource: alert.SourceAlarm}):
			return false
		case slices.Contains(nonAlarmLabels, m.Name) && !m.Matches(nil):
			return false
		}
	}
	return true
}

// alarmNameOf returns the alarm name (alarm="x") or name prefix
// (alarm=~"x.*") the matchers require; ok is false when they require
// neither.
func alarmNameOf(ms []config.Matcher) (name, prefix string, ok bool) {
	for _, m := range ms {
		if m.Name != alert.LabelAlarm {
			continue
		}
		switch m.Op {
		case config.MatchEqual:
			if m.Value != "" {
				return m.Value, "", true
			}
		case config.MatchRegexp:
			if p, ok := literalPrefix(m.Value); ok {
				return "", p, true
			}
		}
	}
	return "", "", false
}

// literalPrefix returns p when re is exactly a literal p followed by ".*"
// (or a literal alone, which then is a name prefix of itself only when
// followed by ".*"); anything richer yields false.
func literalPrefix(re string) (string, bool) {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return "", false
	}
	parsed = parsed.Simplify()
	if parsed.Op != syntax.OpConcat || len(parsed.Sub) != 2 {
		return "", false
	}
	lit, star := parsed.Sub[0], parsed.Sub[1]
	if lit.Op != syntax.OpLiteral || lit.Flags&syntax.FoldCase != 0 || star.Op != syntax.OpStar ||
		len(star.Sub) != 1 || (star.Sub[0].Op != syntax.OpAnyChar && star.Sub[0].Op != syntax.OpAnyCharNotNL) {
		return "", false
	}
	p := string(lit.Rune)
	if strings.TrimSpace(p) == "" {
		return "", false
	}
	return p, true
}

// subscribeRemediator subscribes the remediator to the alarm topic with the
// filter its rules allow, or not at all when no rule can match an alarm;
// the choice is a stack output (RemediatorAlarmSubscription), so `cdk deploy`
// shows it.
func subscribeRemediator(stack awscdk.Stack, topic awssns.ITopic, fn awslambda.IFunction, rules []config.RemediationRule) alarmFilter {
	f := remediatorAlarmFilter(rules)
	awscdk.NewCfnOutput(stack, jsii.String("RemediatorAlarmSubscription"), &awscdk.CfnOutputProps{
		Description: jsii.String("Which alarms the remediator receives from the alarm topic, and why"),
		Value:       jsii.String(f.Why),
	})
	if !f.Subscribe {
		return f
	}
	var props *awssnssubscriptions.LambdaSubscriptionProps
	if f.Filtered() {
		props = &awssnssubscriptions.LambdaSubscriptionProps{
			FilterPolicyWithMessageBody: &map[string]awssns.FilterOrPolicy{
				alarmNameKey: awssns.FilterOrPolicy_Filter(awssns.SubscriptionFilter_StringFilter(&awssns.StringConditions{
					Allowlist:     optionalStrings(f.Names),
					MatchPrefixes: optionalStrings(f.Prefixes),
				})),
			},
		}
	}
	topic.AddSubscription(awssnssubscriptions.NewLambdaSubscription(fn, props))
	return f
}

// optionalStrings is nil for an empty list, which the CDK leaves out.
func optionalStrings(s []string) *[]*string {
	if len(s) == 0 {
		return nil
	}
	return jsii.Strings(s...)
}
