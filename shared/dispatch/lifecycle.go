package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// alertStore is the part of the state table that keeps alert state, storm
// groups and the audit trail. *state.Store implements it.
type alertStore interface {
	PutAlert(ctx context.Context, r state.AlertRecord) (state.AlertRecord, bool, error)
	GetAlert(ctx context.Context, id string) (state.AlertRecord, bool, error)
	ListFiring(ctx context.Context) ([]state.AlertRecord, error)
	MarkNotified(ctx context.Context, id string, at time.Time, receivers []string) error
	JoinGroup(ctx context.Context, spec state.GroupSpec, m state.GroupMember, now time.Time) (state.GroupJoin, error)
	GetGroup(ctx context.Context, key string) (state.GroupBatch, bool, error)
	ClaimGroup(ctx context.Context, b state.GroupBatch, now time.Time) (bool, error)
	PutAudit(ctx context.Context, r state.AuditRecord) error
}

var _ alertStore = (*state.Store)(nil)

// lifecycle is what the notifier remembers about alerts between
// invocations: their state (for inhibition and reminders) and storm groups.
type lifecycle struct {
	store   alertStore
	now     func() time.Time
	inhibit []inhibitRule
}

// WithAlertState keeps one state record per alert in st, which turns on
// inhibition (notifications.inhibit_rules), grouping (route group_by) and
// reminders. now is the clock (nil: time.Now). Without it the notifier sends
// every alert on its own, as the routing tree says.
func WithAlertState(st alertStore, now func() time.Time) Option {
	return func(s *Service) {
		s.life.store = st
		s.life.now = now
	}
}

func (s *Service) initLifecycle(cfg *config.Config) error {
	if s.life.now == nil {
		s.life.now = time.Now
	}
	rules, err := compileInhibitRules(cfg.Notifications.InhibitRules)
	if err != nil {
		return err
	}
	s.life.inhibit = rules
	if len(rules) > 0 && s.life.store == nil {
		s.logger.Warn("notifications.inhibit_rules need the state table; without it no alert is muted")
	}
	return nil
}

// firing reports whether an alert in state st is a problem that lasts:
// only ALARM. Findings and events are points in time (nothing resolves
// them but a remediation), so they neither inhibit nor get reminders.
func firing(st alert.State) bool { return st == alert.StateAlarm }

// record is the state record of a, with the shortest repeat_interval of the
// routes it matched.
func record(a alert.Alert, matches []route.Match) state.AlertRecord {
	var repeat time.Duration
	for _, m := range matches {
		if m.RepeatInterval > 0 && (repeat == 0 || m.RepeatInterval < repeat) {
			repeat = m.RepeatInterval
		}
	}
	return state.AlertRecord{
		ID: a.ID, State: string(a.State), PreviousState: string(a.PreviousState), Severity: a.Severity,
		Title: a.Title, Source: a.Source, Labels: a.Labels, Firing: firing(a.State),
		LastChange: a.Time, RepeatInterval: repeat,
	}
}

// process is the notifier's work on one alert: a group flush request sends
// the group; a reminder is dropped if its alert resolved meanwhile; any other
// alert's state is recorded first. Then a silenced alert is recorded as
// silenced and an inhibited one as muted; grouped routes collect the rest,
// and the other routes get it at once.
func (s *Service) process(ctx context.Context, a alert.Alert) (ds []outcome.Delivery, dup bool, skipped string, err error) {
	log := s.logger.With("alert", a.ID, "state", a.State, "key", a.Key)
	if a.IsGroupFlush() {
		return s.flushGroup(ctx, a.Group.Key, log)
	}
	if a.IsDigest() {
		return s.deliverDigest(ctx, a, log)
	}
	matches := s.router.Receivers(a.Labels)
	if len(matches) == 0 {
		log.Warn("no route matched; alert not delivered", "labels", a.Labels)
	}
	st := s.life.store
	var now time.Time
	if st != nil {
		now = s.life.now()
		if skipped, err := s.track(ctx, a, matches, now, log); err != nil || skipped != "" {
			return nil, false, skipped, err
		}
	}
	// A silenced alert is still tracked above (its state, its reminders),
	// only its messages are held back.
	if m, ok := s.silenced(ctx, a, log); ok {
		ds, err := s.deliverSilenced(ctx, a, matches, m, log)
		return ds, false, "", err
	}
	if st == nil {
		ds, dup, err := s.deliverTo(ctx, a, matches)
		return ds, dup, "", err
	}

	src, rule, muted, err := s.inhibitedBy(ctx, a)
	if err != nil {
		// Fail open: a message too many beats a muted outage.
		log.Warn("could not check inhibition; sending the alert", "err", err)
	} else if muted {
		ds, err := s.inhibited(ctx, a, matches, src, rule, log)
		return ds, false, "", err
	}

	var (
		out  []outcome.Delivery
		errs []error
	)
	direct := matches
	if a.Reminder == nil {
		direct = nil
		for _, m := range matches {
			if !m.Grouped() || !hasGroupLabels(a, m) || (a.State.Resolved() && !m.SendResolved) {
				direct = append(direct, m)
				continue
			}
			gds, lead, err := s.group(ctx, a, m, now, log)
			out = append(out, gds...)
			if err != nil {
				errs = append(errs, err)
			}
			if lead {
				direct = append(direct, m)
			}
		}
	}
	sent, dup, err := s.deliverTo(ctx, a, direct)
	out = append(out, sent...)
	if err != nil {
		errs = append(errs, err)
	}
	s.markNotified(ctx, a.ID, sent, now, log)
	return out, dup && len(out) == len(sent), "", errors.Join(errs...)
}

// track checks a reminder against the alert's record, or records the alert's
// new state. skipped says why a reminder is dropped.
func (s *Service) track(ctx context.Context, a alert.Alert, matches []route.Match, now time.Time, log *slog.Logger) (skipped string, err error) {
	st := s.life.store
	if a.Reminder != nil {
		rec, found, err := st.GetAlert(ctx, a.ID)
		if err != nil {
			return "", fmt.Errorf("reminder of alert %s: %w", a.ID, err)
		}
		if found && !rec.Firing {
			log.Info("reminder dropped: the alert resolved meanwhile", "now", rec.State, "changed", rec.LastChange)
			return fmt.Sprintf("reminder of alert %s dropped: it is %s since %s", a.ID, rec.State,
				rec.LastChange.UTC().Format(time.RFC3339)), nil
		}
		if found && !rec.FiringSince.Equal(a.Reminder.FiringSince) {
			log.Info("reminder dropped: it belongs to an earlier firing of the alert", "firing_since", rec.FiringSince)
			return fmt.Sprintf("reminder of alert %s dropped: it fires again since %s", a.ID,
				rec.FiringSince.UTC().Format(time.RFC3339)), nil
		}
		if !found {
			log.Warn("reminder of an alert the table has no record of; sending it as the event says")
		}
	} else {
		rec := record(a, matches)
		if rec.LastChange.IsZero() {
			rec.LastChange = now
		}
		if _, applied, err := st.PutAlert(ctx, rec); err != nil {
			return "", fmt.Errorf("record state of alert %s: %w", a.ID, err)
		} else if !applied {
			log.Warn("state change older than the recorded one: the record keeps the newer state")
		}
	}
	return "", nil
}

// deliver routes a and sends it to every channel of the matching receivers.
func (s *Service) deliver(ctx context.Context, a alert.Alert) ([]outcome.Delivery, bool, error) {
	matches := s.router.Receivers(a.Labels)
	if len(matches) == 0 {
		s.logger.Warn("no route matched; alert not delivered", "alert", a.ID, "labels", a.Labels)
	}
	return s.deliverTo(ctx, a, matches)
}

// markNotified records who got a message about alert id, which moves its
// next reminder. It is best effort: the message went out either way.
func (s *Service) markNotified(ctx context.Context, id string, ds []outcome.Delivery, now time.Time, log *slog.Logger) {
	var receivers []string
	for _, d := range ds {
		if (d.Status == "sent" || d.Status == "written") && !slices.Contains(receivers, d.Receiver) {
			receivers = append(receivers, d.Receiver)
		}
	}
	if len(receivers) == 0 {
		return
	}
	if err := s.life.store.MarkNotified(ctx, id, now, receivers); err != nil {
		log.Warn("could not record the notification; a reminder may come early", "err", err)
	}
}

// channelDeliveries lists a delivery with status and note for every channel
// of m's receiver: what the response says of an alert that was not sent.
func (s *Service) channelDeliveries(id string, m route.Match, status, note string) []outcome.Delivery {
	var out []outcome.Delivery
	for _, ch := range s.receivers[m.Receiver] {
		out = append(out, outcome.Delivery{AlertID: id, Receiver: m.Receiver, Channel: ch, Status: status, Error: note})
	}
	return out
}
