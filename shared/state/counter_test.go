package state

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestWindowCounterSlidesOverBuckets(t *testing.T) {
	db, name := newTable(t)
	c := NewWindowCounter(db, name)
	ctx := t.Context()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const w = 5 * time.Minute
	steps := []struct {
		at            time.Time
		add           int64
		before, after float64
	}{
		{base.Add(1 * time.Minute), 3, 0, 3},
		{base.Add(2 * time.Minute), 2, 3, 5},
		// Next bucket, one minute in: the window still covers 4/5 of the previous one.
		{base.Add(6 * time.Minute), 1, 4, 5},
		// Two buckets on, the first no longer counts; the second is weighted 1/5 … at 13 min (3/5 in): 2/5.
		{base.Add(13 * time.Minute), 1, 0.4, 1.4},
	}
	for i, s := range steps {
		got, err := c.Add(ctx, WindowAdd{ID: "threshold#t#alice", Window: w, At: s.at, Adds: []int64{s.add}})
		if err != nil {
			t.Fatal(err)
		}
		if !near(got.Before[0], s.before) || !near(got.After[0], s.after) {
			t.Errorf("step %d: before %.3f after %.3f, want %.3f %.3f", i, got.Before[0], got.After[0], s.before, s.after)
		}
		if !got.Bucket.Equal(BucketStart(s.at, w)) {
			t.Errorf("step %d: bucket %v", i, got.Bucket)
		}
	}
	n, err := c.Count(ctx, "threshold#t#alice", w, base.Add(7*time.Minute), 1)
	if err != nil || !near(n[0], 1+0.6*5) {
		t.Errorf("Count = %v, %v", n, err)
	}
	// The first bucket's item: key design and TTL three windows after its start.
	it, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: "COUNTER#threshold#t#alice#" + strconv.FormatInt(base.Unix(), 10)},
		AttrSK: &types.AttributeValueMemberS{Value: "META"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if numberAttr(it.Item, "c0") != 5 || numberAttr(it.Item, AttrTTL) != base.Add(3*w).Unix() {
		t.Errorf("bucket item = %v", it.Item)
	}
}

func TestWindowCounterSlots(t *testing.T) {
	db, name := newTable(t)
	c := NewWindowCounter(db, name)
	at := time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC)
	a, err := c.Add(t.Context(), WindowAdd{ID: "sigma#x#acct", Window: time.Hour, At: at, Adds: []int64{1, 0}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Add(t.Context(), WindowAdd{ID: "sigma#x#acct", Window: time.Hour, At: at, Adds: []int64{0, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if a.After[0] != 1 || a.After[1] != 0 || b.Before[1] != 0 || b.After[0] != 1 || b.After[1] != 2 {
		t.Errorf("slots: %+v then %+v", a, b)
	}
	for _, bad := range []WindowAdd{
		{ID: "x", Window: 0, At: at, Adds: []int64{1}},
		{ID: "x", Window: time.Minute, At: at},
		{ID: "x", Window: time.Minute, At: at, Adds: make([]int64, MaxCounterSlots+1)},
	} {
		if _, err := c.Add(t.Context(), bad); err == nil {
			t.Errorf("Add(%+v) accepted", bad)
		}
	}
}

// Concurrent adders each see a distinct before/after pair, so exactly one
// sees the count reach a threshold.
func TestWindowCounterConcurrentCrossingOnce(t *testing.T) {
	db, name := newTable(t)
	c := NewWindowCounter(db, name)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var crossed atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := c.Add(t.Context(), WindowAdd{ID: "race", Window: time.Minute, At: at, Adds: []int64{1}})
			if err != nil {
				t.Error(err)
				return
			}
			if got.Before[0] < 5 && got.After[0] >= 5 {
				crossed.Add(1)
			}
		})
	}
	wg.Wait()
	if crossed.Load() != 1 {
		t.Errorf("%d adders saw the count reach 5, want 1", crossed.Load())
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
