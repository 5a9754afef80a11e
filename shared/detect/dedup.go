package detect

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/bus"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// suppress reports whether a suppression covers rule's match on the
// record, counting and logging it when one does.
func (s *Service) suppress(ctx context.Context, inv *invocation, rule string, v *recordView) bool {
	idx, reason, ok := s.suppressor.Suppressed(rule, v.rec, v.labelSet)
	if !ok {
		return false
	}
	inv.suppressed[rule]++
	s.logger.DebugContext(ctx, "match suppressed", "rule", rule, "suppression", idx, "reason", reason,
		"event_id", v.rec.EventID, "event_name", v.rec.EventName, "principal", v.rec.UserIdentity.ARN)
	return true
}

// dedupSubject is what a finding is about for dedup: its first resource,
// or else who acted.
func dedupSubject(d alert.Detail, rec *cloudtrail.Record) string {
	if len(d.Resources) > 0 {
		if id := firstOf(d.Resources[0].ARN, d.Resources[0].ID); id != "" {
			return id
		}
	}
	if rec != nil {
		return firstOf(rec.UserIdentity.ARN, rec.Actor(), "-")
	}
	return "-"
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// addFinding queues a finding of m on rec. With dedup, a second finding of
// the same rule and subject in the invocation is folded into the first.
func (s *Service) addFinding(inv *invocation, m Match, rec *cloudtrail.Record, claim string, resp *outcome.Response) *pendingFinding {
	d := findingDetail(m, rec, inv.logGroup)
	return s.queue(inv, d, m.Rule+"#"+dedupSubject(d, rec), claim, resp)
}

// queue adds d to the invocation's findings under dedup id id.
func (s *Service) queue(inv *invocation, d alert.Detail, id, claim string, resp *outcome.Response) *pendingFinding {
	if p, dup := inv.byDedupID[id]; dup && s.dedup != nil {
		p.extra++
		return p
	}
	f := outcome.Finding{Rule: d.Rule, Severity: d.Severity, Title: d.Title}
	if len(d.Resources) > 0 {
		f.Resource = d.Resources[0].Name()
	}
	resp.Findings = append(resp.Findings, f)
	p := &pendingFinding{d: d, dedupID: id, claimID: claim, finding: len(resp.Findings) - 1}
	inv.byDedupID[id] = p
	inv.pending = append(inv.pending, p)
	return p
}

// finish ends an invocation: threshold counts go to the table, findings
// through dedup and onto the bus in batches, per-rule counts to metrics.
// Errors that must retry the invocation (counters, publishing) are
// returned; a failing dedup only logs, and the finding is published.
func (s *Service) finish(ctx context.Context, inv *invocation, resp *outcome.Response) []error {
	now := s.now()
	fired, errs := s.thresholds.flush(ctx, inv, s.counter)
	for _, f := range fired {
		m := f.match()
		d := findingDetail(m, f.g.rec, inv.logGroup)
		d.Count, d.Window = f.count, f.t.window.String()
		inv.matches[m.Rule]++
		// One finding per threshold and key: the key is the subject.
		s.queue(inv, d, m.Rule+"#key#"+f.g.key, claimID(f.g.rec.EventID, []byte(f.g.key+f.g.at.String())), resp)
	}
	var publish []*pendingFinding
	for _, p := range inv.pending {
		if s.dedup == nil {
			publish = append(publish, p)
			continue
		}
		window := s.dedupWindow
		if p.d.Window != "" {
			if w, err := time.ParseDuration(p.d.Window); err == nil && w > window {
				window = w
			}
		}
		c, err := s.dedup.Claim(ctx, p.dedupID, p.claimID, now, window)
		if err != nil {
			s.logger.WarnContext(ctx, "finding dedup failed; publishing anyway", "rule", p.d.Rule, "err", err)
			publish = append(publish, p)
			continue
		}
		if !c.Publish {
			resp.Findings[p.finding].Deduplicated = true
		} else {
			if c.More > 0 {
				p.d.More, p.d.MoreSince = c.More, c.Since.UTC()
				p.d.Description += fmt.Sprintf("\n\n%d more since %s.", c.More, c.Since.UTC().Format(time.RFC3339))
			}
			publish = append(publish, p)
		}
		if err := s.dedup.HoldBack(ctx, p.dedupID, p.extra); err != nil {
			s.logger.WarnContext(ctx, "counting held-back findings failed", "rule", p.d.Rule, "err", err)
		}
	}
	errs = append(errs, s.publish(ctx, publish, resp)...)
	s.emitRuleCounts(ctx, now, inv)
	return errs
}

// publish puts the findings on the bus, in batches when the publisher
// can, and records which were published.
func (s *Service) publish(ctx context.Context, ps []*pendingFinding, resp *outcome.Response) []error {
	if s.pub == nil || len(ps) == 0 {
		return nil
	}
	failed := make([]bool, len(ps))
	var errs []error
	if bp, ok := s.pub.(BatchPublisher); ok {
		ds := make([]alert.Detail, len(ps))
		for i, p := range ps {
			ds[i] = p.d
		}
		if err := bp.PublishBatch(ctx, alert.SourceDetector, alert.DetailTypeFinding, ds); err != nil {
			var be *bus.BatchError
			if errors.As(err, &be) && len(be.Failed) == len(ps) {
				copy(failed, be.Failed)
			} else {
				for i := range failed {
					failed[i] = true
				}
			}
			errs = append(errs, fmt.Errorf("publish %d findings: %w", len(ps), err))
		}
	} else {
		for i, p := range ps {
			if err := s.pub.Publish(ctx, alert.SourceDetector, alert.DetailTypeFinding, p.d); err != nil {
				failed[i] = true
				errs = append(errs, fmt.Errorf("publish finding %s: %w", p.d.Rule, err))
			}
		}
	}
	for i, p := range ps {
		if failed[i] {
			continue
		}
		resp.Findings[p.finding].Published = true
		if s.dedup != nil {
			if err := s.dedup.Published(ctx, p.dedupID, p.claimID); err != nil {
				s.logger.WarnContext(ctx, "recording a published finding failed", "rule", p.d.Rule, "err", err)
			}
		}
	}
	s.auditPublished(ctx, ps, failed)
	return errs
}

// emitRuleCounts writes the Matches and SuppressedMatches metrics, one
// record per rule that had any: rules without matches emit nothing, which
// bounds the metrics to the rules that fire.
func (s *Service) emitRuleCounts(ctx context.Context, now time.Time, inv *invocation) {
	for _, c := range []struct {
		name   string
		counts map[string]int
	}{{"Matches", inv.matches}, {"SuppressedMatches", inv.suppressed}} {
		rules := make([]string, 0, len(c.counts))
		for r, n := range c.counts {
			if n > 0 {
				rules = append(rules, r)
			}
		}
		slices.Sort(rules)
		for _, r := range rules {
			metrics.Emit(ctx, s.logger, now, map[string]string{"Rule": r},
				metrics.Metric{Name: c.name, Value: float64(c.counts[r])})
		}
	}
}
