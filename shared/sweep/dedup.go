package sweep

import (
	"context"
	"fmt"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// DefaultRenotifyAfter is how long a finding already published, and
// unchanged, stays quiet before a sweep publishes it again.
const DefaultRenotifyAfter = 24 * time.Hour

// JobParamRenotifyAfter is the job input (a Go duration such as "12h") that
// overrides the re-notify period of one schedule.
const JobParamRenotifyAfter = "renotify_after"

// findingMarks is the part of *state.Store the deduplication uses.
type findingMarks interface {
	Seen(ctx context.Context, t state.RecordType, id string) (bool, error)
	MarkOnce(ctx context.Context, t state.RecordType, id string, ttl time.Duration) (bool, error)
}

var _ findingMarks = (*state.Store)(nil)

type findingDedup struct {
	marks  findingMarks
	period time.Duration
}

// DedupFindings makes the service publish a finding only when it has not
// published the same one (rule, resource and severity) within period, which
// a job input "renotify_after" overrides. The mark is written after the
// finding is on the bus, so a failed publish is retried by the next run,
// never lost. It returns the service.
func (s *Service) DedupFindings(marks findingMarks, period time.Duration) *Service {
	if period <= 0 {
		period = DefaultRenotifyAfter
	}
	s.dedup = &findingDedup{marks: marks, period: period}
	return s
}

// FindingKey identifies a finding across runs: what a later run must find
// unchanged to stay quiet. Titles are left out as they carry counts ("42
// days old") that change every run.
func FindingKey(f Finding) string {
	return "sweep#" + alert.MakeID(f.Rule, firstNonEmpty(f.Resource.ARN, f.Resource.ID, f.Resource.Name()), f.Severity)
}

// periodFor is the re-notify period of a run.
func (d *findingDedup) periodFor(req *alert.JobRequest) (time.Duration, error) {
	if req == nil || req.Params[JobParamRenotifyAfter] == nil {
		return d.period, nil
	}
	s, ok := req.Params[JobParamRenotifyAfter].(string)
	p, err := time.ParseDuration(s)
	if !ok || err != nil || p <= 0 {
		return 0, fmt.Errorf("job input %s must be a positive Go duration such as \"12h\", got %v", JobParamRenotifyAfter, req.Params[JobParamRenotifyAfter])
	}
	return p, nil
}

func (d *findingDedup) seen(ctx context.Context, f Finding) (bool, error) {
	seen, err := d.marks.Seen(ctx, state.Dedup, FindingKey(f))
	if err != nil {
		return false, fmt.Errorf("was finding %s on %s reported: %w", f.Rule, f.Resource.Name(), err)
	}
	return seen, nil
}

func (d *findingDedup) mark(ctx context.Context, f Finding, period time.Duration) error {
	if _, err := d.marks.MarkOnce(ctx, state.Dedup, FindingKey(f), period); err != nil {
		return fmt.Errorf("mark finding %s on %s reported: %w", f.Rule, f.Resource.Name(), err)
	}
	return nil
}

// AuditKindFinding is state.AuditRecord.Kind of a finding the sweeper published.
const AuditKindFinding = "finding"

type auditWriter interface {
	PutAudit(ctx context.Context, r state.AuditRecord) error
}

var _ auditWriter = (*state.Store)(nil)

// AuditFindings makes the service keep an audit record of every finding it
// publishes, which the weekly digest counts. It returns the service.
func (s *Service) AuditFindings(w auditWriter) *Service {
	s.audit = w
	return s
}

func (s *Service) auditFinding(ctx context.Context, f Finding, at time.Time) error {
	fields := map[string]string{
		"rule": f.Rule, "severity": f.Severity, "title": f.Title, "account": f.Resource.Account,
		"resource": f.Resource.Name(), "resource_arn": f.Resource.ARN, "source": alert.SourceSweeper,
	}
	for k, v := range fields {
		if v == "" {
			delete(fields, k)
		}
	}
	id := FindingKey(f) + "#" + at.UTC().Format(time.RFC3339Nano)
	if err := s.audit.PutAudit(ctx, state.AuditRecord{Kind: AuditKindFinding, ID: id, Time: at, Fields: fields}); err != nil {
		return fmt.Errorf("audit finding %s on %s: %w", f.Rule, f.Resource.Name(), err)
	}
	return nil
}
