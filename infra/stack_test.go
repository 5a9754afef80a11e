package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect"
	"github.com/watchkeeper/watchkeeper/shared/dispatch"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/state"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

func TestFunctions(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		check(t, "four functions", func() {
			s.assert.ResourceCountIs(jsii.String("AWS::Lambda::Function"), jsii.Number(4))
		})
		var tracing any = assertions.Match_Absent()
		if s.cfg.Deployment.Tracing {
			tracing = like(obj{"Mode": "Active"})
		}
		for _, name := range config.FunctionNames() {
			fs := s.cfg.Function(name)
			var concurrency any = assertions.Match_Absent()
			if fs.ReservedConcurrency > 0 {
				concurrency = fs.ReservedConcurrency
			}
			vars := obj{
				funcenv.Function:   name,
				funcenv.Table:      obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^StateTable"))},
				funcenv.Bus:        obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^EventsBus"))},
				funcenv.AlarmTopic: obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^AlarmsTopic"))},
			}
			if name == config.FunctionSweeper { // what its posture sweep checks (TestSweeperKnowsTheSuiteTriggers)
				vars[funcenv.RulePrefix] = assertions.Match_AnyValue()
				vars[funcenv.TrailLogGroup] = assertions.Match_AnyValue()
				vars[funcenv.DetectorARN] = assertions.Match_AnyValue()
			}
			check(t, name+" runtime, sizing, logging, environment", func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Lambda::Function"), like(obj{
					"Runtime":       "provided.al2023",
					"Architectures": arr("arm64"),
					"Handler":       "bootstrap",
					"MemorySize":    fs.MemoryMB,
					"Timeout":       fs.TimeoutSeconds,
					"LoggingConfig": like(obj{
						"LogFormat":           "JSON",
						"ApplicationLogLevel": "INFO",
						"LogGroup":            like(obj{"Ref": assertions.Match_AnyValue()}),
					}),
					"TracingConfig":                tracing,
					"ReservedConcurrentExecutions": concurrency,
					"Environment":                  obj{"Variables": assertions.Match_ObjectEquals(&vars)},
				}))
			})
		}
	})
}

func TestOnFailureDestinations(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		configs := s.resources("AWS::Lambda::EventInvokeConfig")
		for name, fnID := range s.functionIDs(t) {
			var found obj
			for _, c := range configs {
				if id, _ := refID(props(c)["FunctionName"]); id == fnID {
					found = props(c)
				}
			}
			if found == nil {
				t.Errorf("%s: no EventInvokeConfig", name)
				continue
			}
			if got := found["MaximumRetryAttempts"]; got != float64(asyncRetryAttempts) {
				t.Errorf("%s: MaximumRetryAttempts = %v, want %d", name, got, asyncRetryAttempts)
			}
			if got := found["MaximumEventAgeInSeconds"]; got != float64(asyncMaxEventAgeHours*3600) {
				t.Errorf("%s: MaximumEventAgeInSeconds = %v, want %d", name, got, asyncMaxEventAgeHours*3600)
			}
			qid, ok := refID(dig(found, "DestinationConfig", "OnFailure", "Destination"))
			q := s.resource(qid)
			if !ok || q["Type"] != "AWS::SQS::Queue" {
				t.Errorf("%s: on-failure destination %v is not a queue of the stack", name, dig(found, "DestinationConfig"))
				continue
			}
			assertDeadLetterQueue(t, s, name, qid)
		}
	})
}

// assertDeadLetterQueue checks encryption, retention and the TLS-only queue policy of queue qid.
func assertDeadLetterQueue(t *testing.T, s *synthesis, what, qid string) {
	t.Helper()
	p := props(s.resource(qid))
	if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
		t.Errorf("%s: queue %s is not encrypted", what, qid)
	}
	if got := p["MessageRetentionPeriod"]; got != float64(deadLetterRetentionDays*24*3600) {
		t.Errorf("%s: queue %s retention = %v s, want %d days", what, qid, got, deadLetterRetentionDays)
	}
	tlsOnly := false
	for _, pol := range s.resources("AWS::SQS::QueuePolicy") {
		for _, q := range asSlice(props(pol)["Queues"]) {
			if id, _ := refID(q); id != qid {
				continue
			}
			for _, st := range asSlice(dig(props(pol), "PolicyDocument", "Statement")) {
				if st.(obj)["Effect"] == "Deny" && dig(st, "Condition", "Bool", "aws:SecureTransport") == "false" {
					tlsOnly = true
				}
			}
		}
	}
	if !tlsOnly {
		t.Errorf("%s: queue %s has no deny on aws:SecureTransport=false", what, qid)
	}
}

func TestStateTable(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		check(t, "table keys, TTL, index, PITR, SSE", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), like(obj{
				"BillingMode": "PAY_PER_REQUEST",
				"KeySchema": arr(
					obj{"AttributeName": state.AttrPK, "KeyType": "HASH"},
					obj{"AttributeName": state.AttrSK, "KeyType": "RANGE"},
				),
				"AttributeDefinitions": assertions.Match_ArrayWith(arr(
					obj{"AttributeName": state.AttrPK, "AttributeType": "S"},
					obj{"AttributeName": state.AttrSK, "AttributeType": "S"},
					obj{"AttributeName": state.AttrGSI1PK, "AttributeType": "S"},
					obj{"AttributeName": state.AttrGSI1SK, "AttributeType": "S"},
				)),
				"TimeToLiveSpecification": obj{"AttributeName": state.AttrTTL, "Enabled": true},
				"GlobalSecondaryIndexes": arr(like(obj{
					"IndexName": state.IndexByTime,
					"KeySchema": arr(
						obj{"AttributeName": state.AttrGSI1PK, "KeyType": "HASH"},
						obj{"AttributeName": state.AttrGSI1SK, "KeyType": "RANGE"},
					),
					"Projection": obj{"ProjectionType": "ALL"},
				})),
				"PointInTimeRecoverySpecification": obj{"PointInTimeRecoveryEnabled": true},
				"SSESpecification":                 obj{"SSEEnabled": true},
			}))
		})
		check(t, "table removal policy", func() {
			s.assert.HasResource(jsii.String("AWS::DynamoDB::Table"), like(obj{
				"DeletionPolicy":      wantDeletionPolicy(s.cfg),
				"UpdateReplacePolicy": wantDeletionPolicy(s.cfg),
			}))
		})
	})
}

// wantDeletionPolicy is the DeletionPolicy of stateful resources under cfg.
func wantDeletionPolicy(cfg *config.Config) string {
	if cfg.Deployment.RemovalPolicy == config.RemovalDestroy {
		return "Delete"
	}
	return "Retain"
}

func TestAlarmTopic(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		topics := s.resources("AWS::SNS::Topic")
		if len(topics) != 1 {
			t.Fatalf("%d SNS topics, want 1", len(topics))
		}
		topicID := sortedKeys(topics)[0]
		keyID, ok := refID(props(topics[topicID])["KmsMasterKeyId"])
		key := s.resource(keyID)
		if !ok || key["Type"] != "AWS::KMS::Key" {
			t.Fatalf("topic is not encrypted with a key of the stack: %v", props(topics[topicID])["KmsMasterKeyId"])
		}
		if props(key)["EnableKeyRotation"] != true {
			t.Error("topic key rotation is off")
		}

		services := func(st obj) []string {
			var out []string
			for _, p := range asSlice(dig(st, "Principal", "Service")) {
				out = append(out, p.(string))
			}
			slices.Sort(out)
			return out
		}
		sameAccount := func(st obj) bool {
			return fmt.Sprint(dig(st, "Condition", "StringEquals", "aws:SourceAccount")) == fmt.Sprint(obj{"Ref": "AWS::AccountId"})
		}
		keyUse := false
		for _, st := range asSlice(dig(props(key), "KeyPolicy", "Statement")) {
			st := st.(obj)
			acts := fmt.Sprint(asSlice(st["Action"]))
			if st["Effect"] == "Allow" && slices.Equal(services(st), alarmPublishers) &&
				strings.Contains(acts, "kms:Decrypt") && strings.Contains(acts, "kms:GenerateDataKey*") && sameAccount(st) {
				keyUse = true
			}
		}
		if !keyUse {
			t.Error("key policy does not let cloudwatch and events use the key under aws:SourceAccount")
		}

		var policy obj
		for _, p := range s.resources("AWS::SNS::TopicPolicy") {
			for _, tp := range asSlice(props(p)["Topics"]) {
				if id, _ := refID(tp); id == topicID {
					policy = props(p)
				}
			}
		}
		if policy == nil {
			t.Fatal("alarm topic has no topic policy")
		}
		allowed, tls, denyOthers := false, false, false
		for _, st := range asSlice(dig(policy, "PolicyDocument", "Statement")) {
			st := st.(obj)
			publish := slices.ContainsFunc(asSlice(st["Action"]), func(a any) bool { return a == "sns:Publish" || a == "sns:*" || a == "*" })
			switch {
			case st["Effect"] == "Allow" && publish:
				// Nothing but the two services of this account may be allowed to publish.
				if dig(st, "Principal", "AWS") != nil || st["Principal"] == "*" || !slices.Equal(services(st), alarmPublishers) || !sameAccount(st) {
					t.Errorf("topic policy allows publishing beyond cloudwatch/events of this account: %v", st)
				}
				allowed = true
			case st["Effect"] == "Deny" && publish && dig(st, "Condition", "Bool", "aws:SecureTransport") == "false":
				tls = true
			case st["Effect"] == "Deny" && publish && dig(st, "Condition", "Bool", "aws:PrincipalIsAWSService") == "false":
				denyOthers = true
			}
		}
		if !allowed || !tls || !denyOthers {
			t.Errorf("topic policy: allow services %v, TLS only %v, deny non-services %v; want all", allowed, tls, denyOthers)
		}

		ids := s.functionIDs(t)
		// The remediator subscribes only when a rule can match an alarm
		// (TestRemediatorSubscriptionAndTrailKey checks its filter).
		subscribers := []string{config.FunctionNotifier}
		if remediatorAlarmFilter(s.cfg.Remediation.Rules).Subscribe {
			subscribers = append(subscribers, config.FunctionRemediator)
		}
		for _, name := range subscribers {
			check(t, name+" subscribes to the alarm topic", func() {
				s.assert.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), like(obj{
					"Protocol": "lambda",
					"TopicArn": obj{"Ref": topicID},
					"Endpoint": obj{"Fn::GetAtt": arr(ids[name], "Arn")},
				}))
			})
		}
		checkEmailSubscriptions(t, s, topicID, len(subscribers))
	})
}

func TestEventBus(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		check(t, "bus name", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::Events::EventBus"), like(obj{"Name": eventBusName}))
		})
		ids := s.functionIDs(t)
		rules := []struct {
			target      string
			detailTypes []any
		}{
			{config.FunctionNotifier, []any{detailFinding, detailRemediation, detailReminder, detailGroup, detailDigest}},
			{config.FunctionRemediator, []any{detailFinding}},
		}
		for _, r := range rules {
			check(t, "rule to "+r.target, func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Events::Rule"), like(obj{
					"EventBusName": obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^EventsBus"))},
					"EventPattern": obj{
						"source":      arr(obj{"prefix": eventSourcePrefix}),
						"detail-type": &r.detailTypes,
					},
					"Targets": arr(like(obj{
						"Arn":              obj{"Fn::GetAtt": arr(ids[r.target], "Arn")},
						"DeadLetterConfig": obj{"Arn": obj{"Fn::GetAtt": arr(assertions.Match_StringLikeRegexp(jsii.String("DeadLetterQueue")), "Arn")}},
						"RetryPolicy": obj{
							"MaximumRetryAttempts":     ruleRetryAttempts,
							"MaximumEventAgeInSeconds": ruleMaxEventAgeHours * 3600,
						},
					})),
				}))
			})
		}
		for id, rule := range s.resources("AWS::Events::Rule") {
			for _, target := range asSlice(props(rule)["Targets"]) {
				qid, _ := refID(dig(target, "DeadLetterConfig", "Arn"))
				assertDeadLetterQueue(t, s, "rule "+id, qid)
			}
		}

		busID := sortedKeys(s.resources("AWS::Events::EventBus"))[0]
		for name, fnID := range ids {
			res := resourcesFor(s.statements(s.roleID(t, fnID)), "events:PutEvents")
			want := name != config.FunctionNotifier
			if got := len(res) > 0; got != want {
				t.Errorf("%s: may put events = %v, want %v", name, got, want)
			}
			for _, r := range res {
				if id, _ := refID(r); id != busID {
					t.Errorf("%s: events:PutEvents on %v, want only the bus", name, r)
				}
			}
		}
	})
}

func TestTrail(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		detector := s.functionIDs(t)[config.FunctionDetector]
		pattern := s.cfg.Trail.FilterPattern
		check(t, "CloudWatch Logs may invoke the detector", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::Lambda::Permission"), like(obj{
				"Action":       "lambda:InvokeFunction",
				"FunctionName": obj{"Fn::GetAtt": arr(detector, "Arn")},
				"Principal":    assertions.Match_StringLikeRegexp(jsii.String(`^logs\.`)),
			}))
		})
		if *s.cfg.Trail.Create {
			check(t, "multi-region trail with validation", func() {
				s.assert.HasResourceProperties(jsii.String("AWS::CloudTrail::Trail"), like(obj{
					"IsMultiRegionTrail":         true,
					"EnableLogFileValidation":    true,
					"IncludeGlobalServiceEvents": true,
					"CloudWatchLogsLogGroupArn": obj{"Fn::GetAtt": arr(
						assertions.Match_StringLikeRegexp(jsii.String("^TrailLogGroup")), "Arn")},
				}))
			})
			check(t, "trail bucket", func() {
				s.assert.HasResource(jsii.String("AWS::S3::Bucket"), like(obj{
					"Properties": like(obj{
						"PublicAccessBlockConfiguration": obj{
							"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
						},
						"BucketEncryption":        assertions.Match_AnyValue(),
						"VersioningConfiguration": obj{"Status": "Enabled"},
						"LoggingConfiguration":    like(obj{"DestinationBucketName": obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^TrailAccessLogs"))}}),
					}),
					"DeletionPolicy": wantDeletionPolicy(s.cfg),
				}))
			})
			check(t, "trail log group", func() {
				s.assert.HasResource(jsii.String("AWS::Logs::LogGroup"), like(obj{
					"Properties":     like(obj{"RetentionInDays": s.cfg.Trail.RetentionDays}),
					"DeletionPolicy": wantDeletionPolicy(s.cfg),
				}))
			})
			check(t, "subscription filter on the trail's log group", func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Logs::SubscriptionFilter"), obj{
					"DestinationArn": obj{"Fn::GetAtt": arr(detector, "Arn")},
					"LogGroupName":   obj{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^TrailLogGroup"))},
					"FilterPattern":  pattern,
				})
			})
			return
		}
		check(t, "no trail of our own", func() {
			s.assert.ResourceCountIs(jsii.String("AWS::CloudTrail::Trail"), jsii.Number(0))
			s.assert.ResourceCountIs(jsii.String("AWS::S3::Bucket"), jsii.Number(0))
		})
		check(t, "subscription filter on the existing log group", func() {
			s.assert.HasResourceProperties(jsii.String("AWS::Logs::SubscriptionFilter"), obj{
				"DestinationArn": obj{"Fn::GetAtt": arr(detector, "Arn")},
				"LogGroupName":   s.cfg.Trail.LogGroupName,
				"FilterPattern":  pattern,
			})
		})
	})
}

func TestHealthAlarms(t *testing.T) {
	for fn, emitted := range map[string]string{"notifier": dispatch.AuditMetric, "detector": detect.AuditMetric} {
		if emitted != AuditWriteErrorsMetric {
			t.Fatalf("the alarm watches %q, the %s emits %q", AuditWriteErrorsMetric, fn, emitted)
		}
	}
	bothSynths(t, func(t *testing.T, s *synthesis) {
		queues := len(s.resources("AWS::SQS::Queue"))
		want := 2*len(config.FunctionNames()) + queues + 2 // + the notifier's and detector's audit write errors
		wantQueues := len(config.FunctionNames()) + 2
		if len(s.cfg.Schedules) > 0 {
			wantQueues++ // the schedules' dead-letter queue
		}
		targets := map[string]bool{}
		for _, e := range s.cfg.Events {
			for _, tg := range e.Targets {
				targets[tg] = true
			}
		}
		wantQueues += len(targets) // the event rules' dead-letter queue of each target function
		if queues != wantQueues {
			t.Errorf("%d queues, want one per function, one per suite rule, one for the schedules and one per event rule target (%d)", queues, wantQueues)
		}
		heartbeat := heartbeatPeriod(s.cfg.Schedules)
		if heartbeat > 0 {
			want++
		}
		topicID := sortedKeys(s.resources("AWS::SNS::Topic"))[0]
		// The configured alarms have fixed names (TestConfiguredMetricAlarms); the health alarms do not.
		// The CIS alarms have their own namespace (TestCISMetricFilters).
		alarms := s.resources("AWS::CloudWatch::Alarm")
		maps.DeleteFunc(alarms, func(_ string, a obj) bool {
			return props(a)["AlarmName"] != nil || props(a)["Namespace"] == CISMetricNamespace
		})
		if len(alarms) != want {
			t.Errorf("%d alarms, want %d (errors and throttles per function, one per DLQ)", len(alarms), want)
		}
		metrics := map[string]int{}
		for id, a := range alarms {
			p := props(a)
			metrics[fmt.Sprint(p["Namespace"], "/", p["MetricName"])]++
			if p["MetricName"] == sweep.HeartbeatMetric {
				// Silence is the failure: fewer than one beat, or none at all, alarms.
				if p["ComparisonOperator"] != "LessThanThreshold" || p["Threshold"] != float64(1) || p["TreatMissingData"] != "breaching" ||
					p["Statistic"] != "SampleCount" || p["Period"] != float64(heartbeat) || p["EvaluationPeriods"] != float64(heartbeatMissedBeats) {
					t.Errorf("%s: heartbeat alarm %v", id, p)
				}
				if d := asSlice(p["Dimensions"]); len(d) != 1 || dig(d[0], "Name") != "Stack" || dig(d[0], "Value") != s.cfg.Deployment.StackName {
					t.Errorf("%s: heartbeat dimensions %v", id, d)
				}
				continue
			}
			for _, key := range []string{"AlarmActions", "OKActions"} {
				acts := asSlice(p[key])
				if len(acts) != 1 {
					t.Errorf("%s: %s = %v, want the alarm topic", id, key, acts)
					continue
				}
				if tid, _ := refID(acts[0]); tid != topicID {
					t.Errorf("%s: %s = %v, want the alarm topic", id, key, acts)
				}
			}
			if p["ComparisonOperator"] != "GreaterThanThreshold" || p["Threshold"] != float64(0) {
				t.Errorf("%s: %v %v, want > 0", id, p["ComparisonOperator"], p["Threshold"])
			}
		}
		wantMetrics := map[string]int{
			"AWS/Lambda/Errors":                          len(config.FunctionNames()),
			"AWS/Lambda/Throttles":                       len(config.FunctionNames()),
			"AWS/SQS/ApproximateNumberOfMessagesVisible": queues,
			"Watchkeeper/" + AuditWriteErrorsMetric:      2,
		}
		if heartbeat > 0 {
			wantMetrics["Watchkeeper/"+sweep.HeartbeatMetric] = 1
		}
		if fmt.Sprint(metrics) != fmt.Sprint(wantMetrics) {
			t.Errorf("alarm metrics %v, want %v", metrics, wantMetrics)
		}
	})
}

func TestFunctionLogGroups(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		for name, fnID := range s.functionIDs(t) {
			lgID, ok := refID(dig(props(s.resource(fnID)), "LoggingConfig", "LogGroup"))
			lg := s.resource(lgID)
			if !ok || lg["Type"] != "AWS::Logs::LogGroup" {
				t.Errorf("%s: log group is not created by the stack", name)
				continue
			}
			if got := props(lg)["RetentionInDays"]; got != float64(s.cfg.Deployment.LogRetentionDays) {
				t.Errorf("%s: retention %v, want %d", name, got, s.cfg.Deployment.LogRetentionDays)
			}
			if got := lg["DeletionPolicy"]; got != wantDeletionPolicy(s.cfg) {
				t.Errorf("%s: DeletionPolicy %v, want %s", name, got, wantDeletionPolicy(s.cfg))
			}
			// Log delivery is granted on the function's own group and no other.
			res := resourcesFor(s.statements(s.roleID(t, fnID)), "logs:PutLogEvents")
			if len(res) != 1 {
				t.Errorf("%s: logs:PutLogEvents on %v, want its own log group only", name, res)
			} else if id, _ := refID(res[0]); id != lgID {
				t.Errorf("%s: logs:PutLogEvents on %v, want %s", name, res[0], lgID)
			}
		}
	})
}

func TestPermissionsBoundary(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		boundary := s.cfg.Deployment.PermissionsBoundary
		for id, role := range s.resources("AWS::IAM::Role") {
			got := props(role)["PermissionsBoundary"]
			switch {
			case boundary == "" && got != nil:
				t.Errorf("%s: boundary %v without one configured", id, got)
			case boundary != "" && got != boundary:
				t.Errorf("%s: boundary %v, want %s", id, got, boundary)
			}
		}
	})
}

func TestBootstrapQualifier(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		q := s.cfg.Deployment.BootstrapQualifier
		art := s.assembly.GetStackArtifact(s.stack.ArtifactId())
		for what, arn := range map[string]*string{
			"deploy role":    art.AssumeRoleArn(),
			"execution role": art.CloudFormationExecutionRoleArn(),
		} {
			if arn == nil || !strings.Contains(*arn, ":role/cdk-"+q+"-") {
				t.Errorf("%s %v does not use qualifier %s", what, arn, q)
			}
		}
		check(t, "bootstrap version parameter", func() {
			s.assert.HasParameter(jsii.String("BootstrapVersion"), like(obj{"Default": "/cdk-bootstrap/" + q + "/version"}))
		})
		if acct := s.cfg.Deployment.Account; acct != "" && *s.stack.Account() != acct {
			t.Errorf("stack account %s, want %s", *s.stack.Account(), acct)
		}
		if region := s.cfg.Deployment.Region; region != "" && *s.stack.Region() != region {
			t.Errorf("stack region %s, want %s", *s.stack.Region(), region)
		}
		if *s.stack.StackName() != s.cfg.Deployment.StackName {
			t.Errorf("stack name %s, want %s", *s.stack.StackName(), s.cfg.Deployment.StackName)
		}
	})
}

func TestTagsAndOutputs(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		for k, v := range s.cfg.Deployment.Tags {
			check(t, "tag "+k+" on every function", func() {
				s.assert.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), like(obj{
					"Tags": assertions.Match_ArrayWith(arr(obj{"Key": k, "Value": v})),
				}))
			})
			check(t, "tag "+k+" on the table", func() {
				s.assert.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), like(obj{
					"Tags": assertions.Match_ArrayWith(arr(obj{"Key": k, "Value": v})),
				}))
			})
		}
		outputs := []string{"StateTableName", "EventBusName", "AlarmTopicArn", "ToNotifierDeadLetterQueueUrl", "ToRemediatorDeadLetterQueueUrl"}
		for _, name := range config.FunctionNames() {
			outputs = append(outputs, constructID(name)+"FunctionName", constructID(name)+"FailureQueueUrl")
		}
		for _, o := range outputs {
			check(t, "output "+o, func() { s.assert.HasOutput(jsii.String(o), like(obj{"Value": assertions.Match_AnyValue()})) })
		}
	})
}

func TestSchedules(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		schedules := s.resources("AWS::Scheduler::Schedule")
		if len(schedules) != len(s.cfg.Schedules) {
			t.Fatalf("%d schedules, want %d (one per config entry)", len(schedules), len(s.cfg.Schedules))
		}
		sweeper := s.functionIDs(t)[config.FunctionSweeper]
		for _, sc := range s.cfg.Schedules {
			check(t, "schedule "+sc.Name, func() {
				s.assert.HasResourceProperties(jsii.String("AWS::Scheduler::Schedule"), like(obj{
					"ScheduleExpression":         sc.Expression,
					"ScheduleExpressionTimezone": sc.TimeZone,
					"State":                      "ENABLED",
					"Target": like(obj{
						"Arn":              obj{"Fn::GetAtt": arr(sweeper, "Arn")},
						"Input":            assertions.Match_SerializedJson(like(obj{"job": sc.Job, "execution_id": "<aws.scheduler.execution-id>", "scheduled_time": "<aws.scheduler.scheduled-time>"})),
						"RetryPolicy":      obj{"MaximumRetryAttempts": scheduleRetryAttempts, "MaximumEventAgeInSeconds": scheduleMaxEventAgeMinute * 60},
						"DeadLetterConfig": like(obj{}),
					}),
				}))
			})
		}
		// The sweeper may read exactly what its scheduled jobs read, and nothing when none is scheduled.
		sts := s.statements(s.roleID(t, sweeper))
		posture := len(resourcesFor(sts, "ec2:DescribeSecurityGroups")) > 0
		scheduledPosture := false
		for _, sc := range s.cfg.Schedules {
			scheduledPosture = scheduledPosture || sc.Job == "posture"
		}
		if posture != scheduledPosture {
			t.Errorf("sweeper may describe security groups = %v, posture scheduled = %v", posture, scheduledPosture)
		}
		// Its only writes outside its own state are the alarm profiles' alarms, named wk-*.
		for _, st := range sts {
			for _, a := range asSlice(st["Action"]) {
				if as, _ := a.(string); strings.Contains(as, "Put") || strings.Contains(as, "Delete") || strings.Contains(as, "Update") || strings.Contains(as, "TagResource") {
					if strings.HasPrefix(as, "cloudwatch:") {
						for _, r := range asSlice(st["Resource"]) {
							if j, _ := json.Marshal(r); !strings.HasSuffix(string(j), `":alarm:wk-*"]]}`) {
								t.Errorf("sweeper may %s on %s: only on the profiles' alarms", as, j)
							}
						}
						continue
					}
					if !strings.HasPrefix(as, "dynamodb:") && as != "events:PutEvents" && !strings.HasPrefix(as, "logs:") && !strings.HasPrefix(as, "xray:") {
						t.Errorf("sweeper may %s: its jobs only read", as)
					}
				}
			}
		}
		if writes := len(resourcesFor(sts, "cloudwatch:PutMetricAlarm")) > 0; writes != (len(s.cfg.Alarms.Profiles) > 0) {
			t.Errorf("sweeper may put alarms = %v with %d alarm profiles", writes, len(s.cfg.Alarms.Profiles))
		}
	})
}

func TestScheduleOfAJobTheSweeperLacksFailsSynth(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	fn := awslambda.Function_FromFunctionArn(stack, jsii.String("F"), jsii.String("arn:aws:lambda:us-east-1:123456789012:function:sweeper"))
	_, err := NewSchedules(stack, "Schedules", &SchedulesProps{
		Schedules: []config.Schedule{{Name: "defrag", Job: "defragment", Expression: "rate(7 days)", TimeZone: "UTC"}},
		Sweeper:   fn,
	})
	if err == nil || !strings.Contains(err.Error(), `no job "defragment"`) {
		t.Errorf("err = %v", err)
	}
}
