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

// tableAPI is the part of the DynamoDB client the store uses.
type tableAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ tableAPI = (*dynamodb.Client)(nil)

// Store reads and writes the state table.
type Store struct {
	db    tableAPI
	table string
	now   func() time.Time
}

// NewStore returns a Store over table. now defaults to time.Now.
func NewStore(db tableAPI, table string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, table: table, now: now}
}

// sortKeyMeta is the sort key of single-item records.
const sortKeyMeta = "META"

// MarkOnce records that the item (t, id) was handled and reports whether this
// call was the first to do so. It is a conditional write, so two concurrent
// deliveries of the same trigger agree on which one acts. The mark expires
// after ttl (DynamoDB TTL deletes it within a day or two of that).
func (s *Store) MarkOnce(ctx context.Context, t RecordType, id string, ttl time.Duration) (bool, error) {
	now := s.now().UTC()
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item: map[string]types.AttributeValue{
			AttrPK:       &types.AttributeValueMemberS{Value: PK(t, id)},
			AttrSK:       &types.AttributeValueMemberS{Value: sortKeyMeta},
			AttrTTL:      &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ttl).Unix(), 10)},
			"created_at": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)},
		},
		// An expired mark that TTL has not yet deleted must not block a new one.
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR #ttl < :now"),
		ExpressionAttributeNames: map[string]string{
			"#pk":  AttrPK,
			"#ttl": AttrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
	})
	if err == nil {
		return true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return false, fmt.Errorf("mark %s once in table %s: %w", PK(t, id), s.table, err)
}

// AuditRecord is a decision kept without expiry and indexed by time.
type AuditRecord struct {
	// Kind is what was decided: notification, finding, remediation.
	Kind string
	// ID identifies the decision uniquely (e.g. trigger key + action).
	ID   string
	Time time.Time
	// Fields are extra string attributes (rule, resource, outcome, ...).
	Fields map[string]string
}

// PutAudit writes an audit record. Audit records never carry the TTL attribute.
func (s *Store) PutAudit(ctx context.Context, r AuditRecord) error {
	when := r.Time
	if when.IsZero() {
		when = s.now()
	}
	when = when.UTC()
	item := map[string]types.AttributeValue{
		AttrPK:     &types.AttributeValueMemberS{Value: PK(Audit, r.Kind+"#"+r.ID)},
		AttrSK:     &types.AttributeValueMemberS{Value: when.Format(time.RFC3339Nano)},
		AttrGSI1PK: &types.AttributeValueMemberS{Value: TimeIndexPK(Audit, when)},
		AttrGSI1SK: &types.AttributeValueMemberS{Value: when.Format(time.RFC3339Nano) + "#" + r.ID},
		"kind":     &types.AttributeValueMemberS{Value: r.Kind},
	}
	for k, v := range r.Fields {
		if _, taken := item[k]; taken {
			return fmt.Errorf("audit field %q clashes with a key attribute", k)
		}
		item[k] = &types.AttributeValueMemberS{Value: v}
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		return fmt.Errorf("put audit %s/%s: %w", r.Kind, r.ID, err)
	}
	return nil
}

// TimeIndexPK is the time index partition for records of type t on when's UTC day.
func TimeIndexPK(t RecordType, when time.Time) string {
	return string(t) + "#" + when.UTC().Format(time.DateOnly)
}

// AuditBetween returns audit records with from <= time < to, oldest first,
// querying the time index one UTC day at a time.
func (s *Store) AuditBetween(ctx context.Context, from, to time.Time) ([]AuditRecord, error) {
	var out []AuditRecord
	for day := from.UTC().Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			IndexName:              aws.String(IndexByTime),
			KeyConditionExpression: aws.String("#pk = :pk AND #sk BETWEEN :from AND :to"),
			ExpressionAttributeNames: map[string]string{
				"#pk": AttrGSI1PK, "#sk": AttrGSI1SK,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":   &types.AttributeValueMemberS{Value: TimeIndexPK(Audit, day)},
				":from": &types.AttributeValueMemberS{Value: from.UTC().Format(time.RFC3339Nano)},
				// '~' sorts after every character of an RFC 3339 time and id.
				":to": &types.AttributeValueMemberS{Value: to.UTC().Format(time.RFC3339Nano) + "~"},
			},
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("query audit records of %s: %w", day.Format(time.DateOnly), err)
			}
			for _, it := range page.Items {
				r, err := auditFromItem(it)
				if err != nil {
					return nil, err
				}
				if !r.Time.Before(from) && r.Time.Before(to) {
					out = append(out, r)
				}
			}
		}
	}
	return out, nil
}

func auditFromItem(it map[string]types.AttributeValue) (AuditRecord, error) {
	r := AuditRecord{Fields: map[string]string{}}
	for k, v := range it {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			continue
		}
		switch k {
		case AttrPK, AttrGSI1PK, AttrGSI1SK:
		case AttrSK:
			t, err := time.Parse(time.RFC3339Nano, s.Value)
			if err != nil {
				return r, fmt.Errorf("audit record with bad time %q: %w", s.Value, err)
			}
			r.Time = t
		case "kind":
			r.Kind = s.Value
		default:
			r.Fields[k] = s.Value
		}
	}
	if pk, ok := it[AttrPK].(*types.AttributeValueMemberS); ok {
		prefix := PK(Audit, r.Kind+"#")
		if len(pk.Value) > len(prefix) {
			r.ID = pk.Value[len(prefix):]
		}
	}
	return r, nil
}

// Seen reports whether the mark (t, id) exists and has not expired.
func (s *Store) Seen(ctx context.Context, t RecordType, id string) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: PK(t, id)},
			AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
		},
	})
	if err != nil {
		return false, fmt.Errorf("get %s from table %s: %w", PK(t, id), s.table, err)
	}
	if out.Item == nil {
		return false, nil
	}
	if n, ok := out.Item[AttrTTL].(*types.AttributeValueMemberN); ok {
		exp, err := strconv.ParseInt(n.Value, 10, 64)
		if err == nil && exp < s.now().Unix() {
			return false, nil
		}
	}
	return true, nil
}
