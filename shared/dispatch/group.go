package dispatch

// Grouping for storms, serverless.
//
// Alertmanager keeps groups in memory and flushes them on timers; a Lambda
// function has neither, so a group lives in the state table (a GROUP item,
// see package state) and is flushed by whoever comes next:
//
//   - An alert on a route with group_by (not empty, not "...") joins its group:
//     the route path, its receiver and the alert's values of the group_by
//     labels. The group's first alert with no message in the last
//     group_interval is sent at once, on its own (nobody waits for a storm
//     that may not come).
//   - Later alerts of the group within group_interval are collected in the
//     GROUP item by atomic updates (a count and a list of the first
//     state.MaxGroupMembers) and get the delivery status "grouped".
//   - When group_interval has passed since the group's last message and the
//     oldest collected alert is at least group_wait old, the group is due: the
//     next alert of the group, or the sweeper's `reminders` job (which
//     publishes a Watchkeeper Group event for every due group), sends ONE
//     message: an alert.Alert with Group set, titled "12 alerts firing:
//     <group labels>", rendered by every channel with the member list.
//   - The group is claimed (emptied) only after its message went out, on the
//     condition that nothing joined meanwhile: a failed channel is retried with
//     the same message id (so channels that succeeded are not sent again), and
//     a race costs a repeated listing, never a lost alert.
//
// Reminders, alerts that lack one of the group_by labels (an absent label
// does not make a storm: a finding without an "alarm" label is not grouped
// with every other such finding, unlike in Alertmanager) and resolved alerts
// on a route that does not send them are never grouped; without the state
// table nothing is.

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// StatusGrouped is the delivery status of an alert collected for its group's next message.
const StatusGrouped = "grouped"

// SourceGroup is the Source of a group message.
const SourceGroup = "watchkeeper.group"

// groupSpec is the group a (routed by m) belongs to.
func groupSpec(a alert.Alert, m route.Match) state.GroupSpec {
	labels := make(map[string]string, len(m.GroupBy))
	parts := []string{m.Receiver}
	for _, l := range slices.Sorted(slices.Values(m.GroupBy)) {
		if v, ok := a.Labels[l]; ok {
			labels[l] = v
			parts = append(parts, l, v)
		}
	}
	// Label values come from outside: hash them (length-prefixed, so no two
	// label sets collide by their spelling) into the key, keep them readable in Labels.
	key := m.Path + ":" + alert.MakeID(parts...)[:16]
	return state.GroupSpec{Key: key, Route: m.Path, Receiver: m.Receiver, Labels: labels,
		Wait: m.GroupWait, Interval: m.GroupInterval}
}

// hasGroupLabels reports whether a carries every group_by label of m.
func hasGroupLabels(a alert.Alert, m route.Match) bool {
	for _, l := range m.GroupBy {
		if _, ok := a.Labels[l]; !ok {
			return false
		}
	}
	return true
}

// group puts a in its group for route m. lead means: send it now, on its own.
func (s *Service) group(ctx context.Context, a alert.Alert, m route.Match, now time.Time, log *slog.Logger) ([]outcome.Delivery, bool, error) {
	spec := groupSpec(a, m)
	log = log.With("group", spec.Key)
	mark := "grouped#" + spec.Key + "#" + a.ID + "#" + string(a.State)
	if o := a.Labels[alert.LabelOutcome]; o != "" {
		mark += "#" + o
	}
	if s.marks != nil {
		seen, err := s.marks.Seen(ctx, state.Dedup, mark)
		if err != nil {
			return s.channelDeliveries(a.ID, m, "failed", err.Error()), false, err
		}
		if seen {
			return s.channelDeliveries(a.ID, m, "duplicate", "already collected in group "+spec.Key), false, nil
		}
	}
	j, err := s.life.store.JoinGroup(ctx, spec, state.GroupMember{
		ID: a.ID, Title: a.Title, Severity: a.Severity, State: string(a.State), Time: a.Time,
	}, now)
	if err != nil {
		log.Warn("could not group the alert; sending it on its own", "err", err)
		return nil, true, nil
	}
	if j == state.GroupLead {
		log.Info("first alert of its group: sent at once")
		return nil, true, nil
	}
	if s.marks != nil {
		if _, err := s.marks.MarkOnce(ctx, state.Dedup, mark, s.window); err != nil {
			log.Warn("could not record the grouping; a redelivery may list the alert twice", "err", err)
		}
	}
	out := s.channelDeliveries(a.ID, m, StatusGrouped, "collected for the next message of group "+spec.Key)
	if j != state.GroupDue {
		log.Info("alert collected for its group's next message")
		return out, false, nil
	}
	gds, _, err := s.sendGroup(ctx, spec.Key, log)
	return append(out, gds...), false, err
}

// flushGroup answers a Watchkeeper Group event.
func (s *Service) flushGroup(ctx context.Context, key string, log *slog.Logger) ([]outcome.Delivery, bool, string, error) {
	log = log.With("group", key)
	if s.life.store == nil {
		return nil, false, "no state table: there is no group to flush", nil
	}
	ds, sent, err := s.sendGroup(ctx, key, log)
	if err != nil || sent {
		return ds, false, "", err
	}
	log.Info("group flush: nothing due")
	return nil, false, fmt.Sprintf("group %s has no alerts due", key), nil
}

// sendGroup sends a due group's message and then claims the group. sent is
// false when the group holds nothing due.
func (s *Service) sendGroup(ctx context.Context, key string, log *slog.Logger) ([]outcome.Delivery, bool, error) {
	st := s.life.store
	now := s.life.now()
	b, found, err := st.GetGroup(ctx, key)
	if err != nil {
		return nil, false, err
	}
	if !found || !b.Due(now) {
		return nil, false, nil
	}
	if _, ok := s.receivers[b.Spec.Receiver]; !ok {
		return nil, false, fmt.Errorf("group %s: receiver %q is not in the config any more", key, b.Spec.Receiver)
	}
	ga := groupAlert(b, now)
	m := route.Match{Receiver: b.Spec.Receiver, SendResolved: true, Path: b.Spec.Route}
	ds, _, err := s.deliverTo(ctx, ga, []route.Match{m})
	if err != nil {
		// Not claimed: the retry sends the same message to the failed channels.
		return ds, true, err
	}
	claimed, err := st.ClaimGroup(ctx, b, now)
	switch {
	case err != nil:
		log.Warn("group message sent but the group could not be emptied; its alerts may be listed again", "err", err)
	case !claimed:
		log.Info("the group changed while its message went out; the next message lists these alerts again")
	default:
		log.Info("group message sent", "count", b.Count, "listed", len(b.Members))
	}
	for _, mem := range b.Members {
		if firing(alert.State(mem.State)) {
			s.markNotified(ctx, mem.ID, ds, now, log)
		}
	}
	return ds, true, nil
}

// groupAlert is the one message for batch b: its members most recent
// first, the most severe member's severity, ALARM while any member fires.
func groupAlert(b state.GroupBatch, now time.Time) alert.Alert {
	members := make([]alert.GroupMember, len(b.Members))
	sev := ""
	firingCount := 0
	for i, m := range b.Members {
		members[i] = alert.GroupMember{ID: m.ID, Title: m.Title, Severity: m.Severity, State: alert.State(m.State), Time: m.Time}
		if !alert.State(m.State).Resolved() {
			firingCount++
		}
		if sev == "" || alert.SeverityRank(m.Severity) < alert.SeverityRank(sev) {
			sev = m.Severity
		}
	}
	slices.SortStableFunc(members, func(x, y alert.GroupMember) int { return y.Time.Compare(x.Time) })
	if alert.NormalizeSeverity(sev) == "" {
		sev = alert.SeverityInfo
	}
	st := alert.StateAlarm
	if len(members) > 0 && firingCount == 0 {
		st = alert.StateOK
	}
	labels := maps.Clone(b.Spec.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[alert.LabelSeverity] = sev
	labels[alert.LabelSource] = SourceGroup
	labels[alert.LabelGroupKey] = b.Spec.Key
	version := strconv.FormatInt(b.Version, 10)
	reason := fmt.Sprintf("%d alerts of route %s since %s", b.Count, b.Spec.Route, b.Since.UTC().Format("2006-01-02 15:04:05 MST"))
	if len(members) < b.Count {
		reason += fmt.Sprintf("; the first %d are listed", len(members))
	}
	return alert.Alert{
		ID:       alert.MakeID("group", b.Spec.Key, version),
		Key:      "group#" + b.Spec.Key + "#" + version,
		Source:   SourceGroup,
		State:    st,
		Severity: sev,
		Title:    alert.GroupTitle(b.Count, st, b.Spec.Labels),
		Reason:   reason,
		Labels:   labels,
		Time:     now.UTC(),
		Group: &alert.Group{
			Key: b.Spec.Key, Labels: b.Spec.Labels, Count: b.Count, Members: members, Since: b.Since.UTC(),
		},
	}
}
