// Package notify delivers an alert.Alert to a destination. Every channel
// (notify/slack, notify/teams, notify/webhook, notify/pagerduty, notify/sns,
// notify/email, notify/file) implements Notifier; notify/channels builds them
// from configuration, and notify/render turns an alert into each format.
//
// Channels make one attempt per Notify call and say whether a failure is worth
// retrying; a Retrier (retry.go) repeats attempts with backoff inside the
// context deadline. One classifier (Retryable) decides what is retryable for
// every HTTP channel, and errors never carry a webhook URL, token or routing
// key (redact.go).
package notify

import (
	"context"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Notifier delivers one alert to one destination.
//
// retry reports whether a failed delivery may succeed when tried again (rate
// limiting, server errors, timeouts); it is false when err is nil.
type Notifier interface {
	Notify(ctx context.Context, a alert.Alert) (retry bool, err error)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, a alert.Alert) (bool, error)

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, a alert.Alert) (bool, error) { return f(ctx, a) }

// SecretFunc resolves a secret reference (a Secrets Manager ARN, an SSM
// parameter, …) to its value. Channels take one so that they never read the
// environment or call AWS for secrets themselves.
type SecretFunc func(ctx context.Context, ref config.SecretRef) (string, error)

// Delivery says where a message ended up, for channels whose output can be
// looked at afterwards (the file channel's path).
type Delivery struct {
	// Channel is the configured channel name.
	Channel string
	// Location is where the message was stored (a file path), or "".
	Location string
}

// ReceiptNotifier is a Notifier that can also report where it delivered. The
// file channel implements it so local runs can print the written path; callers
// check for it with a type assertion.
type ReceiptNotifier interface {
	Notifier
	NotifyWithReceipt(ctx context.Context, a alert.Alert) (Delivery, bool, error)
}
