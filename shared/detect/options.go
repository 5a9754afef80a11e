package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// Option configures the detector beyond its rule engine and publisher.
type Option func(*Service)

// FindingDedup is the finding dedup state; *state.FindingDedup implements
// it over the state table.
type FindingDedup interface {
	Claim(ctx context.Context, id, eventID string, now time.Time, window time.Duration) (state.Claim, error)
	HoldBack(ctx context.Context, id string, n int64) error
	Published(ctx context.Context, id, eventID string) error
}

var _ FindingDedup = (*state.FindingDedup)(nil)

// BatchPublisher puts many findings in as few calls as the bus allows;
// *bus.Publisher implements it. When the Publisher is one, the detector
// publishes each invocation's findings in one batch.
type BatchPublisher interface {
	PublishBatch(ctx context.Context, source, detailType string, ds []alert.Detail) error
}

// WithThresholds adds the threshold engine, counting in counter.
func WithThresholds(th *Thresholds, counter WindowCounter) Option {
	return func(s *Service) { s.thresholds, s.counter = th, counter }
}

// WithDedup publishes one finding per rule and subject within window.
func WithDedup(d FindingDedup, window time.Duration) Option {
	return func(s *Service) { s.dedup, s.dedupWindow = d, window }
}

// WithSuppressor drops (and counts) the matches its suppressions cover.
func WithSuppressor(sup *Suppressor) Option {
	return func(s *Service) { s.suppressor = sup }
}

// WithCatalog gives findings their rule's technique and credits.
func WithCatalog(c Catalog) Option {
	return func(s *Service) { s.catalog = c }
}

// WithTrailLogGroup names the CloudTrail log group for Logs Insights links
// when the trigger does not (EventBridge API-call events).
func WithTrailLogGroup(name string) Option {
	return func(s *Service) { s.trailLogGroup = name }
}

// invocation is what the detector gathers over one invocation and acts on
// at its end: findings to dedup and publish in one batch, threshold
// counts to add in one update per group, per-rule counts for metrics.
type invocation struct {
	logGroup   string
	matches    map[string]int
	suppressed map[string]int
	pending    []*pendingFinding
	byDedupID  map[string]*pendingFinding
	groups     map[groupKey]*thresholdGroup
}

// pendingFinding is a finding waiting for dedup and publishing.
type pendingFinding struct {
	d alert.Detail
	// dedupID is rule#subject; claimID identifies the triggering record.
	dedupID, claimID string
	// extra counts the same rule and subject again within this invocation.
	extra int64
	// finding is its index in the response's findings.
	finding int
}

type invocationKey struct{}

// begin starts an invocation's state; evaluate finds it in ctx.
func (s *Service) begin(ctx context.Context, trig *alert.Trigger) (context.Context, *invocation) {
	inv := &invocation{
		logGroup:   s.trailLogGroup,
		matches:    map[string]int{},
		suppressed: map[string]int{},
		byDedupID:  map[string]*pendingFinding{},
		groups:     map[groupKey]*thresholdGroup{},
	}
	if trig != nil && trig.Logs != nil && trig.Logs.LogGroup != "" {
		inv.logGroup = trig.Logs.LogGroup
	}
	return context.WithValue(ctx, invocationKey{}, inv), inv
}

func invocationFrom(ctx context.Context) *invocation {
	inv, _ := ctx.Value(invocationKey{}).(*invocation)
	return inv
}

// claimID identifies the record behind a finding across retries: its
// CloudTrail event id, or a digest of the record when it has none.
func claimID(eventID string, raw []byte) string {
	if eventID != "" {
		return eventID
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:12])
}
