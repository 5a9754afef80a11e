package detect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

func readEvent(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// eventNameEngine fires on listed event names: a stand-in for the rule engine.
type eventNameEngine map[string]string

func (e eventNameEngine) Evaluate(rec *cloudtrail.Record, _ []byte) []Match {
	if rule, ok := e[rec.EventName]; ok {
		return []Match{{Rule: rule, Title: rec.EventName + " called", Severity: "high"}}
	}
	return nil
}

type capture struct {
	details []alert.Detail
	fail    error
}

func (c *capture) Publish(_ context.Context, source, detailType string, d alert.Detail) error {
	if c.fail != nil {
		return c.fail
	}
	if source != alert.SourceDetector || detailType != alert.DetailTypeFinding {
		return errors.New("wrong source or detail type")
	}
	c.details = append(c.details, d)
	return nil
}

func TestHandle(t *testing.T) {
	tests := []struct {
		event   string
		trigger string
		records outcome.Records
		skipped bool
	}{
		{"detector/logs-cloudtrail.json", "logs", outcome.Records{Received: 5, Parsed: 5}, false},
		{"detector/logs-truncated-record.json", "logs", outcome.Records{Received: 3, Parsed: 2, Invalid: 1}, false},
		{"detector/logs-control-message.json", "logs", outcome.Records{}, true},
		{"detector/eventbridge-api-call.json", "eventbridge", outcome.Records{Received: 1, Parsed: 1}, false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.event), func(t *testing.T) {
			var logs bytes.Buffer
			svc := New(nil, nil, slog.New(slog.NewJSONHandler(&logs, nil)), nil)
			resp, err := svc.Handle(t.Context(), readEvent(t, tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Function != "detector" || resp.Trigger != tt.trigger {
				t.Errorf("response = %+v", resp)
			}
			if (resp.Skipped != "") != tt.skipped {
				t.Errorf("skipped = %q", resp.Skipped)
			}
			if *resp.Records != tt.records {
				t.Errorf("records = %+v, want %+v", *resp.Records, tt.records)
			}
			if tt.records.Invalid > 0 && !strings.Contains(logs.String(), "not a CloudTrail record") {
				t.Errorf("invalid record not logged: %s", logs.String())
			}
			if tt.records.Received > 0 && !strings.Contains(logs.String(), `"RecordsInvalid":`) {
				t.Errorf("no metrics line: %s", logs.String())
			}
		})
	}
}

func TestFindingsArePublishedWithTheRecord(t *testing.T) {
	pub := &capture{}
	engine := eventNameEngine{"StopLogging": "test.stop-logging", "AuthorizeSecurityGroupIngress": "test.open-ingress"}
	svc := New(engine, pub, nil, nil)
	resp, err := svc.Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 2 || len(pub.details) != 2 {
		t.Fatalf("findings = %+v, published %d", resp.Findings, len(pub.details))
	}
	for _, f := range resp.Findings {
		if !f.Published {
			t.Errorf("not published: %+v", f)
		}
	}
	d := pub.details[0]
	if d.Rule != "test.stop-logging" || d.Record == nil || d.Record.EventName != "StopLogging" || d.AlertID == "" {
		t.Errorf("detail = %+v", d)
	}
	if len(d.Record.RequestParameters) == 0 {
		t.Error("the finding must carry the record's request parameters")
	}
}

func TestPublishFailureIsAnErrorButEveryRecordIsEvaluated(t *testing.T) {
	pub := &capture{fail: errors.New("bus down")}
	svc := New(eventNameEngine{"StopLogging": "a", "DescribeInstances": "b"}, pub, nil, nil)
	resp, err := svc.Handle(t.Context(), readEvent(t, "detector/logs-cloudtrail.json"))
	if err == nil || !strings.Contains(err.Error(), "bus down") {
		t.Fatalf("err = %v", err)
	}
	if len(resp.Findings) != 2 || resp.Findings[0].Published {
		t.Errorf("findings = %+v", resp.Findings)
	}
}

func TestBadInput(t *testing.T) {
	svc := New(nil, nil, nil, nil)
	for _, name := range []string{"malformed/detector-bad-base64-logs.json", "malformed/not-json.txt", "malformed/unknown-shape.json"} {
		if _, err := svc.Handle(t.Context(), readEvent(t, name)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	// A trigger that carries no CloudTrail record is the wrong input for the detector.
	_, err := svc.Handle(t.Context(), readEvent(t, "notifier/sns-alarm-cpu.json"))
	if err == nil || !strings.Contains(err.Error(), "expects CloudTrail records") {
		t.Errorf("alarm to detector: %v", err)
	}
}

func FuzzHandle(f *testing.F) {
	for _, name := range []string{"detector/logs-cloudtrail.json", "detector/logs-truncated-record.json", "detector/eventbridge-api-call.json"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"awslogs":{"data":""}}`))
	svc := New(eventNameEngine{"StopLogging": "x"}, &capture{}, nil, nil)
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := svc.Handle(context.Background(), b)
		if err == nil && resp.Records != nil && resp.Records.Parsed+resp.Records.Invalid != resp.Records.Received {
			t.Errorf("counts do not add up: %+v", *resp.Records)
		}
		if _, err := json.Marshal(resp); err != nil {
			t.Errorf("response does not marshal: %v", err)
		}
	})
}
