package sweep

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// JobReminders sends repeat reminders of firing alerts and flushes due storm
// groups.
const JobReminders = "reminders"

// reminderStore is the part of the state table the reminders job uses.
// *state.Store implements it.
type reminderStore interface {
	DueReminders(ctx context.Context, now time.Time) ([]state.AlertRecord, error)
	ClaimReminder(ctx context.Context, id string, now time.Time) (state.AlertRecord, bool, error)
	UnclaimReminder(ctx context.Context, id string, claimedAt time.Time) error
	DueGroups(ctx context.Context, now time.Time) ([]state.GroupBatch, error)
}

var _ reminderStore = (*state.Store)(nil)

// Reminders returns the reminders job. For every firing alert whose last
// message (or reminder) is older than its repeat_interval it claims the next
// reminder in the table (once, however many sweeps run) and publishes a
// Watchkeeper Reminder event, which the notifier renders and sends; a failed
// publish gives the claim back so the next run tries again. For every storm
// group that is due it publishes a Watchkeeper Group event: the notifier
// sends the group's message and empties the group (see package dispatch).
// The job reports no findings; its log line counts what it published.
func Reminders(st reminderStore, pub Publisher, logger *slog.Logger, now func() time.Time) Job {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return func(ctx context.Context, _ *alert.JobRequest) ([]Finding, error) {
		if st == nil || pub == nil {
			return nil, errors.New("the reminders job needs the state table and the event bus (WATCHKEEPER_TABLE, WATCHKEEPER_BUS)")
		}
		at := now().UTC()
		var errs []error
		reminded, groups := 0, 0
		due, err := st.DueReminders(ctx, at)
		if err != nil {
			errs = append(errs, err)
		}
		for _, r := range due {
			rec, ok, err := st.ClaimReminder(ctx, r.ID, at)
			if err != nil {
				errs = append(errs, fmt.Errorf("claim reminder of alert %s: %w", r.ID, err))
				continue
			}
			if !ok {
				continue // another sweep took it, or a message went out since
			}
			d := alert.ReminderDetail(rec.ID, rec.Severity, rec.Title, alert.State(rec.State), rec.Labels, rec.Reminders, rec.FiringSince)
			if err := pub.Publish(ctx, alert.SourceSweeper, alert.DetailTypeReminder, d); err != nil {
				errs = append(errs, fmt.Errorf("publish reminder of alert %s: %w", rec.ID, err))
				if uerr := st.UnclaimReminder(ctx, rec.ID, at); uerr != nil {
					errs = append(errs, fmt.Errorf("give back reminder of alert %s: %w", rec.ID, uerr))
				}
				continue
			}
			reminded++
			logger.Info("reminder published", "alert", rec.ID, "number", rec.Reminders, "firing_since", rec.FiringSince)
		}
		batches, err := st.DueGroups(ctx, at)
		if err != nil {
			errs = append(errs, err)
		}
		for _, b := range batches {
			g := alert.Group{Key: b.Spec.Key, Labels: b.Spec.Labels, Count: b.Count, Since: b.Since}
			if err := pub.Publish(ctx, alert.SourceSweeper, alert.DetailTypeGroup, alert.GroupDetail(g, groupSeverity(b))); err != nil {
				errs = append(errs, fmt.Errorf("publish flush of group %s: %w", b.Spec.Key, err))
				continue
			}
			groups++
			logger.Info("group flush published", "group", b.Spec.Key, "count", b.Count)
		}
		logger.Info("reminders job", "due", len(due), "reminders", reminded, "groups", groups)
		return nil, errors.Join(errs...)
	}
}

// groupSeverity is the most severe listed member's severity (info when none is).
func groupSeverity(b state.GroupBatch) string {
	sev := alert.SeverityInfo
	for _, m := range b.Members {
		if s := alert.NormalizeSeverity(m.Severity); s != "" && alert.SeverityRank(s) < alert.SeverityRank(sev) {
			sev = s
		}
	}
	return sev
}
