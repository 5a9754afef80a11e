package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// AlertRetention is how long the record of a resolved alert is kept (TTL);
// a firing alert's record carries no TTL.
const AlertRetention = 30 * 24 * time.Hour

// maxWriteAttempts bounds the optimistic read-modify-write loops: a record
// that changes under the writer this many times in a row is an error, not a
// livelock.
const maxWriteAttempts = 8

// ErrContended means a record kept changing under an optimistic write.
var ErrContended = errors.New("record changed concurrently too many times")

// AlertRecord is the last known state of one alert (record type AlertState).
// States are plain strings so this package does not depend on the alert model.
type AlertRecord struct {
	ID            string
	State         string
	PreviousState string
	Severity      string
	Title         string
	Source        string
	Labels        map[string]string
	// Firing says the alert is in a problem state that reminders and
	// inhibition care about; the record is then in the firing index.
	Firing bool
	// FiringSince is the time of the transition into the firing state; zero
	// when not firing.
	FiringSince time.Time
	// LastChange is the time of the state change the record holds (the
	// alert's own time), which orders out-of-order deliveries.
	LastChange time.Time
	// LastNotified is when a message about the alert last went out.
	LastNotified time.Time
	// LastReminded is when the sweeper last claimed a reminder for it.
	LastReminded time.Time
	// RepeatInterval is the shortest repeat_interval of the matched routes; 0
	// means no reminders.
	RepeatInterval time.Duration
	// Receivers the last message went to.
	Receivers []string
	// Reminders counts the reminders claimed in this firing episode.
	Reminders int

	version int64
}

// NextReminder is when a reminder is due: RepeatInterval after the latest of
// firing, last message and last reminder. Zero when none will be.
func (r AlertRecord) NextReminder() time.Time {
	if !r.Firing || r.RepeatInterval <= 0 {
		return time.Time{}
	}
	last := r.FiringSince
	for _, t := range []time.Time{r.LastNotified, r.LastReminded} {
		if t.After(last) {
			last = t
		}
	}
	return last.Add(r.RepeatInterval)
}

// PutAlert records a state change of an alert: a conditional
// read-modify-write, so concurrent writers do not lose each other's updates
// and an older event delivered late never overwrites a newer state. It
// returns the stored record and whether r was applied (false: stale).
//
// FiringSince is kept across repeated firing states and set to r.LastChange
// on the transition into firing (which also restarts the reminder count);
// PreviousState is the stored state when the state changes. LastNotified,
// LastReminded, Receivers and Reminders are carried over.
func (s *Store) PutAlert(ctx context.Context, r AlertRecord) (AlertRecord, bool, error) {
	if r.ID == "" {
		return AlertRecord{}, false, errors.New("put alert: empty id")
	}
	applied := false
	stored, err := s.updateAlert(ctx, r.ID, true, func(old AlertRecord, found bool) (AlertRecord, bool) {
		if found && old.LastChange.After(r.LastChange) {
			applied = false
			return old, false
		}
		next := r
		next.LastChange = r.LastChange.UTC()
		next.FiringSince = time.Time{}
		if found {
			next.LastNotified, next.LastReminded = old.LastNotified, old.LastReminded
			next.Receivers, next.Reminders = old.Receivers, old.Reminders
			next.PreviousState = old.PreviousState
			if old.State != r.State {
				next.PreviousState = old.State
			}
		}
		if r.Firing {
			if found && old.Firing {
				next.FiringSince = old.FiringSince
			} else {
				next.FiringSince = next.LastChange
				next.Reminders = 0
				next.LastReminded = time.Time{}
			}
		}
		applied = true
		return next, true
	})
	return stored, applied, err
}

// GetAlert returns the stored record of alert id, strongly consistent.
func (s *Store) GetAlert(ctx context.Context, id string) (AlertRecord, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		ConsistentRead: aws.Bool(true),
		Key:            metaKey(AlertState, id),
	})
	if err != nil {
		return AlertRecord{}, false, fmt.Errorf("get alert %s from table %s: %w", id, s.table, err)
	}
	if out.Item == nil {
		return AlertRecord{}, false, nil
	}
	r, err := alertFromItem(out.Item)
	if err != nil {
		return AlertRecord{}, false, err
	}
	return r, true, nil
}

// MarkNotified records that a message about alert id went out at to
// receivers, which moves its next reminder. A missing record is not an error
// (the alert was sent without a table, or its record expired): there is
// nothing to remind about.
func (s *Store) MarkNotified(ctx context.Context, id string, at time.Time, receivers []string) error {
	_, err := s.updateAlert(ctx, id, false, func(old AlertRecord, found bool) (AlertRecord, bool) {
		if !found {
			return old, false
		}
		if at.After(old.LastNotified) {
			old.LastNotified = at.UTC()
		}
		old.Receivers = receivers
		return old, true
	})
	return err
}

// ClaimReminder takes the reminder of alert id due at now, once: it counts
// the reminder and moves the next one a RepeatInterval ahead. It reports
// false when the alert no longer fires or the reminder is not due (another
// sweep claimed it, or a message went out since).
func (s *Store) ClaimReminder(ctx context.Context, id string, now time.Time) (AlertRecord, bool, error) {
	claimed := false
	r, err := s.updateAlert(ctx, id, false, func(old AlertRecord, found bool) (AlertRecord, bool) {
		claimed = false
		due := old.NextReminder()
		if !found || due.IsZero() || due.After(now) {
			return old, false
		}
		old.Reminders++
		old.LastReminded = now.UTC()
		claimed = true
		return old, true
	})
	return r, claimed, err
}

// UnclaimReminder gives back a reminder claimed at claimedAt whose event
// could not be published, so the next sweep tries again. It does nothing
// when the record moved on since.
func (s *Store) UnclaimReminder(ctx context.Context, id string, claimedAt time.Time) error {
	_, err := s.updateAlert(ctx, id, false, func(old AlertRecord, found bool) (AlertRecord, bool) {
		if !found || !old.LastReminded.Equal(claimedAt.UTC()) || old.Reminders == 0 {
			return old, false
		}
		old.Reminders--
		old.LastReminded = time.Time{}
		return old, true
	})
	return err
}

// ListFiring returns every alert in the firing index, soonest reminder first.
func (s *Store) ListFiring(ctx context.Context) ([]AlertRecord, error) {
	return s.queryFiring(ctx, time.Time{})
}

// DueReminders returns firing alerts whose reminder is due at now. The index
// is eventually consistent: ClaimReminder re-checks each one.
func (s *Store) DueReminders(ctx context.Context, now time.Time) ([]AlertRecord, error) {
	return s.queryFiring(ctx, now)
}

func (s *Store) queryFiring(ctx context.Context, dueBy time.Time) ([]AlertRecord, error) {
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(IndexByTime),
		KeyConditionExpression:   aws.String("#pk = :pk"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrGSI1PK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: FiringIndexPK},
		},
	}
	if !dueBy.IsZero() {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk <= :due")
		in.ExpressionAttributeNames["#sk"] = AttrGSI1SK
		// '~' sorts after the "#id" suffix of every key at that instant.
		in.ExpressionAttributeValues[":due"] = &types.AttributeValueMemberS{Value: timeKey(dueBy) + "~"}
	}
	var out []AlertRecord
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query firing alerts in table %s: %w", s.table, err)
		}
		for _, it := range page.Items {
			r, err := alertFromItem(it)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// updateAlert is the optimistic read-modify-write every alert write goes
// through: read consistently, let f decide, put on the condition that the
// version is still the one read (or that the item still does not exist).
// create allows f to write a record that did not exist.
func (s *Store) updateAlert(ctx context.Context, id string, create bool, f func(old AlertRecord, found bool) (AlertRecord, bool)) (AlertRecord, error) {
	for range maxWriteAttempts {
		old, found, err := s.GetAlert(ctx, id)
		if err != nil {
			return AlertRecord{}, err
		}
		next, write := f(old, found)
		if !write || (!found && !create) {
			return old, nil
		}
		next.ID = id
		next.version = old.version + 1
		in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: alertItem(next, s.now())}
		if found {
			in.ConditionExpression = aws.String("#v = :v")
			in.ExpressionAttributeNames = map[string]string{"#v": "version"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{
				":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(old.version, 10)},
			}
		} else {
			in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
			in.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
		}
		_, err = s.db.PutItem(ctx, in)
		if err == nil {
			return next, nil
		}
		var ccf *types.ConditionalCheckFailedException
		if !errors.As(err, &ccf) {
			return AlertRecord{}, fmt.Errorf("put alert %s in table %s: %w", id, s.table, err)
		}
	}
	return AlertRecord{}, fmt.Errorf("put alert %s: %w", id, ErrContended)
}

func metaKey(t RecordType, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		AttrPK: &types.AttributeValueMemberS{Value: PK(t, id)},
		AttrSK: &types.AttributeValueMemberS{Value: sortKeyMeta},
	}
}

// Attribute names of alert records.
const (
	attrState         = "state"
	attrPrevState     = "previous_state"
	attrSeverity      = "severity"
	attrTitle         = "title"
	attrSource        = "source"
	attrLabels        = "labels"
	attrFiringSince   = "firing_since"
	attrLastChange    = "last_change"
	attrLastNotified  = "last_notified"
	attrLastReminded  = "last_reminded"
	attrRepeatSeconds = "repeat_interval_s"
	attrReceivers     = "receivers"
	attrReminders     = "reminder_count"
	attrVersion       = "version"
	attrID            = "id"
)

func alertItem(r AlertRecord, now time.Time) map[string]types.AttributeValue {
	it := metaKey(AlertState, r.ID)
	s := func(k, v string) {
		if v != "" {
			it[k] = &types.AttributeValueMemberS{Value: v}
		}
	}
	n := func(k string, v int64) { it[k] = &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)} }
	tm := func(k string, t time.Time) {
		if !t.IsZero() {
			it[k] = &types.AttributeValueMemberS{Value: t.UTC().Format(time.RFC3339Nano)}
		}
	}
	s(attrID, r.ID)
	s(attrState, r.State)
	s(attrPrevState, r.PreviousState)
	s(attrSeverity, r.Severity)
	s(attrTitle, r.Title)
	s(attrSource, r.Source)
	if len(r.Labels) > 0 {
		m := make(map[string]types.AttributeValue, len(r.Labels))
		for k, v := range r.Labels {
			m[k] = &types.AttributeValueMemberS{Value: v}
		}
		it[attrLabels] = &types.AttributeValueMemberM{Value: m}
	}
	tm(attrFiringSince, r.FiringSince)
	tm(attrLastChange, r.LastChange)
	tm(attrLastNotified, r.LastNotified)
	tm(attrLastReminded, r.LastReminded)
	n(attrRepeatSeconds, int64(r.RepeatInterval/time.Second))
	if len(r.Receivers) > 0 {
		l := make([]types.AttributeValue, len(r.Receivers))
		for i, v := range r.Receivers {
			l[i] = &types.AttributeValueMemberS{Value: v}
		}
		it[attrReceivers] = &types.AttributeValueMemberL{Value: l}
	}
	n(attrReminders, int64(r.Reminders))
	n(attrVersion, r.version)
	if r.Firing {
		// In the firing index, sorted by when the next reminder is due.
		due := r.NextReminder()
		if due.IsZero() {
			due = farFuture
		}
		it[AttrGSI1PK] = &types.AttributeValueMemberS{Value: FiringIndexPK}
		it[AttrGSI1SK] = &types.AttributeValueMemberS{Value: timeKey(due) + "#" + r.ID}
	} else {
		last := r.LastChange
		if now.After(last) {
			last = now
		}
		n(AttrTTL, last.Add(AlertRetention).Unix())
	}
	return it
}

// farFuture sorts a firing alert without reminders after every due time.
var farFuture = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// timeKeyLayout is a fixed-width UTC time, so keys sort as times.
const timeKeyLayout = "2006-01-02T15:04:05.000000000Z"

func timeKey(t time.Time) string { return t.UTC().Format(timeKeyLayout) }

func alertFromItem(it map[string]types.AttributeValue) (AlertRecord, error) {
	var r AlertRecord
	in := &itemReader{item: it}
	r.ID = in.str(attrID)
	if r.ID == "" {
		r.ID = strings.TrimPrefix(in.str(AttrPK), PK(AlertState, ""))
	}
	r.State, r.PreviousState = in.str(attrState), in.str(attrPrevState)
	r.Severity, r.Title, r.Source = in.str(attrSeverity), in.str(attrTitle), in.str(attrSource)
	r.Labels = in.strMap(attrLabels)
	r.FiringSince, r.LastChange = in.time(attrFiringSince), in.time(attrLastChange)
	r.LastNotified, r.LastReminded = in.time(attrLastNotified), in.time(attrLastReminded)
	r.RepeatInterval = time.Duration(in.num(attrRepeatSeconds)) * time.Second
	if l, ok := it[attrReceivers].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if sv, ok := v.(*types.AttributeValueMemberS); ok {
				r.Receivers = append(r.Receivers, sv.Value)
			}
		}
	}
	r.Reminders = int(in.num(attrReminders))
	r.version = in.num(attrVersion)
	_, r.Firing = it[AttrGSI1PK]
	if len(in.errs) > 0 {
		return r, fmt.Errorf("alert record %s: %w", r.ID, errors.Join(in.errs...))
	}
	return r, nil
}
