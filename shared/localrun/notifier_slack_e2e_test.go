package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// e2eToken is the literal bot token of the end-to-end config (the local
// profile allows literal secrets; synth would refuse it).
const e2eToken = "xoxb-e2e-local-token"

// slackStandIn is a local Slack Web API: it checks the bot's requests and
// records them.
type slackStandIn struct {
	t   testing.TB
	srv *httptest.Server

	mu    sync.Mutex
	calls []slackCall
}

type slackCall struct {
	path string
	auth string
	json map[string]any
	form url.Values
	size int
}

func newSlackStandIn(t testing.TB) *slackStandIn {
	s := &slackStandIn{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *slackStandIn) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c := slackCall{path: r.URL.Path, auth: r.Header.Get("Authorization"), size: len(b)}
	if r.Method != http.MethodPost {
		s.t.Errorf("%s %s: want POST", r.Method, r.URL.Path)
	}
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/json"):
		if err := json.Unmarshal(b, &c.json); err != nil {
			s.t.Errorf("%s: body is not JSON: %v", c.path, err)
		}
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		c.form, _ = url.ParseQuery(string(b))
	}
	s.mu.Lock()
	s.calls = append(s.calls, c)
	n := len(s.calls)
	s.mu.Unlock()
	switch c.path {
	case "/api/chat.postMessage":
		fmt.Fprintf(w, `{"ok":true,"channel":"C0123456789","ts":"1764000000.%06d"}`, n)
	case "/api/files.getUploadURLExternal":
		fmt.Fprintf(w, `{"ok":true,"upload_url":%q,"file_id":"F0E2E"}`, s.srv.URL+"/upload/F0E2E")
	case "/upload/F0E2E":
		io.WriteString(w, "OK")
	case "/api/files.completeUploadExternal":
		io.WriteString(w, `{"ok":true,"files":[{"id":"F0E2E","title":"graph"}]}`)
	default:
		s.t.Errorf("unexpected Slack call %s", c.path)
		w.WriteHeader(http.StatusNotFound)
	}
}

func (s *slackStandIn) recorded() []slackCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]slackCall(nil), s.calls...)
}

func (s *slackStandIn) reset() {
	s.mu.Lock()
	s.calls = nil
	s.mu.Unlock()
}

// graphStandIn answers CloudWatch's GetMetricWidgetImage (Smithy RPC v2
// CBOR, which moto does not speak) with a small PNG.
func graphStandIn(t testing.TB) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/operation/GetMetricWidgetImage") {
			t.Errorf("unexpected CloudWatch call %s", r.URL.Path)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write(cbor.Encode(cbor.Map{"MetricWidgetImage": cbor.Slice([]byte("\x89PNG\r\n\x1a\ne2e-graph"))}))
	}))
	t.Cleanup(srv.Close)
	return srv
}

var (
	notifierOnce sync.Once
	notifierBin  string
	notifierErr  error
)

// notifierBinary builds the real notifier for this machine once, under
// build/ (ignored by git) like the emulator.
func notifierBinary(t testing.TB) string {
	t.Helper()
	notifierOnce.Do(func() {
		notifierBin, notifierErr = BuildHost(context.Background(), repoRoot, "./functions/notifier",
			filepath.Join(repoRoot, "build", "e2e", "notifier"))
	})
	if notifierErr != nil {
		t.Fatal(notifierErr)
	}
	return notifierBin
}

// startSlackNotifier runs the notifier under the emulator with a config
// whose one channel is a Slack bot pointed at slack, and CloudWatch at graph.
func startSlackNotifier(t testing.TB, slack *slackStandIn, graph *httptest.Server) *Session {
	t.Helper()
	needEmulator(t)
	cfg := filepath.Join(t.TempDir(), "watchkeeper.e2e.yaml")
	body := fmt.Sprintf(`version: 1
deployment:
  account_alias: acme-e2e
notifications:
  channels:
    - name: slack-bot
      type: slack
      token: %s
      slack_channel: C0123456789
      api_url: %s/api
  receivers:
    - {name: ops, channels: [slack-bot]}
  route:
    receiver: ops
`, e2eToken, slack.srv.URL)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), InvokeOptions{
		Bootstrap:    notifierBinary(t),
		RIE:          rieBin,
		FunctionName: "notifier",
		HostEnv:      []string{"PATH=" + os.Getenv("PATH")},
		Env: map[string]string{
			funcenv.Config: cfg,
			// Nothing may reach AWS: every other service points at a closed port.
			"AWS_ENDPOINT_URL":            "http://127.0.0.1:9",
			"AWS_ENDPOINT_URL_CLOUDWATCH": graph.URL,
		},
		Logs: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestNotifierSlackBotEndToEnd: the real notifier binary under the Runtime
// Interface Emulator gets the SNS-wrapped CPU alarm sample and posts it with
// chat.postMessage to a local Slack stand-in, then uploads the metric graph
// into the message's thread through the external upload flow.
func TestNotifierSlackBotEndToEnd(t *testing.T) {
	slack := newSlackStandIn(t)
	s := startSlackNotifier(t, slack, graphStandIn(t))
	event, err := os.ReadFile(filepath.Join(repoRoot, "events", "notifier", "sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("notifier failed: %s: %s\n%s", res.ErrorType, res.ErrorMessage, res.Logs)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Body, err)
	}
	if len(resp.Deliveries) != 1 || resp.Deliveries[0].Channel != "slack-bot" || resp.Deliveries[0].Status != "sent" {
		t.Fatalf("deliveries = %+v\n%s", resp.Deliveries, res.Logs)
	}

	calls := slack.recorded()
	var paths []string
	for _, c := range calls {
		paths = append(paths, c.path)
	}
	want := "/api/chat.postMessage /api/files.getUploadURLExternal /upload/F0E2E /api/files.completeUploadExternal"
	if strings.Join(paths, " ") != want {
		t.Fatalf("Slack calls = %v; want %s\n%s", paths, want, res.Logs)
	}
	post := calls[0]
	if post.auth != "Bearer "+e2eToken || post.json["channel"] != "C0123456789" {
		t.Errorf("chat.postMessage auth %q channel %v", post.auth, post.json["channel"])
	}
	if text, _ := post.json["text"].(string); !strings.Contains(text, "ALARM: web-cpu-high") {
		t.Errorf("message text %q does not carry the alarm's title", text)
	}
	if blocks, _ := post.json["blocks"].([]any); len(blocks) < 3 {
		t.Errorf("message has %d blocks", len(blocks))
	}
	if done := calls[3].form; done.Get("thread_ts") != "1764000000.000001" || done.Get("channel_id") != "C0123456789" {
		t.Errorf("graph not shared into the message's thread: %v", done)
	}
}
