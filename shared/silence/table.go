package silence

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// ExpiredGrace is how long after its end a silence stays in the table (TTL =
// ends_at + ExpiredGrace), so `wk silence list --all` shows recent ones.
const ExpiredGrace = 7 * 24 * time.Hour

// sortKeyMeta is the sort key of a silence item (one item per silence).
const sortKeyMeta = "META"

// endKeyLayout is the fixed-width UTC time in the index sort key: fixed width
// so that string order is time order.
const endKeyLayout = "2006-01-02T15:04:05Z"

// Item attribute names besides the key attributes.
const (
	attrID        = "id"
	attrMatchers  = "matchers"
	attrAuthor    = "author"
	attrComment   = "comment"
	attrStartsAt  = "starts_at"
	attrEndsAt    = "ends_at"
	attrCreatedAt = "created_at"
)

// ErrExists is returned by Put when the id is taken.
var ErrExists = errors.New("a silence with this id exists")

// ErrNotFound is returned by Expire for an id that is not in the table.
var ErrNotFound = errors.New("no such silence")

// tableAPI is the part of the DynamoDB client the silence table uses.
type tableAPI interface {
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ tableAPI = (*dynamodb.Client)(nil)

// Table stores dynamic silences in the state table (see state.SilencePartition
// for the key design).
type Table struct {
	db    tableAPI
	table string
	now   func() time.Time
}

// NewTable returns the silences of table. now defaults to time.Now.
func NewTable(db tableAPI, table string, now func() time.Time) *Table {
	if now == nil {
		now = time.Now
	}
	return &Table{db: db, table: table, now: now}
}

// Put stores s, which must have an id not yet in the table (a conditional
// write: ErrExists otherwise).
func (t *Table) Put(ctx context.Context, s Silence) error {
	if s.ID == "" {
		return errors.New("put silence: no id")
	}
	if len(s.Matchers) == 0 {
		return fmt.Errorf("put silence %s: no matchers", s.ID)
	}
	_, err := t.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(t.table),
		Item:                     item(s),
		ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
		ExpressionAttributeNames: map[string]string{"#pk": state.AttrPK},
	})
	var ccf *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &ccf):
		return fmt.Errorf("put silence %s: %w", s.ID, ErrExists)
	case err != nil:
		return fmt.Errorf("put silence %s in table %s: %w", s.ID, t.table, err)
	}
	return nil
}

func item(s Silence) map[string]types.AttributeValue {
	ms := make([]types.AttributeValue, len(s.Matchers))
	for i, m := range s.Matchers {
		ms[i] = &types.AttributeValueMemberS{Value: m.String()}
	}
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	return map[string]types.AttributeValue{
		state.AttrPK:     str(state.PK(state.Silence, s.ID)),
		state.AttrSK:     str(sortKeyMeta),
		state.AttrGSI1PK: str(state.SilencePartition),
		state.AttrGSI1SK: str(endKey(s.EndsAt, s.ID)),
		state.AttrTTL:    ttl(s.EndsAt),
		attrID:           str(s.ID),
		attrMatchers:     &types.AttributeValueMemberL{Value: ms},
		attrAuthor:       str(s.Author),
		attrComment:      str(s.Comment),
		attrStartsAt:     str(s.StartsAt.UTC().Format(time.RFC3339)),
		attrEndsAt:       str(s.EndsAt.UTC().Format(time.RFC3339)),
		attrCreatedAt:    str(s.CreatedAt.UTC().Format(time.RFC3339)),
	}
}

func endKey(end time.Time, id string) string {
	return end.UTC().Format(endKeyLayout) + "#" + id
}

func ttl(end time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(end.Add(ExpiredGrace).Unix(), 10)}
}

// Current returns the silences that have not ended: in effect now or
// starting later, soonest end first. A stored silence that cannot be read
// back is left out and reported in the error, alongside the good ones.
func (t *Table) Current(ctx context.Context) ([]Silence, error) {
	now := t.now().UTC()
	return t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("#pk = :pk AND #sk > :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: state.SilencePartition},
			":now": &types.AttributeValueMemberS{Value: now.Format(endKeyLayout) + "#~"},
		},
	}, func(s Silence) bool { return s.EndsAt.After(now) })
}

// All returns every silence still in the table, expired ones included (until
// the TTL deletes them), soonest end first.
func (t *Table) All(ctx context.Context) ([]Silence, error) {
	return t.query(ctx, &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("#pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: state.SilencePartition},
		},
	}, func(Silence) bool { return true })
}

func (t *Table) query(ctx context.Context, in *dynamodb.QueryInput, keep func(Silence) bool) ([]Silence, error) {
	in.TableName = aws.String(t.table)
	in.IndexName = aws.String(state.IndexByTime)
	in.ExpressionAttributeNames = map[string]string{"#pk": state.AttrGSI1PK}
	if _, hasSK := in.ExpressionAttributeValues[":now"]; hasSK {
		in.ExpressionAttributeNames["#sk"] = state.AttrGSI1SK
	}
	out := []Silence{} // not nil: the query worked, even if every item is unreadable
	var errs []error
	p := dynamodb.NewQueryPaginator(t.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query silences in table %s: %w", t.table, err)
		}
		for _, it := range page.Items {
			s, err := fromItem(it)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if keep(s) {
				out = append(out, s)
			}
		}
	}
	return out, errors.Join(errs...)
}

func fromItem(it map[string]types.AttributeValue) (Silence, error) {
	str := func(k string) string {
		if v, ok := it[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	id := str(attrID)
	bad := func(format string, args ...any) (Silence, error) {
		return Silence{}, fmt.Errorf("stored silence %q: %s", id, fmt.Sprintf(format, args...))
	}
	if id == "" {
		return bad("no id")
	}
	l, ok := it[attrMatchers].(*types.AttributeValueMemberL)
	if !ok || len(l.Value) == 0 {
		return bad("no matchers")
	}
	raw := make([]string, 0, len(l.Value))
	for _, v := range l.Value {
		sv, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return bad("a matcher is not a string")
		}
		raw = append(raw, sv.Value)
	}
	ms, err := config.ParseMatchers(raw)
	if err != nil {
		return bad("%v", err)
	}
	s := Silence{ID: id, Matchers: ms, Author: str(attrAuthor), Comment: str(attrComment)}
	for _, f := range []struct {
		attr string
		dst  *time.Time
	}{{attrStartsAt, &s.StartsAt}, {attrEndsAt, &s.EndsAt}, {attrCreatedAt, &s.CreatedAt}} {
		if *f.dst, err = time.Parse(time.RFC3339, str(f.attr)); err != nil {
			return bad("%s: %v", f.attr, err)
		}
	}
	return s, nil
}

// Expire ends the silence id now: ends_at (and its index key and TTL) become
// the current time. It returns the silence as it now is; ErrNotFound when
// the id is not in the table. Expiring an already ended silence is an error
// that says so and changes nothing.
func (t *Table) Expire(ctx context.Context, id string) (Silence, error) {
	now := t.now().UTC().Truncate(time.Second)
	out, err := t.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(t.table),
		Key: map[string]types.AttributeValue{
			state.AttrPK: &types.AttributeValueMemberS{Value: state.PK(state.Silence, id)},
			state.AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
		},
		UpdateExpression:    aws.String("SET #ends = :now, #gsk = :gsk, #ttl = :ttl"),
		ConditionExpression: aws.String("attribute_exists(#pk) AND #ends > :now"),
		ExpressionAttributeNames: map[string]string{
			"#pk": state.AttrPK, "#ends": attrEndsAt, "#gsk": state.AttrGSI1SK, "#ttl": state.AttrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339)},
			":gsk": &types.AttributeValueMemberS{Value: endKey(now, id)},
			":ttl": ttl(now),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		if ccf.Item == nil {
			return Silence{}, fmt.Errorf("expire silence %s: %w", id, ErrNotFound)
		}
		old, _ := fromItem(ccf.Item)
		return old, fmt.Errorf("expire silence %s: it already ended at %s", id, old.EndsAt.Format(time.RFC3339))
	}
	if err != nil {
		return Silence{}, fmt.Errorf("expire silence %s in table %s: %w", id, t.table, err)
	}
	return fromItem(out.Attributes)
}
