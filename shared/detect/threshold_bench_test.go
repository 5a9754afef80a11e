package detect

import (
	"context"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// memCounter is an in-memory WindowCounter: the benchmark measures the
// detector's own work, not DynamoDB round trips.
type memCounter map[string][]int64

func (m memCounter) Add(_ context.Context, a state.WindowAdd) (state.WindowCount, error) {
	id := a.ID + state.BucketStart(a.At, a.Window).String()
	cur := m[id]
	if cur == nil {
		cur = make([]int64, len(a.Adds))
	}
	wc := state.WindowCount{Before: make([]float64, len(a.Adds)), After: make([]float64, len(a.Adds))}
	for i, n := range a.Adds {
		wc.Before[i] = float64(cur[i])
		cur[i] += n
		wc.After[i] = float64(cur[i])
	}
	m[id] = cur
	return wc, nil
}

// memDedup publishes the first claim of each id.
type memDedup map[string]bool

func (m memDedup) Claim(_ context.Context, id, _ string, _ time.Time, _ time.Duration) (state.Claim, error) {
	if m[id] {
		return state.Claim{More: 1}, nil
	}
	m[id] = true
	return state.Claim{Publish: true}, nil
}

func (memDedup) HoldBack(context.Context, string, int64) error   { return nil }
func (memDedup) Published(context.Context, string, string) error { return nil }

// BenchmarkAllPacksWithState is BenchmarkAllPacks plus the stateful path:
// the example thresholds (two filter patterns and a key per record),
// suppressions, the catalog and dedup, with the state in memory.
func BenchmarkAllPacksWithState(b *testing.B) {
	c, err := config.Load("../../watchkeeper.yaml")
	if err != nil {
		b.Fatal(err)
	}
	d := c.Detection
	d.SigmaFiles, d.Rules = nil, nil
	e, err := NewPatternEngine(d, nil)
	if err != nil {
		b.Fatal(err)
	}
	th, err := NewThresholds(d, nil, e.HasRule)
	if err != nil {
		b.Fatal(err)
	}
	e.AddThresholdPatterns(th)
	cat, err := NewCatalog(d)
	if err != nil {
		b.Fatal(err)
	}
	sup, err := NewSuppressor(d.Suppressions, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchHandle(b, New(e, nil, nil, nil, WithThresholds(th, memCounter{}), WithDedup(memDedup{}, time.Hour),
		WithSuppressor(sup), WithCatalog(cat)))
}
