package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Each case is a config body (after "version: 1") with one mistake, the
// position the error must point at, and a substring of its message.
func TestValidateRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name string
		body string
		at   string
		want string
	}{
		// deployment
		{"stack name", "deployment:\n  stack_name: 1abc\n", "3:3", `deployment.stack_name: "1abc" is not a valid stack name`},
		{"stack name too long", "deployment:\n  stack_name: " + long(129) + "\n", "3:3", "is not a valid stack name"},
		{"account", "deployment:\n  account: \"12345\"\n", "3:3", `deployment.account: "12345" is not a 12-digit AWS account id`},
		{"region", "deployment:\n  region: europe\n", "3:3", `deployment.region: "europe" does not look like a region code`},
		{"qualifier", "deployment:\n  bootstrap_qualifier: HNB-659\n", "3:3", `deployment.bootstrap_qualifier: "HNB-659" is not a bootstrap qualifier`},
		{"boundary arn", "deployment:\n  permissions_boundary: arn:aws:iam::123:policy/x\n", "3:3", "is not an IAM managed policy ARN"},
		{"boundary name", "deployment:\n  permissions_boundary: has space\n", "3:3", "is neither an IAM policy ARN nor a policy name"},
		{"reserved tag", "deployment:\n  tags:\n    aws:owner: me\n", "4:5", `deployment.tags.aws:owner: tag keys starting with "aws:" are reserved`},
		{"tag key too long", "deployment:\n  tags:\n    " + long(129) + ": x\n", "4:5", "tag key longer than 128 characters"},
		{"tag value too long", "deployment:\n  tags:\n    k: " + long(257) + "\n", "4:5", "deployment.tags.k: tag value longer than 256 characters"},
		{"removal policy", "deployment:\n  removal_policy: keep\n", "3:3", `unknown removal policy "keep" (valid: retain, destroy)`},
		{"log retention", "deployment:\n  log_retention_days: 31\n", "3:3", "31 is not a retention CloudWatch Logs accepts"},
		{"log retention explicit zero", "deployment:\n  log_retention_days: 0\n", "3:3", "0 is not a retention CloudWatch Logs accepts"},
		{"time zone", "deployment:\n  time_zone: Mars/Olympus\n", "3:3", `unknown time zone "Mars/Olympus"`},
		{"memory low", "deployment:\n  functions:\n    detector:\n      memory_mb: 127\n", "5:7", "deployment.functions.detector.memory_mb: 127 is outside 128–10240 MB"},
		{"memory high", "deployment:\n  functions:\n    detector:\n      memory_mb: 10241\n", "5:7", "10241 is outside 128–10240 MB"},
		{"timeout zero", "deployment:\n  functions:\n    sweeper:\n      timeout_seconds: 0\n", "5:7", "deployment.functions.sweeper.timeout_seconds: 0 is outside 1–900 seconds"},
		{"timeout high", "deployment:\n  functions:\n    sweeper:\n      timeout_seconds: 901\n", "5:7", "901 is outside 1–900 seconds"},
		{"reserved negative", "deployment:\n  functions:\n    notifier:\n      reserved_concurrency: -1\n", "5:7", "must not be negative"},

		// notifications
		{"channel name required", "notifications:\n  channels:\n    - type: sns\n      topic_arn: arn:aws:sns:us-east-1:123456789012:t\n", "4:7", "notifications.channels[0].name: is required"},
		{"channel name unique", "notifications:\n  channels:\n    - {name: a, type: sns, topic_arn: \"arn:aws:sns:us-east-1:123456789012:t\"}\n    - {name: a, type: sns, topic_arn: \"arn:aws:sns:us-east-1:123456789012:t\"}\n  receivers: [{name: r, channels: [a]}]\n  route: {receiver: r}\n", "5:8", `notifications.channels[1].name: duplicate channel name "a" (first used at line 4)`},
		{"channel type required", "notifications:\n  channels:\n    - name: a\n", "4:7", "notifications.channels[0].type: is required"},
		{"channel type unknown", "notifications:\n  channels:\n    - name: a\n      type: slak\n", "5:7", `notifications.channels[0].type: unknown channel type "slak" (valid: email, file, pagerduty, slack, sns, teams, webhook)`},
		{"field not for type", "notifications:\n  channels:\n    - name: a\n      type: pagerduty\n      routing_key: ssm:/k\n      webhook_url: ssm:/u\n", "7:7", "notifications.channels[0].webhook_url: does not apply to pagerduty channels (they use: routing_key)"},
		{"slack needs a target", "notifications:\n  channels:\n    - name: a\n      type: slack\n", "4:7", "notifications.channels[0].webhook_url: a slack channel needs webhook_url, or token and slack_channel"},
		{"slack not both", "notifications:\n  channels:\n    - name: a\n      type: slack\n      webhook_url: ssm:/u\n      token: ssm:/t\n      slack_channel: C0123456789\n", "4:7", "either webhook_url or token + slack_channel, not both"},
		{"slack token needs channel", "notifications:\n  channels:\n    - name: a\n      type: slack\n      token: ssm:/t\n", "4:7", "notifications.channels[0].slack_channel: a bot token needs slack_channel"},
		{"slack channel needs token", "notifications:\n  channels:\n    - name: a\n      type: slack\n      slack_channel: C0123456789\n", "4:7", "notifications.channels[0].token: slack_channel needs a bot token"},
		{"slack channel id", "notifications:\n  channels:\n    - name: a\n      type: slack\n      token: ssm:/t\n      slack_channel: \"#alerts\"\n", "7:7", `"#alerts" is not a Slack channel id`},
		{"teams needs url", "notifications:\n  channels:\n    - name: a\n      type: teams\n", "4:7", "notifications.channels[0].webhook_url: is required"},
		{"webhook needs url", "notifications:\n  channels:\n    - name: a\n      type: webhook\n      signing_secret: env:S\n", "4:7", "notifications.channels[0].webhook_url: is required"},
		{"pagerduty needs key", "notifications:\n  channels:\n    - name: a\n      type: pagerduty\n", "4:7", "notifications.channels[0].routing_key: is required"},
		{"email from", "notifications:\n  channels:\n    - name: a\n      type: email\n      from: nobody\n      to: [ops@example.com]\n", "6:7", `notifications.channels[0].from: "nobody" is not an email address`},
		{"email needs to", "notifications:\n  channels:\n    - name: a\n      type: email\n      from: a@example.com\n", "4:7", "notifications.channels[0].to: an email channel needs at least one recipient"},
		{"email to address", "notifications:\n  channels:\n    - name: a\n      type: email\n      from: a@example.com\n      to:\n        - ok@example.com\n        - not-an-address\n", "9:11", `notifications.channels[0].to[1]: "not-an-address" is not an email address`},
		{"sns topic", "notifications:\n  channels:\n    - name: a\n      type: sns\n      topic_arn: arn:aws:sqs:us-east-1:123456789012:q\n", "6:7", "is not an SNS topic ARN"},
		{"file format", "notifications:\n  channels:\n    - name: a\n      type: file\n      format: html\n", "6:7", `unknown file format "html" (valid: slack, teams, email, text, json)`},
		{"file dir", "notifications:\n  channels:\n    - name: a\n      type: file\n      dir: /tmp/out\n", "6:7", `"/tmp/out" must be a relative path`},
		{"secret arn", "notifications:\n  channels:\n    - name: a\n      type: teams\n      webhook_url: arn:aws:secretsmanager:eu-west-2:123:secret:x\n", "6:7", "is not a Secrets Manager secret ARN"},
		{"secret ssm empty", "notifications:\n  channels:\n    - name: a\n      type: pagerduty\n      routing_key: \"ssm:\"\n", "6:7", "names no SSM parameter"},
		{"secret ssm chars", "notifications:\n  channels:\n    - name: a\n      type: pagerduty\n      routing_key: ssm:/a b\n", "6:7", "is not a valid SSM parameter name"},
		{"secret env name", "notifications:\n  channels:\n    - name: a\n      type: webhook\n      webhook_url: http://127.0.0.1/x\n      signing_secret: env:1BAD\n", "7:7", "is not a valid environment variable reference"},
		{"receiver unknown channel", "notifications:\n  receivers:\n    - name: r\n      channels: [ghost]\n", "5:18", `notifications.receivers[0].channels[0]: unknown channel "ghost" (no channels are defined)`},
		{"receiver name unique", "notifications:\n  receivers:\n    - name: r\n    - name: r\n", "5:7", `duplicate receiver name "r"`},
		{"receiver channel twice", "notifications:\n  channels: [{name: a, type: pagerduty, routing_key: \"ssm:/k\"}]\n  receivers:\n    - name: r\n      channels: [a, a]\n  route: {receiver: r}\n", "6:21", `channel "a" listed twice`},
		{"root route receiver", "notifications:\n  channels: [{name: a, type: pagerduty, routing_key: \"ssm:/k\"}]\n", "2:1", "notifications.route.receiver: the root route needs a receiver"},
		{"nested route receiver", "notifications:\n  receivers: [{name: r}]\n  route:\n    receiver: r\n    routes:\n      - routes:\n          - receiver: ghost\n", "8:13", `notifications.route.routes[0].routes[0].receiver: unknown receiver "ghost" (defined: r)`},
		{"matcher regex", "notifications:\n  route:\n    matchers:\n      - severity=~\"(\"\n", "5:9", "notifications.route.matchers[0]: matcher"},
		{"matcher operator", "notifications:\n  route:\n    matchers: [severity]\n", "4:16", "no operator"},
		{"dedup window", "notifications:\n  dedup_window: 1 hour\n", "3:3", `notifications.dedup_window: "1 hour" is not a duration`},
		{"group interval zero", "notifications:\n  route:\n    group_interval: 0s\n", "4:5", `"0s" must be positive`},
		{"group by label", "notifications:\n  route:\n    group_by: [\"a b\"]\n", "4:16", `"a b" is not a label name`},
		{"graph bucket", "notifications:\n  graph_bucket: Bad_Bucket\n", "3:3", "is not a valid S3 bucket name"},

		// metric alarms
		{"alarm name required", "alarms:\n  metric:\n    - namespace: N\n      metric: M\n      comparison: \">\"\n", "4:7", "alarms.metric[0].name: is required"},
		{"alarm name unique across kinds", "alarms:\n  metric:\n    - {name: x, namespace: N, metric: M, comparison: \">\"}\n  log:\n    - {name: x, log_group: /g, pattern: E}\n", "6:8", `alarms.log[0].name: duplicate alarm name "x" (first used at line 4)`},
		{"alarm name length", "alarms:\n  metric:\n    - name: " + long(256) + "\n      namespace: N\n      metric: M\n      comparison: \">\"\n", "4:7", "longer than 255 characters"},
		{"namespace required", "alarms:\n  metric:\n    - name: a\n      metric: M\n      comparison: \">\"\n", "4:7", "alarms.metric[0].namespace: is required"},
		{"metric required", "alarms:\n  metric:\n    - name: a\n      namespace: N\n      comparison: \">\"\n", "4:7", "alarms.metric[0].metric: is required"},
		{"statistic", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", statistic: Mean}\n", "4:59", `unknown statistic "Mean"`},
		{"percentile over 100", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", statistic: p101}\n", "4:59", `unknown statistic "p101"`},
		{"period", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", period_seconds: 45}\n", "4:59", "45 is not 10, 20, 30 or a multiple of 60"},
		{"evaluation periods", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", evaluation_periods: 0}\n", "4:59", "alarms.metric[0].evaluation_periods: must be at least 1"},
		{"evaluation range", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", period_seconds: 300, evaluation_periods: 289}\n", "4:80", "289 periods of 300 s exceed the 86400 s"},
		{"evaluation range long periods", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", period_seconds: 3600, evaluation_periods: 169}\n", "4:81", "169 periods of 3600 s exceed the 604800 s"},
		{"datapoints", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", evaluation_periods: 3, datapoints_to_alarm: 4}\n", "4:82", "alarms.metric[0].datapoints_to_alarm: 4 must be between 1 and evaluation_periods (3)"},
		{"comparison required", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M}\n", "4:7", "alarms.metric[0].comparison: is required"},
		{"comparison", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \"==\"}\n", "4:42", `unknown comparison "=="`},
		{"treat missing", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", treat_missing_data: zero}\n", "4:59", `unknown treat_missing_data "zero"`},
		{"severity", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", severity: urgent}\n", "4:59", `unknown severity "urgent" (valid: critical, high, medium, low, info)`},
		{"runbook", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", runbook: \"ftp://x/y\"}\n", "4:59", `"ftp://x/y" is not an http(s) URL`},
		{"description length", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", description: " + long(1025) + "}\n", "4:59", "longer than 1024 characters"},
		{"dimensions", "alarms:\n  metric:\n    - name: a\n      namespace: N\n      metric: M\n      comparison: \">\"\n      dimensions: {" + dims(31) + "}\n", "8:7", "31 dimensions; at most 30"},

		// log alarms
		{"log pattern required", "alarms:\n  log:\n    - {name: a, log_group: /g}\n", "4:7", "alarms.log[0].pattern: is required"},
		{"log pattern too long", "alarms:\n  log:\n    - {name: a, log_group: /g, pattern: " + long(1025) + "}\n", "4:32", "filter pattern is 1025 characters; CloudWatch Logs allows 1024"},
		{"log pattern does not compile", "alarms:\n  log:\n    - {name: a, log_group: /g, pattern: '{ ($.level = \"ERROR\" }'}\n", "4:32", "alarms.log[0].pattern: filter pattern: unbalanced parenthesis"},
		{"trail filter pattern does not compile", "trail:\n  filter_pattern: '{ $.readOnly => 1 }'\n", "3:3", "trail.filter_pattern: filter pattern: unknown operator"},
		{"sigma path escapes", "detection:\n  sigma_files: [../elsewhere]\n", "3:17", `"../elsewhere" must be a relative path inside the config file's directory`},
		{"log group required", "alarms:\n  log:\n    - {name: a, pattern: E}\n", "4:7", "alarms.log[0].log_group: is required"},
		{"log group name", "alarms:\n  log:\n    - {name: a, log_group: \"bad group!\", pattern: E}\n", "4:17", `"bad group!" is not a valid log group name`},
		{"log threshold explicit zero", "alarms:\n  log:\n    - {name: a, log_group: /g, pattern: E, threshold: 0}\n", "4:44", "alarms.log[0].threshold: must be positive"},
		{"log period sub-minute", "alarms:\n  log:\n    - {name: a, log_group: /g, pattern: E, period_seconds: 30}\n", "4:44", "30 is not a multiple of 60"},

		// schedules
		{"schedule name", "schedules:\n  - {name: \"has space\", job: posture, expression: rate(1 day)}\n", "3:6", `"has space" is not a schedule name`},
		{"schedule name length", "schedules:\n  - {name: " + long(65) + ", job: posture, expression: rate(1 day)}\n", "3:6", "at most 64"},
		{"schedule unique", "schedules:\n  - {name: s, job: posture, expression: rate(1 day)}\n  - {name: s, job: digest, expression: rate(1 day)}\n", "4:6", `duplicate schedule name "s"`},
		{"job", "schedules:\n  - {name: s, job: cleanup, expression: rate(1 day)}\n", "3:15", `unknown job "cleanup" (valid: posture, reminders, digest, heartbeat, reconcile)`},
		{"expression required", "schedules:\n  - {name: s, job: posture}\n", "3:5", "schedules[0].expression: is required"},
		{"rate singular", "schedules:\n  - {name: s, job: posture, expression: rate(1 hours)}\n", "3:29", "use the singular unit with 1"},
		{"rate plural", "schedules:\n  - {name: s, job: posture, expression: rate(2 hour)}\n", "3:29", "use the plural unit with 2"},
		{"rate zero", "schedules:\n  - {name: s, job: posture, expression: rate(0 minutes)}\n", "3:29", "positive whole number"},
		{"rate unit", "schedules:\n  - {name: s, job: posture, expression: rate(2 weeks)}\n", "3:29", "is not rate(<n>"},
		{"cron fields", "schedules:\n  - {name: s, job: posture, expression: cron(0 9 * * ?)}\n", "3:29", "has 5 fields; cron takes 6"},
		{"cron both question marks", "schedules:\n  - {name: s, job: posture, expression: cron(0 9 ? * ? *)}\n", "3:29", "exactly one of day-of-month (?) and day-of-week (?) must be ?"},
		{"cron no question mark", "schedules:\n  - {name: s, job: posture, expression: cron(0 9 * * MON *)}\n", "3:29", "exactly one of day-of-month"},
		{"cron characters", "schedules:\n  - {name: s, job: posture, expression: cron(0 9 ? * MON$ *)}\n", "3:29", "has characters cron does not accept"},
		{"not rate or cron", "schedules:\n  - {name: s, job: posture, expression: every day}\n", "3:29", `"every day" is neither rate(…) nor cron(…)`},
		{"schedule time zone", "schedules:\n  - {name: s, job: posture, expression: rate(1 day), time_zone: BST}\n", "3:54", `unknown time zone "BST"`},

		// events
		{"event needs preset or pattern", "events:\n  - name: e\n    targets: [notifier]\n", "3:5", "events[0]: needs a preset or a pattern"},
		{"event not both", "events:\n  - name: e\n    preset: codebuild-failed\n    pattern: {source: [aws.ec2]}\n    targets: [notifier]\n", "5:5", "events[0].pattern: give either preset or pattern, not both"},
		{"event preset name", "events:\n  - {name: e, preset: Bad Preset, targets: [notifier]}\n", "3:15", `"Bad Preset" is not a preset name`},
		{"event pattern size", "events:\n  - name: e\n    pattern: {source: [" + long(2100) + "]}\n    targets: [notifier]\n", "4:5", "EventBridge allows 2048"},
		{"event targets empty", "events:\n  - {name: e, preset: p}\n", "3:5", "events[0].targets: needs at least one target (notifier, remediator, sweeper)"},
		{"event target", "events:\n  - {name: e, preset: p, targets: [detector]}\n", "3:36", `events[0].targets[0]: unknown target "detector"`},
		{"event target twice", "events:\n  - {name: e, preset: p, targets: [notifier, notifier]}\n", "3:46", `target "notifier" listed twice`},
		{"event unique", "events:\n  - {name: e, preset: p, targets: [notifier]}\n  - {name: e, preset: q, targets: [sweeper]}\n", "4:6", `duplicate event rule name "e"`},
		{"event name", "events:\n  - {name: \"a/b\", preset: p, targets: [notifier]}\n", "3:6", `"a/b" is not a rule name`},

		// trail
		{"trail create and log group", "trail:\n  create: true\n  log_group_name: existing\n", "4:3", "give log_group_name only with create: false"},
		{"trail retention", "trail:\n  retention_days: 2\n", "3:3", "trail.retention_days: 2 is not a retention"},
		{"trail filter pattern", "trail:\n  filter_pattern: " + long(1025) + "\n", "3:3", "filter pattern is 1025 characters"},

		// detection
		{"pack", "detection:\n  packs: [cis, nist]\n", "3:16", `detection.packs[1]: unknown pack "nist" (valid: cis, attack)`},
		{"pack twice", "detection:\n  packs: [cis, cis]\n", "3:16", `pack "cis" listed twice`},
		{"sigma file empty", "detection:\n  sigma_files: [\"\"]\n", "3:17", "detection.sigma_files[0]: is required"},
		{"rule id required", "detection:\n  rules:\n    - {title: t, pattern: p}\n", "4:7", "detection.rules[0].id: is required"},
		{"rule id unique", "detection:\n  rules:\n    - {id: r, title: t, pattern: p}\n    - {id: r, title: t, pattern: p}\n", "5:8", `duplicate rule name "r"`},
		{"rule id chars", "detection:\n  rules:\n    - {id: \"a b\", title: t, pattern: p}\n", "4:8", `"a b" is not a rule id`},
		{"rule title", "detection:\n  rules:\n    - {id: r, pattern: p}\n", "4:7", "detection.rules[0].title: is required"},
		{"rule severity", "detection:\n  rules:\n    - {id: r, title: t, pattern: p, severity: severe}\n", "4:37", `unknown severity "severe"`},
		{"rule pattern", "detection:\n  rules:\n    - {id: r, title: t}\n", "4:7", "detection.rules[0].pattern: is required"},
		{"suppression until required", "detection:\n  suppressions:\n    - {reason: r}\n", "4:7", "detection.suppressions[0].until: is required"},
		{"suppression reason", "detection:\n  suppressions:\n    - {rule: r}\n", "4:7", "detection.suppressions[0].reason: is required"},
		{"suppression until", "detection:\n  suppressions:\n    - {rule: r, reason: x, until: tomorrow}\n", "4:28", `"tomorrow" is not an RFC 3339 time`},
		{"suppression matcher", "detection:\n  suppressions:\n    - {rule: r, reason: x, matchers: [\"1bad=x\"]}\n", "4:39", "is not a label name"},

		// remediation
		{"mode", "remediation:\n  mode: on\n", "3:3", `remediation.mode: unknown mode "on" (valid: dry-run, enforce)`},
		{"kill switch", "remediation:\n  kill_switch_parameter: no-slash\n", "3:3", `"no-slash" is not an SSM parameter name starting with /`},
		{"rule name required", "remediation:\n  rules:\n    - {matchers: [a=b], action: x}\n", "4:7", "remediation.rules[0].name: is required"},
		{"rule name unique", "remediation:\n  rules:\n    - {name: r, matchers: [a=b], action: x}\n    - {name: r, matchers: [a=b], action: x}\n", "5:8", `duplicate remediation rule name "r"`},
		{"rule matchers required", "remediation:\n  rules:\n    - {name: r, action: x}\n", "4:7", "remediation.rules[0].matchers: needs at least one matcher"},
		{"rule matcher", "remediation:\n  rules:\n    - {name: r, matchers: [\"a=~[\"], action: x}\n", "4:28", "remediation.rules[0].matchers[0]: matcher"},
		{"rule action", "remediation:\n  rules:\n    - {name: r, matchers: [a=b]}\n", "4:7", "remediation.rules[0].action: is required"},
		{"rule mode", "remediation:\n  rules:\n    - {name: r, matchers: [a=b], action: x, mode: live}\n", "4:45", `remediation.rules[0].mode: unknown mode "live"`},
		{"opt out tag", "remediation:\n  guardrails:\n    opt_out_tag: \"=off\"\n", "4:5", "needs a tag key"},
		{"opt in tag", "remediation:\n  guardrails:\n    opt_in_tag: \"=on\"\n", "4:5", "opt_in_tag: \"=on\" needs a tag key"},
		{"opt in tag is the opt out tag", "remediation:\n  guardrails:\n    opt_in_tag: watchkeeper:remediate=off\n", "4:5", "is also opt_out_tag"},
		{"cooldown", "remediation:\n  guardrails:\n    cooldown: soon\n", "4:5", `"soon" is not a duration`},
		{"max actions explicit zero", "remediation:\n  guardrails:\n    max_actions_per_hour: 0\n", "4:5", "must be at least 1"},
		{"protected arn glob", "remediation:\n  guardrails:\n    protected_arns: [\"arn:aws:ec2:[\"]\n", "4:22", "is not a valid pattern (only * and ? are wildcards)"},
		{"protected arn braces", "remediation:\n  guardrails:\n    protected_arns: [\"arn:aws:s3:::{a,b}\"]\n", "4:22", "only * and ? are wildcards"},
		{"allow accounts", "remediation:\n  guardrails:\n    allow_accounts: [\"123\"]\n", "4:22", `remediation.guardrails.allow_accounts[0]: "123" is not a 12-digit account id`},
		{"deny regions", "remediation:\n  guardrails:\n    deny_regions: [mars-1]\n", "4:20", `"mars-1" is not a region code`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("v.yaml", []byte("version: 1\n"+tc.body))
			wantError(t, err, tc.at, tc.want)
		})
	}
}

func dims(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("d%d: v", i)
	}
	return strings.Join(parts, ", ")
}

// Values at or inside the documented limits must pass.
func TestValidateAccepts(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct{ name, body string }{
		{"minimal", ""},
		{"memory and timeout limits", "deployment:\n  functions:\n    notifier: {memory_mb: 128, timeout_seconds: 1}\n    sweeper: {memory_mb: 10240, timeout_seconds: 900}\n"},
		{"tag limits", "deployment:\n  tags:\n    " + long(128) + ": " + long(256) + "\n"},
		{"boundary forms", "deployment:\n  permissions_boundary: arn:aws:iam::123456789012:policy/team/Boundary\n"},
		{"boundary name", "deployment:\n  permissions_boundary: Boundary\n  account: \"012345678901\"\n  region: us-gov-west-1\n"},
		{"every retention", "deployment:\n  log_retention_days: 3653\ntrail:\n  retention_days: 1\n"},
		{"pattern at the limit", "alarms:\n  log:\n    - {name: a, log_group: /aws/lambda/x, pattern: " + long(MaxFilterPatternLength) + "}\n"},
		{"alarm name at the limit", "alarms:\n  metric:\n    - {name: " + long(MaxAlarmNameLength) + ", namespace: N, metric: M, comparison: \"<=\"}\n"},
		{"statistics", "alarms:\n  metric:\n" +
			"    - {name: a, namespace: N, metric: M, comparison: \">\", statistic: p99.9}\n" +
			"    - {name: b, namespace: N, metric: M, comparison: \">\", statistic: tm90}\n" +
			"    - {name: c, namespace: N, metric: M, comparison: \">\", statistic: \"TM(10%:90%)\"}\n" +
			"    - {name: d, namespace: N, metric: M, comparison: \">\", statistic: IQM}\n" +
			"    - {name: e, namespace: N, metric: M, comparison: \">\", statistic: SampleCount}\n"},
		{"periods", "alarms:\n  metric:\n" +
			"    - {name: a, namespace: N, metric: M, comparison: \">\", period_seconds: 10}\n" +
			"    - {name: b, namespace: N, metric: M, comparison: \">\", period_seconds: 20}\n" +
			"    - {name: c, namespace: N, metric: M, comparison: \">\", period_seconds: 30}\n" +
			"    - {name: d, namespace: N, metric: M, comparison: \">\", period_seconds: 120, evaluation_periods: 720}\n" +
			"    - {name: e, namespace: N, metric: M, comparison: \">\", period_seconds: 3600, evaluation_periods: 168}\n"},
		{"dimensions at the limit", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", dimensions: {" + dims(MaxAlarmDimensions) + "}}\n"},
		{"schedules", "schedules:\n" +
			"  - {name: a, job: heartbeat, expression: rate(1 minute)}\n" +
			"  - {name: b, job: reminders, expression: rate(15 minutes)}\n" +
			"  - {name: c, job: reconcile, expression: \"cron(0/15 * * * ? *)\"}\n" +
			"  - {name: d, job: digest, expression: \"cron(0 9 L * ? *)\", time_zone: America/New_York, enabled: false}\n" +
			"  - {name: " + long(MaxScheduleNameLength) + ", job: posture, expression: \"cron(0 8 ? * MON-FRI *)\", input: {k: v}}\n"},
		{"slack bot", "notifications:\n  channels:\n    - {name: a, type: slack, token: \"ssm:/t\", slack_channel: C0123456789}\n  receivers: [{name: r, channels: [a]}]\n  route: {receiver: r}\n"},
		{"channel kinds", "notifications:\n  channels:\n" +
			"    - {name: a, type: teams, webhook_url: \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:teams-AbCdEf#url\"}\n" +
			"    - {name: b, type: sns, topic_arn: \"arn:aws:sns:eu-west-2:123456789012:alerts.fifo\"}\n" +
			"    - {name: c, type: email, from: \"Ops <ops@example.com>\", to: [a@example.com, \"B <b@example.com>\"]}\n" +
			"    - {name: d, type: file}\n" +
			"  receivers: [{name: r, channels: [a, b, c, d]}, {name: empty}]\n  route: {receiver: r, routes: [{matchers: [\"x!~y.*\"], receiver: empty}]}\n"},
		{"description at the limit", "alarms:\n  metric:\n    - {name: a, namespace: N, metric: M, comparison: \">\", description: " + long(MaxAlarmDescriptionLength) + "}\n"},
		{"event pattern at the limit", "events:\n  - {name: e, pattern: {source: [" + long(MaxEventPatternLength-len(`{"source":[""]}`)) + "]}, targets: [notifier]}\n"},
		{"events", "events:\n  - {name: a, preset: codebuild-failed, targets: [notifier, remediator, sweeper]}\n  - {name: b, pattern: {source: [aws.ec2]}, targets: [sweeper]}\n"},
		{"trail existing group", "trail:\n  log_group_name: aws-cloudtrail-logs-123456789012\n"},
		{"guardrails", "remediation:\n  guardrails:\n    opt_out_tag: keep-me\n    protected_arns: [\"arn:aws:ec2:*:*:instance/i-*\"]\n    allow_accounts: [\"012345678901\"]\n    deny_regions: [ap-southeast-2]\n"},
		{"opt-in mode", "remediation:\n  guardrails:\n    opt_in_tag: watchkeeper:remediate=on\n  rules:\n    - {name: r, matchers: [a=b], action: x, opt_in_exempt: true}\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse("ok.yaml", []byte("version: 1\n"+tc.body)); err != nil {
				t.Errorf("unexpected errors:\n%v", err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Parse("d.yaml", []byte(`version: 1
notifications:
  channels: [{name: f, type: file}]
  receivers: [{name: r, channels: [f]}]
  route: {receiver: r}
alarms:
  metric: [{name: m, namespace: N, metric: M, comparison: "<"}]
  log: [{name: l, log_group: /g, pattern: E}]
schedules: [{name: s, job: posture, expression: rate(1 day)}]
trail: {}
detection:
  rules: [{id: r, title: t, pattern: p}]
`))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"stack_name", cfg.Deployment.StackName, "Watchkeeper"},
		{"bootstrap_qualifier", cfg.Deployment.BootstrapQualifier, "hnb659fds"},
		{"removal_policy", cfg.Deployment.RemovalPolicy, "retain"},
		{"log_retention_days", cfg.Deployment.LogRetentionDays, 30},
		{"time_zone", cfg.Deployment.TimeZone, "UTC"},
		{"notifier", cfg.Function("notifier"), FunctionSettings{MemoryMB: 256, TimeoutSeconds: 60}},
		{"remediator", cfg.Function("remediator"), FunctionSettings{MemoryMB: 256, TimeoutSeconds: 60}},
		{"detector", cfg.Function("detector"), FunctionSettings{MemoryMB: 256, TimeoutSeconds: 60}},
		{"sweeper", cfg.Function("sweeper"), FunctionSettings{MemoryMB: 256, TimeoutSeconds: 300}},
		{"unknown function", cfg.Function("nope"), FunctionSettings{}},
		{"dedup_window", cfg.Notifications.DedupWindow, "1h"},
		{"send_resolved", *cfg.Notifications.Route.SendResolved, true},
		{"file dir", cfg.Notifications.Channels[0].Dir, "out"},
		{"file format", cfg.Notifications.Channels[0].Format, "json"},
		{"statistic", cfg.Alarms.Metric[0].Statistic, "Average"},
		{"period", cfg.Alarms.Metric[0].PeriodSeconds, 300},
		{"evaluation_periods", cfg.Alarms.Metric[0].EvaluationPeriods, 1},
		{"treat_missing_data", cfg.Alarms.Metric[0].TreatMissingData, "missing"},
		{"metric severity", cfg.Alarms.Metric[0].Severity, "medium"},
		{"comparison normalized", cfg.Alarms.Metric[0].Comparison, "LessThanThreshold"},
		{"log period", cfg.Alarms.Log[0].PeriodSeconds, 300},
		{"log evaluation_periods", cfg.Alarms.Log[0].EvaluationPeriods, 1},
		{"log threshold", cfg.Alarms.Log[0].Threshold, 1.0},
		{"log severity", cfg.Alarms.Log[0].Severity, "medium"},
		{"schedule time_zone", cfg.Schedules[0].TimeZone, "UTC"},
		{"schedule enabled", *cfg.Schedules[0].Enabled, true},
		{"trail create", *cfg.Trail.Create, true},
		{"trail retention", cfg.Trail.RetentionDays, 90},
		{"detection rule severity", cfg.Detection.Rules[0].Severity, "medium"},
		{"remediation mode", cfg.Remediation.Mode, "dry-run"},
		{"kill switch", cfg.Remediation.KillSwitchParameter, "/watchkeeper/remediation/enabled"},
		{"opt_out_tag", cfg.Remediation.Guardrails.OptOutTag, "watchkeeper:remediate=off"},
		{"cooldown", cfg.Remediation.Guardrails.Cooldown, "15m"},
		{"max_actions_per_hour", cfg.Remediation.Guardrails.MaxActionsPerHour, 10},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if got := FunctionNames(); strings.Join(got, ",") != "notifier,remediator,detector,sweeper" {
		t.Errorf("FunctionNames() = %v", got)
	}
}

func TestTrailCreateDefaultsOffForExistingGroup(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte("version: 1\ntrail:\n  log_group_name: existing\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.Trail.Create {
		t.Error("trail.create defaulted to true although log_group_name names an existing group")
	}
}

// A Config built in code (no source) validates too; zero values count as
// unset for defaults, and errors carry paths without positions.
func TestValidateWithoutSource(t *testing.T) {
	c := &Config{Version: 1}
	c.applyDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults of an empty config do not validate: %v", err)
	}
	c.Remediation.Mode = "yolo"
	c.Notifications.Channels = []Channel{{Name: "x", Type: "sns", TopicARN: "nope"}}
	err := c.Validate()
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.List) != 3 {
		t.Fatalf("Validate() = %v, want 3 errors", err)
	}
	want := []string{
		`notifications.channels[0].topic_arn: "nope" is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)`,
		`notifications.route.receiver: the root route needs a receiver (the default for unmatched alerts)`,
		`remediation.mode: unknown mode "yolo" (valid: dry-run, enforce)`,
	}
	for i, w := range want {
		if got := errs.List[i].Error(); got != w {
			t.Errorf("error %d = %q, want %q", i, got, w)
		}
	}
}

func TestCheckScheduleExpression(t *testing.T) {
	ok := []string{"rate(1 minute)", "rate(5 minutes)", "rate(1 hour)", "rate(3 hours)", "rate(1 day)", "rate(7 days)",
		"cron(0 9 ? * FRI *)", "cron(15 10 ? * 6L 2026-2030)", "cron(0 18 ? * MON-FRI *)", "cron(0/5 8-17 ? * MON-FRI *)", "cron(0 0 1 * ? *)", "cron(0 12 ? * 2#1 *)"}
	for _, e := range ok {
		if err := CheckScheduleExpression(e); err != nil {
			t.Errorf("CheckScheduleExpression(%q) = %v", e, err)
		}
	}
	bad := []string{"rate(1 minutes)", "rate(2 minute)", "rate(-1 days)", "rate(1.5 hours)", "rate(5minutes)", "rate(5 Minutes)",
		"cron(0 9 * * FRI *)", "cron(* * * * *)", "cron(0 9 ? * FRI * *)", "cron()", "cron(0 9 ? * FRI *", "at(2026-01-01T00:00:00)", ""}
	for _, e := range bad {
		if err := CheckScheduleExpression(e); err == nil {
			t.Errorf("CheckScheduleExpression(%q) = nil, want an error", e)
		}
	}
}
