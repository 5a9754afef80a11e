// Package bus publishes the suite's own events (findings, remediation
// reports, reminders) on the watchkeeper EventBridge bus, in the contract
// defined by package alert.
package bus

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

type eventPutter interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, optFns ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

var _ eventPutter = (*eventbridge.Client)(nil)

// Publisher puts events on one bus.
type Publisher struct {
	eb  eventPutter
	bus string
}

// New returns a publisher for the bus named bus.
func New(eb eventPutter, bus string) *Publisher { return &Publisher{eb: eb, bus: bus} }

// Publish puts one event. PutEvents reports per-entry failures in a 200
// response, so those are errors too.
func (p *Publisher) Publish(ctx context.Context, source, detailType string, d alert.Detail) error {
	e, err := alert.NewPutEventsEntry(p.bus, source, detailType, d)
	if err != nil {
		return err
	}
	out, err := p.eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(e.EventBusName),
		Source:       aws.String(e.Source),
		DetailType:   aws.String(e.DetailType),
		Detail:       aws.String(e.Detail),
		Resources:    e.Resources,
	}}})
	if err != nil {
		return fmt.Errorf("put %s event on bus %s: %w", detailType, p.bus, err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		r := out.Entries[0]
		return fmt.Errorf("put %s event on bus %s: %s: %s", detailType, p.bus, aws.ToString(r.ErrorCode), aws.ToString(r.ErrorMessage))
	}
	return nil
}
