// Package slack delivers alerts to Slack, through an incoming webhook or, when
// a bot token is configured, through the Web API (bot.go): chat.postMessage
// with threads per alert, chat.update for group messages, and metric graphs
// through the external file upload flow.
//
// https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks
// https://docs.slack.dev/reference/methods/chat.postMessage
package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "slack"

// DefaultAPIURL is the Web API base chat.postMessage is called under;
// notify.WithEndpoint overrides it.
const DefaultAPIURL = "https://slack.com/api"

// Notifier posts Block Kit messages to one Slack destination.
type Notifier struct {
	name    string
	webhook *notify.Secret
	token   *notify.Secret
	channel string
	apiURL  string
	client  *http.Client
	render  render.Options
	logger  *slog.Logger
	// threads remembers first messages (bot token only); nil: no threads.
	threads ThreadStore
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds a Slack notifier from cfg: with cfg.Token (and cfg.SlackChannel)
// it calls chat.postMessage with the bot token, otherwise it posts to
// cfg.WebhookURL. Secrets are resolved through secret on first use.
func New(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("slack channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	switch {
	case cfg.Token != "" && cfg.SlackChannel == "":
		return nil, fmt.Errorf("slack channel %q: token needs slack_channel", cfg.Name)
	case cfg.Token == "" && cfg.WebhookURL == "":
		return nil, fmt.Errorf("slack channel %q: needs webhook_url or token", cfg.Name)
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	n := &Notifier{
		name:    cfg.Name,
		channel: cfg.SlackChannel,
		apiURL:  strings.TrimSuffix(DefaultAPIURL, "/"),
		client:  s.HTTPClient,
		render:  s.Render,
		logger:  logger.With("channel", cfg.Name, "type", Type),
	}
	if s.Endpoint != "" {
		n.apiURL = strings.TrimSuffix(s.Endpoint, "/")
	}
	if cfg.APIURL != "" {
		n.apiURL = strings.TrimSuffix(cfg.APIURL, "/")
	}
	if s.Threads != nil {
		ts, ok := s.Threads.(ThreadStore)
		if !ok {
			return nil, fmt.Errorf("slack channel %q: thread store %T does not implement slack.ThreadStore", cfg.Name, s.Threads)
		}
		n.threads = ts
	}
	if cfg.Token != "" {
		n.token = notify.NewSecret(cfg.Token, secret)
	} else {
		n.webhook = notify.NewSecret(cfg.WebhookURL, secret)
	}
	return n, nil
}

// Notify renders a and posts it once (with a bot token: see notifyBot).
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	var err error
	if n.token != nil {
		err = n.notifyBot(ctx, a)
	} else {
		err = n.postWebhook(ctx, render.Slack(a, n.render))
	}
	if err != nil {
		return notify.Classify(fmt.Errorf("slack channel %q: %w", n.name, err))
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID)
	return false, nil
}

func (n *Notifier) postWebhook(ctx context.Context, msg render.SlackMessage) error {
	hook, err := n.webhook.Value(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode message: %w", err)
	}
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

// APIError is an ok:false answer of the Web API.
// https://docs.slack.dev/reference/methods/chat.postMessage#errors
type APIError struct {
	Code string
}

// Error names the Slack error code.
func (e *APIError) Error() string { return "slack api error: " + e.Code }

// Retryable reports whether Slack says to try later: rate limiting and its
// own transient failures.
func (e *APIError) Retryable() bool {
	switch e.Code {
	case "ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
		return true
	}
	return false
}
