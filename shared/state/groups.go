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

// MaxGroupMembers bounds the member list a GROUP item keeps between two
// messages (DynamoDB items are limited to 400 KB; a message lists fewer
// anyway). The count goes on past it.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
const MaxGroupMembers = 100

// GroupSpec identifies a storm group and carries its timing, so a flush
// (the sweeper's) can decide without the routing config.
type GroupSpec struct {
	// Key identifies the group: route path and group_by label values.
	Key string
	// Route is the path of the route that groups ("root/0/1").
	Route string
	// Receiver is the route's receiver, which gets the group message.
	Receiver string
	// Labels are the group_by labels and their values.
	Labels map[string]string
	// Wait is group_wait: the minimum age of the oldest unsent alert before a flush.
	Wait time.Duration
	// Interval is group_interval: the minimum time between two messages of the group.
	Interval time.Duration
}

// GroupMember is one alert collected in a group.
type GroupMember struct {
	ID       string
	Title    string
	Severity string
	State    string
	Time     time.Time
}

// GroupBatch is a group's unsent alerts, as read or as claimed by a flush.
type GroupBatch struct {
	Spec GroupSpec
	// Count is how many alerts joined, listed in Members or not.
	Count int
	// Members are the first MaxGroupMembers alerts, in arrival order.
	Members []GroupMember
	// Since is when the oldest unsent alert joined.
	Since time.Time
	// LastSent is when the group's last message went out.
	LastSent time.Time
	// Version changes with every write; a flush's message id uses it.
	Version int64
}

// Due reports whether the batch may be flushed at now: it holds alerts, its
// oldest is group_wait old, and group_interval passed since the last message.
func (b GroupBatch) Due(now time.Time) bool {
	return b.Count > 0 && !now.Before(b.Since.Add(b.Spec.Wait)) && !now.Before(b.LastSent.Add(b.Spec.Interval))
}

// GroupJoin is what JoinGroup decided for an alert.
type GroupJoin int

const (
	// GroupLead: the group had no message within its interval and nothing
	// pending; send the alert at once, on its own.
	GroupLead GroupJoin = iota + 1
	// GroupQueued: the alert was collected; a later flush sends it.
	GroupQueued
	// GroupDue: the alert was collected and the group is due: flush now.
	GroupDue
)

// Attribute names of group items.
const (
	attrGroupKey     = "group_key"
	attrRoute        = "route"
	attrReceiver     = "receiver"
	attrWait         = "wait_ns"
	attrInterval     = "interval_ns"
	attrLastSent     = "last_sent_ns"
	attrPending      = "pending"
	attrPendingSince = "pending_since_ns"
	attrMembers      = "members"
)

// groupTTL keeps an idle group's item a while after its last write.
func groupTTL(spec GroupSpec, now time.Time) int64 {
	keep := 24 * time.Hour
	if 2*spec.Interval > keep {
		keep = 2 * spec.Interval
	}
	return now.Add(keep).Unix()
}

func nsValue(t time.Time) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixNano(), 10)}
}

func intValue(n int64) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// JoinGroup adds an alert to its group with atomic updates and says what to
// do with it: send it alone (the group's first alert in its interval), keep
// it for the group's next message, or flush the group now.
func (s *Store) JoinGroup(ctx context.Context, spec GroupSpec, m GroupMember, now time.Time) (GroupJoin, error) {
	if spec.Key == "" {
		return 0, errors.New("join group: empty key")
	}
	labels := make(map[string]types.AttributeValue, len(spec.Labels))
	for k, v := range spec.Labels {
		labels[k] = &types.AttributeValueMemberS{Value: v}
	}
	ttl := groupTTL(spec, now)
	// The group's first alert in its interval, with nothing pending, leads.
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       metaKey(Group, spec.Key),
		UpdateExpression: aws.String("SET #key = :key, #route = :route, #recv = :recv, #labels = :labels, " +
			"#wait = :wait, #int = :int, #sent = :now, #pending = :zero, #ttl = :ttl ADD #ver :one"),
		ConditionExpression: aws.String("attribute_not_exists(#pk) OR (#sent <= :cutoff AND #pending = :zero)"),
		ExpressionAttributeNames: map[string]string{
			"#pk": AttrPK, "#key": attrGroupKey, "#route": attrRoute, "#recv": attrReceiver, "#labels": attrLabels,
			"#wait": attrWait, "#int": attrInterval, "#sent": attrLastSent, "#pending": attrPending,
			"#ttl": AttrTTL, "#ver": attrVersion,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":key": &types.AttributeValueMemberS{Value: spec.Key}, ":route": &types.AttributeValueMemberS{Value: spec.Route},
			":recv": &types.AttributeValueMemberS{Value: spec.Receiver}, ":labels": &types.AttributeValueMemberM{Value: labels},
			":wait": intValue(int64(spec.Wait)), ":int": intValue(int64(spec.Interval)),
			":now": nsValue(now), ":zero": intValue(0), ":ttl": intValue(ttl), ":one": intValue(1),
			":cutoff": nsValue(now.Add(-spec.Interval)),
		},
	})
	if err == nil {
		return GroupLead, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		return 0, fmt.Errorf("group %s: lead: %w", spec.Key, err)
	}

	member := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: m.ID}, "title": &types.AttributeValueMemberS{Value: m.Title},
		"severity": &types.AttributeValueMemberS{Value: m.Severity}, "state": &types.AttributeValueMemberS{Value: m.State},
		"time": &types.AttributeValueMemberS{Value: m.Time.UTC().Format(time.RFC3339Nano)},
	}}
	names := map[string]string{
		"#pk": AttrPK, "#pending": attrPending, "#since": attrPendingSince, "#gpk": AttrGSI1PK, "#gsk": AttrGSI1SK,
		"#ttl": AttrTTL, "#ver": attrVersion, "#members": attrMembers,
	}
	values := map[string]types.AttributeValue{
		":now": nsValue(now), ":one": intValue(1), ":ttl": intValue(ttl),
		":gpk":   &types.AttributeValueMemberS{Value: PendingGroupsIndexPK},
		":gsk":   &types.AttributeValueMemberS{Value: timeKey(now.Add(spec.Wait)) + "#" + spec.Key},
		":m":     &types.AttributeValueMemberL{Value: []types.AttributeValue{member}},
		":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, ":max": intValue(MaxGroupMembers),
	}
	common := "SET #since = if_not_exists(#since, :now), #gpk = :gpk, #gsk = if_not_exists(#gsk, :gsk), #ttl = :ttl"
	in := &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       metaKey(Group, spec.Key),
		UpdateExpression:          aws.String(common + ", #members = list_append(if_not_exists(#members, :empty), :m) ADD #pending :one, #ver :one"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND (attribute_not_exists(#members) OR size(#members) < :max)"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
	}
	out, err := s.db.UpdateItem(ctx, in)
	if errors.As(err, &ccf) {
		// The member list is full (the item exists: the lead attempt failed
		// on its condition): count the alert without listing it.
		delete(names, "#members")
		delete(values, ":m")
		delete(values, ":empty")
		delete(values, ":max")
		in.UpdateExpression = aws.String(common + " ADD #pending :one, #ver :one")
		in.ConditionExpression = aws.String("attribute_exists(#pk)")
		out, err = s.db.UpdateItem(ctx, in)
	}
	if err != nil {
		return 0, fmt.Errorf("group %s: join: %w", spec.Key, err)
	}
	b, err := groupFromItem(out.Attributes)
	if err != nil {
		return 0, err
	}
	if b.Due(now) {
		return GroupDue, nil
	}
	return GroupQueued, nil
}

// GetGroup reads a group, strongly consistent.
func (s *Store) GetGroup(ctx context.Context, key string) (GroupBatch, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), ConsistentRead: aws.Bool(true), Key: metaKey(Group, key),
	})
	if err != nil {
		return GroupBatch{}, false, fmt.Errorf("get group %s from table %s: %w", key, s.table, err)
	}
	if out.Item == nil {
		return GroupBatch{}, false, nil
	}
	b, err := groupFromItem(out.Item)
	return b, err == nil, err
}

// ClaimGroup marks batch b (as read by GetGroup or DueGroups) sent at now:
// the group is emptied and its last message set to now, on the condition
// that nothing joined since b was read. The notifier claims after the
// message went out, so a failed send leaves the alerts in the group for the
// retry. It reports false when the group changed (another flush claimed it,
// or an alert joined: then the next flush lists b's alerts again, nothing is
// lost).
func (s *Store) ClaimGroup(ctx context.Context, b GroupBatch, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table),
		Key:       metaKey(Group, b.Spec.Key),
		UpdateExpression: aws.String("SET #sent = :now, #pending = :zero, #members = :empty, #ttl = :ttl " +
			"ADD #ver :one REMOVE #since, #gpk, #gsk"),
		ConditionExpression: aws.String("#ver = :v"),
		ExpressionAttributeNames: map[string]string{
			"#sent": attrLastSent, "#pending": attrPending, "#members": attrMembers, "#ttl": AttrTTL,
			"#ver": attrVersion, "#since": attrPendingSince, "#gpk": AttrGSI1PK, "#gsk": AttrGSI1SK,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": nsValue(now), ":zero": intValue(0), ":empty": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
			":ttl": intValue(groupTTL(b.Spec, now)), ":one": intValue(1), ":v": intValue(b.Version),
		},
	})
	if err == nil {
		return true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return false, fmt.Errorf("claim group %s in table %s: %w", b.Spec.Key, s.table, err)
}

// DueGroups returns the groups with unsent alerts that are due at now. The
// index is eventually consistent: read each with GetGroup before sending.
func (s *Store) DueGroups(ctx context.Context, now time.Time) ([]GroupBatch, error) {
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(IndexByTime),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk <= :due"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrGSI1PK, "#sk": AttrGSI1SK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":  &types.AttributeValueMemberS{Value: PendingGroupsIndexPK},
			":due": &types.AttributeValueMemberS{Value: timeKey(now) + "~"},
		},
	})
	var out []GroupBatch
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query pending groups in table %s: %w", s.table, err)
		}
		for _, it := range page.Items {
			b, err := groupFromItem(it)
			if err != nil {
				return nil, err
			}
			if b.Due(now) {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

func groupFromItem(it map[string]types.AttributeValue) (GroupBatch, error) {
	var b GroupBatch
	in := &itemReader{item: it}
	nsTime := func(k string) time.Time {
		if n := in.num(k); n != 0 {
			return time.Unix(0, n).UTC()
		}
		return time.Time{}
	}
	b.Spec.Key, b.Spec.Route, b.Spec.Receiver = in.str(attrGroupKey), in.str(attrRoute), in.str(attrReceiver)
	b.Spec.Labels = in.strMap(attrLabels)
	b.Spec.Wait, b.Spec.Interval = time.Duration(in.num(attrWait)), time.Duration(in.num(attrInterval))
	b.Count = int(in.num(attrPending))
	b.Since, b.LastSent = nsTime(attrPendingSince), nsTime(attrLastSent)
	b.Version = in.num(attrVersion)
	if l, ok := it[attrMembers].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			mv, ok := v.(*types.AttributeValueMemberM)
			if !ok {
				continue
			}
			member := &itemReader{item: mv.Value}
			m := GroupMember{ID: member.str("id"), Title: member.str("title"),
				Severity: member.str("severity"), State: member.str("state")}
			m.Time = member.time("time")
			for _, err := range member.errs {
				in.errs = append(in.errs, fmt.Errorf("member %s: %w", m.ID, err))
			}
			b.Members = append(b.Members, m)
		}
	}
	if len(in.errs) > 0 {
		return b, fmt.Errorf("group record %s: %w", b.Spec.Key, errors.Join(in.errs...))
	}
	return b, nil
}
