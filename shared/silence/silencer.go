package silence

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultCacheTTL is how long a container reuses the silences it read from
// the table: a new or expired silence takes effect within this time.
const DefaultCacheTTL = 30 * time.Second

// lister reads the dynamic silences that have not ended. *Table implements it.
type lister interface {
	Current(ctx context.Context) ([]Silence, error)
}

var _ lister = (*Table)(nil)

// Silencer answers whether an alert is silenced now, and by what, from the
// static maintenance windows and the dynamic silences in the table.
type Silencer struct {
	windows []Window
	table   lister
	ttl     time.Duration
	now     func() time.Time
	logger  *slog.Logger

	mu      sync.Mutex
	cached  []Silence
	fetched time.Time
	loaded  bool
}

// Option configures a Silencer.
type Option func(*Silencer)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Silencer) { s.now = now } }

// WithCacheTTL sets how long the dynamic silences read from the table are
// reused (default DefaultCacheTTL; 0 reads the table on every check).
func WithCacheTTL(d time.Duration) Option { return func(s *Silencer) { s.ttl = d } }

// WithLogger logs refreshes and unreadable silences.
func WithLogger(l *slog.Logger) Option { return func(s *Silencer) { s.logger = l } }

// NewSilencer returns a silencer over windows and, when table is not nil,
// the dynamic silences it holds.
func NewSilencer(windows []Window, table lister, opts ...Option) *Silencer {
	s := &Silencer{windows: windows, table: table, ttl: DefaultCacheTTL, now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Silenced reports whether an alert with labels is silenced now and by what;
// when several silences match, the one lasting longest is named. An error
// reading the table is returned with the answer from what is known (the
// windows and the last silences read), so the caller can decide; the caller
// in dispatch sends the alert rather than drop it on a guess.
func (s *Silencer) Silenced(ctx context.Context, labels map[string]string) (Match, bool, error) {
	now := s.now()
	silences, err := s.current(ctx, now)
	var (
		best  Match
		found bool
	)
	take := func(m Match) {
		if !found || m.lasts(best) {
			best, found = m, true
		}
	}
	for _, sl := range silences {
		if sl.Active(now) && sl.Matches(labels) {
			take(Match{Kind: KindSilence, By: sl.ID, Comment: sl.Comment, Author: sl.Author, Until: sl.EndsAt})
		}
	}
	for _, w := range s.windows {
		if w.Active(now) && w.Matches(labels) {
			take(Match{Kind: KindWindow, By: w.Name, Comment: w.Comment, Until: w.Until(now)})
		}
	}
	return best, found, err
}

// current returns the cached dynamic silences, reading the table when the
// cache is older than the TTL. A failed read keeps the previous list (and is
// not retried until the TTL passes again, so a table outage costs one call
// per TTL, not one per alert).
func (s *Silencer) current(ctx context.Context, now time.Time) ([]Silence, error) {
	if s.table == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded && now.Sub(s.fetched) < s.ttl && !now.Before(s.fetched) {
		return s.cached, nil
	}
	list, err := s.table.Current(ctx)
	s.fetched, s.loaded = now, true
	if err != nil && list == nil {
		s.logger.Warn("could not read silences; using the last ones read", "kept", len(s.cached), "err", err)
		return s.cached, fmt.Errorf("read silences: %w", err)
	}
	if err != nil {
		s.logger.Warn("some stored silences are unreadable and ignored", "err", err)
	}
	s.cached = list
	return list, nil
}
