package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// batchCountingTable passes calls to moto and counts BatchWriteItem calls.
type batchCountingTable struct {
	*countingTable
	batches atomic.Int64
}

func (c *batchCountingTable) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	c.batches.Add(1)
	return c.Client.BatchWriteItem(ctx, in, optFns...)
}

type auditFixture struct {
	svc   *Service
	store *state.Store
	db    *batchCountingTable
	bus   *putEventsCounter
}

// newAuditFixture is a detector with one custom rule, dedup and audit in a
// moto table, publishing to an EventBridge endpoint that counts PutEvents.
func newAuditFixture(t *testing.T, now *time.Time, logger *slog.Logger, auditor FindingAuditor) auditFixture {
	t.Helper()
	ct, table := stateTable(t)
	db := &batchCountingTable{countingTable: ct}
	srv := &putEventsCounter{}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	eb := eventbridge.New(eventbridge.Options{Region: "eu-west-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	e, err := NewPatternEngine(config.Detection{Rules: []config.DetectionRule{{ID: "new-key", Title: "Access key created", Severity: "medium",
		Pattern: `{ $.eventName = "CreateAccessKey" }`}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return *now }
	store := state.NewStore(db, table, clock)
	if auditor == nil {
		auditor = store
	}
	svc := New(e, bus.New(eb, "watchkeeper"), logger, clock,
		WithDedup(state.NewFindingDedup(db, table), time.Hour),
		WithCatalog(Catalog{"new-key": {Technique: "T1098.001"}}),
		WithAudit(auditor))
	return auditFixture{svc: svc, store: store, db: db, bus: srv}
}

func createKey(t *testing.T, at time.Time, user string) []byte {
	return trailRecord(t, at, map[string]any{"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
		"requestParameters": map[string]any{"userName": user}})
}

func TestPublishedFindingsAreAuditedInBatches(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := at.Add(2 * time.Minute)
	f := newAuditFixture(t, &now, nil, nil)
	records := repeat(30, func(i int) []byte { return createKey(t, at, fmt.Sprintf("user-%d", i)) })
	ev := logsEvent(t, "trail", records...)
	resp, err := f.svc.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 30 {
		t.Fatalf("%d findings, want 30", len(resp.Findings))
	}
	if n := f.db.batches.Load(); n != 2 {
		t.Errorf("%d BatchWriteItem calls for 30 findings, want 2 (25 + 5)", n)
	}
	audits, err := f.store.AuditBetween(t.Context(), at.Add(-time.Hour), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 30 {
		t.Fatalf("%d audit records, want 30", len(audits))
	}
	r := audits[0]
	want := map[string]string{
		"source": alert.SourceDetector, "rule": "new-key", "severity": "medium", "technique": "T1098.001",
		"account": "123456789012", "region": "eu-west-1", "actor": "arn:aws:iam::123456789012:user/alice",
		"event_name": "CreateAccessKey", "event_source": "iam.amazonaws.com", "source_ip": "203.0.113.10",
	}
	for k, v := range want {
		if r.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, r.Fields[k], v)
		}
	}
	if r.Kind != AuditKindFinding || !r.Time.Equal(at) || r.Fields["event_id"] == "" || r.ID != "new-key#"+r.Fields["event_id"] {
		t.Errorf("record = %s %s at %s: %v", r.Kind, r.ID, r.Time, r.Fields)
	}

	// The same batch redelivered: dedup holds every finding back, nothing
	// is published or audited again.
	now = now.Add(time.Minute)
	resp, err = f.svc.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range resp.Findings {
		if fd.Published || !fd.Deduplicated {
			t.Fatalf("redelivered finding %+v", fd)
		}
	}
	// A new record on a known subject is deduplicated too; a new subject is
	// published and audited, alone.
	resp, err = f.svc.Handle(t.Context(), logsEvent(t, "trail", createKey(t, at.Add(3*time.Minute), "user-1"), createKey(t, at.Add(3*time.Minute), "user-new")))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 2 || resp.Findings[0].Published || !resp.Findings[1].Published {
		t.Fatalf("findings = %+v", resp.Findings)
	}
	if n := f.db.batches.Load(); n != 3 {
		t.Errorf("%d BatchWriteItem calls in all, want 3", n)
	}
	audits, err = f.store.AuditBetween(t.Context(), at.Add(-time.Hour), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(audits) != 31 || audits[30].Fields["resource"] == audits[0].Fields["resource"] {
		t.Errorf("%d audit records after the redelivery and one new subject, want 31", len(audits))
	}
}

// A finding whose publish failed is not audited; the retry that publishes
// it is, once.
func TestFailedPublishIsNotAudited(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	db, table := stateTable(t)
	store := state.NewStore(db, table, func() time.Time { return now })
	pub := &flakyBatch{}
	svc := New(eventNameEngine{"StopLogging": "trail-stopped"}, pub, nil, func() time.Time { return now },
		WithDedup(state.NewFindingDedup(db, table), time.Hour), WithAudit(store))
	ev := logsEvent(t, "g", trailRecord(t, now, map[string]any{"eventName": "StopLogging"}))
	if _, err := svc.Handle(t.Context(), ev); err == nil {
		t.Fatal("want the failed publish to fail the invocation")
	}
	count := func() int {
		rs, err := store.AuditBetween(t.Context(), now.Add(-time.Hour), now.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return len(rs)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d audit records of an unpublished finding", n)
	}
	for range 2 {
		if _, err := svc.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 || len(pub.details) != 1 {
		t.Errorf("%d audit records, %d published; want 1 and 1", n, len(pub.details))
	}
}

type brokenAuditor struct{ calls int }

func (b *brokenAuditor) PutAudits(context.Context, []state.AuditRecord) error {
	b.calls++
	return errors.New("ProvisionedThroughputExceededException")
}

func TestAuditFailureIsCountedNotFatal(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	var logs bytes.Buffer
	bad := &brokenAuditor{}
	f := newAuditFixture(t, &now, slog.New(slog.NewJSONHandler(&logs, nil)), bad)
	resp, err := f.svc.Handle(t.Context(), logsEvent(t, "trail", createKey(t, now, "bob")))
	if err != nil {
		t.Fatalf("an audit failure failed the invocation: %v", err)
	}
	if len(resp.Findings) != 1 || !resp.Findings[0].Published || bad.calls != 1 {
		t.Fatalf("findings %+v, %d audit calls", resp.Findings, bad.calls)
	}
	var counted bool
	for line := range bytes.Lines(logs.Bytes()) {
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatal(err)
		}
		if v, ok := m[AuditMetric].(float64); ok && v == 1 && m["Function"] == "detector" {
			counted = true
		}
	}
	if !counted || !strings.Contains(logs.String(), "ProvisionedThroughputExceededException") {
		t.Errorf("audit failure not counted and logged:\n%s", logs.String())
	}
}
