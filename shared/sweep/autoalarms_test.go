package sweep

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

const topic = "arn:aws:sns:us-east-1:123456789012:alarms"

func profiles(t *testing.T) []config.AlarmProfile {
	t.Helper()
	c, err := config.Parse("p.yaml", []byte(`version: 1
alarms:
  profiles:
    - name: web
      resource: ec2
      alarms:
        - {name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80, severity: high}
        - {name: status, namespace: AWS/EC2, metric: StatusCheckFailed_System, statistic: Maximum, comparison: '>', threshold: 0, ec2_action: recover}
    - name: fn
      tag: team=payments
      resource: lambda
      alarms:
        - {name: errors, namespace: AWS/Lambda, metric: Errors, statistic: Sum, comparison: '>=', threshold: 3, insufficient_data_actions: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c.Alarms.Profiles
}

func runInstance(t *testing.T, e *ec2.Client, tags map[string]string) string {
	t.Helper()
	in := &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)}
	if len(tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
		for k, v := range tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	out, err := e.RunInstances(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

func createFunction(t *testing.T, m *awstest.Moto, name string, tags map[string]string) {
	t.Helper()
	cfg := m.Config(t.Context())
	role, err := iam.NewFromConfig(cfg).CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("fn-" + name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	if _, err := lambda.NewFromConfig(cfg).CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}, Tags: tags,
	}); err != nil {
		t.Fatal(err)
	}
}

func autoAlarms(t *testing.T, m *awstest.Moto, cw *fakeCloudWatch) (*AutoAlarms, *ec2.Client) {
	cfg := m.Config(t.Context())
	e := ec2.NewFromConfig(cfg)
	return NewAutoAlarms(AutoAlarmClients{CloudWatch: cw.client(), EC2: e, Lambda: lambda.NewFromConfig(cfg), Region: "us-east-1", TopicARN: topic},
		profiles(t), nil), e
}

func TestReconcileCreatesAndDeletes(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	cw := newFakeCloudWatch(t)
	aa, e := autoAlarms(t, m, cw)
	web := runInstance(t, e, map[string]string{"watchkeeper:alarms": "web"})
	runInstance(t, e, map[string]string{"watchkeeper:alarms": "db"}) // another profile's tag: not ours
	runInstance(t, e, nil)
	createFunction(t, m, "checkout", map[string]string{"team": "payments"})
	createFunction(t, m, "report", map[string]string{"team": "data"})
	// Drift: an alarm of an instance long gone, and one whose threshold was edited by hand.
	cw.seed(AutoAlarmName("web", "cpu", "i-0000000000000dead"), "OK", seedTime, map[string]string{"InstanceId": "i-0000000000000dead"})
	cw.seed(AutoAlarmName("web", "cpu", web), "OK", seedTime, map[string]string{"InstanceId": web})
	cw.seed("someone-elses-alarm", "OK", seedTime, nil)

	res, err := aa.Reconcile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"someone-elses-alarm", AutoAlarmName("fn", "errors", "checkout"), AutoAlarmName("web", "cpu", web), AutoAlarmName("web", "status", web)}
	slices.Sort(wantNames)
	if got := cw.names(); !slices.Equal(got, wantNames) {
		t.Errorf("alarms after reconcile:\n got %q\nwant %q", got, wantNames)
	}
	if !slices.Equal(res.Deleted, []string{AutoAlarmName("web", "cpu", "i-0000000000000dead")}) || len(res.Created) != 3 {
		t.Errorf("result = %+v", res)
	}
	cpu := cw.alarm(AutoAlarmName("web", "cpu", web))
	if d := dimsOf(cpu); len(d) != 1 || d["InstanceId"] != web {
		t.Errorf("cpu alarm dimensions = %v", d)
	}
	if str(cpu["ComparisonOperator"]) != "GreaterThanThreshold" || str(cpu["Namespace"]) != "AWS/EC2" || str(cpu["Statistic"]) != "Average" ||
		!strings.Contains(str(cpu["AlarmDescription"]), "severity: high") {
		t.Errorf("cpu alarm = %v", cpu)
	}
	if got := strList(cpu["AlarmActions"]); !slices.Equal(got, []string{topic}) {
		t.Errorf("cpu alarm actions = %q", got)
	}
	if tags := tagsOf(cpu); tags[ManagedByTag] != ManagedByValue || tags[ProfileTag] != "web" {
		t.Errorf("cpu alarm tags = %v", tags)
	}
	status := cw.alarm(AutoAlarmName("web", "status", web))
	if got := strList(status["AlarmActions"]); !slices.Equal(got, []string{topic, "arn:aws:automate:us-east-1:ec2:recover"}) {
		t.Errorf("status alarm actions = %q", got)
	}
	fn := cw.alarm(AutoAlarmName("fn", "errors", "checkout"))
	if d := dimsOf(fn); d["FunctionName"] != "checkout" || str(fn["Statistic"]) != "Sum" || !slices.Equal(strList(fn["InsufficientDataActions"]), []string{topic}) {
		t.Errorf("function alarm = %v", fn)
	}

	// A second run finds nothing to do.
	cw.calls = nil
	res, err = aa.Reconcile(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created)+len(res.Deleted) != 0 || slices.Contains(cw.calls, "PutMetricAlarm") {
		t.Errorf("second reconcile changed things: %+v (calls %q)", res, cw.calls)
	}
}

func TestStateChangeEvents(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	cw := newFakeCloudWatch(t)
	aa, e := autoAlarms(t, m, cw)
	web := runInstance(t, e, map[string]string{"watchkeeper:alarms": "web"})
	plain := runInstance(t, e, nil)
	svc := New(map[string]Job{JobReconcile: aa.Job()}, nil, nil, nil).HandleEvents(func(ctx context.Context, trig *alert.Trigger) error {
		_, err := aa.OnEvent(ctx, trig)
		return err
	})
	sample, err := os.ReadFile(filepath.Join("..", "..", "events", "sweeper", "ec2-state-running.json"))
	if err != nil {
		t.Fatal(err)
	}
	event := func(id, state string) []byte {
		var ev map[string]any
		if err := json.Unmarshal(sample, &ev); err != nil {
			t.Fatal(err)
		}
		ev["detail"] = map[string]any{"instance-id": id, "state": state}
		b, _ := json.Marshal(ev)
		return b
	}
	for _, step := range []struct {
		id, state string
		want      []string
	}{
		{plain, "running", nil},
		{web, "pending", nil},
		{web, "running", []string{AutoAlarmName("web", "cpu", web), AutoAlarmName("web", "status", web)}},
		{web, "stopped", []string{AutoAlarmName("web", "cpu", web), AutoAlarmName("web", "status", web)}},
		{"i-0123456789abcdef0", "running", []string{AutoAlarmName("web", "cpu", web), AutoAlarmName("web", "status", web)}}, // unknown instance
		{web, "terminated", nil},
		{web, "terminated", nil}, // redelivered: nothing left to delete, no error
	} {
		if _, err := svc.Handle(t.Context(), event(step.id, step.state)); err != nil {
			t.Fatalf("%s %s: %v", step.id, step.state, err)
		}
		if got := cw.names(); !slices.Equal(got, step.want) {
			t.Errorf("after %s %s: alarms %q, want %q", step.id, step.state, got, step.want)
		}
	}
	if d := dimsOf(cw.alarm(AutoAlarmName("web", "cpu", web))); d != nil && len(d) > 0 {
		t.Errorf("alarm left behind: %v", d)
	}
	// Events other than EC2 state changes are refused, not dropped silently.
	other, err := os.ReadFile(filepath.Join("..", "..", "events", "notifier", "eventbridge-codebuild-failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(t.Context(), other); err == nil || !strings.Contains(err.Error(), "EC2 instance state changes only") {
		t.Errorf("codebuild event: %v", err)
	}
}

func TestAutoAlarmsWithoutProfilesCallNothing(t *testing.T) {
	aa := NewAutoAlarms(AutoAlarmClients{}, nil, nil)
	if res, err := aa.Reconcile(t.Context()); err != nil || len(res.Created)+len(res.Deleted) != 0 {
		t.Errorf("reconcile = %+v, %v", res, err)
	}
	if _, err := aa.OnInstanceState(t.Context(), "i-1", "running"); err != nil {
		t.Error(err)
	}
}

func strList(v cbor.Value) []string {
	l, _ := v.(cbor.List)
	var out []string
	for _, s := range l {
		out = append(out, str(s))
	}
	return out
}

func tagsOf(m cbor.Map) map[string]string {
	out := map[string]string{}
	l, _ := m["Tags"].(cbor.List)
	for _, t := range l {
		tm, _ := t.(cbor.Map)
		out[str(tm["Key"])] = str(tm["Value"])
	}
	return out
}
