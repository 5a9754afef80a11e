// Package channels builds the configured notification channels: a registry
// from channel type name to constructor, one entry per notify/<type> package.
package channels

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/email"
	"github.com/watchkeeper/watchkeeper/shared/notify/file"
	"github.com/watchkeeper/watchkeeper/shared/notify/pagerduty"
	"github.com/watchkeeper/watchkeeper/shared/notify/slack"
	"github.com/watchkeeper/watchkeeper/shared/notify/sns"
	"github.com/watchkeeper/watchkeeper/shared/notify/teams"
	"github.com/watchkeeper/watchkeeper/shared/notify/webhook"
)

// Constructor builds one channel's notifier.
type Constructor func(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (notify.Notifier, error)

// adapt turns a package's New, which returns its concrete type, into a Constructor.
func adapt[N notify.Notifier](newFn func(config.Channel, notify.SecretFunc, *slog.Logger, ...notify.Option) (N, error)) Constructor {
	return func(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (notify.Notifier, error) {
		n, err := newFn(cfg, secret, logger, opts...)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
}

// registry maps config.Channel.Type to its constructor.
var registry = map[string]Constructor{
	email.Type:     adapt(email.New),
	file.Type:      adapt(file.New),
	pagerduty.Type: adapt(pagerduty.New),
	slack.Type:     adapt(slack.New),
	sns.Type:       adapt(sns.New),
	teams.Type:     adapt(teams.New),
	webhook.Type:   adapt(webhook.New),
}

// Types lists the channel type names, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the constructor of a channel type.
func Lookup(typ string) (Constructor, bool) {
	c, ok := registry[typ]
	return c, ok
}

// Build constructs every channel, keyed by name. All problems are reported
// together: unknown types (with the list of valid ones), duplicate or empty
// names, and each constructor's own validation. When opts carry a Retrier,
// every notifier is wrapped in it.
func Build(chs []config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (map[string]notify.Notifier, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	settings := notify.Apply(opts...)
	out := make(map[string]notify.Notifier, len(chs))
	seen := make(map[string]bool, len(chs))
	var errs []error
	for i, ch := range chs {
		if ch.Name == "" {
			errs = append(errs, fmt.Errorf("channel %d: missing name", i))
			continue
		}
		if seen[ch.Name] {
			errs = append(errs, fmt.Errorf("channel %q: defined twice", ch.Name))
			continue
		}
		seen[ch.Name] = true
		ctor, ok := registry[ch.Type]
		if !ok {
			errs = append(errs, fmt.Errorf("channel %q: unknown type %q (valid: %s)", ch.Name, ch.Type, strings.Join(Types(), ", ")))
			continue
		}
		n, err := ctor(ch, secret, logger, opts...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if settings.Retrier != nil {
			n = settings.Retrier.Wrap(n)
		}
		out[ch.Name] = n
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("build channels: %w", err)
	}
	return out, nil
}
