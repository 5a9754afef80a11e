package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestPutAuditAtReplacesOnRewrite(t *testing.T) {
	db, name := newTable(t)
	at := time.Date(2026, 11, 24, 10, 0, 0, 123, time.UTC)
	s := NewStore(db, name, func() time.Time { return at.Add(time.Hour) })
	ctx := t.Context()

	first := AuditRecord{Kind: "notification", ID: "sns-1#alarm-a", Time: at, Fields: map[string]string{"outcome": "failed"}}
	if err := s.PutAuditAt(ctx, first); err != nil {
		t.Fatal(err)
	}
	retry := first
	retry.Fields = map[string]string{"outcome": "sent"}
	if err := s.PutAuditAt(ctx, retry); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditBetween(ctx, at.Add(-time.Hour), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != "sns-1#alarm-a" || got[0].Fields["outcome"] != "sent" || !got[0].Time.Equal(at) {
		t.Fatalf("records after a rewrite = %+v, want the one record, replaced", got)
	}
	// A later record of the same id: FindAudit still returns the first.
	later := AuditRecord{Kind: "notification", ID: "sns-1#alarm-a", Time: at.Add(time.Minute), Fields: map[string]string{"outcome": "later"}}
	if err := s.PutAuditAt(ctx, later); err != nil {
		t.Fatal(err)
	}
	r, found, err := s.FindAudit(ctx, "notification", "sns-1#alarm-a")
	if err != nil || !found || r.Fields["outcome"] != "sent" || r.Kind != "notification" || r.ID != "sns-1#alarm-a" || !r.Time.Equal(at) {
		t.Errorf("FindAudit = %+v, %v, %v", r, found, err)
	}
	if _, found, err := s.FindAudit(ctx, "notification", "sns-2#alarm-a"); err != nil || found {
		t.Errorf("FindAudit of another id = %v, %v; want not found", found, err)
	}
	if _, found, err := s.FindAudit(ctx, "finding", "sns-1#alarm-a"); err != nil || found {
		t.Errorf("FindAudit of another kind = %v, %v; want not found", found, err)
	}

	err = s.PutAuditAt(ctx, AuditRecord{Kind: "notification", ID: "x"})
	if !errors.Is(err, ErrAuditTimeRequired) {
		t.Errorf("record without a time: %v, want ErrAuditTimeRequired", err)
	}
	err = s.PutAuditAt(ctx, AuditRecord{Kind: "notification", ID: "x", Time: at, Fields: map[string]string{AttrPK: "boom"}})
	if err == nil || !strings.Contains(err.Error(), "clashes") {
		t.Errorf("field named like a key: %v", err)
	}
}

// throttlingDB passes BatchWriteItem through to moto but, for the first
// throttle calls, writes only the first half of the items and returns the
// rest as unprocessed, as DynamoDB does under throttling.
type throttlingDB struct {
	*dynamodb.Client
	throttle int
	// stuck processes nothing, ever.
	stuck bool
	calls int
	sizes []int
}

func (d *throttlingDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	d.calls++
	for _, reqs := range in.RequestItems {
		d.sizes = append(d.sizes, len(reqs))
	}
	if d.stuck {
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: in.RequestItems}, nil
	}
	if d.calls > d.throttle {
		return d.Client.BatchWriteItem(ctx, in, optFns...)
	}
	done := map[string][]types.WriteRequest{}
	left := map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		half := (len(reqs) + 1) / 2
		done[table], left[table] = reqs[:half], reqs[half:]
	}
	out, err := d.Client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: done}, optFns...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedItems = left
	return out, nil
}

func auditBatch(n int, at time.Time) []AuditRecord {
	rs := make([]AuditRecord, n)
	for i := range rs {
		rs[i] = AuditRecord{Kind: "finding", ID: fmt.Sprintf("rule-%d#evt-%d", i%3, i), Time: at.Add(time.Duration(i) * time.Second),
			Fields: map[string]string{"rule": fmt.Sprintf("rule-%d", i%3), "severity": "high"}}
	}
	return rs
}

func TestPutAuditsBatches(t *testing.T) {
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		records   int
		throttle  int
		stuck     bool
		wantCalls int
		wantErr   string
	}{
		{name: "one record", records: 1, wantCalls: 1},
		{name: "exactly one batch", records: MaxBatchWriteItems, wantCalls: 1},
		{name: "one over the limit", records: MaxBatchWriteItems + 1, wantCalls: 2},
		{name: "sixty", records: 60, wantCalls: 3},
		// First chunk: 25 → 12 left → 6 left → all; then the other chunk in one call.
		{name: "unprocessed items are retried", records: 30, throttle: 2, wantCalls: 4},
		{name: "gives up when never processed", records: 4, stuck: true, wantCalls: maxBatchAttempts, wantErr: "still unprocessed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client, name := newTable(t)
			db := &throttlingDB{Client: client, throttle: tc.throttle, stuck: tc.stuck}
			s := NewStore(db, name, nil)
			records := auditBatch(tc.records, at)
			err := s.PutAudits(t.Context(), records)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if db.calls != tc.wantCalls {
				t.Errorf("%d BatchWriteItem calls (sizes %v), want %d", db.calls, db.sizes, tc.wantCalls)
			}
			for _, n := range db.sizes {
				if n > MaxBatchWriteItems {
					t.Errorf("a call carried %d items, over the limit of %d", n, MaxBatchWriteItems)
				}
			}
			if tc.wantErr != "" {
				return
			}
			got, err := s.AuditBetween(t.Context(), at, at.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.records {
				t.Fatalf("%d records in the table, want %d", len(got), tc.records)
			}
			for i, r := range got {
				if r.ID != records[i].ID || r.Kind != "finding" || r.Fields["severity"] != "high" {
					t.Errorf("record %d = %+v, want %+v", i, r, records[i])
				}
			}
		})
	}
}

func TestPutAuditsIdempotentAndChecked(t *testing.T) {
	client, name := newTable(t)
	db := &throttlingDB{Client: client}
	s := NewStore(db, name, nil)
	at := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	records := auditBatch(5, at)
	// The same key twice in one call: DynamoDB rejects such a batch, so the last wins.
	again := records[2]
	again.Fields = map[string]string{"rule": "rule-2", "severity": "critical"}
	records = append(records, again)
	if err := s.PutAudits(t.Context(), records); err != nil {
		t.Fatal(err)
	}
	// A redelivery writes them again: still five.
	if err := s.PutAudits(t.Context(), records); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditBetween(t.Context(), at, at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[2].Fields["severity"] != "critical" {
		t.Fatalf("records = %+v", got)
	}
	if !slices.Equal(db.sizes, []int{5, 5}) {
		t.Errorf("batch sizes = %v, want [5 5]", db.sizes)
	}

	// A record without a time is refused; the others are still written.
	bad := []AuditRecord{{Kind: "finding", ID: "no-time"}, {Kind: "finding", ID: "ok", Time: at.Add(2 * time.Hour)}}
	err = s.PutAudits(t.Context(), bad)
	if !errors.Is(err, ErrAuditTimeRequired) {
		t.Errorf("error = %v, want ErrAuditTimeRequired", err)
	}
	got, err = s.AuditBetween(t.Context(), at.Add(2*time.Hour), at.Add(3*time.Hour))
	if err != nil || len(got) != 1 || got[0].ID != "ok" {
		t.Errorf("records = %+v, %v; want the one with a time", got, err)
	}
}
