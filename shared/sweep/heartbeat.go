package sweep

import (
	"context"
	"log/slog"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
)

// HeartbeatMetric is the metric the heartbeat job emits every run; an alarm on
// its absence says the suite itself went quiet.
const HeartbeatMetric = "Heartbeat"

// Heartbeat returns the job that emits Watchkeeper/Heartbeat = 1 (dimension
// Stack) as an Embedded Metric Format log line: CloudWatch Logs turns it into
// the metric, so the job needs no API call and no permission, and it works the
// same under the local emulator.
func Heartbeat(logger *slog.Logger, stack string, now func() time.Time) Job {
	return func(ctx context.Context, _ *alert.JobRequest) ([]Finding, error) {
		metrics.Emit(ctx, logger, now(), map[string]string{"Stack": stack},
			metrics.Metric{Name: HeartbeatMetric, Value: 1})
		return nil, nil
	}
}
