package dispatch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/route"
)

// StatusSkipped is the delivery status of a channel that does not take a
// kind of message (PagerDuty and digests); the delivery's Error says why.
const StatusSkipped = "skipped"

// digestSkipNote is why a PagerDuty channel gets no digest.
const digestSkipNote = "pagerduty pages incidents; a digest is not one, so it is not sent there"

// deliverDigest sends a digest to exactly the receivers it names, not
// through the routing tree. A receiver the config does not have is a failed
// delivery (the sweeper checked the names against its own copy of the
// config, so the two differ); the others are still sent.
func (s *Service) deliverDigest(ctx context.Context, a alert.Alert, log *slog.Logger) ([]outcome.Delivery, bool, string, error) {
	var (
		matches []route.Match
		out     []outcome.Delivery
		errs    []error
	)
	for _, r := range a.Digest.Receivers {
		if _, ok := s.receivers[r]; !ok {
			err := fmt.Errorf("digest: receiver %q is not in the notifier's config", r)
			log.Error("digest not delivered", "receiver", r, "err", err)
			out = append(out, outcome.Delivery{AlertID: a.ID, Receiver: r, Status: "failed", Error: err.Error()})
			errs = append(errs, err)
			continue
		}
		matches = append(matches, route.Match{Receiver: r, SendResolved: true, Path: "digest"})
	}
	sent, dup, err := s.deliverTo(ctx, a, matches)
	out = append(out, sent...)
	if err != nil {
		errs = append(errs, err)
	}
	return out, dup && len(errs) == 0, "", errors.Join(errs...)
}

// skipNote says why channel ch does not take a, or "" when it does.
func (s *Service) skipNote(ch string, a alert.Alert) string {
	if a.Digest != nil && s.channelTypes[ch] == config.ChannelPagerDuty {
		return digestSkipNote
	}
	return ""
}
