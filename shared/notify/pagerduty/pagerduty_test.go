package pagerduty

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
)

const routingKey = "R0UT1NGKEYSECRET0000000000000000"

func keyFunc(context.Context, config.SecretRef) (string, error) { return routingKey, nil }

type fakePD struct {
	srv    *httptest.Server
	events []map[string]any
	status int
}

func newFake(t *testing.T, status int) *fakePD {
	t.Helper()
	f := &fakePD{status: status}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s %s %q", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Errorf("body: %v", err)
		}
		f.events = append(f.events, ev)
		w.WriteHeader(f.status)
		if f.status == http.StatusAccepted {
			io.WriteString(w, `{"status":"success","message":"Event processed","dedup_key":"x"}`)
		} else {
			io.WriteString(w, `{"status":"invalid event","message":"bad routing_key `+routingKey+`"}`)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePD) notifier(t *testing.T) *Notifier {
	t.Helper()
	n, err := New(config.Channel{Name: "pd", Type: Type, RoutingKey: "ssm:/pd"}, keyFunc, nil,
		notify.WithHTTPClient(f.srv.Client()), notify.WithEndpoint(f.srv.URL+"/v2/enqueue"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func finding() alert.Alert {
	return alert.Alert{
		ID: "c0ffee", Source: alert.SourceCloudTrail, State: alert.StateFinding, Severity: alert.SeverityHigh,
		Title: strings.Repeat("T", 2000), Reason: "StopLogging", Time: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC),
		Labels: map[string]string{"account": "123456789012", "region": "us-east-1", "rule": "cis-3.5", "resource": "trail/main"},
		Record: &cloudtrail.Record{EventSource: "cloudtrail.amazonaws.com", EventName: "StopLogging", UserAgent: "<!here>",
			UserIdentity: cloudtrail.UserIdentity{Type: "Root"}},
		Links: []alert.Link{{Title: "Event", URL: "https://console.aws.amazon.com/x"}, {Title: "bad", URL: "javascript:alert(1)"}},
	}
}

func TestTriggerThenResolve(t *testing.T) {
	f := newFake(t, http.StatusAccepted)
	n := f.notifier(t)
	a := finding()
	if retry, err := n.Notify(context.Background(), a); err != nil || retry {
		t.Fatalf("trigger: %v %v", retry, err)
	}
	a.State = alert.StateRemediated
	if retry, err := n.Notify(context.Background(), a); err != nil || retry {
		t.Fatalf("resolve: %v %v", retry, err)
	}
	a.State = alert.StateInsufficientData
	if retry, err := n.Notify(context.Background(), a); err != nil || retry {
		t.Fatalf("insufficient data: %v %v", retry, err)
	}
	if len(f.events) != 2 {
		t.Fatalf("%d events sent, want 2", len(f.events))
	}
	trig, res := f.events[0], f.events[1]
	if trig["routing_key"] != routingKey || trig["event_action"] != "trigger" || trig["dedup_key"] != "c0ffee" {
		t.Errorf("trigger envelope %v", trig)
	}
	p := trig["payload"].(map[string]any)
	summary := p["summary"].(string)
	if n := len(utf16.Encode([]rune(summary))); n > MaxSummaryLength || !strings.HasSuffix(summary, "…(truncated)") {
		t.Errorf("summary is %d characters: %q", n, summary[len(summary)-20:])
	}
	if p["severity"] != "error" || p["source"] != "trail/main" || p["class"] != "cis-3.5" || p["timestamp"] != "2024-05-01T08:00:00Z" {
		t.Errorf("payload %v", p)
	}
	cd := p["custom_details"].(map[string]any)
	if cd["labels"].(map[string]any)["rule"] != "cis-3.5" || cd["actor"] != "root" || cd["user_agent"] != "<!here>" {
		t.Errorf("custom_details %v", cd)
	}
	if links := trig["links"].([]any); len(links) != 1 {
		t.Errorf("links %v (javascript: must be dropped)", links)
	}
	if res["event_action"] != "resolve" || res["dedup_key"] != "c0ffee" || res["payload"] != nil {
		t.Errorf("resolve event %v", res)
	}
}

func TestSeverityAndAction(t *testing.T) {
	for in, want := range map[string]string{"critical": "critical", "high": "error", "medium": "warning", "low": "info", "info": "info", "": "info"} {
		if got := Severity(in); got != want {
			t.Errorf("Severity(%q) = %q, want %q", in, got, want)
		}
	}
	for s, want := range map[alert.State]string{alert.StateAlarm: "trigger", alert.StateFinding: "trigger", alert.StateEvent: "trigger", alert.StateOK: "resolve", alert.StateRemediated: "resolve", alert.StateInsufficientData: ""} {
		if got, _ := Action(s); got != want {
			t.Errorf("Action(%s) = %q, want %q", s, got, want)
		}
	}
	long := alert.Alert{ID: strings.Repeat("x", 300)}
	if k := DedupKey(long); len(k) > MaxDedupKeyLength || k != DedupKey(long) {
		t.Errorf("dedup key %q", k)
	}
}

func TestHugeEventIsSlimmed(t *testing.T) {
	a := finding()
	a.Description = strings.Repeat("d", MaxEventBytes)
	ev, _ := NewEvent(routingKey, a)
	b, err := encode(ev)
	if err != nil || len(b) > MaxEventBytes {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
}

func TestErrorsHideRoutingKey(t *testing.T) {
	for status, wantRetry := range map[int]bool{400: false, 429: true, 500: true} {
		f := newFake(t, status)
		retry, err := f.notifier(t).Notify(context.Background(), finding())
		if err == nil || retry != wantRetry {
			t.Errorf("%d: Notify = %v, %v", status, retry, err)
			continue
		}
		if strings.Contains(err.Error(), routingKey) {
			t.Errorf("%d: error leaks the routing key: %q", status, err)
		}
	}
}
