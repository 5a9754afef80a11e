package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// StatusSilenced is the delivery status of a message a silence or
// maintenance window held back.
const StatusSilenced = "silenced"

// auditKindNotification is the audit record kind of notification decisions.
const auditKindNotification = "notification"

// Silencer says whether an alert is silenced now, and by what.
// *silence.Silencer implements it.
type Silencer interface {
	Silenced(ctx context.Context, labels map[string]string) (silence.Match, bool, error)
}

var _ Silencer = (*silence.Silencer)(nil)

// Auditor keeps a record of a decision. *state.Store implements it.
type Auditor interface {
	PutAudit(ctx context.Context, r state.AuditRecord) error
}

var _ Auditor = (*state.Store)(nil)

// WithSilencer holds back alerts that sl says are silenced, firing and
// resolved alike: every would-be delivery is reported as silenced, and an
// audit record (kind "notification") is written through audit so the alert
// is kept, not lost. audit may be nil (no table: the log line is the record).
func WithSilencer(sl Silencer, audit Auditor) Option {
	return func(s *Service) {
		s.silencer = sl
		s.audit = audit
	}
}

// silenced asks the silencer about a. A silencer that could not read the
// table still answers from what it knows; the alert is sent unless that
// answer says otherwise, since a missed page costs more than a noisy one.
func (s *Service) silenced(ctx context.Context, a alert.Alert, log *slog.Logger) (silence.Match, bool) {
	if s.silencer == nil {
		return silence.Match{}, false
	}
	m, ok, err := s.silencer.Silenced(ctx, a.Labels)
	if err != nil {
		log.Warn("could not read the silences table; deciding from the maintenance windows and the silences read before", "err", err)
	}
	return m, ok
}

// deliverSilenced reports every delivery the routes would make as silenced
// (send_resolved suppression still reads as suppressed) and records the
// decision. The audit record failing is an error, so the invocation is
// retried rather than the alert vanishing without a trace.
func (s *Service) deliverSilenced(ctx context.Context, a alert.Alert, matches []route.Match, m silence.Match, log *slog.Logger) ([]outcome.Delivery, error) {
	reason := m.Reason()
	var (
		out       []outcome.Delivery
		receivers []string
		channels  []string
	)
	for _, rm := range matches {
		for _, ch := range s.receivers[rm.Receiver] {
			d := outcome.Delivery{AlertID: a.ID, Receiver: rm.Receiver, Channel: ch, Status: StatusSilenced, Error: reason}
			if a.State.Resolved() && !rm.SendResolved {
				d.Status, d.Error = "suppressed", "route "+rm.Path+" has send_resolved false"
			} else {
				receivers = appendNew(receivers, rm.Receiver)
				channels = appendNew(channels, ch)
			}
			out = append(out, d)
		}
	}
	log.Info("alert silenced; not sent", "silenced_by", m.By, "kind", m.Kind, "until", m.Until, "receivers", receivers, "channels", channels)
	if s.audit == nil {
		return out, nil
	}
	fields := map[string]string{
		"alert_id":     a.ID,
		"state":        string(a.State),
		"title":        a.Title,
		"severity":     a.Severity,
		"outcome":      StatusSilenced,
		"silence_kind": m.Kind,
		"silenced_by":  m.By,
		"reason":       reason,
		"receivers":    strings.Join(receivers, ","),
		"channels":     strings.Join(channels, ","),
		"account":      a.Labels[alert.LabelAccount],
		"region":       a.Labels[alert.LabelRegion],
	}
	if m.Comment != "" {
		fields["comment"] = m.Comment
	}
	if m.Author != "" {
		fields["author"] = m.Author
	}
	if !m.Until.IsZero() {
		fields["until"] = m.Until.UTC().Format(time.RFC3339)
	}
	rec := state.AuditRecord{Kind: auditKindNotification, ID: a.ID + "#" + string(a.State) + "#silenced", Fields: fields}
	if err := s.audit.PutAudit(ctx, rec); err != nil {
		log.Error("could not record the silenced alert", "err", err)
		return out, fmt.Errorf("record silenced alert %s: %w", a.ID, err)
	}
	noteAudited(ctx)
	return out, nil
}

func appendNew(xs []string, x string) []string {
	if slices.Contains(xs, x) {
		return xs
	}
	return append(xs, x)
}
