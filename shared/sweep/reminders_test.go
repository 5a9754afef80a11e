package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

var reminderSeq atomic.Int64

// busToQueue creates the watchkeeper bus in moto with a rule sending the
// sweeper's reminder, group and digest events to a queue, and returns a reader of it.
func busToQueue(t *testing.T, cfg aws.Config, name string) (*eventbridge.Client, func() []alert.Alert) {
	t.Helper()
	ctx := t.Context()
	eb, q := eventbridge.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	pattern, _ := json.Marshal(map[string]any{"source": []string{alert.SourceSweeper},
		"detail-type": []string{alert.DetailTypeReminder, alert.DetailTypeGroup, alert.DetailTypeDigest}})
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("to-notifier"), EventBusName: aws.String(name),
		EventPattern: aws.String(string(pattern))}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("to-notifier"), EventBusName: aws.String(name),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(attrs.Attributes["QueueArn"])}}}); err != nil {
		t.Fatal(err)
	}
	return eb, func() []alert.Alert {
		var out []alert.Alert
		for {
			msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs.Messages) == 0 {
				return out
			}
			for _, m := range msgs.Messages {
				tr, err := alert.Parse([]byte(aws.ToString(m.Body)))
				if err != nil {
					t.Fatalf("delivered event: %v", err)
				}
				out = append(out, tr.Alerts...)
				if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: qu.QueueUrl, ReceiptHandle: m.ReceiptHandle}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

type failingPublisher struct{ n int }

func (f *failingPublisher) Publish(context.Context, string, string, alert.Detail) error {
	f.n++
	return errors.New("throttled")
}

func TestRemindersJob(t *testing.T) {
	m := moto.Get(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	db := dynamodb.NewFromConfig(cfg)
	name := "reminders-" + strconv.FormatInt(reminderSeq.Add(1), 10)
	if err := state.CreateTable(ctx, db, name); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	now := t0
	clock := func() time.Time { return now }
	st := state.NewStore(db, name, clock)
	put := func(id, s string, at time.Time) {
		t.Helper()
		if _, _, err := st.PutAlert(ctx, state.AlertRecord{ID: id, State: s, Firing: s == "ALARM", Severity: "high", Title: "alarm " + id,
			Source: alert.SourceAlarm, Labels: map[string]string{"alarm": id, "source": alert.SourceAlarm}, LastChange: at, RepeatInterval: time.Hour}); err != nil {
			t.Fatal(err)
		}
	}
	put("due", "ALARM", t0)
	put("recent", "ALARM", t0.Add(30*time.Minute))
	put("gone", "ALARM", t0)
	put("gone", "OK", t0.Add(20*time.Minute))
	spec := state.GroupSpec{Key: "root/0:abc", Route: "root/0", Receiver: "ops", Labels: map[string]string{"az": "a"},
		Wait: 30 * time.Second, Interval: 5 * time.Minute}
	for i, id := range []string{"g0", "g1", "g2"} {
		if _, err := st.JoinGroup(ctx, spec, state.GroupMember{ID: id, Severity: []string{"low", "critical", "medium"}[i], State: "ALARM", Time: t0}, t0); err != nil {
			t.Fatal(err)
		}
	}

	eb, received := busToQueue(t, cfg, name)
	svc := New(map[string]Job{JobReminders: Reminders(st, bus.New(eb, name), nil, clock)}, nil, nil, clock)
	run := func() {
		t.Helper()
		if _, err := svc.Handle(ctx, []byte(`{"job":"reminders"}`)); err != nil {
			t.Fatal(err)
		}
	}

	now = t0.Add(61 * time.Minute)
	run()
	got := received()
	var kinds []string
	for _, a := range got {
		switch {
		case a.Reminder != nil:
			kinds = append(kinds, "reminder:"+a.ID+"#"+strconv.Itoa(a.Reminder.Number))
			if !a.Reminder.FiringSince.Equal(t0) || a.Source != alert.SourceAlarm || a.Labels["alarm"] != "due" || a.State != alert.StateAlarm {
				t.Errorf("reminder %+v", a)
			}
		case a.IsGroupFlush():
			kinds = append(kinds, "group:"+a.Group.Key)
			if a.Group.Count != 2 || a.Severity != alert.SeverityCritical || a.Group.Labels["az"] != "a" {
				t.Errorf("group flush %+v / %+v", a, a.Group)
			}
		}
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{"group:root/0:abc", "reminder:due#1"}) {
		t.Fatalf("published %v", kinds)
	}

	// The same run again: the reminder was claimed; the group waits for the notifier to flush it.
	run()
	if again := received(); len(again) != 1 || !again[0].IsGroupFlush() {
		t.Errorf("second run published %+v", again)
	}

	// An hour later the next reminder of the same firing episode.
	now = now.Add(time.Hour)
	run()
	var numbers []string
	for _, a := range received() {
		if a.Reminder != nil {
			numbers = append(numbers, a.ID+"#"+strconv.Itoa(a.Reminder.Number))
		}
	}
	slices.Sort(numbers)
	if !slices.Equal(numbers, []string{"due#2", "recent#1"}) {
		t.Errorf("reminders an hour later: %v", numbers)
	}

	// A failing bus gives the claim back: nothing is lost.
	now = now.Add(2 * time.Hour)
	fail := &failingPublisher{}
	failing := New(map[string]Job{JobReminders: Reminders(st, fail, nil, clock)}, nil, nil, clock)
	if _, err := failing.Handle(ctx, []byte(`{"job":"reminders"}`)); err == nil || fail.n == 0 {
		t.Fatalf("failing bus: err %v after %d publishes", err, fail.n)
	}
	run()
	var after []string
	for _, a := range received() {
		if a.Reminder != nil {
			after = append(after, a.ID+"#"+strconv.Itoa(a.Reminder.Number))
		}
	}
	slices.Sort(after)
	if !slices.Equal(after, []string{"due#3", "recent#2"}) {
		t.Errorf("after a failed run: %v", after)
	}
}

func TestRemindersJobNeedsTableAndBus(t *testing.T) {
	if _, err := Reminders(nil, nil, nil, nil)(t.Context(), &alert.JobRequest{Job: JobReminders}); err == nil {
		t.Error("want an error without table and bus")
	}
}
