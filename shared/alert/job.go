package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// JobRequest asks the sweeper to run one job.
type JobRequest struct {
	// Job is the job id (posture, reminders, digest, …); "" when a classic
	// Scheduled Event's rule name does not end in one.
	Job string
	// Params are the other keys of the scheduler input.
	Params map[string]any
	// ID identifies the run: the Scheduled Event id, or the scheduler input's
	// "execution_id" (set it from <aws.scheduler.execution-id>).
	ID string
	// Time is when the run was scheduled: the Scheduled Event time, or the
	// input's "scheduled_time" (from <aws.scheduler.scheduled-time>).
	Time time.Time
	// Rule is the ARN of the EventBridge rule of a classic Scheduled Event.
	Rule string
}

// Keys of the scheduler input that carry run metadata rather than job
// parameters; infra sets them from EventBridge Scheduler context attributes.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html
const (
	JobInputKey           = "job"
	JobInputExecutionID   = "execution_id"
	JobInputScheduledTime = "scheduled_time"
)

// parseJobInput parses the EventBridge Scheduler target input
// {"job":"posture", …params}.
func parseJobInput(top map[string]json.RawMessage) (*Trigger, error) {
	var job string
	if err := json.Unmarshal(top[JobInputKey], &job); err != nil {
		return nil, fmt.Errorf("job request: \"job\" must be a string: %w", err)
	}
	job = strings.TrimSpace(job)
	if job == "" {
		return nil, fmt.Errorf("job request: \"job\" is empty")
	}
	req := &JobRequest{Job: job, Params: make(map[string]any, len(top))}
	for k, raw := range top {
		if k == JobInputKey {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("job request: parameter %q: %w", truncate(k, 40), err)
		}
		req.Params[k] = v
	}
	if id, ok := req.Params[JobInputExecutionID].(string); ok {
		req.ID = id
		delete(req.Params, JobInputExecutionID)
	}
	if ts, ok := req.Params[JobInputScheduledTime].(string); ok {
		at, err := parseTime(ts)
		if err != nil {
			return nil, fmt.Errorf("job request: %s: %w", JobInputScheduledTime, err)
		}
		req.Time = at
		delete(req.Params, JobInputScheduledTime)
	}
	t := &Trigger{Kind: KindSchedule, Job: req}
	if req.ID != "" {
		t.Keys = []string{req.ID}
	}
	return t, nil
}

// jobFromScheduledEvent maps a classic "Scheduled Event" to a job named by
// the suffix of its rule name: …:rule/<stack>-<job> → <job>.
func jobFromScheduledEvent(ev *eventBridgeEvent) *Trigger {
	req := &JobRequest{ID: ev.ID, Params: map[string]any{}}
	req.Time, _ = parseTime(ev.Time)
	if len(ev.Resources) > 0 {
		req.Rule = ev.Resources[0]
		req.Job = JobFromRuleARN(req.Rule)
	}
	t := &Trigger{Kind: KindSchedule, Job: req}
	if ev.ID != "" {
		t.Keys = []string{ev.ID}
	}
	return t
}

// JobFromRuleARN returns the job a rule named "<stack>-<job>" runs, or "".
func JobFromRuleARN(arn string) string {
	_, name, ok := strings.Cut(arn, ":rule/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(name, '/'); i >= 0 { // rule on a custom bus: rule/<bus>/<name>
		name = name[i+1:]
	}
	i := strings.LastIndexByte(name, '-')
	if i < 0 {
		return ""
	}
	return strings.ToLower(name[i+1:])
}
