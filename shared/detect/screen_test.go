package detect

import (
	"bytes"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// screenBatch encodes messages as a Logs subscription event.
func screenBatch(t *testing.T, messages ...string) []byte {
	t.Helper()
	recs := make([][]byte, len(messages))
	for i, m := range messages {
		recs[i] = []byte(m)
	}
	return logsEvent(t, "ct", recs...)
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
	ev := screenBatch(t,
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
