package detect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// Two invocations with the same rule on the same trail: one finding, the
// second match counted on the DEDUP item; after the window the next
// finding says how many were held back.
func TestDedupAcrossInvocations(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := base
	pub := &capture{}
	e := eventNameEngine{"StopLogging": "trail-stopped"}
	db, table := stateTable(t)
	svc := New(e, pub, nil, func() time.Time { return now }, WithDedup(state.NewFindingDedup(db, table), time.Hour))
	stop := func(at time.Time) []byte {
		return trailRecord(t, at, map[string]any{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
			"requestParameters": map[string]any{"name": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"}})
	}
	for i := range 2 {
		now = base.Add(time.Duration(i) * time.Minute)
		resp, err := svc.Handle(t.Context(), logsEvent(t, "g", stop(now)))
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Findings) != 1 || resp.Findings[0].Published != (i == 0) || resp.Findings[0].Deduplicated != (i == 1) {
			t.Errorf("invocation %d: %+v", i, resp.Findings)
		}
	}
	if len(pub.details) != 1 {
		t.Fatalf("published %d findings, want 1", len(pub.details))
	}
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
		state.AttrPK: &types.AttributeValueMemberS{Value: "DEDUP#finding#trail-stopped#arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"},
		state.AttrSK: &types.AttributeValueMemberS{Value: "META"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := out.Item["more"].(*types.AttributeValueMemberN); !ok || n.Value != "1" {
		t.Errorf("dedup item = %v; want more = 1", out.Item)
	}
	// Three in one invocation after the window: one finding saying 1 more since the first; the other two counted.
	now = base.Add(61 * time.Minute)
	resp, err := svc.Handle(t.Context(), logsEvent(t, "g", stop(now), stop(now), stop(now)))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 1 || len(pub.details) != 2 {
		t.Fatalf("findings %+v, published %d", resp.Findings, len(pub.details))
	}
	d := pub.details[1]
	if d.More != 1 || !d.MoreSince.Equal(base) || !strings.Contains(d.Description, "1 more since 2026-11-25T09:00:00Z") {
		t.Errorf("finding after the window = more %d since %v: %q", d.More, d.MoreSince, d.Description)
	}
}

// flakyBatch fails the first PublishBatch for every finding, then works.
type flakyBatch struct {
	capture
	calls int
}

func (f *flakyBatch) PublishBatch(_ context.Context, _, _ string, ds []alert.Detail) error {
	f.calls++
	if f.calls == 1 {
		failed := make([]bool, len(ds))
		for i := range failed {
			failed[i] = true
		}
		return &bus.BatchError{Failed: failed, Err: errors.New("ThrottlingException")}
	}
	f.details = append(f.details, ds...)
	return nil
}

// A failed publish fails the invocation; its retry publishes the finding
// the dedup mark already holds, once.
func TestRetryAfterFailedPublishPublishesOnce(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	db, table := stateTable(t)
	pub := &flakyBatch{}
	svc := New(eventNameEngine{"StopLogging": "trail-stopped"}, pub, nil, func() time.Time { return now }, WithDedup(state.NewFindingDedup(db, table), time.Hour))
	ev := logsEvent(t, "g", trailRecord(t, now, map[string]any{"eventName": "StopLogging"}))
	if _, err := svc.Handle(t.Context(), ev); err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Fatalf("first attempt: %v", err)
	}
	for range 2 { // the retry, then a redelivery of the same batch
		if _, err := svc.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if len(pub.details) != 1 {
		t.Errorf("published %d times, want once", len(pub.details))
	}
}

// putEventsCounter is an EventBridge endpoint counting PutEvents calls.
type putEventsCounter struct {
	mu      sync.Mutex
	entries []int
	rules   []string
}

func (p *putEventsCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct{ Entries []struct{ Detail string } }
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" || json.NewDecoder(r.Body).Decode(&in) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.entries = append(p.entries, len(in.Entries))
	out := `{"FailedEntryCount":0,"Entries":[`
	for i, e := range in.Entries {
		var d alert.Detail
		_ = json.Unmarshal([]byte(e.Detail), &d)
		p.rules = append(p.rules, d.Rule)
		if i > 0 {
			out += ","
		}
		out += fmt.Sprintf(`{"EventId":"e%d"}`, i)
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_, _ = w.Write([]byte(out + "]}"))
}

// 25 findings of one invocation go out in three PutEvents calls.
func TestFindingsPublishedInBatches(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	srv := &putEventsCounter{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	eb := eventbridge.New(eventbridge.Options{Region: "eu-west-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	e, err := NewPatternEngine(config.Detection{Rules: []config.DetectionRule{{ID: "new-key", Title: "Access key created", Severity: "medium",
		Pattern: `{ $.eventName = "CreateAccessKey" }`}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	records := repeat(25, func(i int) []byte {
		return trailRecord(t, at, map[string]any{"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
			"requestParameters": map[string]any{"userName": fmt.Sprintf("user-%d", i)}})
	})
	resp, err := New(e, bus.New(eb, "watchkeeper"), nil, nil).Handle(t.Context(), logsEvent(t, "g", records...))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(srv.entries) != "[10 10 5]" || len(srv.rules) != 25 {
		t.Errorf("PutEvents calls carried %v entries, want [10 10 5]", srv.entries)
	}
	for _, f := range resp.Findings {
		if !f.Published {
			t.Errorf("finding not marked published: %+v", f)
		}
	}
}
