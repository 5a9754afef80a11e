package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

type putEventsCall struct {
	Entries []struct {
		Source, DetailType, Detail, EventBusName string
		Resources                                []string
	}
}

// fakeEventBridge decodes PutEvents requests as the SDK serializes them and
// answers with the failures fail chooses (by detail rule and attempt).
type fakeEventBridge struct {
	mu    sync.Mutex
	calls []putEventsCall
	seen  map[string]int
	fail  func(rule string, attempt int) bool
}

func (f *fakeEventBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if got := r.Header.Get("X-Amz-Target"); got != "AWSEvents.PutEvents" {
		http.Error(w, "unexpected target "+got, http.StatusBadRequest)
		return
	}
	var in putEventsCall
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, in)
	type result struct {
		EventId      string `json:",omitempty"`
		ErrorCode    string `json:",omitempty"`
		ErrorMessage string `json:",omitempty"`
	}
	out := struct {
		FailedEntryCount int
		Entries          []result
	}{}
	for _, e := range in.Entries {
		var d alert.Detail
		if err := json.Unmarshal([]byte(e.Detail), &d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		attempt := f.seen[d.Rule]
		f.seen[d.Rule]++
		if f.fail != nil && f.fail(d.Rule, attempt) {
			out.FailedEntryCount++
			out.Entries = append(out.Entries, result{ErrorCode: "InternalFailure", ErrorMessage: "try again"})
			continue
		}
		out.Entries = append(out.Entries, result{EventId: fmt.Sprintf("id-%s-%d", d.Rule, attempt)})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(out)
}

func fakeClient(t *testing.T, f *fakeEventBridge) *eventbridge.Client {
	t.Helper()
	f.seen = map[string]int{}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return eventbridge.New(eventbridge.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
}

func findings(n, descBytes int) []alert.Detail {
	out := make([]alert.Detail, n)
	for i := range out {
		out[i] = alert.Detail{Rule: fmt.Sprintf("r%02d", i), Severity: "high", Title: "t", Description: strings.Repeat("x", descBytes)}
	}
	return out
}

func TestPublishBatchChunks(t *testing.T) {
	cases := []struct {
		name      string
		n, size   int
		wantCalls []int
	}{
		{"25 findings in three calls of at most 10", 25, 100, []int{10, 10, 5}},
		{"exactly 10", 10, 100, []int{10}},
		// Three ~100 KB entries: two fit under 256 KB, the third goes alone.
		{"split by size", 3, 100 * 1024, []int{2, 1}},
		{"one entry near the entry limit per call", 2, alert.MaxPutEventsEntryBytes - 1024, []int{1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeEventBridge{}
			p := New(fakeClient(t, f), "watchkeeper")
			if err := p.PublishBatch(t.Context(), alert.SourceDetector, alert.DetailTypeFinding, findings(tc.n, tc.size)); err != nil {
				t.Fatal(err)
			}
			var got []int
			total := 0
			for _, c := range f.calls {
				got = append(got, len(c.Entries))
				size := 0
				for _, e := range c.Entries {
					size += len(e.Source) + len(e.DetailType) + len(e.Detail)
					if e.EventBusName != "watchkeeper" || e.Source != alert.SourceDetector || e.DetailType != alert.DetailTypeFinding {
						t.Errorf("entry %+v", e)
					}
				}
				if size > MaxPutEventsRequestBytes {
					t.Errorf("a call carried %d bytes", size)
				}
				total += len(c.Entries)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.wantCalls) || total != tc.n {
				t.Errorf("calls carried %v entries, want %v", got, tc.wantCalls)
			}
		})
	}
}

func TestPublishBatchRetriesFailedEntriesOnce(t *testing.T) {
	// r03 fails once, r07 always.
	f := &fakeEventBridge{fail: func(rule string, attempt int) bool {
		return rule == "r07" || (rule == "r03" && attempt == 0)
	}}
	p := New(fakeClient(t, f), "watchkeeper")
	ds := findings(12, 10)
	err := p.PublishBatch(t.Context(), alert.SourceDetector, alert.DetailTypeFinding, ds)
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a *BatchError", err)
	}
	for i, failed := range be.Failed {
		if failed != (i == 7) {
			t.Errorf("Failed[%d] = %v", i, failed)
		}
	}
	if !strings.Contains(err.Error(), "r07") || !strings.Contains(err.Error(), "InternalFailure") {
		t.Errorf("error does not say what failed: %v", err)
	}
	// Two calls for 12 entries, then one retry call carrying r03 and r07.
	if len(f.calls) != 3 || len(f.calls[2].Entries) != 2 {
		t.Errorf("calls = %d (last %d entries), want 3 with the retry of 2", len(f.calls), len(f.calls[len(f.calls)-1].Entries))
	}
	if f.seen["r03"] != 2 || f.seen["r07"] != 2 || f.seen["r00"] != 1 {
		t.Errorf("attempts per rule: %v", f.seen)
	}
}

func TestPublishBatchReportsUnbuildableEntries(t *testing.T) {
	f := &fakeEventBridge{}
	p := New(fakeClient(t, f), "watchkeeper")
	ds := findings(3, 10)
	ds[1].Title = strings.Repeat("y", alert.MaxPutEventsEntryBytes+1)
	err := p.PublishBatch(t.Context(), alert.SourceDetector, alert.DetailTypeFinding, ds)
	var be *BatchError
	if !errors.As(err, &be) || !errors.Is(err, alert.ErrEntryTooLarge) || !be.Failed[1] || be.Failed[0] || be.Failed[2] {
		t.Fatalf("err = %v", err)
	}
	if len(f.calls) != 1 || len(f.calls[0].Entries) != 2 {
		t.Errorf("the other two were not put in one call: %+v", f.calls)
	}
	if err := p.PublishBatch(t.Context(), alert.SourceDetector, alert.DetailTypeFinding, nil); err != nil || len(f.calls) != 1 {
		t.Errorf("empty batch: %v, %d calls", err, len(f.calls))
	}
}

// TestPublishBatchReachesARuleTarget: 25 findings through moto's EventBridge
// reach the SQS queue a rule on the bus targets, every one.
func TestPublishBatchReachesARuleTarget(t *testing.T) {
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
	pattern, _ := json.Marshal(map[string]any{"source": []string{alert.SourceDetector}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-queue"), EventBusName: aws.String("watchkeeper"), EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-queue"), EventBusName: aws.String("watchkeeper"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	if err := New(eb, "watchkeeper").PublishBatch(ctx, alert.SourceDetector, alert.DetailTypeFinding, findings(25, 50)); err != nil {
		t.Fatal(err)
	}
	rules := map[string]bool{}
	for range 10 {
		msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, msg := range msgs.Messages {
			trig, err := alert.Parse([]byte(aws.ToString(msg.Body)))
			if err != nil || len(trig.Alerts) != 1 {
				t.Fatalf("delivered event: %v", err)
			}
			rules[trig.Alerts[0].Label(alert.LabelRule)] = true
			_, _ = q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: qu.QueueUrl, ReceiptHandle: msg.ReceiptHandle})
		}
		if len(rules) == 25 {
			break
		}
	}
	if len(rules) != 25 {
		t.Errorf("%d distinct findings arrived, want 25", len(rules))
	}
}
