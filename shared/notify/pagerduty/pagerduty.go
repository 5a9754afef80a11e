// Package pagerduty sends alerts to PagerDuty through the Events API v2:
// ALARM, FINDING and EVENT trigger an incident, OK and REMEDIATED resolve it,
// and every event of one alert shares its dedup_key (the alert id).
//
// https://developer.pagerduty.com/docs/events-api-v2/overview/
package pagerduty

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "pagerduty"

// DefaultEndpoint is the Events API v2 enqueue URL; notify.WithEndpoint
// overrides it.
const DefaultEndpoint = "https://events.pagerduty.com/v2/enqueue"

// Events API v2 limits.
// https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
const (
	// MaxSummaryLength caps payload.summary (characters).
	MaxSummaryLength = 1024
	// MaxDedupKeyLength caps dedup_key (characters).
	MaxDedupKeyLength = 255
	// MaxEventBytes caps the whole event.
	MaxEventBytes = 512 * 1024
)

// Event actions.
const (
	ActionTrigger = "trigger"
	ActionResolve = "resolve"
)

// Event is one Events API v2 request body.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes a triggered incident.
type Payload struct {
	Summary       string         `json:"summary"`
	Source        string         `json:"source"`
	Severity      string         `json:"severity"`
	Timestamp     string         `json:"timestamp,omitempty"`
	Component     string         `json:"component,omitempty"`
	Group         string         `json:"group,omitempty"`
	Class         string         `json:"class,omitempty"`
	CustomDetails map[string]any `json:"custom_details,omitempty"`
}

// Link is a link shown on the incident.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Notifier sends events for one integration (routing key).
type Notifier struct {
	name     string
	key      *notify.Secret
	endpoint string
	client   *http.Client
	logger   *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds a PagerDuty notifier for cfg.RoutingKey, resolved through secret.
func New(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("pagerduty channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	if cfg.RoutingKey == "" {
		return nil, fmt.Errorf("pagerduty channel %q: needs routing_key", cfg.Name)
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		name:     cfg.Name,
		key:      notify.NewSecret(cfg.RoutingKey, secret),
		endpoint: DefaultEndpoint,
		client:   s.HTTPClient,
		logger:   logger.With("channel", cfg.Name, "type", Type),
	}
	if s.Endpoint != "" {
		n.endpoint = s.Endpoint
	}
	return n, nil
}

// Action maps an alert state to an event action; ok is false for states
// that neither open nor close an incident (INSUFFICIENT_DATA).
func Action(s alert.State) (action string, ok bool) {
	switch s {
	case alert.StateAlarm, alert.StateFinding, alert.StateEvent:
		return ActionTrigger, true
	case alert.StateOK, alert.StateRemediated:
		return ActionResolve, true
	}
	return "", false
}

// Severity maps a Watchkeeper severity to PagerDuty's four levels.
func Severity(s string) string {
	switch s {
	case alert.SeverityCritical:
		return "critical"
	case alert.SeverityHigh:
		return "error"
	case alert.SeverityMedium:
		return "warning"
	}
	return "info"
}

// DedupKey is the alert id, hashed when it is too long for PagerDuty.
func DedupKey(a alert.Alert) string {
	k := a.ID
	if k == "" {
		k = alert.MakeID(a.Source, a.Title)
	}
	if len(k) > MaxDedupKeyLength {
		sum := sha256.Sum256([]byte(k))
		k = hex.EncodeToString(sum[:])
	}
	return k
}

// NewEvent builds the event for a, or reports false when a's state sends
// none or a is a digest (a summary, not an incident: nothing to page about).
func NewEvent(routingKey string, a alert.Alert) (Event, bool) {
	if a.Digest != nil {
		return Event{}, false
	}
	action, ok := Action(a.State)
	if !ok {
		return Event{}, false
	}
	ev := Event{RoutingKey: routingKey, EventAction: action, DedupKey: DedupKey(a)}
	if action == ActionResolve {
		return ev, true
	}
	ev.Client = "Watchkeeper"
	ev.Payload = &Payload{
		Summary:       summary(a),
		Source:        source(a),
		Severity:      Severity(a.Severity),
		Component:     render.PlainText(a.Label(alert.LabelResourceTyp)),
		Group:         render.PlainText(a.Label(alert.LabelAccount)),
		Class:         render.PlainText(firstNonEmpty(a.Label(alert.LabelRule), a.Label(alert.LabelFindingType), a.Source)),
		CustomDetails: details(a),
	}
	if !a.Time.IsZero() {
		ev.Payload.Timestamp = a.Time.UTC().Format(time.RFC3339Nano)
	}
	for _, l := range a.Links {
		if strings.HasPrefix(l.URL, "https://") || strings.HasPrefix(l.URL, "http://") {
			ev.Links = append(ev.Links, Link{Href: l.URL, Text: render.PlainText(l.Title)})
		}
	}
	return ev, true
}

func summary(a alert.Alert) string {
	s := render.PlainText(a.Title)
	if r := render.PlainText(a.Reason); r != "" {
		s += ": " + r
	}
	if s == "" {
		s = "Watchkeeper alert"
	}
	return render.Truncate(s, MaxSummaryLength)
}

func source(a alert.Alert) string {
	for _, s := range []string{a.Label(alert.LabelResource), a.Label(alert.LabelAlarmARN)} {
		if s = render.PlainText(s); s != "" {
			return render.Truncate(s, MaxSummaryLength)
		}
	}
	if acct, reg := a.Label(alert.LabelAccount), a.Label(alert.LabelRegion); acct != "" || reg != "" {
		return render.PlainText(strings.Trim("aws:"+acct+":"+reg, ":"))
	}
	return "watchkeeper"
}

func details(a alert.Alert) map[string]any {
	d := map[string]any{
		"alert_id": a.ID,
		"state":    string(a.State),
		"source":   a.Source,
	}
	if len(a.Labels) > 0 {
		d["labels"] = a.Labels
	}
	if a.PreviousState != "" {
		d["previous_state"] = string(a.PreviousState)
	}
	if a.Description != "" {
		d["description"] = a.Description
	}
	if r := a.Record; r != nil {
		d["actor"] = r.Actor()
		d["event"] = r.EventSource + ":" + r.EventName
		if r.SourceIPAddress != "" {
			d["source_ip"] = r.SourceIPAddress
		}
		if r.UserAgent != "" {
			d["user_agent"] = r.UserAgent
		}
	}
	return d
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// encode marshals ev within MaxEventBytes, shedding free text first.
func encode(ev Event) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil || len(b) <= MaxEventBytes || ev.Payload == nil {
		return b, err
	}
	slim := *ev.Payload
	slim.CustomDetails = map[string]any{"alert_id": ev.Payload.CustomDetails["alert_id"], "truncated": true}
	ev.Payload = &slim
	ev.Links = nil
	return json.Marshal(ev)
}

// Notify sends the event for a once; PagerDuty answers 202 Accepted.
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	key, err := n.key.Value(ctx)
	if err != nil {
		return notify.Classify(fmt.Errorf("pagerduty channel %q: %w", n.name, err))
	}
	ev, ok := NewEvent(key, a)
	if !ok {
		n.logger.DebugContext(ctx, "state sends no event", "alert", a.ID, "state", string(a.State))
		return false, nil
	}
	body, err := encode(ev)
	if err != nil {
		return false, fmt.Errorf("pagerduty channel %q: encode event: %w", n.name, err)
	}
	_, err = notify.Do(ctx, n.client, notify.Request{
		URL:     n.endpoint,
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    body,
		Secrets: []string{key},
	})
	if err != nil {
		return notify.Classify(fmt.Errorf("pagerduty channel %q: %s: %w", n.name, ev.EventAction, err))
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID, "action", ev.EventAction)
	return false, nil
}
