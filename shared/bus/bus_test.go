package bus

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

// TestPublishReachesARuleTarget puts a finding on a bus in moto and reads it
// back from the SQS queue a rule on that bus targets: the entry really is the
// contract's shape.
func TestPublishReachesARuleTarget(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	eb := eventbridge.NewFromConfig(cfg)
	q := sqs.NewFromConfig(cfg)

	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("watchkeeper")}); err != nil {
		t.Fatal(err)
	}
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("findings")})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	pattern, _ := json.Marshal(map[string]any{"source": []string{alert.SourceSweeper}, "detail-type": []string{alert.DetailTypeFinding}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("watchkeeper"), EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-queue"), EventBusName: aws.String("watchkeeper"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}

	p := New(eb, "watchkeeper")
	d := alert.Detail{
		Rule: "posture.sg-open-admin-port", Severity: "high", Title: "sg-1 open on 22",
		Resources: []alert.Resource{{ARN: "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", ID: "sg-1"}},
		Time:      time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	}
	if err := p.Publish(ctx, alert.SourceSweeper, alert.DetailTypeFinding, d); err != nil {
		t.Fatal(err)
	}
	msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 {
		t.Fatalf("got %d messages on the rule's queue, want 1", len(msgs.Messages))
	}
	body := aws.ToString(msgs.Messages[0].Body)
	// What arrives is an EventBridge event the alert parser reads back as a finding.
	trig, err := alert.Parse([]byte(body))
	if err != nil {
		t.Fatalf("parse delivered event: %v\n%s", err, body)
	}
	if trig.Kind != alert.KindWatchkeeper || len(trig.Alerts) != 1 {
		t.Fatalf("trigger = %+v", trig)
	}
	a := trig.Alerts[0]
	if a.State != alert.StateFinding || a.Severity != "high" || !strings.Contains(a.Title, "sg-1") {
		t.Errorf("alert = %+v", a)
	}
}

func TestPublishRejectsForeignSource(t *testing.T) {
	p := New(nil, "watchkeeper")
	if err := p.Publish(t.Context(), "aws.ec2", alert.DetailTypeFinding, alert.Detail{}); err == nil {
		t.Fatal("want an error for a non-watchkeeper source")
	}
}
