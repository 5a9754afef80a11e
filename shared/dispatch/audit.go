package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// NotificationAuditor keeps the notifier's per-alert audit records.
// *state.Store implements it.
type NotificationAuditor interface {
	FindAudit(ctx context.Context, kind, id string) (state.AuditRecord, bool, error)
	PutAuditAt(ctx context.Context, r state.AuditRecord) error
}

var _ NotificationAuditor = (*state.Store)(nil)

// Outcomes of a notification audit record: what became of the alert over
// all its channels. Delivery statuses say it per channel.
const (
	// OutcomeSent: at least one channel got the message and none failed.
	OutcomeSent = "sent"
	// OutcomeFailed: a channel failed (the invocation is retried) or the
	// alert could not be handled.
	OutcomeFailed = "failed"
	// OutcomeDuplicate: every channel already had this alert in this state
	// (the same alarm change through SNS and the direct alarm action).
	OutcomeDuplicate = "duplicate"
	// OutcomeSkipped: nothing to deliver (a reminder of a resolved alert,
	// a group with nothing due).
	OutcomeSkipped = "skipped"
	// OutcomeUnrouted: no route matched.
	OutcomeUnrouted = "unrouted"
)

// maxAuditError bounds the error text an audit record keeps.
const maxAuditError = 512

// AuditMetric is the EMF metric counting audit records the notifier could
// not write.
const AuditMetric = "AuditWriteErrors"

// WithNotificationAudit writes one audit record (kind "notification") per
// alert each invocation handles: who it went to and what became of it on
// every channel. The record is keyed by the trigger's idempotency key and
// the alert id, so a redelivered trigger rewrites it (keeping the first
// attempt's time, and "sent" over a retry's "duplicate") instead of
// adding another. now is the clock (nil: time.Now).
//
// A record that cannot be written is logged and counted (AuditWriteErrors)
// but never fails the invocation: the message went out or will be retried
// on its own, and failing would resend it. Silenced and inhibited alerts
// differ: their audit record is the only trace of them, so there a failed
// write retries the invocation, and they get no second record here.
func WithNotificationAudit(a NotificationAuditor, now func() time.Time) Option {
	return func(s *Service) {
		if now == nil {
			now = time.Now
		}
		s.alertAudit = &notificationAudit{store: a, now: now}
	}
}

// notificationAudit is the per-alert audit trail of the notifier.
type notificationAudit struct {
	store NotificationAuditor
	now   func() time.Time
}

// auditNote is set in the context of one alert's handling when another
// path (silence, inhibition) already wrote its audit record.
type auditNote struct{ written bool }

type auditNoteKey struct{}

func withAuditNote(ctx context.Context) (context.Context, *auditNote) {
	n := &auditNote{}
	return context.WithValue(ctx, auditNoteKey{}, n), n
}

// noteAudited tells the per-alert audit that the alert's decision is
// already on record.
func noteAudited(ctx context.Context) {
	if n, ok := ctx.Value(auditNoteKey{}).(*auditNote); ok {
		n.written = true
	}
}

// handled is what the notifier did with one alert.
type handled struct {
	alert      alert.Alert
	deliveries []outcome.Delivery
	skipped    string
	err        error
}

// NotificationAuditID is the id of the audit record of alert alertID
// handled for the trigger with idempotency key key.
func NotificationAuditID(key, alertID string) string {
	return cmp.Or(key, "-") + "#" + alertID
}

// record writes the audit record of h. It returns nothing: failures are
// logged and counted, never passed on (see WithNotificationAudit).
func (na *notificationAudit) record(ctx context.Context, h handled, log *slog.Logger) {
	if na == nil {
		return
	}
	now := na.now()
	id := NotificationAuditID(h.alert.Key, h.alert.ID)
	rec := state.AuditRecord{Kind: AuditKindNotification, ID: id, Time: now.UTC(), Fields: notificationFields(h)}
	attempts := 1
	prev, found, err := na.store.FindAudit(ctx, AuditKindNotification, id)
	if err != nil {
		log.Warn("could not read an earlier audit record of the alert; writing a new one", "err", err)
	} else if found {
		rec.Time = prev.Time
		mergeChannelStatus(rec.Fields, prev.Fields)
		if n, err := strconv.Atoi(prev.Fields["attempts"]); err == nil {
			attempts = n + 1
		}
	}
	rec.Fields["attempts"] = strconv.Itoa(attempts)
	if err := na.store.PutAuditAt(ctx, rec); err != nil {
		log.Error("could not write the alert's audit record; delivery is unaffected", "audit_id", id, "err", err)
		metrics.Emit(ctx, log, now, map[string]string{"Function": "notifier"}, metrics.Metric{Name: AuditMetric, Value: 1})
	}
}

// notificationFields are the audit fields of one handled alert. Values
// are data from the account: readers (the digest, wk audit) escape them.
func notificationFields(h handled) map[string]string {
	a := h.alert
	f := map[string]string{
		"alert_id":    a.ID,
		"trigger_key": a.Key,
		"state":       string(a.State),
		"severity":    a.Severity,
		"source":      a.Source,
		"title":       a.Title,
		"account":     a.Labels[alert.LabelAccount],
		"region":      a.Labels[alert.LabelRegion],
		"rule":        cmp.Or(a.Labels[alert.LabelAlarm], a.Labels[alert.LabelRule]),
	}
	if a.Reminder != nil {
		f["reminder"] = strconv.Itoa(a.Reminder.Number)
	}
	if a.Group != nil {
		f["group"] = a.Group.Key
	}
	var receivers, channels []string
	for _, d := range h.deliveries {
		if !slices.Contains(receivers, d.Receiver) {
			receivers = append(receivers, d.Receiver)
		}
		if !slices.Contains(channels, d.Channel) {
			channels = append(channels, d.Channel)
		}
	}
	f["receivers"] = strings.Join(receivers, ",")
	f["channels"] = strings.Join(channels, ",")
	f["channel_status"] = formatChannelStatus(h.deliveries)
	f["outcome"] = notificationOutcome(statusesOf(f["channel_status"]), h.skipped, h.err)
	if h.err != nil {
		f["error"] = clipError(h.err.Error())
	} else if h.skipped != "" {
		f["error"] = clipError(h.skipped)
	}
	for k, v := range f {
		if v == "" {
			delete(f, k)
		}
	}
	return f
}

// formatChannelStatus writes "receiver/channel=status" per delivery,
// comma-separated, in delivery order. Receiver and channel names are
// config identifiers, which hold neither '/', '=' nor ','.
func formatChannelStatus(ds []outcome.Delivery) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.Receiver+"/"+d.Channel+"="+d.Status)
	}
	return strings.Join(parts, ",")
}

// ChannelStatus is one entry of an audit record's channel_status field.
type ChannelStatus struct {
	Receiver, Channel, Status string
}

// ParseChannelStatus reads an audit record's channel_status field;
// malformed entries are skipped.
func ParseChannelStatus(s string) []ChannelStatus {
	var out []ChannelStatus
	for part := range strings.SplitSeq(s, ",") {
		target, status, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		recv, ch, ok := strings.Cut(target, "/")
		if !ok || recv == "" || ch == "" || status == "" {
			continue
		}
		out = append(out, ChannelStatus{Receiver: recv, Channel: ch, Status: status})
	}
	return out
}

func statusesOf(channelStatus string) []string {
	var out []string
	for _, cs := range ParseChannelStatus(channelStatus) {
		out = append(out, cs.Status)
	}
	return out
}

// mergeChannelStatus keeps what an earlier attempt delivered: a channel
// the retry reports as duplicate because that attempt sent it stays sent.
func mergeChannelStatus(f, prev map[string]string) {
	before := map[string]string{}
	for _, cs := range ParseChannelStatus(prev["channel_status"]) {
		before[cs.Receiver+"/"+cs.Channel] = cs.Status
	}
	cur := ParseChannelStatus(f["channel_status"])
	changed := false
	for i, cs := range cur {
		old := before[cs.Receiver+"/"+cs.Channel]
		if cs.Status == "duplicate" && (old == "sent" || old == "written") {
			cur[i].Status = old
			changed = true
		}
	}
	if !changed {
		return
	}
	ds := make([]outcome.Delivery, len(cur))
	for i, cs := range cur {
		ds[i] = outcome.Delivery{Receiver: cs.Receiver, Channel: cs.Channel, Status: cs.Status}
	}
	f["channel_status"] = formatChannelStatus(ds)
	var err error
	if f["outcome"] == OutcomeFailed && f["error"] != "" {
		err = fmt.Errorf("%s", f["error"])
	}
	f["outcome"] = notificationOutcome(statusesOf(f["channel_status"]), "", err)
}

// notificationOutcome sums up the channel statuses of one alert.
func notificationOutcome(statuses []string, skipped string, err error) string {
	has := func(want ...string) bool {
		return slices.ContainsFunc(statuses, func(s string) bool { return slices.Contains(want, s) })
	}
	all := func(want string) bool {
		return len(statuses) > 0 && !slices.ContainsFunc(statuses, func(s string) bool { return s != want })
	}
	switch {
	case err != nil || has("failed"):
		return OutcomeFailed
	case has("sent", "written"):
		return OutcomeSent
	case has(StatusGrouped):
		return StatusGrouped
	case all("duplicate"):
		return OutcomeDuplicate
	case has(StatusSilenced):
		return StatusSilenced
	case has(StatusInhibited):
		return StatusInhibited
	case has("suppressed"):
		return "suppressed"
	case has("duplicate"):
		return OutcomeDuplicate
	case skipped != "":
		return OutcomeSkipped
	default:
		return OutcomeUnrouted
	}
}

func clipError(s string) string {
	if len(s) <= maxAuditError {
		return s
	}
	return s[:maxAuditError] + "…"
}
