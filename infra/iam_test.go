package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// flatten renders a CloudFormation string expression for comparisons:
// Fn::Join is joined and a Ref becomes ${Name}.
func flatten(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case obj:
		if ref, ok := x["Ref"].(string); ok {
			return "${" + ref + "}"
		}
		if join, ok := x["Fn::Join"].([]any); ok && len(join) == 2 {
			var parts []string
			for _, p := range asSlice(join[1]) {
				parts = append(parts, flatten(p))
			}
			return strings.Join(parts, join[0].(string))
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			return fmt.Sprintf("${%v.%v}", ga[0], ga[1])
		}
	}
	data, _ := json.Marshal(v)
	return string(data)
}

// flattenAll flattens each value.
func flattenAll(vs []any) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, flatten(v))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// wildcardOK are the only actions that may be granted on Resource "*": the
// services support no resource-level permissions for them.
var wildcardOK = []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:GetMetricWidgetImage", "iam:ListAccountAliases"}

func TestLeastPrivilege(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		var wantSecrets, wantParams, wantTopics []string
		hasEmail := false
		for _, ch := range s.cfg.Notifications.Channels {
			for _, ref := range channelSecretRefs(ch) {
				switch ref.Kind() {
				case config.SecretsManager:
					wantSecrets = append(wantSecrets, ref.ARN())
				case config.SSMParameter:
					wantParams = append(wantParams, ":parameter/"+strings.TrimPrefix(ref.ParameterName(), "/"))
				}
			}
			if ch.Type == config.ChannelEmail {
				hasEmail = true
			}
			if ch.Type == config.ChannelSNS {
				wantTopics = append(wantTopics, ch.TopicARN)
			}
		}
		if s.name == optionsSynth && (len(wantSecrets) == 0 || len(wantParams) == 0 || hasEmail || len(wantTopics) == 0) {
			t.Fatal("testdata/options.yaml must reference a secret, a parameter and an SNS topic, and have no email channel")
		}

		// The remediator may act on any resource, but only with what the
		// configured rules' actions declare, and only reads unless enforcing.
		var remediation []string
		for _, rule := range s.cfg.Remediation.Rules {
			perms, err := remediate.Default().Permissions([]string{rule.Action})
			if err != nil {
				t.Fatal(err)
			}
			enforce := rule.Mode == config.ModeEnforce || rule.Mode == "" && s.cfg.Remediation.Mode == config.ModeEnforce
			for _, p := range perms {
				_, op, _ := strings.Cut(p, ":")
				if enforce || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") {
					remediation = append(remediation, p)
				}
			}
		}

		// The sweeper reads what its scheduled jobs read, account-wide.
		var sweeping, sweepingScoped []string
		var scheduled []string
		for _, sc := range s.cfg.Schedules {
			scheduled = append(scheduled, sc.Job)
		}
		for _, j := range sweeperJobs(s.cfg, scheduled) {
			spec, err := sweep.LookupJob(j)
			if err != nil {
				t.Fatal(err)
			}
			sweeping = append(sweeping, spec.Permissions...)
			for _, sp := range spec.Scoped {
				sweepingScoped = append(sweepingScoped, sp.Actions...)
			}
		}

		for name, fnID := range s.functionIDs(t) {
			sts := s.statements(s.roleID(t, fnID))
			acts := actions(sts)
			t.Run(name, func(t *testing.T) {
				for _, st := range sts {
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range asSlice(st["Action"]) {
						if strings.Contains(a.(string), "*") {
							t.Errorf("wildcard action %v", a)
						}
					}
					if slices.Contains(asSlice(st["Resource"]), any("*")) {
						for _, a := range asSlice(st["Action"]) {
							if !slices.Contains(wildcardOK, a.(string)) &&
								!(name == config.FunctionRemediator && slices.Contains(remediation, a.(string))) &&
								!(name == config.FunctionSweeper && slices.Contains(sweeping, a.(string))) {
								t.Errorf("%v granted on Resource *", a)
							}
						}
					}
				}
				if slices.Contains(acts, "xray:PutTraceSegments") != s.cfg.Deployment.Tracing {
					t.Errorf("X-Ray permissions %v with tracing %v", slices.Contains(acts, "xray:PutTraceSegments"), s.cfg.Deployment.Tracing)
				}

				secrets := flattenAll(resourcesFor(sts, "secretsmanager:GetSecretValue"))
				if name != config.FunctionNotifier {
					for _, a := range acts {
						for _, svc := range []string{"secretsmanager:", "kms:", "ses:", "sns:", "cloudwatch:", "logs:FilterLogEvents"} {
							// The sweeper's jobs declare what they need: reading alarms, managing the profiles' alarms.
							if name == config.FunctionSweeper && (slices.Contains(sweeping, a) || slices.Contains(sweepingScoped, a)) {
								continue
							}
							// The weekly digest sends as the email channels' senders (digestGrants).
							if name == config.FunctionSweeper && a == "ses:SendEmail" && slices.Contains(scheduled, "digest") {
								continue
							}
							if strings.HasPrefix(a, svc) {
								t.Errorf("%s has %s; only the notifier reads secrets, sends or describes", name, a)
							}
						}
					}
					return
				}
				// The notifier reads exactly the referenced secrets: each one
				// (with or without the random suffix) and nothing else.
				for _, want := range wantSecrets {
					if !slices.Contains(secrets, want) {
						t.Errorf("secret %s not readable (have %v)", want, secrets)
					}
				}
				for _, got := range secrets {
					if !slices.ContainsFunc(wantSecrets, func(w string) bool { return got == w || got == w+"-??????" }) {
						t.Errorf("secret %s readable but not referenced by a channel", got)
					}
				}
				params := flattenAll(resourcesFor(sts, "ssm:GetParameter"))
				if len(params) != len(wantParams) {
					t.Errorf("ssm:GetParameter on %v, want the %d channel parameters", params, len(wantParams))
				}
				for _, want := range wantParams {
					if !slices.ContainsFunc(params, func(p string) bool { return strings.HasSuffix(p, want) }) {
						t.Errorf("parameter %s not readable (have %v)", want, params)
					}
				}
				if got := slices.Contains(acts, "ses:SendEmail"); got != hasEmail {
					t.Errorf("ses:SendEmail granted = %v, email channel configured = %v", got, hasEmail)
				}
				topics := flattenAll(resourcesFor(sts, "sns:Publish"))
				slices.Sort(wantTopics)
				if !slices.Equal(topics, slices.Compact(wantTopics)) {
					t.Errorf("sns:Publish on %v, want the sns channel topics %v", topics, wantTopics)
				}
				// The notifier reads alarm tags (runbook links), never describes alarms.
				if !slices.Contains(acts, "cloudwatch:ListTagsForResource") || slices.Contains(acts, "cloudwatch:DescribeAlarms") {
					t.Error("notifier should read alarm tags and not describe alarms")
				}
				// Graphs are drawn only when someone sees them (email, Slack bot, graph bucket).
				if got, want := slices.Contains(acts, "cloudwatch:GetMetricWidgetImage"), evidence.GraphsWanted(s.cfg.Notifications); got != want {
					t.Errorf("cloudwatch:GetMetricWidgetImage granted = %v, graphs wanted = %v", got, want)
				}
				checkLinkGrants(t, s.cfg, sts)
				for _, st := range sts {
					if slices.Contains(asSlice(st["Action"]), any("kms:Decrypt")) && dig(st, "Condition", "StringEquals", "kms:ViaService") == nil {
						t.Errorf("kms:Decrypt without a kms:ViaService condition: %v", st)
					}
				}
			})
		}

		remediator := s.statements(s.roleID(t, s.functionIDs(t)[config.FunctionRemediator]))
		params := flattenAll(resourcesFor(remediator, "ssm:GetParameter"))
		want := ":parameter/" + strings.TrimPrefix(s.cfg.Remediation.KillSwitchParameter, "/")
		if len(params) != 1 || !strings.HasSuffix(params[0], want) {
			t.Errorf("remediator ssm:GetParameter on %v, want only the kill switch %s", params, want)
		}
	})
}

func TestRolePolicyGolden(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		for name, fnID := range s.functionIDs(t) {
			roleID := s.roleID(t, fnID)
			role := props(s.resource(roleID))
			doc := obj{"Statements": s.statements(roleID)}
			for _, k := range []string{"AssumeRolePolicyDocument", "ManagedPolicyArns", "PermissionsBoundary", "Policies"} {
				if v, ok := role[k]; ok {
					doc[k] = v
				}
			}
			// Round-trip through JSON so normalize sees only generic values.
			raw, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			var generic any
			if err := json.Unmarshal(raw, &generic); err != nil {
				t.Fatal(err)
			}
			data, err := json.MarshalIndent(normalize(generic), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, s.name+"-"+name+"-role.golden.json", append(data, '\n'))
		}
	})
}
