package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// dedupTableAPI is the part of the DynamoDB client FindingDedup uses.
type dedupTableAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ dedupTableAPI = (*dynamodb.Client)(nil)

// dedupKeep is how long a dedup item outlives its window, so that the
// first finding after the window can still say how many were held back.
const dedupKeep = 7 * 24 * time.Hour

// Attributes of a finding dedup item (pk DEDUP#finding#<id>, sk META).
const (
	dedupUntil      = "until"       // end of the window, unix seconds
	dedupSince      = "since"       // when the window's finding was claimed, RFC 3339
	dedupClaim      = "claim"       // the triggering record's event id
	dedupState      = "state"       // pending until published
	dedupMore       = "more"        // later matches held back in the window
	dedupCarryMore  = "carry_more"  // the previous window's held-back count, reported by this finding
	dedupCarrySince = "carry_since" // the previous window's start
	dedupPublished  = "published"   // dedupState once the finding is on the bus
	dedupPending    = "pending"     // dedupState before that
	dedupRecordType = "finding#"    // id prefix inside the DEDUP record type
	dedupTimeLayout = time.RFC3339Nano
)

// FindingDedup keeps one published finding per id (rule and subject) and
// window, counting the matches it holds back. Claims are conditional
// writes, so concurrent invocations agree on which one publishes; the
// claim remembers the triggering record's event id, so a retried
// invocation re-publishes a finding whose publish failed, and only that.
type FindingDedup struct {
	db    dedupTableAPI
	table string
}

// NewFindingDedup returns a FindingDedup over table.
func NewFindingDedup(db dedupTableAPI, table string) *FindingDedup {
	return &FindingDedup{db: db, table: table}
}

// Claim is the outcome of FindingDedup.Claim.
type Claim struct {
	// Publish is true when this caller should publish the finding.
	Publish bool
	// More is, when Publish, how many matches the previous window held back
	// (0 if none); otherwise the held-back count including this one.
	More int64
	// Since is the start of the window More was counted in.
	Since time.Time
}

func (d *FindingDedup) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: PK(Dedup, dedupRecordType+id)},
		AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
	}
}

// Claim decides whether the finding id triggered by the record eventID at
// now is published (the first in its window, or a retry of a claim whose
// publish never completed) or held back and counted.
func (d *FindingDedup) Claim(ctx context.Context, id, eventID string, now time.Time, window time.Duration) (Claim, error) {
	now = now.UTC()
	item := d.key(id)
	item[dedupUntil] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(window).Unix(), 10)}
	item[dedupSince] = &types.AttributeValueMemberS{Value: now.Format(dedupTimeLayout)}
	item[dedupClaim] = &types.AttributeValueMemberS{Value: eventID}
	item[dedupState] = &types.AttributeValueMemberS{Value: dedupPending}
	item[dedupMore] = &types.AttributeValueMemberN{Value: "0"}
	item[AttrTTL] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(window+dedupKeep).Unix(), 10)}
	var old map[string]types.AttributeValue
	out, err := d.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(d.table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #until < :now"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#until": dedupUntil},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
		ReturnValues: types.ReturnValueAllOld,
	})
	if err == nil {
		old = out.Attributes
	}
	var ccf *types.ConditionalCheckFailedException
	switch {
	case err == nil:
		c := Claim{Publish: true, More: numberAttr(old, dedupMore)}
		if c.More == 0 {
			return c, nil
		}
		c.Since, _ = time.Parse(dedupTimeLayout, stringAttr(old, dedupSince))
		// Remember it on the new claim so that a retry reports it too.
		_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                aws.String(d.table),
			Key:                      d.key(id),
			UpdateExpression:         aws.String("SET #cm = :cm, #cs = :cs"),
			ConditionExpression:      aws.String("#claim = :claim"),
			ExpressionAttributeNames: map[string]string{"#cm": dedupCarryMore, "#cs": dedupCarrySince, "#claim": dedupClaim},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":cm":    &types.AttributeValueMemberN{Value: strconv.FormatInt(c.More, 10)},
				":cs":    &types.AttributeValueMemberS{Value: c.Since.UTC().Format(dedupTimeLayout)},
				":claim": &types.AttributeValueMemberS{Value: eventID},
			},
		})
		if err != nil && !errors.As(err, &ccf) {
			return Claim{}, fmt.Errorf("record carried count on %s in table %s: %w", PK(Dedup, dedupRecordType+id), d.table, err)
		}
		return c, nil
	case errors.As(err, &ccf):
		return d.holdBack(ctx, id, eventID)
	default:
		return Claim{}, fmt.Errorf("claim finding %s in table %s: %w", PK(Dedup, dedupRecordType+id), d.table, err)
	}
}

// holdBack counts a match inside a claimed window. A record that already
// claimed and published the finding (a retried invocation) is not counted.
func (d *FindingDedup) holdBack(ctx context.Context, id, eventID string) (Claim, error) {
	out, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      d.key(id),
		UpdateExpression:         aws.String("ADD #more :one"),
		ConditionExpression:      aws.String("attribute_exists(#pk) AND #claim <> :claim"),
		ExpressionAttributeNames: map[string]string{"#more": dedupMore, "#pk": AttrPK, "#claim": dedupClaim},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":claim": &types.AttributeValueMemberS{Value: eventID},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return d.retry(ctx, id, eventID)
	case err != nil:
		return Claim{}, fmt.Errorf("count held-back finding %s in table %s: %w", PK(Dedup, dedupRecordType+id), d.table, err)
	}
	c := Claim{More: numberAttr(out.Attributes, dedupMore)}
	c.Since, _ = time.Parse(dedupTimeLayout, stringAttr(out.Attributes, dedupSince))
	return c, nil
}

// retry handles a record that holds the window's claim itself: a retried
// invocation publishes again unless the publish was recorded.
func (d *FindingDedup) retry(ctx context.Context, id, eventID string) (Claim, error) {
	out, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(d.table),
		Key:                      d.key(id),
		UpdateExpression:         aws.String("SET #state = :pending"),
		ConditionExpression:      aws.String("#claim = :claim AND #state <> :published"),
		ExpressionAttributeNames: map[string]string{"#state": dedupState, "#claim": dedupClaim},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pending":   &types.AttributeValueMemberS{Value: dedupPending},
			":published": &types.AttributeValueMemberS{Value: dedupPublished},
			":claim":     &types.AttributeValueMemberS{Value: eventID},
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return Claim{}, nil // already published
	case err != nil:
		return Claim{}, fmt.Errorf("reclaim finding %s in table %s: %w", PK(Dedup, dedupRecordType+id), d.table, err)
	}
	c := Claim{Publish: true, More: numberAttr(out.Attributes, dedupCarryMore)}
	c.Since, _ = time.Parse(dedupTimeLayout, stringAttr(out.Attributes, dedupCarrySince))
	return c, nil
}

// Published marks the claim of id by eventID as published, so a retry of
// the same invocation does not publish it again.
func (d *FindingDedup) Published(ctx context.Context, id, eventID string) error {
	_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(id),
		UpdateExpression:          aws.String("SET #state = :published"),
		ConditionExpression:       aws.String("#claim = :claim"),
		ExpressionAttributeNames:  map[string]string{"#state": dedupState, "#claim": dedupClaim},
		ExpressionAttributeValues: map[string]types.AttributeValue{":published": &types.AttributeValueMemberS{Value: dedupPublished}, ":claim": &types.AttributeValueMemberS{Value: eventID}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("mark finding %s published in table %s: %w", PK(Dedup, dedupRecordType+id), d.table, err)
	}
	return nil
}

// HoldBack adds n matches to the held-back count of the window id is in,
// for duplicates an invocation already folded together; nothing happens
// when no window is open.
func (d *FindingDedup) HoldBack(ctx context.Context, id string, n int64) error {
	if n <= 0 {
		return nil
	}
	_, err := d.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(d.table),
		Key:                       d.key(id),
		UpdateExpression:          aws.String("ADD #more :n"),
		ConditionExpression:       aws.String("attribute_exists(#pk)"),
		ExpressionAttributeNames:  map[string]string{"#more": dedupMore, "#pk": AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("count %d held-back findings %s in table %s: %w", n, PK(Dedup, dedupRecordType+id), d.table, err)
	}
	return nil
}
