package detect

import (
	"context"
	"strconv"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// AuditKindFinding is the audit record kind of a published finding, the
// sweeper's kind too; the source field tells them apart.
const AuditKindFinding = "finding"

// AuditMetric is the EMF metric counting audit records the detector could
// not write.
const AuditMetric = "AuditWriteErrors"

// FindingAuditor writes audit records in batches. *state.Store implements it.
type FindingAuditor interface {
	PutAudits(ctx context.Context, records []state.AuditRecord) error
}

var _ FindingAuditor = (*state.Store)(nil)

// WithAudit keeps an audit record (kind "finding") of every finding the
// detector publishes, written in BatchWriteItem calls after the
// invocation's PutEvents. Findings that dedup held back are not recorded
// again. A record is keyed by rule and triggering record and timed at the
// CloudTrail event, so a redelivered batch rewrites rather than adds.
//
// A write that fails is logged and counted (AuditWriteErrors) and does not
// fail the invocation: the findings are out, and a retry would not
// publish (so not audit) them again once dedup marked them.
func WithAudit(a FindingAuditor) Option {
	return func(s *Service) { s.audit = a }
}

// auditPublished records the findings of ps that were published.
func (s *Service) auditPublished(ctx context.Context, ps []*pendingFinding, failed []bool) {
	if s.audit == nil {
		return
	}
	now := s.now()
	records := make([]state.AuditRecord, 0, len(ps))
	for i, p := range ps {
		if failed[i] {
			continue
		}
		records = append(records, findingAudit(p, now))
	}
	if len(records) == 0 {
		return
	}
	if err := s.audit.PutAudits(ctx, records); err != nil {
		s.logger.ErrorContext(ctx, "could not write the audit records of published findings", "findings", len(records), "err", err)
		metrics.Emit(ctx, s.logger, now, map[string]string{"Function": "detector"}, metrics.Metric{Name: AuditMetric, Value: 1})
	}
}

// findingAudit is the audit record of one published finding. Values are
// data from CloudTrail: readers (the digest, wk audit) escape them.
func findingAudit(p *pendingFinding, now time.Time) state.AuditRecord {
	d := p.d
	f := map[string]string{
		"source":    alert.SourceDetector,
		"rule":      d.Rule,
		"severity":  d.Severity,
		"title":     d.Title,
		"technique": d.Technique,
		"alert_id":  d.AlertID,
		"record_id": p.claimID,
	}
	if r := d.Record; r != nil {
		f["account"] = r.Account
		f["region"] = r.Region
		f["actor"] = firstOf(r.Actor.ARN, r.Actor.Name)
		f["event_name"] = r.EventName
		f["event_source"] = r.EventSource
		f["event_id"] = r.EventID
		f["source_ip"] = r.SourceIP
	}
	if len(d.Resources) > 0 {
		f["resource"] = d.Resources[0].Name()
		f["resource_arn"] = d.Resources[0].ARN
	}
	if d.Count > 0 {
		f["count"] = strconv.Itoa(d.Count)
	}
	if d.More > 0 {
		f["held_back"] = strconv.FormatInt(d.More, 10)
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	at := d.Time
	if at.IsZero() {
		at = now
	}
	return state.AuditRecord{Kind: AuditKindFinding, ID: d.Rule + "#" + p.claimID, Time: at.UTC(), Fields: f}
}
