package state

import (
	"fmt"
	"testing"
	"time"
)

func TestGroupLeadQueueAndClaim(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	ctx := t.Context()
	spec := GroupSpec{Key: "root/0:abc", Route: "root/0", Receiver: "ops", Labels: map[string]string{"az": "eu-west-1a"},
		Wait: 30 * time.Second, Interval: 5 * time.Minute}
	member := func(i int) GroupMember {
		return GroupMember{ID: fmt.Sprintf("a%d", i), Title: fmt.Sprintf("alarm %d", i), Severity: "high", State: "ALARM", Time: t0}
	}

	got, err := s.JoinGroup(ctx, spec, member(0), t0)
	if err != nil || got != GroupLead {
		t.Fatalf("first alert: %v, %v; want lead", got, err)
	}
	for i := 1; i <= 3; i++ {
		got, err := s.JoinGroup(ctx, spec, member(i), t0.Add(time.Duration(i)*time.Second))
		if err != nil || got != GroupQueued {
			t.Fatalf("alert %d: %v, %v; want queued", i, got, err)
		}
	}
	// Not due before group_interval, and the sweeper sees nothing.
	if b, _, err := s.GetGroup(ctx, spec.Key); err != nil || b.Due(t0.Add(time.Minute)) || b.Count != 3 {
		t.Fatalf("early: %+v, %v", b, err)
	}
	if due, err := s.DueGroups(ctx, t0.Add(time.Minute)); err != nil || len(due) != 0 {
		t.Fatalf("due early = %+v, %v", due, err)
	}
	at := t0.Add(6 * time.Minute)
	due, err := s.DueGroups(ctx, at)
	if err != nil || len(due) != 1 || due[0].Spec.Key != spec.Key || due[0].Count != 3 {
		t.Fatalf("due = %+v, %v", due, err)
	}
	b, found, err := s.GetGroup(ctx, spec.Key)
	if err != nil || !found || !b.Due(at) {
		t.Fatalf("get = %+v, %v, %v", b, found, err)
	}
	if b.Count != 3 || len(b.Members) != 3 || b.Members[0].ID != "a1" || b.Spec.Receiver != "ops" ||
		b.Spec.Labels["az"] != "eu-west-1a" || !b.Since.Equal(t0.Add(time.Second)) || b.Spec.Interval != 5*time.Minute {
		t.Errorf("batch = %+v", b)
	}

	// Two flushes of the same read: the first claim wins, the second finds
	// the version moved on.
	if ok, err := s.ClaimGroup(ctx, b, at); err != nil || !ok {
		t.Fatalf("first claim = %v, %v", ok, err)
	}
	if ok, err := s.ClaimGroup(ctx, b, at); err != nil || ok {
		t.Fatalf("second claim of the same read = %v, %v", ok, err)
	}
	if due, _ := s.DueGroups(ctx, at.Add(time.Hour)); len(due) != 0 {
		t.Errorf("claimed group still pending: %+v", due)
	}
	if after, _, _ := s.GetGroup(ctx, spec.Key); after.Count != 0 || len(after.Members) != 0 || !after.LastSent.Equal(at) {
		t.Errorf("after claim: %+v", after)
	}

	// An alert joining between read and claim fails the claim: its batch stays.
	if got, _ := s.JoinGroup(ctx, spec, member(7), at.Add(time.Second)); got != GroupQueued {
		t.Fatalf("join: %v", got)
	}
	stale, _, _ := s.GetGroup(ctx, spec.Key)
	if _, err := s.JoinGroup(ctx, spec, member(8), at.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ClaimGroup(ctx, stale, at.Add(10*time.Minute)); err != nil || ok {
		t.Errorf("stale claim = %v, %v; want false", ok, err)
	}
	if cur, _, _ := s.GetGroup(ctx, spec.Key); cur.Count != 2 {
		t.Errorf("after stale claim: count %d, want 2", cur.Count)
	}
	cur, _, _ := s.GetGroup(ctx, spec.Key)
	if ok, err := s.ClaimGroup(ctx, cur, at.Add(10*time.Minute)); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	at = at.Add(10 * time.Minute)

	// Within the interval after the flush, alerts queue again; once it has
	// passed, the next one makes the group due.
	if got, _ := s.JoinGroup(ctx, spec, member(4), at.Add(time.Minute)); got != GroupQueued {
		t.Errorf("after flush: %v, want queued", got)
	}
	if got, _ := s.JoinGroup(ctx, spec, member(5), at.Add(6*time.Minute)); got != GroupDue {
		t.Errorf("interval passed with pending alerts: %v, want due", got)
	}
	b, _, _ = s.GetGroup(ctx, spec.Key)
	if ok, err := s.ClaimGroup(ctx, b, at.Add(6*time.Minute)); err != nil || !ok || b.Count != 2 {
		t.Errorf("second claim = %+v, %v, %v", b, ok, err)
	}
	// Quiet for an interval with nothing pending: the next alert leads again.
	if got, _ := s.JoinGroup(ctx, spec, member(6), at.Add(20*time.Minute)); got != GroupLead {
		t.Errorf("after a quiet interval: %v, want lead", got)
	}
}

func TestGroupMemberListIsBounded(t *testing.T) {
	db, name := newTable(t)
	s := NewStore(db, name, nil)
	ctx := t.Context()
	spec := GroupSpec{Key: "k", Route: "root", Receiver: "ops", Interval: time.Minute}
	total := MaxGroupMembers + 7
	for i := range total {
		if _, err := s.JoinGroup(ctx, spec, GroupMember{ID: fmt.Sprint(i), State: "ALARM", Time: t0}, t0); err != nil {
			t.Fatal(err)
		}
	}
	b, ok, err := s.GetGroup(ctx, "k")
	if err != nil || !ok {
		t.Fatalf("get = %v, %v", ok, err)
	}
	// The first alert led; the rest were counted, the first MaxGroupMembers listed.
	if b.Count != total-1 || len(b.Members) != MaxGroupMembers || b.Members[0].ID != "1" {
		t.Errorf("count %d, %d members (first %s); want %d, %d", b.Count, len(b.Members), b.Members[0].ID, total-1, MaxGroupMembers)
	}
}
