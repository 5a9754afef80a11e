package teams

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

const hookRef = config.SecretRef("ssm:/watchkeeper/teams-hook")

// workflowsPath looks like a Workflows trigger URL: the sig parameter is the secret.
const workflowsPath = "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SigSecret123"

func newNotifier(t *testing.T, base string, c *http.Client) *Notifier {
	t.Helper()
	secret := func(_ context.Context, ref config.SecretRef) (string, error) { return base + workflowsPath, nil }
	n, err := New(config.Channel{Name: "team", Type: Type, WebhookURL: hookRef}, secret, nil, notify.WithHTTPClient(c))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPostsAdaptiveCard(t *testing.T) {
	var msg render.TeamsMessage
	var contentType, sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		contentType, sig = r.Header.Get("Content-Type"), r.URL.Query().Get("sig")
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Errorf("body: %v", err)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	a := alert.Alert{ID: "x", State: alert.StateFinding, Severity: alert.SeverityCritical, Title: "root login **now**"}
	if retry, err := newNotifier(t, srv.URL, srv.Client()).Notify(context.Background(), a); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if contentType != "application/json; charset=utf-8" || sig != "SigSecret123" {
		t.Errorf("content type %q, sig %q", contentType, sig)
	}
	if msg.Type != "message" || len(msg.Attachments) != 1 || msg.Attachments[0].ContentType != render.TeamsCardContentType {
		t.Fatalf("envelope %+v", msg)
	}
	card := msg.Attachments[0].Content
	if card.Type != "AdaptiveCard" || card.Version != "1.4" || len(card.Body) == 0 {
		t.Fatalf("card %+v", card)
	}
	if got := card.Body[0].Text; got != `FINDING: root login \*\*now\*\*` {
		t.Errorf("headline %q", got)
	}
}

func TestErrorsAreClassifiedAndRedacted(t *testing.T) {
	for status, wantRetry := range map[int]bool{400: false, 413: false, 429: true, 502: true} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "failed for "+r.URL.String(), status)
		}))
		retry, err := newNotifier(t, srv.URL, srv.Client()).Notify(context.Background(), alert.Alert{ID: "x", State: alert.StateAlarm})
		srv.Close()
		if err == nil || retry != wantRetry {
			t.Errorf("%d: Notify = %v, %v", status, retry, err)
			continue
		}
		if strings.Contains(err.Error(), "SigSecret123") || strings.Contains(err.Error(), srv.URL) {
			t.Errorf("%d: error leaks the URL: %q", status, err)
		}
	}
}

func TestNewNeedsWebhook(t *testing.T) {
	if _, err := New(config.Channel{Name: "t", Type: Type}, nil, nil); err == nil {
		t.Error("no error without webhook_url")
	}
}
