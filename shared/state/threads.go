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

// ThreadRecord is the record type of chat threads: where the first message
// about an alert (or a group of alerts) went, so later messages reply to it
// or edit it. The partition key is "THREAD#<channel name>#<key>".
const ThreadRecord RecordType = "THREAD"

// ThreadTTL is how long a thread is remembered after its first message. An
// alert that changes state again after that starts a new thread.
const ThreadTTL = 30 * 24 * time.Hour

// Attribute names of a thread record.
const (
	attrThreadChannelID = "channel_id"
	attrThreadTS        = "ts"
)

// Thread locates a posted chat message: the conversation id the vendor
// answered with and the message's timestamp (Slack's ts).
type Thread struct {
	ChannelID string
	TS        string
}

// threadID is the record id: the configured channel name, then the alert or
// group key.
func threadID(channel, key string) string { return channel + "#" + key }

// Thread returns the thread of key in the named channel, and false when none
// is recorded or it has expired.
func (s *Store) Thread(ctx context.Context, channel, key string) (Thread, bool, error) {
	id := threadID(channel, key)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: PK(ThreadRecord, id)},
			AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
		},
	})
	if err != nil {
		return Thread{}, false, fmt.Errorf("get thread %s from table %s: %w", id, s.table, err)
	}
	if out.Item == nil {
		return Thread{}, false, nil
	}
	if n, ok := out.Item[AttrTTL].(*types.AttributeValueMemberN); ok {
		if exp, err := strconv.ParseInt(n.Value, 10, 64); err == nil && exp < s.now().Unix() {
			return Thread{}, false, nil
		}
	}
	th := Thread{ChannelID: stringAttr(out.Item, attrThreadChannelID), TS: stringAttr(out.Item, attrThreadTS)}
	if th.TS == "" {
		return Thread{}, false, fmt.Errorf("thread %s in table %s has no %s", id, s.table, attrThreadTS)
	}
	return th, true, nil
}

// SaveThread records th as the thread of key in the named channel unless a
// live one is already recorded, and returns the thread that is now on record:
// th, or the one another delivery saved first (a conditional write, so two
// containers racing on the same alert agree on one thread).
func (s *Store) SaveThread(ctx context.Context, channel, key string, th Thread) (Thread, error) {
	now := s.now().UTC()
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(s.table),
		Item:                s.threadItem(channel, key, th, now),
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR #ttl < :now"),
		ExpressionAttributeNames: map[string]string{
			"#pk": AttrPK, "#ttl": AttrTTL,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
		},
	})
	if err == nil {
		return th, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return Thread{}, fmt.Errorf("save thread %s in table %s: %w", threadID(channel, key), s.table, err)
	}
	existing, ok, err := s.Thread(ctx, channel, key)
	if err != nil {
		return Thread{}, err
	}
	if !ok {
		return Thread{}, fmt.Errorf("save thread %s in table %s: lost a race to a record that is gone", threadID(channel, key), s.table)
	}
	return existing, nil
}

// ReplaceThread records th as the thread of key whatever was recorded before
// (the old message was deleted, so a new one took its place).
func (s *Store) ReplaceThread(ctx context.Context, channel, key string, th Thread) error {
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      s.threadItem(channel, key, th, s.now().UTC()),
	}); err != nil {
		return fmt.Errorf("replace thread %s in table %s: %w", threadID(channel, key), s.table, err)
	}
	return nil
}

func (s *Store) threadItem(channel, key string, th Thread, now time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK:              &types.AttributeValueMemberS{Value: PK(ThreadRecord, threadID(channel, key))},
		AttrSK:              &types.AttributeValueMemberS{Value: sortKeyMeta},
		AttrTTL:             &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ThreadTTL).Unix(), 10)},
		attrThreadChannelID: &types.AttributeValueMemberS{Value: th.ChannelID},
		attrThreadTS:        &types.AttributeValueMemberS{Value: th.TS},
		"created_at":        &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)},
	}
}

// stringAttr is the string attribute k of item, or "".
func stringAttr(item map[string]types.AttributeValue, k string) string {
	if v, ok := item[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}
