package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// counterTableAPI is the part of the DynamoDB client WindowCounter uses.
type counterTableAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ counterTableAPI = (*dynamodb.Client)(nil)

// MaxCounterSlots bounds the values one windowed counter item holds (one
// per selection of a correlation).
const MaxCounterSlots = 16

// counterKeepWindows is how many windows a bucket item outlives its start:
// its own window, the next one (where it is the previous bucket), and one
// of slack for late records.
const counterKeepWindows = 3

// WindowCounter keeps sliding-window counts in the state table with the
// "sliding window counter" method: counts go into time buckets one window
// long (aligned to the Unix epoch), and the count over the window ending at
// t is the bucket holding t plus the previous bucket weighted by how much of
// it the window still covers. One bucket is one COUNTER item
// (pk COUNTER#<id>#<bucket start, unix seconds>) with a number attribute
// per slot, updated with an atomic ADD and expired by TTL.
type WindowCounter struct {
	db    counterTableAPI
	table string
}

// NewWindowCounter returns a WindowCounter over table.
func NewWindowCounter(db counterTableAPI, table string) *WindowCounter {
	return &WindowCounter{db: db, table: table}
}

// WindowAdd is one batched addition: everything one invocation counted for
// one counter in one bucket.
type WindowAdd struct {
	// ID names the counter (rule and key); the bucket is derived from At.
	ID string
	// Window is the sliding window (and bucket) length.
	Window time.Duration
	// At is the time of the latest record counted; it picks the bucket and
	// the weight of the previous one.
	At time.Time
	// Adds holds the increment of each slot (at most MaxCounterSlots).
	Adds []int64
}

// WindowCount is a counter's estimated window count per slot, just before
// and just after an addition.
type WindowCount struct {
	Before, After []float64
	// Bucket is the start of the bucket the addition went into.
	Bucket time.Time
}

// BucketStart is the start of the window-aligned bucket holding t.
func BucketStart(t time.Time, window time.Duration) time.Time {
	return t.UTC().Truncate(window)
}

func slotAttr(i int) string { return "c" + strconv.Itoa(i) }

func (c *WindowCounter) key(id string, bucket time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: PK(Counter, id+"#"+strconv.FormatInt(bucket.Unix(), 10))},
		AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
	}
}

// Add adds a.Adds to the counter's current bucket in one UpdateItem and
// reads the previous bucket, returning the window estimates before and
// after. Concurrent adders each see their own before/after, so exactly one
// of them sees the current bucket cross any given value.
func (c *WindowCounter) Add(ctx context.Context, a WindowAdd) (WindowCount, error) {
	if a.Window <= 0 {
		return WindowCount{}, fmt.Errorf("counter %s: window %v is not positive", a.ID, a.Window)
	}
	if len(a.Adds) == 0 || len(a.Adds) > MaxCounterSlots {
		return WindowCount{}, fmt.Errorf("counter %s: %d slots (want 1 to %d)", a.ID, len(a.Adds), MaxCounterSlots)
	}
	bucket := BucketStart(a.At, a.Window)
	names := map[string]string{"#ttl": AttrTTL}
	values := map[string]types.AttributeValue{
		":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(bucket.Add(counterKeepWindows*a.Window).Unix(), 10)},
	}
	expr := "ADD "
	for i, n := range a.Adds {
		if i > 0 {
			expr += ", "
		}
		names["#"+slotAttr(i)] = slotAttr(i)
		values[":"+slotAttr(i)] = &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
		expr += "#" + slotAttr(i) + " :" + slotAttr(i)
	}
	expr += " SET #ttl = :exp"
	pk := PK(Counter, a.ID)
	out, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(c.table),
		Key:                       c.key(a.ID, bucket),
		UpdateExpression:          aws.String(expr),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return WindowCount{}, fmt.Errorf("add to counter %s in table %s: %w", pk, c.table, err)
	}
	prev, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(c.table),
		Key:            c.key(a.ID, bucket.Add(-a.Window)),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return WindowCount{}, fmt.Errorf("read previous bucket of counter %s in table %s: %w", pk, c.table, err)
	}
	// The window ending at At covers this fraction of the previous bucket.
	weight := 1 - float64(a.At.UTC().Sub(bucket))/float64(a.Window)
	wc := WindowCount{Bucket: bucket, Before: make([]float64, len(a.Adds)), After: make([]float64, len(a.Adds))}
	for i, n := range a.Adds {
		est := float64(numberAttr(out.Attributes, slotAttr(i))) + weight*float64(numberAttr(prev.Item, slotAttr(i)))
		wc.After[i] = est
		wc.Before[i] = est - float64(n)
	}
	return wc, nil
}

// Count is the window estimate of each of slots slots at time at, without
// changing anything.
func (c *WindowCounter) Count(ctx context.Context, id string, window time.Duration, at time.Time, slots int) ([]float64, error) {
	bucket := BucketStart(at, window)
	out := make([]float64, slots)
	weight := 1 - float64(at.UTC().Sub(bucket))/float64(window)
	for b, w := range map[time.Time]float64{bucket: 1, bucket.Add(-window): weight} {
		it, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: c.key(id, b), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("read counter %s in table %s: %w", PK(Counter, id), c.table, err)
		}
		for i := range out {
			out[i] += w * float64(numberAttr(it.Item, slotAttr(i)))
		}
	}
	return out, nil
}

// numberAttr is the integer value of a number attribute, 0 when absent.
func numberAttr(item map[string]types.AttributeValue, name string) int64 {
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0
	}
	return v
}
