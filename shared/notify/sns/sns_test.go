package sns

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

func testAlert() alert.Alert {
	return alert.Alert{
		ID: "a1", Key: "k1", Source: alert.SourceAlarm, State: alert.StateAlarm, Severity: alert.SeverityHigh,
		Title: "Überlast <b>", Reason: "CPU above 90%", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Labels: map[string]string{"account": "123456789012", "region": "eu-west-1"},
	}
}

func TestPublishReachesSubscriber(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	snsc, sqsc := awssns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsc.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("alerts")})
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqsc.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("alerts-inbox")})
	if err != nil {
		t.Fatal(err)
	}
	qa, err := sqsc.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qa.Attributes["QueueArn"])}); err != nil {
		t.Fatal(err)
	}

	opts := render.Options{AccountAlias: "prod"}
	n, err := New(config.Channel{Name: "sns", Type: Type, TopicARN: *topic.TopicArn}, nil, nil, notify.WithAWSConfig(cfg), notify.WithRender(opts))
	if err != nil {
		t.Fatal(err)
	}
	a := testAlert()
	if retry, err := n.Notify(ctx, a); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}

	out, err := sqsc.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages in the queue, want 1", len(out.Messages))
	}
	var env struct {
		Type, Subject, Message string
		MessageAttributes      map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Messages[0].Body)), &env); err != nil {
		t.Fatal(err)
	}
	want := render.Text(a, n.render)
	if env.Message != want || !strings.Contains(env.Message, "prod (123456789012)") {
		t.Errorf("message:\n%s\nwant:\n%s", env.Message, want)
	}
	if env.Subject != "[ALARM] high: ?berlast <b>" {
		t.Errorf("subject %q", env.Subject)
	}
	if env.MessageAttributes["state"].Value != "ALARM" || env.MessageAttributes["severity"].Value != "high" {
		t.Errorf("attributes %v", env.MessageAttributes)
	}
}

func TestPublishToMissingTopicIsPermanent(t *testing.T) {
	m := awstest.Start(t)
	cfg := m.Config(t.Context())
	n, err := New(config.Channel{Name: "sns", Type: Type, TopicARN: "arn:aws:sns:" + cfg.Region + ":123456789012:nope"}, nil, nil, notify.WithAWSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(t.Context(), testAlert())
	if err == nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		{"disk full", "[ALARM] high: disk full"},
		{"line\nbreak\ttab", "[ALARM] high: line break tab"},
		{"naïve ✓", "[ALARM] high: na?ve ?"},
		{strings.Repeat("x", 200), "[ALARM] high: " + strings.Repeat("x", MaxSubjectLength-len("[ALARM] high: ")-3) + "..."},
	}
	for _, tt := range tests {
		got := Subject(alert.Alert{State: alert.StateAlarm, Severity: "high", Title: tt.title})
		if got != tt.want || len(got) > MaxSubjectLength {
			t.Errorf("Subject(%q) = %q (%d), want %q", tt.title, got, len(got), tt.want)
		}
	}
	// At the limit exactly: kept whole.
	title := strings.Repeat("y", MaxSubjectLength-len("[ALARM] high: "))
	if got := Subject(alert.Alert{State: alert.StateAlarm, Severity: "high", Title: title}); len(got) != MaxSubjectLength || strings.HasSuffix(got, "...") {
		t.Errorf("subject at the limit changed: %q", got)
	}
}

func TestFIFOInput(t *testing.T) {
	in := Input("arn:aws:sns:eu-west-1:123456789012:alerts.fifo", testAlert(), render.Options{})
	if aws.ToString(in.MessageGroupId) != "a1" || aws.ToString(in.MessageDeduplicationId) == "" || len(aws.ToString(in.MessageDeduplicationId)) > 128 {
		t.Errorf("fifo ids %v %v", aws.ToString(in.MessageGroupId), aws.ToString(in.MessageDeduplicationId))
	}
	std := Input("arn:aws:sns:eu-west-1:123456789012:alerts", testAlert(), render.Options{})
	if std.MessageGroupId != nil || std.MessageDeduplicationId != nil {
		t.Error("standard topic got FIFO ids")
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(config.Channel{Name: "s", Type: Type, TopicARN: "alerts"}, nil, nil); err == nil {
		t.Error("accepted a topic name instead of an ARN")
	}
	if _, err := New(config.Channel{Name: "s", Type: Type}, nil, nil); err == nil {
		t.Error("accepted no topic")
	}
}
