package config

import (
	"slices"
	"strings"
	"testing"
)

const twoAlarms = "alarms:\n  metric:\n    - {name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}\n" +
	"    - {name: status, namespace: AWS/EC2, metric: StatusCheckFailed_System, dimensions: {InstanceId: i-1}, comparison: '>', threshold: 0, ec2_action: recover}\n"

func TestWatchConfigErrors(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"math and metric", "alarms:\n  metric:\n    - {name: m, namespace: AWS/EC2, metric: x, comparison: '>', threshold: 1, metrics: [{id: a, expression: 'b*2', return_data: true}]}\n",
			"give either metrics (metric math) or namespace/metric/dimensions, not both"},
		{"math without return", "alarms:\n  metric:\n    - {name: m, comparison: '>', threshold: 1, metrics: [{id: a, namespace: N, metric: x}]}\n",
			"exactly one query must have return_data: true"},
		{"math bad id", "alarms:\n  metric:\n    - {name: m, comparison: '>', threshold: 1, metrics: [{id: Bad, expression: '1', return_data: true}]}\n",
			`"Bad" is not a query id`},
		{"math query empty", "alarms:\n  metric:\n    - {name: m, comparison: '>', threshold: 1, metrics: [{id: a, return_data: true}]}\n",
			"needs an expression or a namespace and metric"},
		{"math query both", "alarms:\n  metric:\n    - {name: m, comparison: '>', threshold: 1, metrics: [{id: a, expression: '1', namespace: N, metric: x, return_data: true}]}\n",
			"give either expression or namespace/metric, not both"},
		{"ec2 action unknown", "alarms:\n  metric:\n    - {name: m, namespace: AWS/EC2, metric: x, comparison: '>', threshold: 1, ec2_action: explode}\n",
			`unknown ec2_action "explode"`},
		{"ec2 action off ec2", "alarms:\n  metric:\n    - {name: m, namespace: AWS/Lambda, metric: Errors, comparison: '>', threshold: 1, ec2_action: reboot}\n",
			"EC2 actions need an AWS/EC2 metric alarm"},
		{"alarm tag reserved", "alarms:\n  metric:\n    - {name: m, namespace: N, metric: x, comparison: '>', threshold: 1, tags: {'aws:x': y}}\n",
			`"aws:x" is not a tag key`},
		{"composite unknown alarm", twoAlarms + "  composite:\n    - {name: both, rule: 'ALARM(cpu) AND ALARM(disk)'}\n",
			`names alarm "disk", which is not configured (alarms: both, cpu, status)`},
		{"composite self", twoAlarms + "  composite:\n    - {name: both, rule: 'ALARM(cpu) OR OK(both)'}\n", "refers to itself"},
		{"composite syntax", twoAlarms + "  composite:\n    - {name: both, rule: 'ALARM(cpu) AND'}\n", "rule ends where an alarm state was expected"},
		{"composite duplicate name", twoAlarms + "  composite:\n    - {name: cpu, rule: 'ALARM(status)'}\n", `duplicate alarm name "cpu"`},
		{"profile resource", "alarms:\n  profiles:\n    - {name: web, resource: rds, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n",
			`unknown resource "rds" (valid: ec2, lambda)`},
		{"profile no alarms", "alarms:\n  profiles:\n    - {name: web, resource: ec2}\n", "needs at least one alarm"},
		{"profile dimension", "alarms:\n  profiles:\n    - {name: web, resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, dimensions: {InstanceId: i-1}, comparison: '>', threshold: 80}]}\n",
			"InstanceId is filled in with each resource's id"},
		{"profile name", "alarms:\n  profiles:\n    - {name: Web Servers, resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n",
			"is not a profile name"},
		{"profile tag", "alarms:\n  profiles:\n    - {name: web, tag: 'team=', resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n",
			`"team=" is not key=value`},
		{"profile tag twice", "alarms:\n  profiles:\n    - {name: web, resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n" +
			"    - {name: web2, tag: 'watchkeeper:alarms=web', resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n",
			"already selects profile web"},
		{"profile lambda ec2 action", "alarms:\n  profiles:\n    - {name: fn, resource: lambda, alarms: [{name: errors, namespace: AWS/EC2, metric: Errors, comparison: '>', threshold: 1, ec2_action: stop}]}\n",
			"only an ec2 profile's alarms can act on the instance"},
		{"delivery not a target", "events:\n  - {name: r, preset: ec2-state-change, targets: [notifier], delivery: {sweeper: {retry_attempts: 2}}}\n",
			`"sweeper" is not one of this rule's targets`},
		{"delivery retries", "events:\n  - {name: r, preset: ec2-state-change, targets: [sweeper], delivery: {sweeper: {retry_attempts: 186}}}\n",
			"186 is not between 0 and 185"},
		{"delivery age", "events:\n  - {name: r, preset: ec2-state-change, targets: [sweeper], delivery: {sweeper: {max_event_age_seconds: 59}}}\n",
			"59 is not between 60 and 86400"},
		{"min severity on another preset", "events:\n  - {name: r, preset: codebuild-failed, targets: [notifier], min_severity: high}\n",
			"w.yaml:3:62: events[0].min_severity: applies only to the guardduty and securityhub presets"},
		{"min severity value", "events:\n  - {name: r, preset: guardduty, targets: [notifier], min_severity: severe}\n",
			`events[0].min_severity: unknown severity "severe" (valid: low, medium, high, critical)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("w.yaml", []byte("version: 1\n"+tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant one containing %q", err, tc.want)
			}
		})
	}
}

func TestWatchConfigAccepted(t *testing.T) {
	body := twoAlarms + "    - name: error-rate\n      comparison: '>'\n      threshold: 5\n      insufficient_data_actions: true\n      ok_actions: false\n      tags: {team: web}\n" +
		"      metrics:\n        - {id: errors, namespace: AWS/Lambda, metric: Errors, statistic: Sum}\n        - {id: calls, namespace: AWS/Lambda, metric: Invocations, statistic: Sum}\n" +
		"        - {id: rate, expression: '100*errors/calls', return_data: true}\n" +
		"  composite:\n    - {name: web-down, rule: 'ALARM(cpu) AND (ALARM(\"status\") OR NOT OK(error-rate))', severity: high}\n" +
		"  profiles:\n    - {name: web, resource: ec2, alarms: [{name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}]}\n" +
		"    - {name: fn, tag: 'team=payments', resource: lambda, alarms: [{name: errors, namespace: AWS/Lambda, metric: Errors, statistic: Sum, comparison: '>=', threshold: 3}]}\n" +
		"events:\n  - {name: r, preset: ec2-state-change, targets: [notifier, sweeper], delivery: {sweeper: {retry_attempts: 0, max_event_age_seconds: 600}}}\n"
	c, err := Parse("ok.yaml", []byte("version: 1\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Alarms.Profiles[0]
	if p.Tag != "watchkeeper:alarms=web" || p.Alarms[0].Comparison != "GreaterThanThreshold" || p.Alarms[0].PeriodSeconds != DefaultPeriodSeconds {
		t.Errorf("profile defaults = %+v", p)
	}
	if k, v := c.Alarms.Profiles[1].TagPair(); k != "team" || v != "payments" {
		t.Errorf("tag pair = %q %q", k, v)
	}
	m := c.Alarms.Metric
	if !*m[0].OKActions || *m[2].OKActions || !m[2].InsufficientDataActions || c.Alarms.Composite[0].Severity != "high" {
		t.Errorf("actions = %v %v %v", *m[0].OKActions, *m[2].OKActions, m[2].InsufficientDataActions)
	}
}

func TestParseAlarmRule(t *testing.T) {
	cases := []struct {
		rule    string
		names   []string
		wantErr string
	}{
		{rule: "ALARM(a)", names: []string{"a"}},
		{rule: `ALARM(a) AND NOT (OK("b c") OR INSUFFICIENT_DATA(a))`, names: []string{"a", "b c"}},
		{rule: "TRUE", names: nil},
		{rule: "NOT NOT ALARM(x.y-z_1)", names: []string{"x.y-z_1"}},
		{rule: "", wantErr: "empty rule"},
		{rule: "ALARM(a) ANDALARM(b)", wantErr: "unexpected"},
		{rule: "ALARM a", wantErr: "ALARM needs (alarm name)"},
		{rule: "ALARM()", wantErr: "names no alarm"},
		{rule: `ALARM("a)`, wantErr: "unterminated quoted alarm name"},
		{rule: "(ALARM(a)", wantErr: "missing )"},
		{rule: "alarm(a)", wantErr: "expected ALARM"},
		{rule: strings.Repeat("(", 70) + "TRUE" + strings.Repeat(")", 70), wantErr: "nests deeper than 64"},
		{rule: "ALARM(" + strings.Repeat("a", MaxAlarmRuleLength) + ")", wantErr: "CloudWatch allows 10240"},
	}
	for _, tc := range cases {
		names, err := ParseAlarmRule(tc.rule)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%.40q: error %v, want %q", tc.rule, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(names, tc.names) {
			t.Errorf("%q: %q, %v; want %q", tc.rule, names, err, tc.names)
		}
	}
	// At the limit exactly: accepted.
	at := "ALARM(" + strings.Repeat("a", MaxAlarmRuleLength-7) + ")"
	if _, err := ParseAlarmRule(at); err != nil {
		t.Errorf("rule of %d characters: %v", len(at), err)
	}
}

func FuzzParseAlarmRule(f *testing.F) {
	for _, s := range []string{"ALARM(a)", `ALARM(a) AND NOT (OK("b c") OR INSUFFICIENT_DATA(a))`, "TRUE OR FALSE", "((((", `OK("`, "NOT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rule string) {
		names, err := ParseAlarmRule(rule)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || !strings.Contains(rule, n) {
				t.Errorf("name %q not in rule %q", n, rule)
			}
		}
	})
}
