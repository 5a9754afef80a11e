package redrive

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

// lambdaServer stands in for the Lambda Invoke API (moto runs functions only
// in Docker) and records what each request carried.
type lambdaServer struct {
	mu       sync.Mutex
	payloads []string
	failOn   string
}

func (l *lambdaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || r.URL.Path != "/2015-03-31/functions/wk-notifier/invocations" || r.Header.Get("X-Amz-Invocation-Type") != "Event" {
		http.Error(w, "unexpected request "+r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Amz-Invocation-Type"), http.StatusBadRequest)
		return
	}
	if l.failOn != "" && strings.Contains(string(body), l.failOn) {
		w.Header().Set("X-Amzn-Errortype", "ServiceException")
		http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
		return
	}
	l.mu.Lock()
	l.payloads = append(l.payloads, string(body))
	l.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func lambdaClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
}

func record(payload string) string {
	return `{"version":"1.0","timestamp":"2026-11-25T10:00:00.000Z","requestContext":{"requestId":"r","functionArn":"arn:aws:lambda:us-east-1:123456789012:function:wk-notifier:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},"requestPayload":` + payload + `,"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":{"errorMessage":"x"}}`
}

func TestRunReplaysAndDeletesOnlyWhatWasAccepted(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	q := sqs.NewFromConfig(m.Config(ctx))
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("notifier-failures")})
	if err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		record(`{"Records":[{"Sns":{"MessageId":"m1"}}]}`),
		record(`{"Records":[{"Sns":{"MessageId":"poison"}}]}`),
		`{"version":"0","id":"ev-1","detail-type":"Watchkeeper Finding","source":"watchkeeper.detector","detail":{}}`,
	}
	for _, b := range bodies {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	ls := &lambdaServer{failOn: "poison"}
	srv := httptest.NewServer(ls)
	defer srv.Close()

	res, err := Run(ctx, q, lambdaClient(srv.URL), Target{FunctionName: "wk-notifier", QueueURL: aws.ToString(qu.QueueUrl)}, 0)
	if err == nil || !strings.Contains(err.Error(), "invoke wk-notifier") {
		t.Errorf("want the failed replay reported, got %v", err)
	}
	if res.Replayed != 2 || res.Failed != 1 {
		t.Errorf("result = %+v", res)
	}
	slices.Sort(ls.payloads)
	want := []string{`{"Records":[{"Sns":{"MessageId":"m1"}}]}`, bodies[2]}
	slices.Sort(want)
	if !slices.Equal(ls.payloads, want) {
		t.Errorf("replayed payloads:\n%q\nwant\n%q", ls.payloads, want)
	}
	// The failed one is still queued (in flight until its visibility timeout ends).
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	if attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "1" {
		t.Errorf("queue attributes = %v; want the poison message kept", attrs.Attributes)
	}
}

func TestRunStopsAtLimit(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	q := sqs.NewFromConfig(m.Config(ctx))
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String(record(`{"job":"posture"}`))}); err != nil {
			t.Fatal(err)
		}
	}
	ls := &lambdaServer{}
	srv := httptest.NewServer(ls)
	defer srv.Close()
	res, err := Run(ctx, q, lambdaClient(srv.URL), Target{FunctionName: "wk-notifier", QueueURL: aws.ToString(qu.QueueUrl)}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Replayed < 1 {
		t.Errorf("result = %+v", res)
	}
}

func TestResolveFromStackOutputs(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	cfn := cloudformation.NewFromConfig(m.Config(ctx))
	tmpl, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Q": map[string]any{"Type": "AWS::SQS::Queue"}},
		"Outputs": map[string]any{
			"NotifierFunctionName":    map[string]any{"Value": "wk-notifier"},
			"NotifierFailureQueueUrl": map[string]any{"Value": "https://sqs.us-east-1.amazonaws.com/123456789012/notifier-failures"},
		},
	})
	if _, err := cfn.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("Watchkeeper"), TemplateBody: aws.String(string(tmpl))}); err != nil {
		t.Fatal(err)
	}
	got, err := Resolve(ctx, cfn, "Watchkeeper", "notifier")
	if err != nil {
		t.Fatal(err)
	}
	if got.FunctionName != "wk-notifier" || !strings.HasSuffix(got.QueueURL, "/notifier-failures") {
		t.Errorf("target = %+v", got)
	}
	if _, err := Resolve(ctx, cfn, "Watchkeeper", "sweeper"); err == nil || !strings.Contains(err.Error(), "SweeperFunctionName") {
		t.Errorf("missing outputs: %v", err)
	}
}

func TestPayload(t *testing.T) {
	got, err := Payload([]byte(record(`{"a":1}`)))
	if err != nil || string(got) != `{"a":1}` {
		t.Errorf("invocation record: %s %v", got, err)
	}
	plain := `{"detail-type":"x"}`
	if got, err := Payload([]byte(plain)); err != nil || string(got) != plain {
		t.Errorf("plain event: %s %v", got, err)
	}
	if _, err := Payload([]byte("nope")); err == nil {
		t.Error("want an error for a body that is not JSON")
	}
}
