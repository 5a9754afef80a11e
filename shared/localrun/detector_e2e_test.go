package localrun

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// eventBridgeSink is a local EventBridge endpoint: it decodes PutEvents
// requests as the SDK sends them and keeps the findings.
type eventBridgeSink struct {
	mu       sync.Mutex
	calls    int
	findings []alert.Detail
}

func (s *eventBridgeSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Entries []struct{ Source, DetailType, Detail, EventBusName string }
	}
	if r.Header.Get("X-Amz-Target") != "AWSEvents.PutEvents" {
		http.Error(w, "unexpected call "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	var results []map[string]string
	for i, e := range in.Entries {
		var d alert.Detail
		if e.Source != alert.SourceDetector || e.DetailType != alert.DetailTypeFinding || e.EventBusName != "watchkeeper" ||
			json.Unmarshal([]byte(e.Detail), &d) != nil {
			http.Error(w, "entry is not a watchkeeper finding", http.StatusBadRequest)
			return
		}
		s.findings = append(s.findings, d)
		results = append(results, map[string]string{"EventId": fmt.Sprintf("ev-%d-%d", s.calls, i)})
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(map[string]any{"FailedEntryCount": 0, "Entries": results})
}

func (s *eventBridgeSink) rules() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.findings {
		out = append(out, d.Rule)
	}
	slices.Sort(out)
	return out
}

// detectorEvent is a Logs subscription event: a trail stopped (the attack
// pack) and three failed console sign-ins from one address (a threshold).
func detectorEvent(t *testing.T) []byte {
	t.Helper()
	at := time.Date(2026, 11, 25, 9, 14, 7, 0, time.UTC)
	rec := func(i int, fields map[string]any) string {
		r := map[string]any{
			"eventVersion": "1.10", "eventTime": at.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "accountId": "123456789012", "userName": "alice"},
			"awsRegion":    "eu-west-1", "sourceIPAddress": "203.0.113.10", "userAgent": "aws-cli/2.22.4",
			"eventID": fmt.Sprintf("e2e00000-0000-4000-8000-%012d", i), "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
		}
		for k, v := range fields {
			r[k] = v
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	msgs := []string{rec(0, map[string]any{"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
		"requestParameters": map[string]any{"name": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main"}})}
	for i := 1; i <= 3; i++ {
		msgs = append(msgs, rec(i, map[string]any{"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "eventType": "AwsConsoleSignIn",
			"sourceIPAddress": "198.51.100.77", "errorMessage": "Failed authentication",
			"userIdentity":        map[string]any{"type": "IAMUser", "accountId": "123456789012", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS"},
			"responseElements":    map[string]any{"ConsoleLogin": "Failure"},
			"additionalEventData": map[string]any{"MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"}}))
	}
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	batch := map[string]any{"messageType": alert.LogsDataMessage, "owner": "123456789012", "logGroup": "aws-cloudtrail-logs-e2e",
		"logStream": "123456789012_CloudTrail_eu-west-1", "subscriptionFilters": []string{"watchkeeper-detector"}}
	var events []logEvent
	for i, m := range msgs {
		events = append(events, logEvent{ID: fmt.Sprint(i), Timestamp: at.UnixMilli() + int64(i), Message: m})
	}
	batch["logEvents"] = events
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

// TestDetectorBinaryPublishesFindings runs the real detector under the
// Runtime Interface Emulator with its state table in moto and its
// EventBridge endpoint a local sink: a pack rule and a threshold fire, both
// findings arrive in one PutEvents call, and a redelivery publishes nothing
// again (dedup).
func TestDetectorBinaryPublishesFindings(t *testing.T) {
	needEmulator(t)
	m := moto.Get(t)
	db := dynamodb.NewFromConfig(m.Config(t.Context()))
	if err := state.CreateTable(t.Context(), db, "detector-e2e"); err != nil {
		t.Fatal(err)
	}
	sink := &eventBridgeSink{}
	eb := httptest.NewServer(sink)
	defer eb.Close()

	dir := t.TempDir()
	cfg := filepath.Join(dir, "watchkeeper.yaml")
	if err := os.WriteFile(cfg, []byte(`version: 1
detection:
  packs: [attack]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	bin, err := BuildHost(t.Context(), repoRoot, "./functions/detector", filepath.Join(dir, "detector"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"WATCHKEEPER_CONFIG": cfg, "WATCHKEEPER_TABLE": "detector-e2e", "WATCHKEEPER_BUS": "watchkeeper",
		"AWS_ENDPOINT_URL_EVENTBRIDGE": eb.URL,
	}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	sess, err := Start(t.Context(), InvokeOptions{Bootstrap: bin, RIE: rieBin, FunctionName: "detector", FunctionTimeout: 30 * time.Second,
		HostEnv: []string{"PATH=" + os.Getenv("PATH")}, Env: env, Logs: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()

	event := detectorEvent(t)
	res, err := sess.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("detector failed: %s: %s", res.ErrorType, res.ErrorMessage)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		t.Fatal(err)
	}
	rules := sink.rules()
	for _, want := range []string{"attack.defense-evasion.cloudtrail-stopped", "attack.credential-access.console-login-failure-burst"} {
		if !slices.Contains(rules, want) {
			t.Errorf("findings on the bus %v lack %s", rules, want)
		}
	}
	if sink.calls != 1 {
		t.Errorf("%d PutEvents calls for %d findings, want one batch", sink.calls, len(rules))
	}
	for _, d := range sink.findings {
		if d.Rule == "attack.credential-access.console-login-failure-burst" && (d.Count != 3 || d.Technique != "T1110" || d.Record.SourceIP != "198.51.100.77") {
			t.Errorf("threshold finding = %+v", d)
		}
		if d.Rule == "attack.defense-evasion.cloudtrail-stopped" && d.Technique != "T1562.008" {
			t.Errorf("pack finding technique = %q", d.Technique)
		}
	}
	if resp.Records == nil || resp.Records.Parsed != 4 {
		t.Errorf("response = %+v", resp)
	}

	// The same batch delivered again: every finding is already published.
	if res, err = sess.Invoke(t.Context(), event); err != nil || res.FunctionError {
		t.Fatalf("redelivery: %v %s", err, res.ErrorMessage)
	}
	if got := sink.rules(); len(got) != len(rules) {
		t.Errorf("redelivery published again: %v", got)
	}
}
