package alert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Kind is the kind of input a function was invoked with.
type Kind string

// Trigger kinds. The values double as outcome.Response.Trigger.
const (
	// KindSNS is an SNS event (Records[].Sns).
	KindSNS Kind = "sns"
	// KindAlarmAction is a CloudWatch alarm invoking the function directly.
	KindAlarmAction Kind = "alarm-action"
	// KindEventBridge is an EventBridge event from AWS or a partner.
	KindEventBridge Kind = "eventbridge"
	// KindWatchkeeper is one of the suite's own events (see contract.go).
	KindWatchkeeper Kind = "watchkeeper"
	// KindLogs is a CloudWatch Logs subscription batch.
	KindLogs Kind = "logs"
	// KindSchedule is a sweeper job request (EventBridge Scheduler input or a
	// classic Scheduled Event).
	KindSchedule Kind = "schedule"
)

// Trigger is a parsed function input. Exactly one of Alerts, Logs and Job is
// the payload, depending on Kind.
type Trigger struct {
	Kind   Kind
	Alerts []Alert
	Logs   *LogsBatch
	Job    *JobRequest
	// Keys are the idempotency keys of what the trigger delivers: one per
	// alert, per log event, or the job run id when there is one.
	Keys []string
}

// Errors callers can test with errors.Is.
var (
	// ErrInvalidJSON: the payload is not JSON at all.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrUnrecognized: valid JSON of no shape this package knows.
	ErrUnrecognized = errors.New("unrecognized trigger")
)

// Limits on how much of an unknown payload an error message repeats.
const (
	maxKeysInError   = 12
	maxKeyLenInError = 40
)

// Parse detects the kind of a function input from its JSON shape and parses
// it. It never panics; errors name what is wrong.
func Parse(payload []byte) (*Trigger, error) {
	payload = bytes.TrimSpace(payload)
	if len(payload) == 0 {
		return nil, fmt.Errorf("parse trigger: %w: empty payload", ErrInvalidJSON)
	}
	if payload[0] != '{' {
		if !json.Valid(payload) {
			return nil, fmt.Errorf("parse trigger: %w: %s", ErrInvalidJSON, syntaxError(payload))
		}
		return nil, fmt.Errorf("%w: expected a JSON object, got %s", ErrUnrecognized, jsonKind(payload[0]))
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil {
		return nil, fmt.Errorf("parse trigger: %w: %s", ErrInvalidJSON, syntaxError(payload))
	}
	switch {
	case has(top, "Records"):
		return parseSNSEvent(top["Records"])
	case has(top, "awslogs"):
		return parseLogsEvent(top["awslogs"])
	case has(top, "alarmData"):
		return parseAlarmAction(payload)
	case has(top, "detail-type"):
		return parseEventBridge(payload)
	case has(top, "job"):
		return parseJobInput(top)
	case has(top, "AlarmName") && has(top, "NewStateValue"):
		return nil, fmt.Errorf("%w: a bare CloudWatch alarm message (expected it inside an SNS event; use ParseAlarmMessage)", ErrUnrecognized)
	}
	return nil, unrecognized(top)
}

func has(m map[string]json.RawMessage, k string) bool {
	v, ok := m[k]
	return ok && len(v) > 0 && string(v) != "null"
}

func unrecognized(top map[string]json.RawMessage) error {
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	more := 0
	if len(keys) > maxKeysInError {
		more = len(keys) - maxKeysInError
		keys = keys[:maxKeysInError]
	}
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%q", truncate(k, maxKeyLenInError))
	}
	list := strings.Join(keys, ", ")
	if more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	if list == "" {
		list = "none"
	}
	return fmt.Errorf("%w: no known shape has top-level keys %s (want Records, awslogs, alarmData, detail-type or job)", ErrUnrecognized, list)
}

func syntaxError(b []byte) string {
	var v any
	err := json.Unmarshal(b, &v)
	if err == nil {
		return "not a JSON object"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%v at byte %d", se, se.Offset)
	}
	return err.Error()
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// timeLayouts are the timestamp spellings AWS payloads use: RFC 3339 in
// EventBridge envelopes, "+0000" offsets in CloudWatch alarm messages.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999-0700",
	"2006-01-02T15:04:05-0700",
	"2006-01-02T15:04:05.999999999Z0700",
}

// parseTime reads an AWS timestamp, returning the zero time for "".
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized timestamp %q", truncate(s, 40))
}

// collectKeys lists the unique alert keys in order.
func collectKeys(alerts []Alert) []string {
	keys := make([]string, 0, len(alerts))
	for _, a := range alerts {
		if a.Key != "" && !slices.Contains(keys, a.Key) {
			keys = append(keys, a.Key)
		}
	}
	return keys
}
