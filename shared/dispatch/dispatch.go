// Package dispatch is the notifier's job: turn a trigger into alerts, route
// each alert to its receivers, deliver it to their channels once, and say what
// happened.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// marker remembers what was sent. *state.Store implements it.
type marker interface {
	Seen(ctx context.Context, t state.RecordType, id string) (bool, error)
	MarkOnce(ctx context.Context, t state.RecordType, id string, ttl time.Duration) (bool, error)
}

var _ marker = (*state.Store)(nil)

// Enricher adds context to an alert before it is rendered (the log lines of
// a log alarm, …). *evidence.LogLines implements it.
type Enricher interface {
	Enrich(ctx context.Context, a *alert.Alert) error
}

// Service routes and delivers alerts.
type Service struct {
	router    *route.Route
	receivers map[string][]string
	channels  map[string]notify.Notifier
	marks     marker
	window    time.Duration
	logger    *slog.Logger
	enrichers []Enricher
	silencer  Silencer
	audit     Auditor
	// life keeps alert state, inhibition, groups and reminders (lifecycle.go).
	life lifecycle
	// alertAudit keeps one audit record per alert handled (audit.go).
	alertAudit *notificationAudit
	// channelTypes maps channel names to their types (digest.go).
	channelTypes map[string]string
}

// Option configures a Service.
type Option func(*Service)

// WithEnrichers runs es, in order, on every alert that is about to be
// delivered. An enricher's error is logged and the alert goes out without
// what it would have added: context is worth less than the message.
func WithEnrichers(es ...Enricher) Option {
	return func(s *Service) { s.enrichers = append(s.enrichers, es...) }
}

// New builds the service from a validated config and the built channels.
// marks may be nil (no table: every alert is sent, as in a bare local run).
func New(cfg *config.Config, channels map[string]notify.Notifier, marks marker, logger *slog.Logger, opts ...Option) (*Service, error) {
	router, err := route.Build(cfg.Notifications.Route)
	if err != nil {
		return nil, err
	}
	window, err := time.ParseDuration(cfg.Notifications.DedupWindow)
	if err != nil {
		return nil, fmt.Errorf("notifications.dedup_window: %w", err)
	}
	recv := make(map[string][]string, len(cfg.Notifications.Receivers))
	for _, r := range cfg.Notifications.Receivers {
		for _, ch := range r.Channels {
			if _, ok := channels[ch]; !ok {
				return nil, fmt.Errorf("receiver %q: channel %q was not built", r.Name, ch)
			}
		}
		recv[r.Name] = r.Channels
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{router: router, receivers: recv, channels: channels, marks: marks, window: window, logger: logger}
	s.channelTypes = make(map[string]string, len(cfg.Notifications.Channels))
	for _, c := range cfg.Notifications.Channels {
		s.channelTypes[c.Name] = c.Type
	}
	for _, o := range opts {
		o(s)
	}
	if err := s.initLifecycle(cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// Handle processes one invocation payload. A payload that cannot be parsed is
// an error (the invocation is retried, then lands on the on-failure queue); a
// delivery that fails is an error after every other delivery was attempted, and
// deliveries that succeeded are not repeated on the retry.
func (s *Service) Handle(ctx context.Context, payload json.RawMessage) (outcome.Response, error) {
	resp := outcome.Response{Function: "notifier"}
	trig, err := alert.Parse(payload)
	if err != nil {
		return resp, &alert.InputError{Function: "notifier", Err: err}
	}
	resp.Trigger = string(trig.Kind)
	if len(trig.Alerts) == 0 {
		resp.Skipped = fmt.Sprintf("a %s trigger carries no alert for the notifier", trig.Kind)
		return resp, nil
	}
	var errs []error
	for _, a := range trig.Alerts {
		resp.Alerts = append(resp.Alerts, outcome.Alert{
			ID: a.ID, Source: a.Source, State: string(a.State), Severity: a.Severity, Title: a.Title,
		})
		actx, note := withAuditNote(ctx)
		ds, dup, skipped, err := s.process(actx, a)
		if !note.written {
			s.alertAudit.record(ctx, handled{alert: a, deliveries: ds, skipped: skipped, err: err}, s.logger.With("alert", a.ID, "key", a.Key))
		}
		if skipped != "" {
			resp.Skipped = skipped
		}
		resp.Deliveries = append(resp.Deliveries, ds...)
		if dup {
			resp.Duplicates++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return resp, errors.Join(errs...)
}

// deliverTo sends one alert to every channel of the matched receivers. It
// reports dup when every channel had already received this alert in this state.
func (s *Service) deliverTo(ctx context.Context, a alert.Alert, matches []route.Match) ([]outcome.Delivery, bool, error) {
	log := s.logger.With("alert", a.ID, "state", a.State, "key", a.Key)
	var (
		out      []outcome.Delivery
		errs     []error
		sent     int
		dups     int
		enriched bool // once, and only when a message will really go out
	)
	for _, m := range matches {
		for _, ch := range s.receivers[m.Receiver] {
			d := outcome.Delivery{AlertID: a.ID, Receiver: m.Receiver, Channel: ch}
			if a.State.Resolved() && !m.SendResolved {
				d.Status = "suppressed"
				d.Error = "route " + m.Path + " has send_resolved false"
				out = append(out, d)
				continue
			}
			if note := s.skipNote(ch, a); note != "" {
				d.Status, d.Error = StatusSkipped, note
				out = append(out, d)
				continue
			}
			mark := sentMark(ch, a)
			if s.marks != nil {
				seen, err := s.marks.Seen(ctx, state.Dedup, mark)
				if err != nil {
					errs = append(errs, err)
					d.Status, d.Error = "failed", err.Error()
					out = append(out, d)
					continue
				}
				if seen {
					d.Status = "duplicate"
					dups++
					out = append(out, d)
					continue
				}
			}
			if !enriched {
				s.enrich(ctx, &a, log)
				enriched = true
			}
			loc, retry, err := send(ctx, s.channels[ch], a)
			if err != nil {
				log.Error("delivery failed", "receiver", m.Receiver, "channel", ch, "retry", retry, "err", err)
				errs = append(errs, fmt.Errorf("channel %s: %w", ch, err))
				d.Status, d.Error = "failed", err.Error()
				out = append(out, d)
				continue
			}
			sent++
			d.Status, d.Location = "sent", loc
			if loc != "" {
				d.Status = "written"
			}
			if s.marks != nil {
				if _, err := s.marks.MarkOnce(ctx, state.Dedup, mark, s.window); err != nil {
					// The message went out; failing now would resend it on retry.
					log.Warn("could not record delivery; a redelivery may repeat it", "channel", ch, "err", err)
				}
			}
			log.Info("delivered", "receiver", m.Receiver, "channel", ch, "location", loc)
			out = append(out, d)
		}
	}
	return out, dups > 0 && sent == 0 && len(errs) == 0, errors.Join(errs...)
}

// sentMark identifies "this alert in this state reached this channel". A
// remediation report shares its finding's alert id and state until it is
// applied, so its outcome is part of the identity too.
func sentMark(channel string, a alert.Alert) string {
	m := "sent#" + channel + "#" + a.ID + "#" + string(a.State)
	if o := a.Labels[alert.LabelOutcome]; o != "" {
		m += "#" + o
	}
	if r := a.Reminder; r != nil {
		// Each reminder is a new message, past the dedup window of the alert.
		m += "#reminder" + strconv.Itoa(r.Number)
	}
	return m
}

// send delivers through n and returns where the message was stored, for
// channels that can say (the file channel).
func send(ctx context.Context, n notify.Notifier, a alert.Alert) (location string, retry bool, err error) {
	if rn, ok := n.(notify.ReceiptNotifier); ok {
		d, retry, err := rn.NotifyWithReceipt(ctx, a)
		return d.Location, retry, err
	}
	retry, err = n.Notify(ctx, a)
	return "", retry, err
}

func (s *Service) enrich(ctx context.Context, a *alert.Alert, log *slog.Logger) {
	for _, e := range s.enrichers {
		if err := e.Enrich(ctx, a); err != nil {
			log.Warn("could not add context to the alert; sending it without", "err", err)
		}
	}
}
