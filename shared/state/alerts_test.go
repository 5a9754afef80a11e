package state

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

var t0 = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

func alarmRecord(id, st string, at time.Time) AlertRecord {
	return AlertRecord{
		ID: id, State: st, Severity: "high", Title: "web cpu", Source: "cloudwatch.alarm",
		Labels: map[string]string{"alarm": "web-cpu", "az": "eu-west-1a"}, Firing: st == "ALARM",
		LastChange: at, RepeatInterval: time.Hour,
	}
}

func TestPutAlertTransitionsAndFiringIndex(t *testing.T) {
	db, name := newTable(t)
	now := t0
	s := NewStore(db, name, func() time.Time { return now })
	ctx := t.Context()

	steps := []struct {
		state       string
		at          time.Time
		wantPrev    string
		wantSince   time.Time
		wantFiring  bool
		wantApplied bool
	}{
		{"ALARM", t0, "", t0, true, true},
		// A repeated ALARM keeps the firing-since of the transition.
		{"ALARM", t0.Add(5 * time.Minute), "", t0, true, true},
		{"OK", t0.Add(10 * time.Minute), "ALARM", time.Time{}, false, true},
		// An ALARM older than the stored OK arrives late: ignored.
		{"ALARM", t0.Add(7 * time.Minute), "ALARM", time.Time{}, false, false},
		{"ALARM", t0.Add(20 * time.Minute), "OK", t0.Add(20 * time.Minute), true, true},
	}
	for i, st := range steps {
		got, applied, err := s.PutAlert(ctx, alarmRecord("a1", st.state, st.at))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if applied != st.wantApplied {
			t.Errorf("step %d: applied = %v, want %v", i, applied, st.wantApplied)
		}
		stored, found, err := s.GetAlert(ctx, "a1")
		if err != nil || !found {
			t.Fatalf("step %d: get = %v, %v", i, found, err)
		}
		if stored.State != got.State || stored.PreviousState != st.wantPrev || !stored.FiringSince.Equal(st.wantSince) || stored.Firing != st.wantFiring {
			t.Errorf("step %d: stored %+v; want prev %q since %v firing %v", i, stored, st.wantPrev, st.wantSince, st.wantFiring)
		}
		if stored.Labels["az"] != "eu-west-1a" || stored.RepeatInterval != time.Hour || stored.Title != "web cpu" {
			t.Errorf("step %d: fields lost: %+v", i, stored)
		}
		firing, err := s.ListFiring(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (len(firing) == 1) != st.wantFiring {
			t.Errorf("step %d: firing index holds %d records, want firing=%v", i, len(firing), st.wantFiring)
		}
	}

	// A resolved record expires; a firing one does not.
	item := func() map[string]types.AttributeValue {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(name), Key: metaKey(AlertState, "a1")})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item
	}
	if _, has := item()[AttrTTL]; has {
		t.Error("firing record carries a TTL")
	}
	if _, _, err := s.PutAlert(ctx, alarmRecord("a1", "OK", t0.Add(30*time.Minute))); err != nil {
		t.Fatal(err)
	}
	it := item()
	if _, has := it[AttrTTL]; !has {
		t.Error("resolved record has no TTL")
	}
	if _, has := it[AttrGSI1PK]; has {
		t.Error("resolved record still in the firing index")
	}
}

func TestRemindersClaimOnceAndMarkNotified(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	ctx := t.Context()
	for _, id := range []string{"due", "later", "never"} {
		r := alarmRecord(id, "ALARM", t0)
		switch id {
		case "later":
			r.LastChange = t0.Add(50 * time.Minute)
		case "never":
			r.RepeatInterval = 0
		}
		if _, _, err := s.PutAlert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.PutAlert(ctx, alarmRecord("resolved", "OK", t0)); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(61 * time.Minute)
	due, err := s.DueReminders(ctx, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ID != "due" {
		t.Fatalf("due = %+v, want only 'due'", due)
	}
	all, err := s.ListFiring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	if !slices.Equal(ids, []string{"due", "later", "never"}) {
		t.Errorf("firing, soonest reminder first = %v", ids)
	}

	// Two sweeps race for the reminder: the other one claims it between
	// this one's read and write. The conditional write fails, the retry
	// reads the claimed record, and the reminder is claimed once. (The
	// interleaving is forced: moto does not make concurrent conditional
	// writes atomic the way DynamoDB does.)
	attempts := 0
	_, err = s.updateAlert(ctx, "due", false, func(old AlertRecord, found bool) (AlertRecord, bool) {
		attempts++
		if attempts == 1 {
			if _, ok, err := s.ClaimReminder(ctx, "due", at); err != nil || !ok {
				t.Fatalf("competing claim = %v, %v", ok, err)
			}
		}
		if due := old.NextReminder(); due.IsZero() || due.After(at) {
			return old, false
		}
		old.Reminders++
		old.LastReminded = at
		return old, true
	})
	if err != nil || attempts != 2 {
		t.Fatalf("racing claim: %d attempts, %v", attempts, err)
	}
	if _, ok, _ := s.ClaimReminder(ctx, "due", at); ok {
		t.Fatal("claimed a reminder twice")
	}
	r, _, _ := s.GetAlert(ctx, "due")
	if r.Reminders != 1 || !r.LastReminded.Equal(at) || !r.NextReminder().Equal(at.Add(time.Hour)) {
		t.Errorf("after claim: %+v next %v", r, r.NextReminder())
	}
	if due, _ := s.DueReminders(ctx, at); len(due) != 0 {
		t.Errorf("still due after claim: %+v", due)
	}

	// A failed publish gives the claim back.
	if err := s.UnclaimReminder(ctx, "due", at); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := s.GetAlert(ctx, "due"); r.Reminders != 0 {
		t.Errorf("unclaim left %d reminders", r.Reminders)
	}

	// A message moves the next reminder.
	sent := t0.Add(90 * time.Minute)
	if err := s.MarkNotified(ctx, "due", sent, []string{"ops"}); err != nil {
		t.Fatal(err)
	}
	r, _, _ = s.GetAlert(ctx, "due")
	if !r.LastNotified.Equal(sent) || !slices.Equal(r.Receivers, []string{"ops"}) || !r.NextReminder().Equal(sent.Add(time.Hour)) {
		t.Errorf("after notify: %+v", r)
	}
	if _, ok, _ := s.ClaimReminder(ctx, "due", sent.Add(30*time.Minute)); ok {
		t.Error("claimed a reminder that is not due")
	}
	if _, ok, _ := s.ClaimReminder(ctx, "resolved", at); ok {
		t.Error("claimed a reminder of a resolved alert")
	}
	if err := s.MarkNotified(ctx, "missing", sent, nil); err != nil {
		t.Errorf("mark notified without a record: %v", err)
	}
	if _, found, _ := s.GetAlert(ctx, "missing"); found {
		t.Error("MarkNotified created a record")
	}

	// A new firing episode restarts the count.
	if _, _, err := s.ClaimReminder(ctx, "due", sent.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutAlert(ctx, alarmRecord("due", "OK", t0.Add(4*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutAlert(ctx, alarmRecord("due", "ALARM", t0.Add(5*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if r, _, _ := s.GetAlert(ctx, "due"); r.Reminders != 0 || !r.FiringSince.Equal(t0.Add(5*time.Hour)) {
		t.Errorf("new episode: %+v", r)
	}
}

func TestPutAlertRacingOlderWriteLoses(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	ctx := t.Context()
	if _, _, err := s.PutAlert(ctx, alarmRecord("c", "ALARM", t0)); err != nil {
		t.Fatal(err)
	}
	// An older OK is being written when a newer ALARM lands between its
	// read and its write: the write fails its condition, and the retry sees
	// that its change is older than the record.
	older := alarmRecord("c", "OK", t0.Add(time.Minute))
	attempts := 0
	stored, err := s.updateAlert(ctx, "c", true, func(old AlertRecord, found bool) (AlertRecord, bool) {
		attempts++
		if attempts == 1 {
			if _, applied, err := s.PutAlert(ctx, alarmRecord("c", "ALARM", t0.Add(2*time.Minute))); err != nil || !applied {
				t.Fatalf("newer write = %v, %v", applied, err)
			}
		}
		if old.LastChange.After(older.LastChange) {
			return old, false
		}
		return older, true
	})
	if err != nil || attempts != 2 {
		t.Fatalf("%d attempts, %v", attempts, err)
	}
	r, _, _ := s.GetAlert(ctx, "c")
	if r.State != "ALARM" || !r.LastChange.Equal(t0.Add(2*time.Minute)) || stored.State != "ALARM" {
		t.Errorf("stored %s at %v; want the newer ALARM", r.State, r.LastChange)
	}
	// Sequential writers: only newer changes apply.
	for i, st := range []string{"OK", "ALARM", "OK"} {
		at := t0.Add(time.Duration(3+i) * time.Minute)
		if _, applied, err := s.PutAlert(ctx, alarmRecord("c", st, at)); err != nil || !applied {
			t.Fatalf("write %d = %v, %v", i, applied, err)
		}
	}
	if _, applied, _ := s.PutAlert(ctx, alarmRecord("c", "ALARM", t0.Add(4*time.Minute))); applied {
		t.Error("an older ALARM overwrote the newest OK")
	}
	if r, _, _ := s.GetAlert(ctx, "c"); r.State != "OK" {
		t.Errorf("stored %s, want OK", r.State)
	}
}
