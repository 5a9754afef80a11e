package bus

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// PutEvents request limits.
const (
	// MaxPutEventsEntries is the most entries one PutEvents request carries.
	// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
	MaxPutEventsEntries = 10
	// MaxPutEventsRequestBytes is the most one PutEvents request's entries
	// may total, counted as alert.PutEventsEntry.Size counts one entry.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
	MaxPutEventsRequestBytes = 256 * 1024
)

// BatchError reports the events PublishBatch could not put; the others
// were put. Failed[i] is true for each detail that failed.
type BatchError struct {
	Failed []bool
	Err    error
}

func (e *BatchError) Error() string { return e.Err.Error() }

func (e *BatchError) Unwrap() error { return e.Err }

// PublishBatch puts the events of ds in as few PutEvents calls as the
// limits allow (≤ MaxPutEventsEntries entries and ≤ MaxPutEventsRequestBytes
// per call). Entries PutEvents reports as failed are sent once more; what
// still fails, or cannot become an entry at all, is returned as a
// *BatchError naming the failed details, so the caller can retry them (the
// invocation fails and Lambda retries it).
func (p *Publisher) PublishBatch(ctx context.Context, source, detailType string, ds []alert.Detail) error {
	failed := make([]bool, len(ds))
	var errs []error
	type pending struct {
		i int
		e alert.PutEventsEntry
	}
	var todo []pending
	for i, d := range ds {
		e, err := alert.NewPutEventsEntry(p.bus, source, detailType, d)
		if err != nil {
			failed[i] = true
			errs = append(errs, fmt.Errorf("finding %d (%s): %w", i, d.Rule, err))
			continue
		}
		todo = append(todo, pending{i, e})
	}
	for attempt := 0; attempt < 2 && len(todo) > 0; attempt++ {
		var again []pending
		for start := 0; start < len(todo); {
			end, size := start, 0
			for end < len(todo) && end-start < MaxPutEventsEntries && (end == start || size+todo[end].e.Size() <= MaxPutEventsRequestBytes) {
				size += todo[end].e.Size()
				end++
			}
			chunk := todo[start:end]
			start = end
			in := &eventbridge.PutEventsInput{Entries: make([]ebtypes.PutEventsRequestEntry, len(chunk))}
			for j, c := range chunk {
				in.Entries[j] = ebtypes.PutEventsRequestEntry{
					EventBusName: aws.String(c.e.EventBusName), Source: aws.String(c.e.Source),
					DetailType: aws.String(c.e.DetailType), Detail: aws.String(c.e.Detail), Resources: c.e.Resources,
				}
			}
			out, err := p.eb.PutEvents(ctx, in)
			if err != nil {
				// The SDK already retried what is retryable; a retry of the
				// invocation is the next step.
				for _, c := range chunk {
					failed[c.i] = true
				}
				errs = append(errs, fmt.Errorf("put %d %s events on bus %s: %w", len(chunk), detailType, p.bus, err))
				continue
			}
			if out.FailedEntryCount == 0 {
				continue
			}
			for j, c := range chunk {
				if j >= len(out.Entries) || out.Entries[j].ErrorCode != nil {
					if attempt == 0 {
						again = append(again, c)
						continue
					}
					failed[c.i] = true
					code, msg := "", ""
					if j < len(out.Entries) {
						code, msg = aws.ToString(out.Entries[j].ErrorCode), aws.ToString(out.Entries[j].ErrorMessage)
					}
					errs = append(errs, fmt.Errorf("put %s event (%s) on bus %s: %s: %s", detailType, ds[c.i].Rule, p.bus, code, msg))
				}
			}
		}
		todo = again
	}
	if len(errs) == 0 {
		return nil
	}
	return &BatchError{Failed: failed, Err: errors.Join(errs...)}
}
