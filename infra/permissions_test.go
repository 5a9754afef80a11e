package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

// testEnv is a literal environment so derived ARNs can be compared as strings.
var testEnv = arnEnv{Partition: "aws", Region: "eu-west-2", Account: "111122223333", URLSuffix: "amazonaws.com"}

func TestSecretRefARN(t *testing.T) {
	tests := []struct {
		name    string
		ref     config.SecretRef
		kind    config.SecretKind
		arns    []string
		region  string
		account string
		wantErr bool
	}{
		{
			name: "full ARN with suffix", ref: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack-AbCdEf",
			kind: config.SecretsManager, arns: []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack-AbCdEf"},
			region: "us-east-1", account: "123456789012",
		},
		{
			name: "partial ARN gets the suffix wildcard", ref: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack",
			kind: config.SecretsManager, arns: []string{
				"arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack",
				"arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack-??????",
			},
			region: "us-east-1", account: "123456789012",
		},
		{
			name: "json key is not part of the resource", ref: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:wk/pd-Q1w2E3#routing_key",
			kind: config.SecretsManager, arns: []string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:wk/pd-Q1w2E3"},
			region: "eu-west-1", account: "123456789012",
		},
		{
			name: "ssm parameter with leading slash", ref: "ssm:/wk/pagerduty/key",
			kind: config.SSMParameter, arns: []string{"arn:aws:ssm:eu-west-2:111122223333:parameter/wk/pagerduty/key"},
			region: "eu-west-2", account: "111122223333",
		},
		{
			name: "ssm parameter without slash", ref: "ssm:wk-key",
			kind: config.SSMParameter, arns: []string{"arn:aws:ssm:eu-west-2:111122223333:parameter/wk-key"},
			region: "eu-west-2", account: "111122223333",
		},
		{name: "empty ssm name", ref: "ssm:/", wantErr: true},
		{name: "ssm pattern", ref: "ssm:/wk/*", wantErr: true},
		{name: "secret pattern", ref: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/*", wantErr: true},
		{name: "secret in no region", ref: "arn:aws:secretsmanager::123456789012:secret:wk", wantErr: true},
		{name: "secret of no account", ref: "arn:aws:secretsmanager:us-east-1:acct:secret:wk", wantErr: true},
		{name: "not a secret ARN", ref: "arn:aws:s3:::bucket/key", wantErr: true},
		{name: "env ref is not deployable", ref: "env:SLACK_URL", kind: config.SecretNone},
		{name: "literal is not deployable", ref: "https://hooks.example.com/x", kind: config.SecretNone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, arns, region, account, err := secretRefARN(tc.ref, testEnv)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if kind != tc.kind || !slices.Equal(arns, tc.arns) || region != tc.region || account != tc.account {
				t.Errorf("got %q %q %q %q, want %q %q %q %q", kind, arns, region, account, tc.kind, tc.arns, tc.region, tc.account)
			}
		})
	}
}

func TestHasSecretSuffix(t *testing.T) {
	tests := map[string]bool{
		"name-AbCdEf":   true,
		"a/b/c-123456":  true,
		"name":          false,
		"-AbCdEf":       false, // nothing before the suffix
		"name-AbCdE":    false,
		"name_AbCdEf":   false,
		"name-AbC/Ef":   false,
		"my-long-name":  false, // "-name" is 4 characters
		"my-secret-key": false,
	}
	for name, want := range tests {
		if got := hasSecretSuffix(name); got != want {
			t.Errorf("hasSecretSuffix(%q) = %v, want %v", name, got, want)
		}
	}
}

// grantFor returns the grant with sid, or nil.
func grantFor(gs []grant, sid string) *grant {
	for i := range gs {
		if gs[i].Sid == sid {
			return &gs[i]
		}
	}
	return nil
}

func TestNotifierGrants(t *testing.T) {
	slack := config.Channel{Name: "s", Type: config.ChannelSlack, WebhookURL: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack-AbCdEf"}
	pager := config.Channel{Name: "p", Type: config.ChannelPagerDuty, RoutingKey: "ssm:/wk/pd"}
	email := config.Channel{Name: "e", Type: config.ChannelEmail, From: "Watchkeeper <alerts@example.com>", To: []string{"ops@example.com"}}
	topic := config.Channel{Name: "t", Type: config.ChannelSNS, TopicARN: "arn:aws:sns:eu-west-2:111122223333:fanout"}

	tests := []struct {
		name     string
		channels []config.Channel
		logs     []config.LogAlarm
		// want maps sid → resources; a sid mapped to nil must be absent.
		want map[string][]string
	}{
		{
			name: "no channels: only the CloudWatch reads",
			want: map[string][]string{
				"RenderMetricGraphs":     nil, // no email channel shows a graph
				"DescribeAlarms":         nil, // the notifier never describes alarms
				"ReadChannelSecrets":     nil,
				"ReadChannelParameters":  nil,
				"DecryptChannelSecrets":  nil,
				"SendEmail":              nil,
				"PublishToChannelTopics": nil,
				"ReadLogAlarmEvents":     nil,
			},
		},
		{
			name:     "secret and parameter, keys of their own region",
			channels: []config.Channel{slack, pager},
			want: map[string][]string{
				"ReadChannelSecrets":    {slack.WebhookURL.ARN()},
				"ReadChannelParameters": {"arn:aws:ssm:eu-west-2:111122223333:parameter/wk/pd"},
				"DecryptChannelSecrets": {"arn:aws:kms:eu-west-2:111122223333:key/*", "arn:aws:kms:us-east-1:123456789012:key/*"},
				"SendEmail":             nil,
			},
		},
		{
			name:     "email: address and domain identity only",
			channels: []config.Channel{email},
			want: map[string][]string{
				"SendEmail": {
					"arn:aws:ses:eu-west-2:111122223333:identity/alerts@example.com",
					"arn:aws:ses:eu-west-2:111122223333:identity/example.com",
				},
				"ReadChannelSecrets": nil,
			},
		},
		{
			name:     "sns topic and log alarms",
			channels: []config.Channel{topic},
			logs:     []config.LogAlarm{{Name: "a", LogGroup: "/app/web"}, {Name: "b", LogGroup: "/app/web"}},
			want: map[string][]string{
				"PublishToChannelTopics": {topic.TopicARN},
				"ReadLogAlarmEvents":     {"arn:aws:logs:eu-west-2:111122223333:log-group:/app/web:*"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{}
			cfg.Notifications.Channels = tc.channels
			cfg.Alarms.Log = tc.logs
			gs, err := notifierGrants(cfg, testEnv)
			if err != nil {
				t.Fatal(err)
			}
			for sid, want := range tc.want {
				g := grantFor(gs, sid)
				switch {
				case want == nil && g != nil:
					t.Errorf("%s granted on %v, want absent", sid, g.Resources)
				case want != nil && g == nil:
					t.Errorf("%s absent, want %v", sid, want)
				case want != nil && !slices.Equal(g.Resources, want):
					t.Errorf("%s on %v, want %v", sid, g.Resources, want)
				}
			}
			for _, g := range gs {
				wild := slices.ContainsFunc(g.Resources, func(r string) bool { return strings.Contains(r, "*") })
				if wild && len(g.Wildcards) == 0 {
					t.Errorf("%s has a wildcard resource but no cdk-nag justification", g.Sid)
				}
				for re, reason := range g.Wildcards {
					if len(reason) < minSuppressionReason {
						t.Errorf("%s: reason for %s is too short: %q", g.Sid, re, reason)
					}
				}
			}
			if kms := grantFor(gs, "DecryptChannelSecrets"); kms != nil {
				via := kms.Conditions["StringEquals"]["kms:ViaService"]
				if len(via) == 0 {
					t.Error("kms:Decrypt without kms:ViaService")
				}
				for _, v := range via {
					if !strings.HasPrefix(v, "secretsmanager.") && !strings.HasPrefix(v, "ssm.") {
						t.Errorf("kms:ViaService %q is neither Secrets Manager nor SSM", v)
					}
				}
			}
		})
	}
}

func TestNotifierGrantsErrors(t *testing.T) {
	cfg := &config.Config{}
	cfg.Notifications.Channels = []config.Channel{
		{Name: "bad-secret", Type: config.ChannelWebhook, WebhookURL: "arn:aws:s3:::not-a-secret"},
		{Name: "bad-from", Type: config.ChannelEmail, From: "not an address"},
	}
	_, err := notifierGrants(cfg, testEnv)
	if err == nil || !strings.Contains(err.Error(), "bad-secret") {
		t.Errorf("err = %v, want it to name channel bad-secret", err)
	}
	cfg.Notifications.Channels = cfg.Notifications.Channels[1:]
	_, err = notifierGrants(cfg, testEnv)
	if err == nil || !strings.Contains(err.Error(), "bad-from") {
		t.Errorf("err = %v, want it to name channel bad-from", err)
	}
}

func TestRemediatorGrants(t *testing.T) {
	registry := remediate.Default()
	names := registry.Names()
	if len(names) == 0 {
		t.Fatal("the remediation registry is empty")
	}
	action := names[0]
	perms, err := registry.Permissions([]string{action})
	if err != nil {
		t.Fatal(err)
	}
	var reads []string
	for _, p := range perms {
		if isReadAction(p) {
			reads = append(reads, p)
		}
	}

	tests := []struct {
		name        string
		rc          config.Remediation
		wantSwitch  bool
		wantActions []string
		wantErr     string
	}{
		{name: "nothing configured"},
		{
			name:       "kill switch only",
			rc:         config.Remediation{KillSwitchParameter: "/wk/enabled"},
			wantSwitch: true,
		},
		{
			name:        "dry-run rule gets the read half",
			rc:          config.Remediation{Mode: config.ModeDryRun, Rules: []config.RemediationRule{{Name: "r", Action: action}}},
			wantActions: reads,
		},
		{
			name:        "enforce rule gets everything the action declares",
			rc:          config.Remediation{Mode: config.ModeDryRun, Rules: []config.RemediationRule{{Name: "r", Action: action, Mode: config.ModeEnforce}}},
			wantActions: perms,
		},
		{
			name:    "unknown action fails with the rule name",
			rc:      config.Remediation{Rules: []config.RemediationRule{{Name: "typo", Action: "no-such-action"}}},
			wantErr: "typo",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Remediation: tc.rc}
			gs, err := remediatorGrants(cfg, testEnv, registry)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one naming %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ks := grantFor(gs, "ReadKillSwitch")
			if (ks != nil) != tc.wantSwitch {
				t.Errorf("kill switch grant %+v, want %v", ks, tc.wantSwitch)
			} else if ks != nil && !slices.Equal(ks.Resources, []string{"arn:aws:ssm:eu-west-2:111122223333:parameter/wk/enabled"}) {
				t.Errorf("kill switch on %v", ks.Resources)
			}
			acts := grantFor(gs, "RemediationActions")
			switch {
			case len(tc.wantActions) == 0 && acts != nil:
				t.Errorf("actions %v granted, want none", acts.Actions)
			case len(tc.wantActions) > 0 && (acts == nil || !slices.Equal(acts.Actions, sortedUnique(tc.wantActions))):
				t.Errorf("actions %+v, want %v", acts, tc.wantActions)
			case acts != nil && len(acts.Wildcards) == 0:
				t.Error("Resource * without a cdk-nag justification")
			}
		})
	}
}

func TestIsReadAction(t *testing.T) {
	tests := map[string]bool{
		"ec2:DescribeSecurityGroups":     true,
		"s3:GetBucketPublicAccessBlock":  true,
		"iam:ListAccessKeys":             true,
		"ec2:RevokeSecurityGroupIngress": false,
		"cloudtrail:StartLogging":        false,
		"s3:PutBucketPublicAccessBlock":  false,
		"iam:UpdateAccessKey":            false,
		"malformed":                      false,
	}
	for action, want := range tests {
		if got := isReadAction(action); got != want {
			t.Errorf("isReadAction(%q) = %v, want %v", action, got, want)
		}
	}
}

// FuzzSecretRefARN checks, for any reference, that resolution never panics,
// that a resolved secret is always read by its own ARN (never a broader one)
// and that a parameter ARN always names the parameter.
func FuzzSecretRefARN(f *testing.F) {
	for _, seed := range []string{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack-AbCdEf",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:wk/slack#key",
		"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x",
		"arn:aws:secretsmanager:::secret:",
		"ssm:/a/b", "ssm:", "ssm://", "env:X", "literal", "arn:", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref := config.SecretRef(s)
		kind, arns, _, _, err := secretRefARN(ref, testEnv)
		if err != nil {
			if kind != config.SecretNone || arns != nil {
				t.Errorf("error %v with kind %q arns %q", err, kind, arns)
			}
			return
		}
		switch kind {
		case config.SecretsManager:
			if len(arns) == 0 || arns[0] != ref.ARN() {
				t.Errorf("secret %q resolved to %q", s, arns)
			}
			for _, a := range arns {
				if strings.Contains(a, "*") || strings.Contains(a, "#") {
					t.Errorf("secret %q resolved to broad or keyed ARN %q", s, a)
				}
			}
		case config.SSMParameter:
			name := strings.TrimPrefix(ref.ParameterName(), "/")
			if len(arns) != 1 || !strings.HasSuffix(arns[0], ":parameter/"+name) || strings.ContainsAny(name, "*?") {
				t.Errorf("parameter %q resolved to %q", s, arns)
			}
		case config.SecretNone:
			if ref.Deployable() {
				t.Errorf("deployable ref %q resolved to nothing", s)
			}
		}
	})
}
