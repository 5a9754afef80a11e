package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// wantPresetPatterns are the exact patterns of the presets, as the AWS
// documentation of each event describes them.
var wantPresetPatterns = map[string]string{
	"codebuild-failed": `{"source": ["aws.codebuild"], "detail-type": ["CodeBuild Build State Change"],
		"detail": {"build-status": ["FAILED", "STOPPED"]}}`,
	"codepipeline-failed": `{"source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
		"detail": {"state": ["FAILED"]}}`,
	"asg-launch-failed":    `{"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Unsuccessful"]}`,
	"asg-terminate-failed": `{"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Terminate Unsuccessful"]}`,
	"asg-launch":           `{"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Launch Successful"]}`,
	"asg-terminate":        `{"source": ["aws.autoscaling"], "detail-type": ["EC2 Instance Terminate Successful"]}`,
	"ec2-state-change":     `{"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}`,
	"guardduty": `{"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
		"detail": {"severity": [{"numeric": [">=", 4]}]}}`,
	"securityhub": `{"source": ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"],
		"detail": {"findings": {"Severity": {"Label": ["HIGH", "CRITICAL"]}, "Workflow": {"Status": ["NEW"]}}}}`,
	"health": `{"source": ["aws.health"], "detail-type": ["AWS Health Event"]}`,
}

// decodeJSON parses a JSON object for comparison.
func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

func TestEventPresets(t *testing.T) {
	names := EventPresetNames()
	for want := range wantPresetPatterns {
		if !slices.Contains(names, want) {
			t.Errorf("no preset %s", want)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, err := LookupEventPreset(name)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid([]byte(p.Pattern)) {
				t.Fatalf("pattern is not JSON: %s", p.Pattern)
			}
			m, err := p.PatternMap()
			if err != nil {
				t.Fatal(err)
			}
			for _, key := range []string{"source", "detail-type"} {
				vals, _ := m[key].([]any)
				if len(vals) == 0 {
					t.Errorf("pattern has no %s list: %s", key, p.Pattern)
				}
				for _, v := range vals {
					if s, _ := v.(string); s == "" {
						t.Errorf("%s value %v is not a non-empty string", key, v)
					}
				}
			}
			if src, _ := m["source"].([]any); len(src) > 0 && !strings.HasPrefix(src[0].(string), "aws.") {
				t.Errorf("source %v is not an AWS service", src)
			}
			if !strings.HasPrefix(p.Doc, "https://docs.aws.amazon.com/") {
				t.Errorf("doc link %q is not an AWS documentation page", p.Doc)
			}
			if p.Description == "" {
				t.Error("no description")
			}
			want, ok := wantPresetPatterns[name]
			if !ok {
				t.Fatalf("preset %s has no expected pattern in wantPresetPatterns", name)
			}
			if !reflect.DeepEqual(m, decodeJSON(t, want)) {
				t.Errorf("pattern %s\nwant %s", p.Pattern, want)
			}
		})
	}
}

func TestUnknownEventPresetFailsSynth(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	fn := awslambda.Function_FromFunctionArn(stack, jsii.String("F"), jsii.String("arn:aws:lambda:us-east-1:123456789012:function:notifier"))
	_, err := NewEventRules(stack, "Rules", &EventRulesProps{
		Rules: []config.EventRule{
			{Name: "builds", Preset: "codebuild-failed", Targets: []string{config.FunctionNotifier}},
			{Name: "typo", Preset: "gaurdduty", Targets: []string{config.FunctionNotifier}},
			{Name: "nobody", Preset: "health", Targets: []string{config.FunctionRemediator}},
		},
		Targets: map[string]awslambda.IFunction{config.FunctionNotifier: fn},
	})
	if err == nil {
		t.Fatal("unknown preset and target accepted")
	}
	msg := err.Error()
	if !strings.Contains(msg, `events[1] (typo): unknown event preset "gaurdduty"`) {
		t.Errorf("error does not name the rule and preset: %v", msg)
	}
	for _, name := range EventPresetNames() {
		if !strings.Contains(msg, name) {
			t.Errorf("error does not list valid preset %s: %v", name, msg)
		}
	}
	if !strings.Contains(msg, `events[2] (nobody): "remediator" takes no resource events in this version (targets: notifier)`) {
		t.Errorf("error does not name the missing target: %v", msg)
	}
	if strings.Contains(msg, "builds") {
		t.Errorf("the valid rule is reported: %v", msg)
	}
}

func TestEventRules(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		ids := s.functionIDs(t)
		// Rules on the default bus are ours; the suite's own rules name its bus.
		byName := map[string]string{}
		for id, r := range s.resources("AWS::Events::Rule") {
			if props(r)["EventBusName"] != nil {
				continue
			}
			desc, _ := props(r)["Description"].(string)
			name, _, _ := strings.Cut(strings.TrimPrefix(desc, "Watchkeeper "), ":")
			byName[name] = id
		}
		if len(byName) != len(s.cfg.Events) {
			t.Errorf("%d rules on the default bus %v, want %d (one per events entry)", len(byName), byName, len(s.cfg.Events))
		}
		if len(s.cfg.Events) == 0 {
			return
		}

		// Each target function has its own queue, taking messages from the rules that target it.
		dlqOf := map[string]string{}
		sourcesOf := map[string][]string{}
		for _, rule := range s.cfg.Events {
			id, ok := byName[rule.Name]
			if !ok {
				t.Errorf("no rule for events entry %s", rule.Name)
				continue
			}
			p := props(s.resource(id))
			if p["State"] != "ENABLED" {
				t.Errorf("%s: state %v", rule.Name, p["State"])
			}

			var want map[string]any
			if rule.Preset != "" {
				want = decodeJSON(t, wantPresetPatterns[rule.Preset])
			} else {
				data, err := json.Marshal(rule.Pattern)
				if err != nil {
					t.Fatal(err)
				}
				want = decodeJSON(t, string(data))
			}
			if got := p["EventPattern"]; !reflect.DeepEqual(got, any(obj(want))) {
				gotJSON, _ := json.Marshal(got)
				wantJSON, _ := json.Marshal(want)
				t.Errorf("%s: pattern %s\nwant %s", rule.Name, gotJSON, wantJSON)
			}

			targets := asSlice(p["Targets"])
			if len(targets) != len(rule.Targets) {
				t.Errorf("%s: %d targets, want %v", rule.Name, len(targets), rule.Targets)
			}
			var got []string
			for _, tg := range targets {
				fnID, _ := refID(dig(tg, "Arn"))
				target := ""
				for name, id := range ids {
					if id == fnID {
						got = append(got, name)
						target = name
					}
				}
				qid, ok := refID(dig(tg, "DeadLetterConfig", "Arn"))
				if first, seen := dlqOf[target]; !ok || (seen && qid != first) {
					t.Errorf("%s: DLQ %v, want the one queue of %s", rule.Name, dig(tg, "DeadLetterConfig"), target)
				}
				for other, q := range dlqOf {
					if other != target && q == qid {
						t.Errorf("%s: %s shares its DLQ with %s", rule.Name, target, other)
					}
				}
				dlqOf[target] = qid
				sourcesOf[qid] = append(sourcesOf[qid], id)
				retries, age := ruleRetryAttempts, ruleMaxEventAgeHours*3600
				if d, ok := rule.Delivery[target]; ok {
					if d.RetryAttempts != nil {
						retries = *d.RetryAttempts
					}
					if d.MaxEventAgeSeconds != 0 {
						age = d.MaxEventAgeSeconds
					}
				}
				retry := dig(tg, "RetryPolicy").(obj)
				if retry["MaximumRetryAttempts"] != float64(retries) || retry["MaximumEventAgeInSeconds"] != float64(age) {
					t.Errorf("%s → %s: retry policy %v, want %d retries within %d s", rule.Name, target, retry, retries, age)
				}
			}
			slices.Sort(got)
			wantTargets := slices.Sorted(slices.Values(rule.Targets))
			if !slices.Equal(got, wantTargets) {
				t.Errorf("%s: targets %v, want %v", rule.Name, got, wantTargets)
			}

			// Each target function lets exactly this rule invoke it.
			for _, name := range rule.Targets {
				allowed := false
				for _, perm := range s.resources("AWS::Lambda::Permission") {
					pp := props(perm)
					fnID, _ := refID(pp["FunctionName"])
					src, _ := refID(pp["SourceArn"])
					if fnID == ids[name] && src == id && pp["Principal"] == eventsPrincipal && pp["Action"] == "lambda:InvokeFunction" {
						allowed = true
					}
				}
				if !allowed {
					t.Errorf("%s: no permission for the rule to invoke %s", rule.Name, name)
				}
			}
		}

		if len(dlqOf) == 0 {
			t.Fatal("no dead-letter queue on the rules' targets")
		}
		for target, dlqID := range dlqOf {
			assertDeadLetterQueue(t, s, "event rules to "+target, dlqID)
			// The queue takes messages from the rules targeting its function only.
			var sources []string
			for _, pol := range s.resources("AWS::SQS::QueuePolicy") {
				if q, _ := refID(asSlice(props(pol)["Queues"])[0]); q != dlqID {
					continue
				}
				for _, st := range asSlice(dig(props(pol), "PolicyDocument", "Statement")) {
					if dig(st, "Effect") != "Allow" {
						continue
					}
					if dig(st, "Principal", "Service") != eventsPrincipal || dig(st, "Action") != "sqs:SendMessage" {
						t.Errorf("DLQ policy statement %v allows more than events sqs:SendMessage", st)
					}
					arns := dig(st, "Condition", "ArnEquals", "aws:SourceArn")
					if one, ok := arns.(obj); ok {
						arns = []any{one}
					}
					for _, arn := range asSlice(arns) {
						id, _ := refID(arn)
						sources = append(sources, id)
					}
				}
			}
			slices.Sort(sources)
			wantSources := slices.Sorted(slices.Values(sourcesOf[dlqID]))
			if !slices.Equal(sources, wantSources) {
				t.Errorf("DLQ of %s accepts messages from %v, want the rules %v", target, sources, wantSources)
			}
		}
	})
}

func TestEventPresetMinSeverity(t *testing.T) {
	cases := []struct {
		preset, min, want, desc string
	}{
		{"guardduty", "", `{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",4]}]}}`, "medium"},
		{"guardduty", "high", `{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",7]}]}}`, "high severity (7)"},
		{"guardduty", "critical", `{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"],"detail":{"severity":[{"numeric":[">=",9]}]}}`, "critical severity (9)"},
		{"securityhub", "", `{"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"],"detail":{"findings":{"Severity":{"Label":["HIGH","CRITICAL"]},"Workflow":{"Status":["NEW"]}}}}`, "HIGH or CRITICAL"},
		{"securityhub", "low", `{"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"],"detail":{"findings":{"Severity":{"Label":["LOW","MEDIUM","HIGH","CRITICAL"]},"Workflow":{"Status":["NEW"]}}}}`, "LOW, MEDIUM, HIGH, CRITICAL"},
		{"securityhub", "critical", `{"source":["aws.securityhub"],"detail-type":["Security Hub Findings - Imported"],"detail":{"findings":{"Severity":{"Label":["CRITICAL"]},"Workflow":{"Status":["NEW"]}}}}`, "CRITICAL severity"},
	}
	for _, tc := range cases {
		t.Run(tc.preset+"/"+tc.min, func(t *testing.T) {
			p, err := LookupEventPreset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			if p, err = p.WithMinSeverity(tc.min); err != nil {
				t.Fatal(err)
			}
			m, err := p.PatternMap()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(m, decodeJSON(t, tc.want)) {
				t.Errorf("pattern %s\nwant %s", p.Pattern, tc.want)
			}
			if !strings.Contains(p.Description, tc.desc) {
				t.Errorf("description %q does not say %q", p.Description, tc.desc)
			}
		})
	}
	p, _ := LookupEventPreset("codebuild-failed")
	if _, err := p.WithMinSeverity("high"); err == nil || !strings.Contains(err.Error(), "applies only to the guardduty and securityhub presets") {
		t.Errorf("min_severity on codebuild-failed: %v", err)
	}
	p, _ = LookupEventPreset("guardduty")
	if _, err := p.WithMinSeverity("severe"); err == nil || !strings.Contains(err.Error(), `unknown min_severity "severe"`) {
		t.Errorf("min_severity severe: %v", err)
	}
}
