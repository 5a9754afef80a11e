package state

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

var tableSeq atomic.Int64

// newTable creates a fresh table in the package's moto and returns a client for it.
func newTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	name := "state-" + strconv.FormatInt(tableSeq.Add(1), 10)
	if err := CreateTable(t.Context(), db, name); err != nil {
		t.Fatal(err)
	}
	return db, name
}

func TestCreateTableKeyDesign(t *testing.T) {
	db, name := newTable(t)
	out, err := db.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	ks := out.Table.KeySchema
	if len(ks) != 2 || aws.ToString(ks[0].AttributeName) != AttrPK || aws.ToString(ks[1].AttributeName) != AttrSK {
		t.Errorf("key schema = %+v", ks)
	}
	if len(out.Table.GlobalSecondaryIndexes) != 1 || aws.ToString(out.Table.GlobalSecondaryIndexes[0].IndexName) != IndexByTime {
		t.Errorf("indexes = %+v", out.Table.GlobalSecondaryIndexes)
	}
	ttl, err := db.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ttl.TimeToLiveDescription.AttributeName) != AttrTTL {
		t.Errorf("TTL attribute = %q", aws.ToString(ttl.TimeToLiveDescription.AttributeName))
	}
}

func TestMarkOnceIsConditional(t *testing.T) {
	db, name := newTable(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := NewStore(db, name, func() time.Time { return now })
	ctx := t.Context()

	first, err := s.MarkOnce(ctx, Dedup, "sns-msg-1", time.Hour)
	if err != nil || !first {
		t.Fatalf("first mark = %v, %v; want true", first, err)
	}
	again, err := s.MarkOnce(ctx, Dedup, "sns-msg-1", time.Hour)
	if err != nil || again {
		t.Fatalf("second mark = %v, %v; want false", again, err)
	}
	other, err := s.MarkOnce(ctx, Silence, "sns-msg-1", time.Hour)
	if err != nil || !other {
		t.Fatalf("same id, other record type = %v, %v; want true", other, err)
	}

	// The stored item carries the key design and the TTL.
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: "DEDUP#sns-msg-1"},
		AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ttl, ok := item.Item[AttrTTL].(*types.AttributeValueMemberN)
	if !ok || ttl.Value != strconv.FormatInt(now.Add(time.Hour).Unix(), 10) {
		t.Errorf("ttl attribute = %#v", item.Item[AttrTTL])
	}

	seen, err := s.Seen(ctx, Dedup, "sns-msg-1")
	if err != nil || !seen {
		t.Errorf("Seen = %v, %v; want true", seen, err)
	}
	seen, err = s.Seen(ctx, Dedup, "never")
	if err != nil || seen {
		t.Errorf("Seen(never) = %v, %v; want false", seen, err)
	}

	// Once expired (TTL deletion lags), the mark no longer counts and may be taken again.
	now = now.Add(2 * time.Hour)
	if seen, _ := s.Seen(ctx, Dedup, "sns-msg-1"); seen {
		t.Error("expired mark still seen")
	}
	if again, err := s.MarkOnce(ctx, Dedup, "sns-msg-1", time.Hour); err != nil || !again {
		t.Errorf("mark after expiry = %v, %v; want true", again, err)
	}
}

func TestMarkOnceConcurrentDeliveriesAgree(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			ok, err := s.MarkOnce(context.Background(), Dedup, "same-trigger", time.Hour)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d deliveries acted; want exactly 1", wins.Load())
	}
}

func TestAuditRecordsHaveNoTTLAndQueryByTime(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	ctx := t.Context()
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	recs := []AuditRecord{
		{Kind: "remediation", ID: "a", Time: day.Add(1 * time.Hour), Fields: map[string]string{"rule": "r1", "outcome": "applied"}},
		{Kind: "remediation", ID: "b", Time: day.Add(26 * time.Hour), Fields: map[string]string{"rule": "r2"}},
		{Kind: "notification", ID: "c", Time: day.Add(50 * time.Hour)},
		{Kind: "remediation", ID: "late", Time: day.Add(80 * time.Hour)},
	}
	for _, r := range recs {
		if err := s.PutAudit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditBetween(ctx, day, day.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("got %d records, want 3: %+v", len(got), got)
	}
	if got[0].ID != "a" || got[0].Kind != "remediation" || got[0].Fields["rule"] != "r1" || got[0].Fields["outcome"] != "applied" {
		t.Errorf("first record = %+v", got[0])
	}
	if got[1].ID != "b" || got[2].ID != "c" || got[2].Kind != "notification" {
		t.Errorf("records out of order: %+v", got)
	}
	scan, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range scan.Items {
		if _, has := it[AttrTTL]; has {
			t.Errorf("audit item carries TTL: %v", it[AttrPK])
		}
	}
}

func TestPutAuditRejectsKeyClash(t *testing.T) {
	s := NewStore(nil, "unused", nil)
	err := s.PutAudit(t.Context(), AuditRecord{Kind: "x", ID: "y", Fields: map[string]string{AttrPK: "evil"}})
	if err == nil {
		t.Fatal("want an error for a field named like a key attribute")
	}
}
