package detect

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// logsEvent encodes messages as a Logs subscription event.
func logsEvent(t *testing.T, messages ...string) []byte {
	t.Helper()
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	batch := map[string]any{"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "ct", "logStream": "s", "subscriptionFilters": []string{"f"}}
	var evs []logEvent
	for i, m := range messages {
		evs = append(evs, logEvent{ID: string(rune('a' + i)), Timestamp: 1764061200000, Message: m})
	}
	batch["logEvents"] = evs
	decoded, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := alert.EncodeLogs(decoded)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestHandleScreensBeforeParsing: records no rule matches are only scanned,
// so a mistyped field that only a full parse notices makes a record invalid
// when a rule matched it (its finding needs the parse), not otherwise.
func TestHandleScreensBeforeParsing(t *testing.T) {
	e, err := NewPatternEngine(config.Detection{Rules: []config.DetectionRule{
		{ID: "stop", Title: "Trail stopped", Severity: "high", Pattern: `{ $.eventName = "StopLogging" }`},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const ok = `{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventTime":"2026-11-25T09:00:00Z","awsRegion":"eu-west-1","eventID":"e1"}`
	ev := logsEvent(t,
		ok,
		`{"eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","eventTime":"yesterday"}`,  // no rule: scanned only, counted parsed
		`{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","eventTime":"yesterday"}`, // matched, then the parse fails
		`{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"`,                          // truncated
		`{"eventName":"StopLogging"}`, // no eventSource
	)
	var logs bytes.Buffer
	resp, err := New(e, &capture{}, slog.New(slog.NewJSONHandler(&logs, nil)), nil).Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := (outcome.Records{Received: 5, Parsed: 2, Invalid: 3}); *resp.Records != want {
		t.Errorf("records = %+v, want %+v", *resp.Records, want)
	}
	var rules []string
	for _, f := range resp.Findings {
		rules = append(rules, f.Rule)
	}
	if !slices.Equal(rules, []string{"stop"}) {
		t.Errorf("findings %v, want one", rules)
	}
	for _, want := range []string{"cannot parse", "invalid JSON", "missing required field: eventSource"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q: %s", want, logs.String())
		}
	}
}
