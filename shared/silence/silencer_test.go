package silence

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// fakeLister counts reads and returns what it is set to.
type fakeLister struct {
	list  []Silence
	err   error
	reads int
}

func (f *fakeLister) Current(context.Context) ([]Silence, error) {
	f.reads++
	if f.err != nil {
		return nil, f.err
	}
	return f.list, nil
}

func TestSilencerCachesTheTable(t *testing.T) {
	now := t0
	src := &fakeLister{list: []Silence{mustSilence(t, "s1", []string{"env=staging"}, t0, t0.Add(time.Hour))}}
	s := NewSilencer(nil, src, WithClock(func() time.Time { return now }), WithCacheTTL(30*time.Second))
	staging := map[string]string{"env": "staging"}
	ctx := t.Context()

	m, ok, err := s.Silenced(ctx, staging)
	if err != nil || !ok || m.By != "s1" || m.Kind != KindSilence || !m.Until.Equal(t0.Add(time.Hour)) || m.Author != "ana" {
		t.Fatalf("Silenced = %+v, %v, %v", m, ok, err)
	}
	// Within the TTL the table is not read again, even for a new silence.
	src.list = append(src.list, mustSilence(t, "s2", []string{"env=dev"}, t0, t0.Add(time.Hour)))
	now = t0.Add(29 * time.Second)
	if _, ok, _ := s.Silenced(ctx, map[string]string{"env": "dev"}); ok || src.reads != 1 {
		t.Fatalf("within the TTL: silenced %v after %d reads; want the cached list", ok, src.reads)
	}
	// After it, the new silence applies.
	now = t0.Add(30 * time.Second)
	if m, ok, _ := s.Silenced(ctx, map[string]string{"env": "dev"}); !ok || m.By != "s2" || src.reads != 2 {
		t.Fatalf("after the TTL: %+v %v after %d reads", m, ok, src.reads)
	}
	// A failed read keeps the last list, reports the error, and is not retried per alert.
	src.err = errors.New("throttled")
	now = t0.Add(61 * time.Second)
	m, ok, err = s.Silenced(ctx, staging)
	if err == nil || !ok || m.By != "s1" {
		t.Fatalf("table down: %+v, %v, %v; want the cached silence and the error", m, ok, err)
	}
	if _, _, err := s.Silenced(ctx, staging); err != nil || src.reads != 3 {
		t.Errorf("second check while down: err %v, %d reads; want the cache until the TTL passes", err, src.reads)
	}
	// A silence that has ended no longer applies, even from the cache.
	now = t0.Add(time.Hour)
	src.err = nil
	if _, ok, _ := s.Silenced(ctx, staging); ok {
		t.Error("an ended silence still silences")
	}
}

func TestSilencerNamesTheLongestMatch(t *testing.T) {
	now := time.Date(2026, 11, 28, 23, 0, 0, 0, time.UTC) // Saturday 23:00 in London
	weekend, err := NewWindow(config.MaintenanceWindow{
		Name: "weekend", Matchers: []string{"env=staging"}, TimeZone: "Europe/London", Comment: "no one is watching",
		Times: []config.WeeklyTime{{Days: []string{"sat", "sun"}, Start: "00:00", End: "24:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeLister{list: []Silence{
		mustSilence(t, "short", []string{"env=staging"}, now.Add(-time.Hour), now.Add(time.Hour)),
		mustSilence(t, "future", []string{"env=staging"}, now.Add(time.Hour), now.Add(100*time.Hour)),
		mustSilence(t, "other", []string{"env=prod"}, now.Add(-time.Hour), now.Add(100*time.Hour)),
	}}
	s := NewSilencer([]Window{weekend}, src, WithClock(func() time.Time { return now }))
	m, ok, err := s.Silenced(t.Context(), map[string]string{"env": "staging"})
	if err != nil || !ok {
		t.Fatalf("not silenced: %v", err)
	}
	wantEnd := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC) // Monday 00:00 GMT
	if m.Kind != KindWindow || m.By != "weekend" || !m.Until.Equal(wantEnd) || m.Comment != "no one is watching" {
		t.Errorf("match = %+v; want the weekend window until %s", m, wantEnd)
	}
	if _, ok, _ := s.Silenced(t.Context(), map[string]string{"env": "dev"}); ok {
		t.Error("an alert no silence matches was silenced")
	}
}

func TestSilencerWithoutTable(t *testing.T) {
	s := NewSilencer(nil, nil)
	if _, ok, err := s.Silenced(t.Context(), map[string]string{"env": "staging"}); ok || err != nil {
		t.Errorf("no windows, no table: silenced %v, %v", ok, err)
	}
}

// TestSilencerReadsTheTable is the silencer over the real table in moto.
func TestSilencerReadsTheTable(t *testing.T) {
	db, name := newTable(t)
	now := t0
	clock := func() time.Time { return now }
	tab := NewTable(db, name, clock)
	if err := tab.Put(t.Context(), mustSilence(t, "db", []string{`alarm=~"rds-.*"`}, t0, t0.Add(2*time.Hour))); err != nil {
		t.Fatal(err)
	}
	s := NewSilencer(nil, tab, WithClock(clock), WithCacheTTL(0))
	rds := map[string]string{"alarm": "rds-cpu"}
	if m, ok, err := s.Silenced(t.Context(), rds); err != nil || !ok || m.Reason() != "silenced by silence db (deploy of db) until 2026-11-25T14:00:00Z" {
		t.Fatalf("Silenced = %q, %v, %v", m.Reason(), ok, err)
	}
	now = t0.Add(time.Minute)
	if _, err := tab.Expire(t.Context(), "db"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Silenced(t.Context(), rds); ok || err != nil {
		t.Errorf("after expiry: silenced %v, %v", ok, err)
	}
}
