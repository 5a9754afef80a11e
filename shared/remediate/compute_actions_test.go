package remediate

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// refreshServer stands in for the instance refresh API, which moto does
// not implement: it answers StartInstanceRefresh and
// DescribeInstanceRefreshes itself, checking each request, and passes every
// other Auto Scaling call (the group's describe) through to moto.
type refreshServer struct {
	t     *testing.T
	proxy *httputil.ReverseProxy
	mu    sync.Mutex
	// refreshes holds each started refresh: group, id, status.
	refreshes []refreshRecord
	starts    []url.Values
}

type refreshRecord struct{ Group, ID, Status string }

func newRefreshServer(t *testing.T, moto string) (*refreshServer, string) {
	t.Helper()
	u, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	s := &refreshServer{t: t, proxy: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

func (s *refreshServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch form.Get("Action") {
	case "StartInstanceRefresh":
		s.starts = append(s.starts, form)
		for _, rr := range s.refreshes {
			if rr.Group == form.Get("AutoScalingGroupName") && rr.Status == "InProgress" {
				writeQueryError(w, "InstanceRefreshInProgress", "An Instance Refresh is already in progress")
				return
			}
		}
		id := fmt.Sprintf("08b91cf7-8fa6-48af-b6a6-d227f40f1b%02d", len(s.refreshes))
		s.refreshes = append(s.refreshes, refreshRecord{Group: form.Get("AutoScalingGroupName"), ID: id, Status: "InProgress"})
		fmt.Fprintf(w, `<StartInstanceRefreshResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><StartInstanceRefreshResult>`+
			`<InstanceRefreshId>%s</InstanceRefreshId></StartInstanceRefreshResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>`+
			`</StartInstanceRefreshResponse>`, id)
	case "DescribeInstanceRefreshes":
		var b strings.Builder
		for _, rr := range s.refreshes {
			if rr.Group != form.Get("AutoScalingGroupName") {
				continue
			}
			if want := form.Get("InstanceRefreshIds.member.1"); want != "" && want != rr.ID {
				continue
			}
			b.WriteString("<member><InstanceRefreshId>" + xmlText(rr.ID) + "</InstanceRefreshId><AutoScalingGroupName>" +
				xmlText(rr.Group) + "</AutoScalingGroupName><Status>" + rr.Status + "</Status></member>")
		}
		fmt.Fprintf(w, `<DescribeInstanceRefreshesResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><DescribeInstanceRefreshesResult>`+
			`<InstanceRefreshes>%s</InstanceRefreshes></DescribeInstanceRefreshesResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>`+
			`</DescribeInstanceRefreshesResponse>`, b.String())
	default:
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		s.proxy.ServeHTTP(w, r)
	}
}

func xmlText(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func writeQueryError(w http.ResponseWriter, code, msg string) {
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
		code, xmlText(msg))
}

// TestASGStartInstanceRefresh runs against moto for the group and a
// request-checking httptest server for the refresh calls moto lacks.
func TestASGStartInstanceRefresh(t *testing.T) {
	env := startMoto(t)
	env.seedASG(t, "web-asg", 1, 2, 4, map[string]string{"team": "web"})
	srv, endpoint := newRefreshServer(t, env.m.Endpoint())
	cfg := env.cfg.Copy()
	cfg.BaseEndpoint = aws.String(endpoint)
	cfg.ConfigSources = nil // they carry moto's endpoint, which would win
	c := env.clients()
	c.AutoScaling = autoscaling.NewFromConfig(cfg)

	a := asgStartInstanceRefresh{}
	p := params(t, a, map[string]any{"min_healthy_percentage": 75, "instance_warmup_seconds": 120})
	tg := target(t, a, eventAlert(t, "remediator/sns-alarm-cpu.json", 0), p)
	if tg.ID != "web-asg" || tg.From != "dimension AutoScalingGroupName" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, c, a, tg, p)
	if plan.Tags["team"] != "web" {
		t.Errorf("tags = %v", plan.Tags)
	}
	if len(srv.starts) != 1 {
		t.Fatalf("%d StartInstanceRefresh requests, want 1 (the second plan must see the running refresh)", len(srv.starts))
	}
	got := srv.starts[0]
	for k, want := range map[string]string{"AutoScalingGroupName": "web-asg", "Strategy": "Rolling",
		"Preferences.MinHealthyPercentage": "75", "Preferences.InstanceWarmup": "120"} {
		if got.Get(k) != want {
			t.Errorf("request %s = %q, want %q (request %v)", k, got.Get(k), want, got)
		}
	}
	if d := plan.Data.(*refreshPlan); d.RefreshID != srv.refreshes[0].ID {
		t.Errorf("plan recorded refresh %q, want %q", d.RefreshID, srv.refreshes[0].ID)
	}
	if u := a.Undo(plan); u != "aws autoscaling cancel-instance-refresh --auto-scaling-group-name web-asg --region "+testRegion {
		t.Errorf("undo = %s", u)
	}

	// A failed refresh does not count as running: the next trigger starts one.
	srv.mu.Lock()
	srv.refreshes[0].Status = "Failed"
	srv.mu.Unlock()
	again, err := a.Plan(context.Background(), c, tg, p)
	if err != nil || again.Empty() {
		t.Fatalf("plan after a failed refresh: %v, empty %t", err, again.Empty())
	}
}

func TestASGStartInstanceRefreshNeedsRefresher(t *testing.T) {
	_, err := asgStartInstanceRefresh{}.Plan(context.Background(), Clients{AutoScaling: memoryASG{}}, Target{ID: "web"}, nil)
	if err == nil || !strings.Contains(err.Error(), "instance refresh") {
		t.Fatalf("err = %v, want a missing client naming instance refresh", err)
	}
}

// seedECSService creates a cluster, a task definition and a service with
// the given desired count and tags.
func (e motoEnv) seedECSService(t testing.TB, cluster, service string, desired int32, tags map[string]string) string {
	t.Helper()
	ctx := context.Background()
	c := ecs.NewFromConfig(e.cfg)
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(cluster)}); err != nil {
		t.Fatalf("create cluster: %v", err)
	}
	td, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(service),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(128)}}})
	if err != nil {
		t.Fatalf("register task definition: %v", err)
	}
	in := &ecs.CreateServiceInput{Cluster: aws.String(cluster), ServiceName: aws.String(service),
		TaskDefinition: td.TaskDefinition.TaskDefinitionArn, DesiredCount: aws.Int32(desired)}
	for k, v := range tags {
		in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := c.CreateService(ctx, in); err != nil {
		t.Fatalf("create service: %v", err)
	}
	return aws.ToString(td.TaskDefinition.TaskDefinitionArn)
}

func (e motoEnv) ecsService(t testing.TB, cluster, service string) ecstypes.Service {
	t.Helper()
	s, err := describeService(context.Background(), ecs.NewFromConfig(e.cfg), cluster, service)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ecsAlarm is an alarm on an ECS service's CPU, as the SNS message carries it.
func ecsAlarm(t testing.TB, cluster, service string) alert.Alert {
	t.Helper()
	a, err := alert.ParseAlarmMessage([]byte(`{"AlarmName":"api-cpu-high","AWSAccountId":"123456789012",
"NewStateValue":"ALARM","NewStateReason":"Threshold Crossed","StateChangeTime":"2026-11-25T10:00:12.418+0000",
"Region":"EU (Ireland)","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-cpu-high","OldStateValue":"OK",
"Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/ECS","StatisticType":"Statistic","Statistic":"AVERAGE","Unit":null,
"Dimensions":[{"value":"` + cluster + `","name":"ClusterName"},{"value":"` + service + `","name":"ServiceName"}],"Period":60,
"EvaluationPeriods":3,"ComparisonOperator":"GreaterThanThreshold","Threshold":85.0,"TreatMissingData":"missing"}}`))
	if err != nil {
		t.Fatalf("parse alarm: %v", err)
	}
	return *a
}

func TestECSForceNewDeploymentMoto(t *testing.T) {
	env := startMoto(t)
	td := env.seedECSService(t, "prod", "api", 2, map[string]string{"team": "api"})
	a := ecsForceNewDeployment{}
	p := params(t, a, nil)
	tg := target(t, a, ecsAlarm(t, "prod", "api"), p)
	if tg.ID != "api" || tg.Parent != "prod" || tg.From != "dimension ServiceName" {
		t.Fatalf("target = %+v", tg)
	}
	ctx := context.Background()
	old := env.ecsService(t, "prod", "api")
	plan, err := a.Plan(ctx, env.clients(), tg, params(t, a, nil))
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() || !strings.Contains(plan.Summary, "less than 15 minutes ago") {
		t.Fatalf("plan of a fresh service = %v (%s), want empty", plan.Changes, plan.Summary)
	}
	// moto stamps a new service's deployment with the current time, so the
	// plan is empty; apply it as a plan of an older deployment would be.
	plan.Changes = []string{"force a new deployment"}
	if err := a.Apply(ctx, env.clients(), plan); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := a.Verify(ctx, env.clients(), plan); err != nil {
		t.Fatalf("verify: %v", err)
	}
	now := env.ecsService(t, "prod", "api")
	if aws.ToString(primaryDeployment(now).Id) == aws.ToString(primaryDeployment(old).Id) {
		t.Fatal("the primary deployment did not change")
	}
	// Applying the same plan again starts no second deployment.
	if err := a.Apply(ctx, env.clients(), plan); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(primaryDeployment(env.ecsService(t, "prod", "api")).Id) != aws.ToString(primaryDeployment(now).Id) {
		t.Error("a second apply of the same plan deployed again")
	}
	again, err := a.Plan(ctx, env.clients(), tg, p)
	if err != nil || !again.Empty() {
		t.Fatalf("re-plan: %v, changes %v", err, again.Changes)
	}
	if u := a.Undo(plan); u != "aws ecs update-service --cluster prod --service api --task-definition "+td+" --region "+testRegion {
		t.Errorf("undo = %s", u)
	}
}

func TestECSSetDesiredCountMoto(t *testing.T) {
	cases := []struct {
		name          string
		params        map[string]any
		desired, want int32
		// settled: a fresh plan after apply is empty (a bound or an absolute
		// count); a relative step within bounds would step again.
		settled bool
	}{
		{"by within max", map[string]any{"by": 2, "max": 10}, 2, 4, false},
		{"by capped at max", map[string]any{"by": 5, "max": 4}, 2, 4, true},
		{"to zero stops the service", map[string]any{"to": 0, "max": 4}, 3, 0, true},
		{"negative by stops at zero", map[string]any{"by": -5, "max": 4}, 3, 0, true},
	}
	a := ecsSetDesiredCount{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startMoto(t)
			env.seedECSService(t, "prod", "worker", tc.desired, nil)
			p := params(t, a, tc.params)
			al := trailAlert(t, `{"eventSource":"ecs.amazonaws.com","eventName":"UpdateService","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"cluster":"arn:aws:ecs:eu-west-1:123456789012:cluster/prod","service":"worker","desiredCount":50}}`)
			tg := target(t, a, al, p)
			if tg.ID != "worker" || tg.Parent != "prod" || tg.From != "requestParameters.service" {
				t.Fatalf("target = %+v", tg)
			}
			var plan Plan
			if tc.settled {
				plan = enforce(t, env.clients(), a, tg, p)
			} else {
				plan = applyTwice(t, env.clients(), a, tg, p)
			}
			if got := env.ecsService(t, "prod", "worker").DesiredCount; got != tc.want {
				t.Errorf("desired count = %d, want %d", got, tc.want)
			}
			want := fmt.Sprintf("aws ecs update-service --cluster prod --service worker --desired-count %d --region %s", tc.desired, testRegion)
			if u := a.Undo(plan); u != want {
				t.Errorf("undo = %s, want %s", u, want)
			}
		})
	}
}

func TestECSSetDesiredCountAboveMaxIsLeftAlone(t *testing.T) {
	env := startMoto(t)
	env.seedECSService(t, "prod", "worker", 8, nil)
	a := ecsSetDesiredCount{}
	plan, err := a.Plan(context.Background(), env.clients(), Target{ID: "worker", Parent: "prod"}, params(t, a, map[string]any{"by": 1, "max": 4}))
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Empty() {
		t.Errorf("scaling out a service already above max planned %v; want nothing", plan.Changes)
	}
}

func TestECSSchema(t *testing.T) {
	for _, raw := range []map[string]any{
		{"to": 5},                     // max is required
		{"to": 5, "max": 4},           // above max
		{"by": 1, "to": 2, "max": 4},  // both
		{"by": 0, "max": 4},           // no-op
		{"to": -1, "max": 4},          // negative
		{"by": 1, "max": -1},          // negative max
		{"to": 1, "max": 4, "min": 1}, // unknown
	} {
		if _, err := (ecsSetDesiredCount{}).Schema().Validate(raw); err == nil {
			t.Errorf("params %v accepted", raw)
		}
	}
}

func TestECSServiceARN(t *testing.T) {
	cases := []struct {
		in, cluster, name string
		ok                bool
	}{
		{"arn:aws:ecs:eu-west-1:123456789012:service/prod/api", "prod", "api", true},
		{"arn:aws:ecs:eu-west-1:123456789012:service/api", "", "api", true},
		{"arn:aws:ecs:eu-west-1:123456789012:service/prod/api/extra", "", "", false},
		{"arn:aws:ecs:eu-west-1:123456789012:cluster/prod", "", "", false},
		{"api", "", "", false},
	}
	for _, tc := range cases {
		cl, n, ok := ecsServiceARN(tc.in)
		if cl != tc.cluster || n != tc.name || ok != tc.ok {
			t.Errorf("ecsServiceARN(%q) = %q, %q, %t; want %q, %q, %t", tc.in, cl, n, ok, tc.cluster, tc.name, tc.ok)
		}
	}
}

// seedFunction creates a Lambda function (with its role); moto stores it
// without running anything, so no Docker is needed.
func (e motoEnv) seedFunction(t testing.TB, name string, tags map[string]string) string {
	t.Helper()
	ctx := context.Background()
	role, err := iam.NewFromConfig(e.cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name + "-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	f, err := zw.Create("bootstrap")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := lambda.NewFromConfig(e.cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name),
		Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &lambdatypes.FunctionCode{ZipFile: zipped.Bytes()}, Tags: tags})
	if err != nil {
		t.Fatalf("create function: %v", err)
	}
	return aws.ToString(out.FunctionArn)
}

func TestLambdaSetReservedConcurrencyMoto(t *testing.T) {
	cases := []struct {
		name    string
		before  int32 // -1: none reserved
		params  map[string]any
		want    int32
		undoEnd string
	}{
		{"throttle an unreserved function", -1, nil, 0, "delete-function-concurrency --function-name runaway --region " + testRegion},
		{"lower a reservation", 50, map[string]any{"concurrency": 5}, 5,
			"put-function-concurrency --function-name runaway --reserved-concurrent-executions 50 --region " + testRegion},
	}
	a := lambdaSetReservedConcurrency{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startMoto(t)
			ctx := context.Background()
			env.seedFunction(t, "runaway", map[string]string{"team": "data"})
			lc := lambda.NewFromConfig(env.cfg)
			if tc.before >= 0 {
				if _, err := lc.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("runaway"),
					ReservedConcurrentExecutions: aws.Int32(tc.before)}); err != nil {
					t.Fatal(err)
				}
			}
			p := params(t, a, tc.params)
			al := trailAlert(t, `{"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"functionName":"runaway","publish":true}}`)
			tg := target(t, a, al, p)
			if tg.ID != "runaway" || tg.From != "requestParameters.functionName" {
				t.Fatalf("target = %+v", tg)
			}
			plan := enforce(t, env.clients(), a, tg, p)
			if plan.Tags["team"] != "data" {
				t.Errorf("tags = %v", plan.Tags)
			}
			got, had, err := reservedConcurrency(ctx, lc, "runaway")
			if err != nil || !had || got != tc.want {
				t.Errorf("reserved concurrency = %d (set %t, err %v), want %d", got, had, err, tc.want)
			}
			if u := a.Undo(plan); u != "aws lambda "+tc.undoEnd {
				t.Errorf("undo = %s", u)
			}
		})
	}
}

func TestLambdaTargetFromAlarm(t *testing.T) {
	a, err := alert.ParseAlarmMessage([]byte(`{"AlarmName":"runaway-invocations-runaway","AWSAccountId":"123456789012",
"NewStateValue":"ALARM","StateChangeTime":"2026-11-25T10:00:12.418+0000","Region":"EU (Ireland)",
"AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:runaway-invocations-runaway",
"Trigger":{"MetricName":"Invocations","Namespace":"AWS/Lambda","Statistic":"SUM","Dimensions":[{"value":"runaway","name":"FunctionName"}],
"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold","Threshold":10000}}`))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := lambdaSetReservedConcurrency{}.Target(*a, nil)
	if err != nil || tg.ID != "runaway" || tg.From != "dimension FunctionName" || tg.Type != lambdaFunctionType {
		t.Fatalf("target = %+v, %v", tg, err)
	}
}

// applyTwice runs Plan, Apply, Verify and Apply again, for actions whose
// fresh plan after apply is not empty by design (a relative step).
func applyTwice(t *testing.T, c Clients, a Action, tg Target, p Params) Plan {
	t.Helper()
	ctx := context.Background()
	plan, err := a.Plan(ctx, c, tg, p)
	if err != nil || plan.Empty() {
		t.Fatalf("plan: %v (empty %t)", err, plan.Empty())
	}
	for i, step := range []func(context.Context, Clients, Plan) error{a.Apply, a.Verify, a.Apply, a.Verify} {
		if err := step(ctx, c, plan); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	return plan
}
