// Package teams delivers alerts to Microsoft Teams through a Workflows
// webhook ("Post to a channel when a webhook request is received"), as an
// Adaptive Card.
//
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
package teams

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "teams"

// Notifier posts Adaptive Cards to one Workflows webhook.
type Notifier struct {
	name    string
	webhook *notify.Secret
	client  *http.Client
	render  render.Options
	logger  *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds a Teams notifier posting to cfg.WebhookURL, resolved through
// secret on first use (Workflows URLs carry their signature in the query).
func New(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("teams channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	if cfg.WebhookURL == "" {
		return nil, fmt.Errorf("teams channel %q: needs webhook_url", cfg.Name)
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		name:    cfg.Name,
		webhook: notify.NewSecret(cfg.WebhookURL, secret),
		client:  s.HTTPClient,
		render:  s.Render,
		logger:  logger.With("channel", cfg.Name, "type", Type),
	}, nil
}

// Notify renders a as a card and posts it once. Workflows answers 202.
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	if err := n.post(ctx, a); err != nil {
		return notify.Classify(fmt.Errorf("teams channel %q: %w", n.name, err))
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID)
	return false, nil
}

func (n *Notifier) post(ctx context.Context, a alert.Alert) error {
	hook, err := n.webhook.Value(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(render.Teams(a, n.render))
	if err != nil {
		return fmt.Errorf("encode card: %w", err)
	}
	// The explicit charset matters: without it the service counts the body
	// as UTF-16 and rejects cards at half the size limit.
	_, err = notify.Do(ctx, n.client, notify.Request{
		URL:    hook,
		Header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		Body:   body,
	})
	if err != nil {
		return fmt.Errorf("post webhook: %w", err)
	}
	return nil
}
