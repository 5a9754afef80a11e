package dispatch

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// StatusInhibited is the delivery status of an alert muted by an inhibit rule.
const StatusInhibited = "inhibited"

// AuditKindNotification is the audit kind of notification decisions.
const AuditKindNotification = "notification"

// inhibitRule is a compiled notifications.inhibit_rules entry.
type inhibitRule struct {
	index          int
	source, target []config.Matcher
	equal          []string
}

func compileInhibitRules(rules []config.InhibitRule) ([]inhibitRule, error) {
	out := make([]inhibitRule, 0, len(rules))
	for i, r := range rules {
		ir := inhibitRule{index: i, equal: r.Equal}
		for _, side := range []struct {
			name string
			in   []string
			out  *[]config.Matcher
		}{{"source_matchers", r.SourceMatchers, &ir.source}, {"target_matchers", r.TargetMatchers, &ir.target}} {
			for j, s := range side.in {
				m, err := config.ParseMatcher(s)
				if err != nil {
					return nil, fmt.Errorf("notifications.inhibit_rules[%d].%s[%d]: %w", i, side.name, j, err)
				}
				*side.out = append(*side.out, m)
			}
		}
		out = append(out, ir)
	}
	return out, nil
}

func matchesAll(ms []config.Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

// equalLabels reports whether a and b agree on every label in names; a label
// absent from both agrees (Alertmanager's semantics).
func equalLabels(names []string, a, b map[string]string) bool {
	for _, n := range names {
		if a[n] != b[n] {
			return false
		}
	}
	return true
}

// inhibitedBy finds a firing alert that mutes a under some rule: it matches
// the rule's source, a matches its target, and they agree on the equal
// labels. An alert never mutes itself, and an alert matching both sides of a
// rule is not muted by another that matches both (Alertmanager's rule, so a
// set of alike alerts cannot all mute each other). The firing alerts are
// read only when a matches some rule's target.
func (s *Service) inhibitedBy(ctx context.Context, a alert.Alert) (state.AlertRecord, int, bool, error) {
	var rules []inhibitRule
	for _, r := range s.life.inhibit {
		if matchesAll(r.target, a.Labels) {
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 || s.life.store == nil {
		return state.AlertRecord{}, 0, false, nil
	}
	fs, err := s.life.store.ListFiring(ctx)
	if err != nil {
		return state.AlertRecord{}, 0, false, err
	}
	for _, r := range rules {
		bothSides := matchesAll(r.source, a.Labels)
		for _, f := range fs {
			if f.ID == a.ID || !matchesAll(r.source, f.Labels) {
				continue
			}
			if bothSides && matchesAll(r.target, f.Labels) {
				continue
			}
			if equalLabels(r.equal, a.Labels, f.Labels) {
				return f, r.index, true, nil
			}
		}
	}
	return state.AlertRecord{}, 0, false, nil
}

// inhibited records a muted alert: a delivery per channel saying which
// alert muted it, and an audit record. A failed audit write is an error (the
// invocation is retried) so the decision is never lost.
func (s *Service) inhibited(ctx context.Context, a alert.Alert, matches []route.Match, src state.AlertRecord, rule int, log *slog.Logger) ([]outcome.Delivery, error) {
	note := fmt.Sprintf("inhibited by alert %s (%s) firing since %s, inhibit_rules[%d]",
		src.ID, src.Title, src.FiringSince.UTC().Format("2006-01-02 15:04:05 MST"), rule)
	var out []outcome.Delivery
	for _, m := range matches {
		out = append(out, s.channelDeliveries(a.ID, m, StatusInhibited, note)...)
	}
	log.Info("alert inhibited", "by", src.ID, "rule", rule)
	err := s.life.store.PutAudit(ctx, state.AuditRecord{
		Kind: AuditKindNotification,
		ID:   "inhibited#" + a.ID + "#" + string(a.State) + "#" + a.Key,
		Time: s.life.now(),
		Fields: map[string]string{
			"alert": a.ID, "state": string(a.State), "title": a.Title, "status": StatusInhibited,
			"inhibited_by": src.ID, "inhibited_by_title": src.Title, "inhibit_rule": fmt.Sprint(rule),
			// What the weekly digest counts by.
			"severity": a.Severity, "outcome": StatusInhibited, "account": a.Labels[alert.LabelAccount], "region": a.Labels[alert.LabelRegion],
		},
	})
	if err != nil {
		return out, fmt.Errorf("audit inhibited alert %s: %w", a.ID, err)
	}
	noteAudited(ctx)
	return out, nil
}
