package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

// TestRedriveCommand runs `wk redrive` end to end: stack outputs and the
// queue in moto, the Lambda Invoke API on a request-checking server reached
// through the SDK's own AWS_ENDPOINT_URL_LAMBDA.
func TestRedriveCommand(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	q := sqs.NewFromConfig(cfg)
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("notifier-failures")})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Q": map[string]any{"Type": "AWS::SQS::Queue"}},
		"Outputs": map[string]any{
			"NotifierFunctionName":    map[string]any{"Value": "Watchkeeper-Notifier"},
			"NotifierFailureQueueUrl": map[string]any{"Value": aws.ToString(qu.QueueUrl)},
		},
	})
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("Watchkeeper"), TemplateBody: aws.String(string(tmpl))}); err != nil {
		t.Fatal(err)
	}
	event := `{"Records":[{"Sns":{"MessageId":"m1"}}]}`
	rec := `{"requestContext":{"functionArn":"arn:aws:lambda:us-east-1:123456789012:function:Watchkeeper-Notifier"},"requestPayload":` + event + `}`
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String(rec)}); err != nil {
		t.Fatal(err)
	}
	var got []string
	lam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/2015-03-31/functions/Watchkeeper-Notifier/invocations" || r.Header.Get("X-Amz-Invocation-Type") != "Event" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		got = append(got, string(b))
		w.WriteHeader(http.StatusAccepted)
	}))
	defer lam.Close()
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", lam.URL)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")

	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"redrive", "-fn", "notifier"}, nil, &stdout, &stderr, false)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout.String(), stderr.String())
	}
	if len(got) != 1 || got[0] != event {
		t.Errorf("replayed %q, want the original event", got)
	}
	if !strings.Contains(stdout.String(), "replayed 1, failed 0") {
		t.Errorf("stdout = %q", stdout.String())
	}
	if code := run(ctx, []string{"redrive"}, nil, &stdout, &stderr, false); code != exitHarness {
		t.Errorf("missing -fn: exit %d", code)
	}
}
