package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
)

const (
	hookRef   = config.SecretRef("arn:aws:secretsmanager:eu-west-1:123456789012:secret:slack-hook")
	tokenRef  = config.SecretRef("ssm:/watchkeeper/slack-token")
	hookPath  = "/services/T0000/B0000/HookSecretXYZ"
	testToken = "xoxb-1111-2222-TokenSecret"
)

func testAlert() alert.Alert {
	return alert.Alert{
		ID: "a1", State: alert.StateAlarm, Severity: alert.SeverityHigh, Title: "cpu <!channel>",
		Reason: "Threshold crossed", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Labels: map[string]string{"account": "123456789012"},
	}
}

func secrets(base string) notify.SecretFunc {
	return func(_ context.Context, ref config.SecretRef) (string, error) {
		switch ref {
		case hookRef:
			return base + hookPath, nil
		case tokenRef:
			return testToken, nil
		}
		return "", errors.New("unknown secret " + string(ref))
	}
}

// received is what the fake Slack saw.
type received struct {
	method, path, contentType, auth string
	body                            map[string]any
}

func fakeSlack(t *testing.T, status int, reply string) (*httptest.Server, *received) {
	t.Helper()
	got := &received{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.method, got.path = r.Method, r.URL.Path
		got.contentType, got.auth = r.Header.Get("Content-Type"), r.Header.Get("Authorization")
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &got.body); err != nil {
			t.Errorf("body is not JSON: %v", err)
		}
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestWebhookPost(t *testing.T) {
	srv, got := fakeSlack(t, http.StatusOK, "ok")
	n, err := New(config.Channel{Name: "ops", Type: Type, WebhookURL: hookRef}, secrets(srv.URL), nil, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), testAlert())
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got.method != http.MethodPost || got.path != hookPath || !strings.HasPrefix(got.contentType, "application/json") {
		t.Errorf("request %+v", got)
	}
	blocks, _ := got.body["blocks"].([]any)
	if len(blocks) < 2 || blocks[0].(map[string]any)["type"] != "header" {
		t.Fatalf("blocks = %v", got.body["blocks"])
	}
	head := blocks[0].(map[string]any)["text"].(map[string]any)["text"].(string)
	if !strings.Contains(head, "cpu &lt;!channel&gt;") {
		t.Errorf("header %q not escaped", head)
	}
	if _, ok := got.body["channel"]; ok {
		t.Error("webhook body names a channel")
	}
}

func TestWebhookErrors(t *testing.T) {
	tests := []struct {
		status    int
		reply     string
		wantRetry bool
	}{
		{http.StatusBadRequest, "invalid_payload", false},
		{http.StatusNotFound, "no_service", false},
		{http.StatusGone, "channel_is_archived", false},
		{http.StatusTooManyRequests, "rate_limited", true},
		{http.StatusInternalServerError, "oops", true},
	}
	for _, tt := range tests {
		srv, _ := fakeSlack(t, tt.status, tt.reply)
		n, err := New(config.Channel{Name: "ops", Type: Type, WebhookURL: hookRef}, secrets(srv.URL), nil, notify.WithHTTPClient(srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		retry, err := n.Notify(context.Background(), testAlert())
		if err == nil || retry != tt.wantRetry {
			t.Errorf("%d: Notify = %v, %v; want retry %v", tt.status, retry, err, tt.wantRetry)
			continue
		}
		if strings.Contains(err.Error(), "HookSecretXYZ") || strings.Contains(err.Error(), srv.URL) {
			t.Errorf("%d: error leaks the webhook URL: %q", tt.status, err)
		}
		if !strings.Contains(err.Error(), tt.reply) {
			t.Errorf("%d: error %q does not quote Slack's answer", tt.status, err)
		}
	}
}

func TestWebhookUnreachableHidesURL(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	n, err := New(config.Channel{Name: "ops", Type: Type, WebhookURL: hookRef}, secrets(base), nil)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), testAlert())
	if err == nil || !retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if strings.Contains(err.Error(), "HookSecretXYZ") || strings.Contains(err.Error(), base) {
		t.Errorf("error leaks the webhook URL: %q", err)
	}
}

func TestPostMessage(t *testing.T) {
	srv, got := fakeSlack(t, http.StatusOK, `{"ok":true,"channel":"C123","ts":"1.2"}`)
	n, err := New(config.Channel{Name: "ops", Type: Type, Token: tokenRef, SlackChannel: "C123"}, secrets(srv.URL), nil,
		notify.WithHTTPClient(srv.Client()), notify.WithEndpoint(srv.URL+"/api/"))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), testAlert()); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got.path != "/api/chat.postMessage" || got.auth != "Bearer "+testToken || got.body["channel"] != "C123" {
		t.Errorf("request %+v", got)
	}
	if _, ok := got.body["blocks"].([]any); !ok || got.body["text"] == "" {
		t.Errorf("body %v", got.body)
	}
}

func TestPostMessageAPIErrors(t *testing.T) {
	tests := []struct {
		status    int
		reply     string
		wantRetry bool
		wantText  string
	}{
		{http.StatusOK, `{"ok":false,"error":"ratelimited"}`, true, "ratelimited"},
		{http.StatusOK, `{"ok":false,"error":"channel_not_found"}`, false, "channel_not_found"},
		{http.StatusOK, `{"ok":false,"error":"invalid_auth"}`, false, "invalid_auth"},
		{http.StatusOK, `{"ok":false,"error":"internal_error"}`, true, "internal_error"},
		{http.StatusTooManyRequests, `{"ok":false,"error":"ratelimited"}`, true, "429"},
		{http.StatusOK, `not json ` + testToken, false, "decode"},
	}
	for _, tt := range tests {
		srv, _ := fakeSlack(t, tt.status, tt.reply)
		n, err := New(config.Channel{Name: "ops", Type: Type, Token: tokenRef, SlackChannel: "C1"}, secrets(srv.URL), nil,
			notify.WithHTTPClient(srv.Client()), notify.WithEndpoint(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		retry, err := n.Notify(context.Background(), testAlert())
		if err == nil || retry != tt.wantRetry || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("%s: Notify = %v, %v; want retry %v and %q", tt.reply, retry, err, tt.wantRetry, tt.wantText)
		}
		if err != nil && strings.Contains(err.Error(), testToken) {
			t.Errorf("error leaks the token: %q", err)
		}
	}
}

func TestSecretFailureIsRetryable(t *testing.T) {
	failing := func(context.Context, config.SecretRef) (string, error) { return "", errors.New("ThrottlingException") }
	n, err := New(config.Channel{Name: "ops", Type: Type, WebhookURL: hookRef}, failing, nil)
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(context.Background(), testAlert())
	if !retry || err == nil || !strings.Contains(err.Error(), "resolve secret") {
		t.Errorf("Notify = %v, %v", retry, err)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  config.Channel
	}{
		{"nothing", config.Channel{Name: "x", Type: Type}},
		{"token without channel", config.Channel{Name: "x", Type: Type, Token: tokenRef}},
		{"wrong type", config.Channel{Name: "x", Type: "teams", WebhookURL: hookRef}},
	}
	for _, tt := range tests {
		if _, err := New(tt.cfg, secrets(""), nil); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}
