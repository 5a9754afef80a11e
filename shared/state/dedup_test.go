package state

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestFindingDedupWindow(t *testing.T) {
	db, name := newTable(t)
	d := NewFindingDedup(db, name)
	ctx := t.Context()
	t0 := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	const id, w = "attack.stop-logging#arn:aws:cloudtrail:us-east-1:123456789012:trail/main", time.Hour

	steps := []struct {
		name    string
		event   string
		at      time.Time
		publish bool
		more    int64
		since   time.Time
	}{
		{"first", "e1", t0, true, 0, time.Time{}},
		{"duplicate", "e2", t0.Add(time.Minute), false, 1, t0},
		{"another", "e3", t0.Add(2 * time.Minute), false, 2, t0},
		// e1's invocation is retried before its publish was recorded: publish again.
		{"retry before published", "e1", t0.Add(3 * time.Minute), true, 0, time.Time{}},
	}
	for _, s := range steps {
		c, err := d.Claim(ctx, id, s.event, s.at, w)
		if err != nil {
			t.Fatal(err)
		}
		if c.Publish != s.publish || c.More != s.more || !c.Since.Equal(s.since) {
			t.Errorf("%s: %+v, want publish %v more %d since %v", s.name, c, s.publish, s.more, s.since)
		}
	}
	if err := d.Published(ctx, id, "e1"); err != nil {
		t.Fatal(err)
	}
	// Retried after it was published: neither published nor counted.
	if c, err := d.Claim(ctx, id, "e1", t0.Add(4*time.Minute), w); err != nil || c.Publish || c.More != 0 {
		t.Errorf("retry after publish = %+v, %v", c, err)
	}
	if c, err := d.Claim(ctx, id, "e4", t0.Add(5*time.Minute), w); err != nil || c.Publish || c.More != 3 {
		t.Errorf("fourth = %+v, %v; want held back, 3 more", c, err)
	}
	// Duplicates folded together by an invocation are added at once.
	if err := d.HoldBack(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	if err := d.HoldBack(ctx, "never-claimed", 2); err != nil {
		t.Fatal(err)
	}
	// After the window the next match is published and reports the 5 held back.
	next := t0.Add(w + time.Minute)
	c, err := d.Claim(ctx, id, "e5", next, w)
	if err != nil || !c.Publish || c.More != 5 || !c.Since.Equal(t0) {
		t.Errorf("after the window = %+v, %v; want published with 5 more since %v", c, err, t0)
	}
	// Its retry reports the same carried count.
	c, err = d.Claim(ctx, id, "e5", next.Add(time.Second), w)
	if err != nil || !c.Publish || c.More != 5 || !c.Since.Equal(t0) {
		t.Errorf("retry of the next window's claim = %+v, %v", c, err)
	}
	// Other ids are independent.
	if c, err := d.Claim(ctx, "other", "e2", t0, w); err != nil || !c.Publish {
		t.Errorf("other id = %+v, %v", c, err)
	}
}

func TestFindingDedupConcurrentClaims(t *testing.T) {
	db, name := newTable(t)
	d := NewFindingDedup(db, name)
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var published atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c, err := d.Claim(t.Context(), "race", "e"+strconv.Itoa(i), at, time.Hour)
			if err != nil {
				t.Error(err)
			}
			if c.Publish {
				published.Add(1)
			}
		})
	}
	wg.Wait()
	if published.Load() != 1 {
		t.Errorf("%d claims published, want 1", published.Load())
	}
	c, err := d.Claim(t.Context(), "race", "e-last", at.Add(time.Minute), time.Hour)
	if err != nil || c.Publish || c.More != 8 {
		t.Errorf("held-back count = %+v, %v; want 8 (7 racers + this one)", c, err)
	}
}
