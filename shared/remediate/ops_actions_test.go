package remediate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// seedDB creates a DB instance, publicly accessible or not, with tags.
func (e motoEnv) seedDB(t testing.TB, id string, public bool, tags map[string]string) {
	t.Helper()
	in := &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t3.micro"),
		Engine: aws.String("postgres"), MasterUsername: aws.String("admin"), MasterUserPassword: aws.String("not-a-secret-1"),
		AllocatedStorage: aws.Int32(20), PubliclyAccessible: aws.Bool(public)}
	for k, v := range tags {
		in.Tags = append(in.Tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	if _, err := rds.NewFromConfig(e.cfg).CreateDBInstance(context.Background(), in); err != nil {
		t.Fatalf("create DB instance: %v", err)
	}
}

func (e motoEnv) db(t testing.TB, id string) rdstypes.DBInstance {
	t.Helper()
	db, err := describeDBInstance(context.Background(), rds.NewFromConfig(e.cfg), id)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func rdsCall(t testing.TB, name, params string) alert.Alert {
	t.Helper()
	return trailAlert(t, `{"eventSource":"rds.amazonaws.com","eventName":"`+name+`","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":`+params+`}`)
}

func TestRDSInstanceNotPublicMoto(t *testing.T) {
	env := startMoto(t)
	env.seedDB(t, "orders", true, map[string]string{"team": "dba"})
	a := rdsInstanceNotPublic{}
	p := params(t, a, nil)
	tg := target(t, a, rdsCall(t, "ModifyDBInstance", `{"dBInstanceIdentifier":"orders","publiclyAccessible":true,"applyImmediately":true}`), p)
	if tg.ID != "orders" || tg.From != "requestParameters.dBInstanceIdentifier" || tg.Type != dbInstanceType {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	if aws.ToBool(env.db(t, "orders").PubliclyAccessible) {
		t.Error("DB instance is still publicly accessible")
	}
	if plan.Tags["team"] != "dba" {
		t.Errorf("tags = %v", plan.Tags)
	}
	if u := a.Undo(plan); u != "aws rds modify-db-instance --db-instance-identifier orders --publicly-accessible --apply-immediately --region "+testRegion {
		t.Errorf("undo = %s", u)
	}
}

func TestRDSRebootInstanceMoto(t *testing.T) {
	env := startMoto(t)
	env.seedDB(t, "orders", false, nil)
	a := rdsRebootInstance{}
	p := params(t, a, nil)
	al, err := alert.ParseAlarmMessage([]byte(`{"AlarmName":"orders-db-connections-max","AWSAccountId":"123456789012",
"NewStateValue":"ALARM","StateChangeTime":"2026-11-25T10:00:12.418+0000","Region":"EU (Ireland)",
"AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-db-connections-max",
"Trigger":{"MetricName":"DatabaseConnections","Namespace":"AWS/RDS","Statistic":"MAXIMUM","Dimensions":[{"value":"orders","name":"DBInstanceIdentifier"}],
"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold","Threshold":400}}`))
	if err != nil {
		t.Fatal(err)
	}
	tg := target(t, a, *al, p)
	if tg.ID != "orders" || tg.From != "dimension DBInstanceIdentifier" {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, env.clients(), a, tg, p)
	if _, err := time.Parse(time.RFC3339, rdsTags(env.db(t, "orders").TagList)[rdsRebootTag]); err != nil {
		t.Errorf("no reboot tag on the instance: %v", err)
	}
	d := plan.Data.(*dbRebootPlan)
	if u := a.Undo(plan); u != "aws rds remove-tags-from-resource --resource-name "+d.ARN+" --tag-keys "+rdsRebootTag+" --region "+testRegion {
		t.Errorf("undo = %s", u)
	}
}

func TestRDSSnapshotPrivateMoto(t *testing.T) {
	env := startMoto(t)
	env.seedDB(t, "orders", false, nil)
	ctx := context.Background()
	c := rds.NewFromConfig(env.cfg)
	if _, err := c.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{DBInstanceIdentifier: aws.String("orders"),
		DBSnapshotIdentifier: aws.String("orders-final"), Tags: []rdstypes.Tag{{Key: aws.String("team"), Value: aws.String("dba")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ModifyDBSnapshotAttribute(ctx, &rds.ModifyDBSnapshotAttributeInput{DBSnapshotIdentifier: aws.String("orders-final"),
		AttributeName: aws.String(restoreAttribute), ValuesToAdd: []string{restoreAll, "111122223333"}}); err != nil {
		t.Fatal(err)
	}
	a := rdsSnapshotPrivate{}
	p := params(t, a, nil)
	tg := target(t, a, rdsCall(t, "ModifyDBSnapshotAttribute", `{"dBSnapshotIdentifier":"orders-final","attributeName":"restore","valuesToAdd":["all"]}`), p)
	plan := enforce(t, env.clients(), a, tg, p)
	if plan.Tags["team"] != "dba" {
		t.Errorf("tags = %v", plan.Tags)
	}
	out, err := c.DescribeDBSnapshotAttributes(ctx, &rds.DescribeDBSnapshotAttributesInput{DBSnapshotIdentifier: aws.String("orders-final")})
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, at := range out.DBSnapshotAttributesResult.DBSnapshotAttributes {
		if aws.ToString(at.AttributeName) == restoreAttribute {
			values = at.AttributeValues
		}
	}
	if !slices.Equal(values, []string{"111122223333"}) {
		t.Errorf("restore attribute = %v, want only the shared account kept", values)
	}
	want := "aws rds modify-db-snapshot-attribute --db-snapshot-identifier orders-final --attribute-name restore --values-to-add all --region " + testRegion
	if u := a.Undo(plan); u != want {
		t.Errorf("undo = %s", u)
	}
}

func TestRDSTargetFromFindingResource(t *testing.T) {
	al := alert.Alert{Resources: []alert.Resource{{Type: "AwsRdsDbInstance", ARN: "arn:aws:rds:eu-west-1:123456789012:db:orders"}}}
	tg, err := rdsInstanceNotPublic{}.Target(al, nil)
	if err != nil || tg.ID != "orders" || tg.From != "resource AwsRdsDbInstance" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	if _, err := (rdsSnapshotPrivate{}).Target(al, nil); err == nil {
		t.Error("a DB instance resource was taken as a snapshot")
	}
}

func TestVPCRestoreFlowLogsMoto(t *testing.T) {
	cases := []struct {
		name   string
		params func(e motoEnv, t *testing.T) map[string]any
	}{
		{"to CloudWatch Logs", func(e motoEnv, t *testing.T) map[string]any {
			if _, err := cloudwatchlogs.NewFromConfig(e.cfg).CreateLogGroup(context.Background(),
				&cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("vpc-flow-logs")}); err != nil {
				t.Fatal(err)
			}
			return map[string]any{"destination_arn": "arn:aws:logs:eu-west-1:123456789012:log-group:vpc-flow-logs",
				"deliver_logs_role_arn": "arn:aws:iam::123456789012:role/flow-logs"}
		}},
		{"to S3", func(e motoEnv, t *testing.T) map[string]any {
			e.seedBucket(t, "wk-flow-logs", nil)
			return map[string]any{"destination_type": "s3", "destination_arn": "arn:aws:s3:::wk-flow-logs", "traffic_type": "REJECT"}
		}},
	}
	a := vpcRestoreFlowLogs{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startMoto(t)
			ctx := context.Background()
			c := ec2.NewFromConfig(env.cfg)
			vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.9.0.0/16"), TagSpecifications: []ec2types.TagSpecification{{
				ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}}})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(vpc.Vpc.VpcId)
			raw := tc.params(env, t)
			raw["vpc_id"] = id
			p := params(t, a, raw)
			// DeleteFlowLogs names flow logs, not the VPC: the rule's vpc_id does.
			tg := target(t, a, ec2Call(t, "DeleteFlowLogs", `{"DeleteFlowLogsRequest":{"FlowLogId":{"content":"fl-0123","tag":1}}}`), p)
			if tg.ID != id || tg.From != "params" {
				t.Fatalf("target = %+v", tg)
			}
			plan := enforce(t, env.clients(), a, tg, p)
			if plan.Tags["env"] != "prod" {
				t.Errorf("tags = %v", plan.Tags)
			}
			out, err := c.DescribeFlowLogs(ctx, &ec2.DescribeFlowLogsInput{})
			if err != nil || len(out.FlowLogs) != 1 {
				t.Fatalf("flow logs = %d (%v), want one", len(out.FlowLogs), err)
			}
			fl := out.FlowLogs[0]
			if aws.ToString(fl.ResourceId) != id || string(fl.TrafficType) != p.String("traffic_type") ||
				aws.ToString(fl.LogDestination) != p.String("destination_arn") && aws.ToString(fl.LogGroupName) != "vpc-flow-logs" {
				t.Errorf("flow log = resource %s, traffic %s, destination %s / %s", aws.ToString(fl.ResourceId), fl.TrafficType,
					aws.ToString(fl.LogDestination), aws.ToString(fl.LogGroupName))
			}
			if u := a.Undo(plan); u != "aws ec2 delete-flow-logs --flow-log-ids "+aws.ToString(fl.FlowLogId)+" --region "+testRegion {
				t.Errorf("undo = %s", u)
			}
		})
	}
}

func TestVPCTargets(t *testing.T) {
	a := vpcRestoreFlowLogs{}
	p := params(t, a, minimalParams(a.Name()))
	cases := []struct {
		name string
		al   alert.Alert
		id   string
		from string
	}{
		{"request vpcId", ec2Call(t, "ModifyVpcAttribute", `{"vpcId":"vpc-0a1b2c3d4e5f60718"}`), "vpc-0a1b2c3d4e5f60718", "requestParameters.vpcId"},
		{"CreateVpc response", trailAlert(t, `{"eventSource":"ec2.amazonaws.com","eventName":"CreateVpc","awsRegion":"eu-west-1",
"requestParameters":{"cidrBlock":"10.0.0.0/16"},"responseElements":{"vpc":{"vpcId":"vpc-0a1b2c3d"}}}`), "vpc-0a1b2c3d", "responseElements.vpc.vpcId"},
		{"finding resource", alert.Alert{Resources: []alert.Resource{{Type: "AwsEc2Vpc", ID: "vpc-0123abcd"}}}, "vpc-0123abcd", "resource AwsEc2Vpc"},
	}
	for _, tc := range cases {
		tg, err := a.Target(tc.al, p)
		if err != nil || tg.ID != tc.id || tg.From != tc.from {
			t.Errorf("%s: target = %+v, %v", tc.name, tg, err)
		}
	}
	if _, err := a.Target(ec2Call(t, "ModifyVpcAttribute", `{"vpcId":"vpc-$(id)"}`), p); err == nil {
		t.Error("a malformed vpc id was taken")
	}
	for _, raw := range []map[string]any{
		{"destination_arn": "arn:aws:logs:eu-west-1:1:log-group:x"},                             // no role
		{"destination_type": "s3", "destination_arn": "arn:aws:logs:eu-west-1:1:log-group:x"},   // not a bucket
		{"destination_type": "kinesis", "destination_arn": "arn:aws:s3:::b"},                    // type
		{"destination_type": "s3", "destination_arn": "arn:aws:s3:::b", "traffic_type": "SOME"}, // traffic
		{"destination_type": "s3", "destination_arn": "arn:aws:s3:::b", "vpc_id": "subnet-1"},   // vpc id
	} {
		if _, err := a.Schema().Validate(raw); err == nil {
			t.Errorf("params %v accepted", raw)
		}
	}
}

func TestSSMRunCommandMoto(t *testing.T) {
	env := startMoto(t)
	ids, _, _ := env.seedInstances(t, 2, map[string]string{"team": "ir"})
	a := ssmRunCommand{}
	p := params(t, a, map[string]any{"document": "AWS-RunShellScript", "allowed_documents": []any{"AWS-RunShellScript", "AWS-RunPatchBaseline"},
		"parameters": []any{"commands=uptime", "commands=/opt/ir/collect.sh", "executionTimeout=600"}})
	al := alert.Alert{ID: "guardduty/abc123", Resources: []alert.Resource{{Type: "AwsEc2Instance", ID: ids[0]}, {Type: "AwsEc2Instance", ID: ids[1]}}}
	tg := target(t, a, al, p)
	plan := enforce(t, env.clients(), a, tg, p)
	d := plan.Data.(*commandPlan)
	if d.CommandID == "" {
		t.Fatal("apply recorded no command id")
	}
	out, err := ssm.NewFromConfig(env.cfg).ListCommands(context.Background(), &ssm.ListCommandsInput{CommandId: aws.String(d.CommandID)})
	if err != nil || len(out.Commands) != 1 {
		t.Fatalf("list commands: %v (%d)", err, len(out.Commands))
	}
	cmd := out.Commands[0]
	// moto keeps a command's instance ids in no particular order.
	slices.Sort(cmd.InstanceIds)
	slices.Sort(ids)
	if aws.ToString(cmd.DocumentName) != "AWS-RunShellScript" || !slices.Equal(cmd.InstanceIds, ids) ||
		!slices.Equal(cmd.Parameters["commands"], []string{"uptime", "/opt/ir/collect.sh"}) || aws.ToString(cmd.Comment) != "watchkeeper: guardduty/abc123" {
		t.Errorf("command = document %s, instances %v, parameters %v, comment %q", aws.ToString(cmd.DocumentName), cmd.InstanceIds,
			cmd.Parameters, aws.ToString(cmd.Comment))
	}
	if u := a.Undo(plan); u != "aws ssm cancel-command --command-id "+d.CommandID {
		t.Errorf("undo = %s", u)
	}
}

func TestSSMRunCommandSchema(t *testing.T) {
	a := ssmRunCommand{}
	for _, raw := range []map[string]any{
		{"document": "AWS-RunShellScript", "allowed_documents": []any{"AWS-RunPatchBaseline"}},
		{"document": "AWS-RunShellScript"},
		{"document": "x", "allowed_documents": []any{"x"}},
		{"document": "AWS-RunShellScript; rm", "allowed_documents": []any{"AWS-RunShellScript; rm"}},
		{"document": "AWS-RunShellScript", "allowed_documents": []any{"AWS-RunShellScript"}, "parameters": []any{"no-equals"}},
	} {
		if _, err := a.Schema().Validate(raw); err == nil {
			t.Errorf("params %v accepted", raw)
		}
	}
	if len(commandComment(strings.Repeat("x", 300))) > maxCommandNote {
		t.Error("a long trigger makes a comment longer than SSM allows")
	}
}

// automationServer stands in for SSM Automation, which moto does not
// implement: a request-checking server speaking the JSON 1.1 protocol for
// DescribeAutomationExecutions, StartAutomationExecution and
// GetAutomationExecution.
type automationServer struct {
	t  *testing.T
	mu sync.Mutex
	// executions by id; starts holds each StartAutomationExecution body.
	executions []automationExecution
	starts     []map[string]any
}

type automationExecution struct {
	ID, Document, Status string
	Tags                 []string
	Start                time.Time
}

func (s *automationServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		s.t.Errorf("content type %q", ct)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch r.Header.Get("X-Amz-Target") {
	case "AmazonSSM.StartAutomationExecution":
		s.starts = append(s.starts, in)
		e := automationExecution{ID: fmt.Sprintf("4105a4fc-f944-11e6-9d32-0a1b2c3d49%02d", len(s.executions)),
			Document: in["DocumentName"].(string), Status: "InProgress", Start: time.Now()}
		for _, tag := range in["Tags"].([]any) {
			e.Tags = append(e.Tags, tag.(map[string]any)["Key"].(string))
		}
		s.executions = append(s.executions, e)
		fmt.Fprintf(w, `{"AutomationExecutionId":%q}`, e.ID)
	case "AmazonSSM.DescribeAutomationExecutions":
		var prefix, tagKey string
		for _, f := range in["Filters"].([]any) {
			fm := f.(map[string]any)
			v := fm["Values"].([]any)[0].(string)
			switch fm["Key"] {
			case "DocumentNamePrefix":
				prefix = v
			case "TagKey":
				tagKey = v
			}
		}
		if prefix == "" || tagKey == "" {
			s.t.Errorf("describe executions without a document prefix and tag key: %s", body)
		}
		var list []map[string]any
		for _, e := range s.executions {
			if strings.HasPrefix(e.Document, prefix) && slices.Contains(e.Tags, tagKey) {
				list = append(list, map[string]any{"AutomationExecutionId": e.ID, "DocumentName": e.Document,
					"AutomationExecutionStatus": e.Status, "ExecutionStartTime": float64(e.Start.Unix())})
			}
		}
		b, _ := json.Marshal(map[string]any{"AutomationExecutionMetadataList": list})
		_, _ = w.Write(b)
	case "AmazonSSM.GetAutomationExecution":
		for _, e := range s.executions {
			if e.ID == in["AutomationExecutionId"] {
				fmt.Fprintf(w, `{"AutomationExecution":{"AutomationExecutionId":%q,"DocumentName":%q,"AutomationExecutionStatus":%q}}`,
					e.ID, e.Document, e.Status)
				return
			}
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"__type":"AutomationExecutionNotFoundException","message":"not found"}`)
	default:
		s.t.Errorf("unexpected call %s", r.Header.Get("X-Amz-Target"))
		http.Error(w, "unexpected", http.StatusBadRequest)
	}
}

// TestSSMStartAutomation runs against a request-checking httptest server:
// moto does not implement SSM Automation.
func TestSSMStartAutomation(t *testing.T) {
	srv := &automationServer{t: t}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	env := startMoto(t)
	cfg := env.cfg.Copy()
	cfg.BaseEndpoint = aws.String(hs.URL)
	cfg.ConfigSources = nil
	c := Clients{Region: testRegion, SSM: ssm.NewFromConfig(cfg)}

	a := ssmStartAutomation{}
	p := params(t, a, map[string]any{"document": "AWS-RestartEC2Instance", "target_parameter": "InstanceId",
		"parameters": []any{"AutomationAssumeRole=arn:aws:iam::123456789012:role/wk-automation"}})
	tg := target(t, a, instanceAlarm(t, "i-0123456789abcdef0"), p)
	if tg.ID != "i-0123456789abcdef0" || tg.Type != instanceType {
		t.Fatalf("target = %+v", tg)
	}
	plan := enforce(t, c, a, tg, p)
	if len(srv.starts) != 1 {
		t.Fatalf("%d StartAutomationExecution requests, want 1", len(srv.starts))
	}
	start := srv.starts[0]
	params, _ := json.Marshal(start["Parameters"])
	if start["DocumentName"] != "AWS-RestartEC2Instance" ||
		string(params) != `{"AutomationAssumeRole":["arn:aws:iam::123456789012:role/wk-automation"],"InstanceId":["i-0123456789abcdef0"]}` {
		t.Errorf("start request = %v", start)
	}
	d := plan.Data.(*automationPlan)
	if d.ExecutionID != srv.executions[0].ID || !slices.Contains(srv.executions[0].Tags, d.TagKey) {
		t.Errorf("plan recorded %s / %s, server has %+v", d.ExecutionID, d.TagKey, srv.executions[0])
	}
	if u := a.Undo(plan); u != "aws ssm stop-automation-execution --automation-execution-id "+d.ExecutionID+" --type Cancel --region "+testRegion {
		t.Errorf("undo = %s", u)
	}

	// A failed execution does not count: the next trigger starts again, and
	// Verify reports a failed one.
	srv.mu.Lock()
	srv.executions[0].Status = "Failed"
	srv.mu.Unlock()
	if err := a.Verify(context.Background(), c, plan); err == nil {
		t.Error("verify accepted a failed execution")
	}
	again, err := a.Plan(context.Background(), c, tg, p)
	if err != nil || again.Empty() {
		t.Fatalf("plan after a failed execution: %v, empty %t", err, again.Empty())
	}
	// Another target is another execution.
	other, err := a.Plan(context.Background(), c, Target{ID: "i-0fedcba9876543210", Type: instanceType}, p)
	if err != nil || other.Empty() {
		t.Fatalf("plan on another instance: %v, empty %t", err, other.Empty())
	}
}

func TestSSMStartAutomationTargets(t *testing.T) {
	a := ssmStartAutomation{}
	p := params(t, a, map[string]any{"document": "Acme-RotateDBPassword", "target_dimension": "DBInstanceIdentifier",
		"target_parameter": "DBInstance", "parameters": []any{"AutomationAssumeRole=arn:aws:iam::123456789012:role/wk-automation"}})
	al, err := alert.ParseAlarmMessage([]byte(`{"AlarmName":"db","AWSAccountId":"123456789012","NewStateValue":"ALARM",
"StateChangeTime":"2026-11-25T10:00:12.418+0000","Region":"EU (Ireland)","AlarmArn":"arn:aws:cloudwatch:eu-west-1:123456789012:alarm:db",
"Trigger":{"MetricName":"CPUUtilization","Namespace":"AWS/RDS","Statistic":"AVERAGE","Dimensions":[{"value":"orders","name":"DBInstanceIdentifier"}],
"Period":60,"EvaluationPeriods":1,"ComparisonOperator":"GreaterThanThreshold","Threshold":90}}`))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := a.Target(*al, p)
	if err != nil || tg.ID != "orders" || tg.From != "dimension DBInstanceIdentifier" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	bucket := alert.Alert{Resources: []alert.Resource{{Type: "AwsS3Bucket", ID: "wk-assets"}}}
	if tg, err := a.Target(bucket, p); err != nil || tg.ID != "wk-assets" || tg.Type != "AwsS3Bucket" {
		t.Fatalf("resource target = %+v, %v", tg, err)
	}
	if _, err := a.Target(alert.Alert{}, p); err == nil {
		t.Error("an alert naming nothing gave a target")
	}
	if _, err := a.Schema().Validate(map[string]any{"document": "AWS-RestartEC2Instance", "target_parameter": "InstanceId",
		"parameters": []any{"InstanceId=i-1"}}); err == nil {
		t.Error("target_parameter also set in parameters was accepted")
	}
}
