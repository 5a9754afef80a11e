package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// alarmTemplate synthesizes the alarms of a config body in a small stack
// (no function bundling) and returns its resources by logical id.
func alarmTemplate(t *testing.T, body string) (map[string]obj, error) {
	res, _, err := alarmTemplateJSON(t, body)
	return res, err
}

// alarmTemplateJSON is alarmTemplate with the template as JSON.
func alarmTemplateJSON(t *testing.T, body string) (map[string]obj, []byte, error) {
	t.Helper()
	cfg, err := config.Parse("a.yaml", []byte("version: 1\n"+body))
	if err != nil {
		t.Fatal(err)
	}
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), &awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1"), Account: jsii.String("123456789012")}})
	topic := awssns.Topic_FromTopicArn(stack, jsii.String("T"), jsii.String("arn:aws:sns:eu-west-1:123456789012:alarms"))
	_, err = NewAlarms(stack, "A", &AlarmsProps{Metric: cfg.Alarms.Metric, Log: cfg.Alarms.Log, Composite: cfg.Alarms.Composite, Topic: topic})
	if err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(assertions.Template_FromStack(stack, nil).ToJSON())
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]obj
	}
	if err := json.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl.Resources, raw, nil
}

// TestAlarmExtrasCfnLint lints the template of every alarm feature (the
// example and options synths, linted by TestCfnLint, use only some).
func TestAlarmExtrasCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not on PATH")
	}
	_, raw, err := alarmTemplateJSON(t, extrasConfig)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alarms.template.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(lint, "--format", "json", "--", path).Output()
	var matches []struct {
		Level   string
		Message string
		Rule    struct{ Id string }
	}
	if jerr := json.Unmarshal(out, &matches); jerr != nil {
		t.Fatalf("cfn-lint: %v; output %q (parse: %v)", err, out, jerr)
	}
	for _, m := range matches {
		if m.Level == "Error" {
			t.Errorf("%s %s", m.Rule.Id, m.Message)
		} else {
			t.Logf("%s %s: %s", m.Level, m.Rule.Id, m.Message)
		}
	}
}

func byAlarmName(res map[string]obj) map[string]obj {
	out := map[string]obj{}
	for id, r := range res {
		p := props(r)
		if name, ok := p["AlarmName"].(string); ok {
			p["__id"] = id
			p["__type"] = r["Type"]
			p["__depends"] = r["DependsOn"]
			out[name] = p
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	for _, x := range asSlice(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		} else {
			j, _ := json.Marshal(x)
			out = append(out, string(j))
		}
	}
	return out
}

const extrasConfig = `alarms:
  metric:
    - name: cpu
      namespace: AWS/EC2
      metric: CPUUtilization
      dimensions: {AutoScalingGroupName: web}
      comparison: '>'
      threshold: 80
      tags: {team: web, cost-centre: "42"}
    - name: status
      namespace: AWS/EC2
      metric: StatusCheckFailed_System
      dimensions: {InstanceId: i-0123456789abcdef0}
      statistic: Maximum
      comparison: '>'
      threshold: 0
      ec2_action: recover
      ok_actions: false
    - name: error-rate
      comparison: '>'
      threshold: 5
      period_seconds: 60
      insufficient_data_actions: true
      metrics:
        - {id: errors, namespace: AWS/Lambda, metric: Errors, dimensions: {FunctionName: checkout}, statistic: Sum}
        - {id: calls, namespace: AWS/Lambda, metric: Invocations, dimensions: {FunctionName: checkout}, statistic: Sum}
        - {id: rate, expression: '100*errors/calls', label: Error rate, return_data: true}
  log:
    - {name: app-errors, log_group: /app/web, pattern: ERROR}
  composite:
    - name: web-down
      rule: 'ALARM(cpu) AND (ALARM("status") OR ALARM(app-errors))'
      description: Busy and broken.
      severity: critical
      tags: {team: web}
`

func TestAlarmExtras(t *testing.T) {
	res, err := alarmTemplate(t, extrasConfig)
	if err != nil {
		t.Fatal(err)
	}
	alarms := byAlarmName(res)
	const topic = "arn:aws:sns:eu-west-1:123456789012:alarms"

	cpu := alarms["cpu"]
	if !slices.Equal(strs(cpu["AlarmActions"]), []string{topic}) || !slices.Equal(strs(cpu["OKActions"]), []string{topic}) || cpu["InsufficientDataActions"] != nil {
		t.Errorf("cpu actions: %v %v %v", cpu["AlarmActions"], cpu["OKActions"], cpu["InsufficientDataActions"])
	}
	var tags []string
	for _, tg := range asSlice(cpu["Tags"]) {
		tags = append(tags, dig(tg, "Key").(string)+"="+dig(tg, "Value").(string))
	}
	slices.Sort(tags)
	if !slices.Equal(tags, []string{"cost-centre=42", "team=web"}) {
		t.Errorf("cpu tags = %v", tags)
	}

	status := alarms["status"]
	if got := strs(status["AlarmActions"]); len(got) != 2 || got[0] != topic || !strings.Contains(got[1], ":automate:") || !strings.Contains(got[1], ":ec2:recover") {
		t.Errorf("status alarm actions = %v, want the topic and the EC2 recover action", got)
	}
	if status["OKActions"] != nil {
		t.Errorf("ok_actions: false, yet OK actions %v", status["OKActions"])
	}

	rate := alarms["error-rate"]
	for _, k := range []string{"Namespace", "MetricName", "Statistic", "Period", "Dimensions"} {
		if rate[k] != nil {
			t.Errorf("metric math alarm has %s = %v beside its Metrics", k, rate[k])
		}
	}
	if !slices.Equal(strs(rate["InsufficientDataActions"]), []string{topic}) {
		t.Errorf("insufficient data actions = %v", rate["InsufficientDataActions"])
	}
	queries := asSlice(rate["Metrics"])
	if len(queries) != 3 {
		t.Fatalf("metrics = %v", rate["Metrics"])
	}
	want := []string{
		`{"Id":"errors","MetricStat":{"Metric":{"Dimensions":[{"Name":"FunctionName","Value":"checkout"}],"MetricName":"Errors","Namespace":"AWS/Lambda"},"Period":60,"Stat":"Sum"},"ReturnData":false}`,
		`{"Id":"calls","MetricStat":{"Metric":{"Dimensions":[{"Name":"FunctionName","Value":"checkout"}],"MetricName":"Invocations","Namespace":"AWS/Lambda"},"Period":60,"Stat":"Sum"},"ReturnData":false}`,
		`{"Expression":"100*errors/calls","Id":"rate","Label":"Error rate","Period":60,"ReturnData":true}`,
	}
	if got := strs(queries); !slices.Equal(got, want) {
		t.Errorf("metric queries:\n got %q\nwant %q", got, want)
	}

	comp := alarms["web-down"]
	if comp["__type"] != "AWS::CloudWatch::CompositeAlarm" || comp["AlarmRule"] != `ALARM(cpu) AND (ALARM("status") OR ALARM(app-errors))` {
		t.Errorf("composite = %v", comp)
	}
	if !slices.Equal(strs(comp["AlarmActions"]), []string{topic}) || !slices.Equal(strs(comp["OKActions"]), []string{topic}) ||
		!strings.HasSuffix(comp["AlarmDescription"].(string), "severity: critical") {
		t.Errorf("composite actions/description = %v %v %q", comp["AlarmActions"], comp["OKActions"], comp["AlarmDescription"])
	}
	deps := strs(comp["__depends"])
	for _, name := range []string{"cpu", "status", "app-errors"} {
		if !slices.Contains(deps, alarms[name]["__id"].(string)) {
			t.Errorf("composite does not depend on %s (%v)", name, deps)
		}
	}
	if tags := asSlice(comp["Tags"]); len(tags) != 1 || dig(tags[0], "Key") != "team" {
		t.Errorf("composite tags = %v", comp["Tags"])
	}
}

func TestHeartbeatPeriod(t *testing.T) {
	off := false
	tests := []struct {
		name      string
		schedules []config.Schedule
		want      int
	}{
		{"none", nil, 0},
		{"other jobs", []config.Schedule{{Job: "posture", Expression: "rate(5 minutes)"}}, 0},
		{"five minutes", []config.Schedule{{Job: "heartbeat", Expression: "rate(5 minutes)"}}, 300},
		{"longest wins", []config.Schedule{{Job: "heartbeat", Expression: "rate(5 minutes)"}, {Job: "heartbeat", Expression: "rate(2 hours)"}}, 7200},
		{"disabled ignored", []config.Schedule{{Job: "heartbeat", Expression: "rate(1 minute)"}, {Job: "heartbeat", Expression: "rate(3 hours)", Enabled: &off}}, 60},
		{"cron is daily", []config.Schedule{{Job: "heartbeat", Expression: "cron(0 9 * * ? *)"}}, 86400},
		{"capped at a day", []config.Schedule{{Job: "heartbeat", Expression: "rate(3 days)"}}, 86400},
	}
	for _, tc := range tests {
		if got := heartbeatPeriod(tc.schedules); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}
