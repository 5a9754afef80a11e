package sweep

import (
	"context"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// EventHandler handles a resource event (an EventBridge trigger) sent to the
// sweeper, such as an EC2 instance state change for the auto-alarms.
type EventHandler func(ctx context.Context, trig *alert.Trigger) error

// HandleEvents makes the service pass EventBridge triggers to h instead of
// refusing them, and returns the service.
func (s *Service) HandleEvents(h EventHandler) *Service {
	s.events = h
	return s
}
