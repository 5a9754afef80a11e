// Package evidence adds what people need to act on an alert before it is
// rendered: for a log metric filter alarm, the log lines that tripped it.
package evidence

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// DefaultMaxLines is how many matching lines an alert carries by default.
const DefaultMaxLines = 20

// maxPages bounds FilterLogEvents paging: the API may return empty pages
// while it scans, and a notifier must not spend its deadline there.
const maxPages = 10

type logFilterer interface {
	FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

var _ logFilterer = (*cloudwatchlogs.Client)(nil)

// LogLines finds the lines behind the config's log alarms.
type LogLines struct {
	logs   logFilterer
	alarms map[string]config.LogAlarm
	max    int
}

// NewLogLines returns an enricher for the log alarms in cfg; max <= 0 means DefaultMaxLines.
func NewLogLines(logs logFilterer, alarms []config.LogAlarm, max int) *LogLines {
	if max <= 0 {
		max = DefaultMaxLines
	}
	m := make(map[string]config.LogAlarm, len(alarms))
	for _, a := range alarms {
		m[a.Name] = a
	}
	return &LogLines{logs: logs, alarms: m, max: max}
}

// Enrich adds Logs to an ALARM of one of the configured log alarms: the lines
// its filter pattern matches in its log group over the alarm's evaluation
// window ending at the state change. Other alerts are left alone.
func (l *LogLines) Enrich(ctx context.Context, a *alert.Alert) error {
	if a.State != alert.StateAlarm || a.Metric == nil || a.Metric.Namespace != config.LogMetricNamespace {
		return nil
	}
	la, ok := l.alarms[a.Metric.Name]
	if !ok {
		return nil
	}
	to := a.Time
	if to.IsZero() {
		return fmt.Errorf("log alarm %s: the alert has no time to look back from", la.Name)
	}
	window := time.Duration(la.PeriodSeconds*max(la.EvaluationPeriods, 1)) * time.Second
	ev := &alert.LogEvidence{LogGroup: la.LogGroup, Pattern: la.Pattern, From: to.Add(-window), To: to}
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String(la.LogGroup),
		FilterPattern: aws.String(la.Pattern),
		StartTime:     aws.Int64(ev.From.UnixMilli()),
		EndTime:       aws.Int64(ev.To.UnixMilli()),
		Limit:         aws.Int32(int32(l.max + 1)),
	}
	for page := 0; page < maxPages; page++ {
		out, err := l.logs.FilterLogEvents(ctx, in)
		if err != nil {
			return fmt.Errorf("log alarm %s: filter %s: %w", la.Name, la.LogGroup, err)
		}
		for _, e := range out.Events {
			if len(ev.Lines) == l.max {
				ev.More = true
				break
			}
			ev.Lines = append(ev.Lines, alert.LogLine{
				Time:    time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC(),
				Stream:  aws.ToString(e.LogStreamName),
				Message: aws.ToString(e.Message),
			})
		}
		if ev.More || out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	a.Logs = ev
	return nil
}
