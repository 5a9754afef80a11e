package evidence

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// seedLogs writes lines, one second apart and ending one minute before end,
// to /app/web in moto, and returns a client for it.
func seedLogs(t *testing.T, end time.Time, lines ...string) *cloudwatchlogs.Client {
	t.Helper()
	m := awstest.Start(t)
	c := cloudwatchlogs.NewFromConfig(m.Config(t.Context()))
	ctx := t.Context()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/app/web")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("web-1")}); err != nil {
		t.Fatal(err)
	}
	start := end.Add(-time.Minute - time.Duration(len(lines))*time.Second)
	evs := make([]types.InputLogEvent, len(lines))
	for i, l := range lines {
		evs[i] = types.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(start.Add(time.Duration(i) * time.Second).UnixMilli())}
	}
	if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("/app/web"), LogStreamName: aws.String("web-1"), LogEvents: evs}); err != nil {
		t.Fatal(err)
	}
	return c
}

var warnAlarm = config.LogAlarm{Name: "app-warn-burst", LogGroup: "/app/web", Pattern: "WARN", PeriodSeconds: 300, EvaluationPeriods: 1}

func logAlarm(at time.Time) *alert.Alert {
	return &alert.Alert{State: alert.StateAlarm, Time: at, Metric: &alert.Metric{Namespace: config.LogMetricNamespace, Name: "app-warn-burst"}}
}

func TestLogLinesShowsTheMatchingLines(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	c := seedLogs(t, now, "INFO started", "WARN slow request 1", "ERROR boom", "WARN slow request 2", "WARN slow request 3")
	a := logAlarm(now)
	if err := NewLogLines(c, []config.LogAlarm{warnAlarm}, 0).Enrich(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if a.Logs == nil {
		t.Fatal("no evidence")
	}
	var got []string
	for _, l := range a.Logs.Lines {
		got = append(got, l.Message)
		if l.Stream != "web-1" || l.Time.IsZero() {
			t.Errorf("line = %+v", l)
		}
	}
	if strings.Join(got, "|") != "WARN slow request 1|WARN slow request 2|WARN slow request 3" || a.Logs.More {
		t.Errorf("lines = %q (more %v)", got, a.Logs.More)
	}
	if a.Logs.LogGroup != "/app/web" || a.Logs.Pattern != "WARN" || !a.Logs.To.Equal(now) || !a.Logs.From.Equal(now.Add(-5*time.Minute)) {
		t.Errorf("evidence = %+v", a.Logs)
	}
}

func TestLogLinesCapsAndSaysThereIsMore(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	c := seedLogs(t, now, "WARN 1", "WARN 2", "WARN 3", "WARN 4")
	a := logAlarm(now)
	if err := NewLogLines(c, []config.LogAlarm{warnAlarm}, 2).Enrich(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if a.Logs == nil || len(a.Logs.Lines) != 2 || !a.Logs.More {
		t.Errorf("evidence = %+v", a.Logs)
	}
}

func TestLogLinesLeavesOtherAlertsAlone(t *testing.T) {
	e := NewLogLines(nil, []config.LogAlarm{warnAlarm}, 0) // no client: any call would panic
	for _, a := range []*alert.Alert{
		{State: alert.StateOK, Metric: &alert.Metric{Namespace: config.LogMetricNamespace, Name: "app-warn-burst"}},
		{State: alert.StateAlarm, Metric: &alert.Metric{Namespace: "AWS/EC2", Name: "CPUUtilization"}},
		{State: alert.StateAlarm, Metric: &alert.Metric{Namespace: config.LogMetricNamespace, Name: "someone-elses"}},
		{State: alert.StateFinding},
	} {
		if err := e.Enrich(t.Context(), a); err != nil || a.Logs != nil {
			t.Errorf("%+v: err %v, logs %+v", a, err, a.Logs)
		}
	}
	if err := e.Enrich(t.Context(), logAlarm(time.Time{})); err == nil {
		t.Error("a log alarm without a time cannot be looked back from: want an error")
	}
}
