package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// JobParamDigestReceivers names the config receivers that get the digest
// through the notifier (one Watchkeeper Digest event for all of them).
const JobParamDigestReceivers = config.DigestInputReceivers

// Summary is the digest as the Watchkeeper Digest event carries it: the
// same numbers Text shows, for receivers, with the chart's widget.
func (d *Digest) Summary(receivers []string, widget []byte) alert.DigestSummary {
	s := alert.DigestSummary{
		From: d.From, To: d.To, Receivers: receivers, Totals: d.Kinds,
		Widget: string(widget),
	}
	if len(d.Outcomes) > 0 {
		s.Remediations = d.Outcomes
	}
	if len(d.Notifications) > 0 {
		s.Notifications = d.Notifications
	}
	for _, c := range d.Counts {
		s.Rows = append(s.Rows, alert.DigestRow{Kind: c.Kind, Account: c.Account, Severity: c.Severity, Count: c.Count})
	}
	for _, r := range d.Rules {
		// BuildDigest keeps a rule's name in Account.
		s.Rules = append(s.Rules, alert.DigestRow{Kind: r.Kind, Rule: r.Account, Count: r.Count})
	}
	return s
}

// digestReceivers checks names against the config's receivers: an unknown
// name is an error that lists the valid ones.
func digestReceivers(names []string, receivers []config.Receiver) error {
	valid := make([]string, 0, len(receivers))
	for _, r := range receivers {
		valid = append(valid, r.Name)
	}
	var errs []error
	for _, n := range names {
		if !slices.Contains(valid, n) {
			errs = append(errs, fmt.Errorf("job input %s: unknown receiver %q (valid: %s)", JobParamDigestReceivers, n, strings.Join(valid, ", ")))
		}
	}
	return errors.Join(errs...)
}

// publishDigest puts one Watchkeeper Digest event for receivers on the bus.
func (c DigestClients) publishDigest(ctx context.Context, d *Digest, receivers []string, widget []byte) error {
	if c.Bus == nil {
		return errors.New("digest to receivers needs the event bus (WATCHKEEPER_BUS)")
	}
	detail, err := alert.DigestDetail(c.Stack, d.Summary(receivers, widget))
	if err != nil {
		return err
	}
	if detail.Digest.RowsDropped > 0 {
		c.Logger.Warn("digest event trimmed to fit", "rows_dropped", detail.Digest.RowsDropped)
	}
	if err := c.Bus.Publish(ctx, alert.SourceSweeper, alert.DetailTypeDigest, detail); err != nil {
		return fmt.Errorf("publish digest for receivers %s: %w", strings.Join(receivers, ", "), err)
	}
	return nil
}

// stringList reads a job input that must be a list of names.
func stringList(v any, param, what string) ([]string, error) {
	list, isList := v.([]any)
	if !isList {
		return nil, fmt.Errorf("job input %s must be a list of %s names", param, what)
	}
	out := []string{}
	for _, n := range list {
		s, isStr := n.(string)
		if !isStr {
			return nil, fmt.Errorf("job input %s must be a list of %s names", param, what)
		}
		out = append(out, s)
	}
	return out, nil
}

// receiverChannels are the channels of the named receivers, which get the
// digest from the notifier and so not again by SES.
func (c DigestClients) receiverChannels(names []string) map[string]bool {
	out := map[string]bool{}
	for _, r := range c.Receivers {
		if slices.Contains(names, r.Name) {
			for _, ch := range r.Channels {
				out[ch] = true
			}
		}
	}
	return out
}
