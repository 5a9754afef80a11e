package evidence

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// tagServer stands in for CloudWatch's ListTagsForResource (moto does not
// speak the Smithy RPC v2 CBOR protocol the SDK uses): it checks each
// request and answers with the tags of the alarm ARN asked for, or fails
// with status fail when set.
type tagServer struct {
	t    *testing.T
	tags map[string]map[string]string

	mu    sync.Mutex
	asked []string
	fail  int
}

func (s *tagServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/ListTagsForResource") ||
		r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Method != http.MethodPost {
		s.t.Errorf("request %s %s protocol %q", r.Method, r.URL.Path, r.Header.Get("Smithy-Protocol"))
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.t.Error(err)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	v, err := cbor.Decode(raw)
	if err != nil {
		s.t.Errorf("request is not CBOR: %v", err)
	}
	m, _ := v.(cbor.Map)
	arn, _ := m["ResourceARN"].(cbor.String)
	if len(m) != 1 || arn == "" {
		s.t.Errorf("request body = %#v, want only ResourceARN", m)
	}
	s.mu.Lock()
	s.asked = append(s.asked, string(arn))
	fail := s.fail
	s.mu.Unlock()
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	if fail != 0 {
		w.WriteHeader(fail)
		_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("InternalServiceError"), "message": cbor.String("down")}))
		return
	}
	tags := cbor.List{}
	for k, v := range s.tags[string(arn)] {
		tags = append(tags, cbor.Map{"Key": cbor.String(k), "Value": cbor.String(v)})
	}
	_, _ = w.Write(cbor.Encode(cbor.Map{"Tags": tags}))
}

func (s *tagServer) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.asked...)
}

const (
	webARN   = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:web-cpu-high"
	dbARN    = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:db-cpu-high"
	badARN   = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:bad-runbook"
	bareARN  = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:no-tags"
	otherARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:billing"
)

func alarmAlert(arn string, links ...alert.Link) *alert.Alert {
	return &alert.Alert{Title: "alarm", Labels: map[string]string{alert.LabelAlarmARN: arn}, Links: links}
}

func runbookOf(a *alert.Alert) string {
	for _, l := range a.Links {
		if l.Title == LinkTitleRunbook {
			return l.URL
		}
	}
	return ""
}

func newTagServer(t *testing.T) (*tagServer, *httptest.Server) {
	s := &tagServer{t: t, tags: map[string]map[string]string{
		webARN: {"team": "web", RunbookTag: " https://wiki.example.com/runbooks/web-cpu "},
		dbARN:  {RunbookTag: "https://wiki.example.com/generic", RunbookTagWatchkeeper: "https://wiki.example.com/db"},
		badARN: {RunbookTag: "javascript:alert(1)", RunbookTagWatchkeeper: "https://user:pw@evil.example.com/"},
	}}
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

func TestRunbookTags(t *testing.T) {
	srv, hs := newTagServer(t)
	var logs bytes.Buffer
	r := NewRunbookTags(cwClient(hs.URL), "eu-west-1", slog.New(slog.NewJSONHandler(&logs, nil)))
	cases := []struct {
		name  string
		a     *alert.Alert
		want  string
		calls int
	}{
		{"runbook tag", alarmAlert(webARN), "https://wiki.example.com/runbooks/web-cpu", 1},
		{"cached", alarmAlert(webARN), "https://wiki.example.com/runbooks/web-cpu", 1},
		{"watchkeeper:runbook wins", alarmAlert(dbARN), "https://wiki.example.com/db", 2},
		{"invalid values ignored", alarmAlert(badARN), "", 3},
		{"no tags", alarmAlert(bareARN), "", 4},
		{"no tags, cached", alarmAlert(bareARN), "", 4},
		{"description runbook kept", alarmAlert(webARN+"-2", alert.Link{Title: LinkTitleRunbook, URL: "https://wiki.example.com/desc"}),
			"https://wiki.example.com/desc", 4},
		{"another region", alarmAlert(otherARN), "", 4},
		{"not an alarm", &alert.Alert{Labels: map[string]string{alert.LabelAlarmARN: "arn:aws:sns:eu-west-1:123456789012:topic"}}, "", 4},
		{"no alarm ARN", &alert.Alert{State: alert.StateFinding}, "", 4},
	}
	for _, tc := range cases {
		if err := r.Enrich(t.Context(), tc.a); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := runbookOf(tc.a); got != tc.want {
			t.Errorf("%s: runbook = %q, want %q", tc.name, got, tc.want)
		}
		if n := len(srv.calls()); n != tc.calls {
			t.Errorf("%s: %d ListTagsForResource calls so far, want %d", tc.name, n, tc.calls)
		}
	}
	if n := strings.Count(logs.String(), "not an http(s) URL"); n != 2 {
		t.Errorf("%d warnings about invalid tags, want 2:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "pw@") {
		t.Errorf("log carries the rejected value's credentials: %s", logs.String())
	}
	if got := srv.calls(); got[0] != webARN || got[1] != dbARN {
		t.Errorf("asked for %v", got)
	}
}

func TestRunbookTagsCacheExpires(t *testing.T) {
	srv, hs := newTagServer(t)
	r := NewRunbookTags(cwClient(hs.URL), "eu-west-1", nil)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	for _, step := range []struct {
		advance time.Duration
		calls   int
	}{{0, 1}, {RunbookCacheTTL - time.Second, 1}, {time.Second, 2}, {time.Minute, 2}} {
		now = now.Add(step.advance)
		a := alarmAlert(webARN)
		if err := r.Enrich(t.Context(), a); err != nil || runbookOf(a) == "" {
			t.Fatalf("enrich: %v, links %v", err, a.Links)
		}
		if n := len(srv.calls()); n != step.calls {
			t.Errorf("after %s: %d calls, want %d", step.advance, n, step.calls)
		}
	}
}

// TestRunbookTagsErrorNotCached: a failed read is returned (dispatch logs
// it and sends the alert without the link) and the next alert asks again.
func TestRunbookTagsErrorNotCached(t *testing.T) {
	srv, hs := newTagServer(t)
	srv.fail = http.StatusBadRequest
	r := NewRunbookTags(cwClient(hs.URL), "eu-west-1", nil)
	a := alarmAlert(webARN)
	if err := r.Enrich(t.Context(), a); err == nil || !strings.Contains(err.Error(), "list tags of alarm "+webARN) {
		t.Fatalf("err = %v", err)
	}
	if runbookOf(a) != "" {
		t.Errorf("links = %v", a.Links)
	}
	srv.mu.Lock()
	srv.fail = 0
	srv.mu.Unlock()
	a = alarmAlert(webARN)
	if err := r.Enrich(t.Context(), a); err != nil || runbookOf(a) != "https://wiki.example.com/runbooks/web-cpu" {
		t.Fatalf("retry: %v, links %v", err, a.Links)
	}
	if n := len(srv.calls()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestRunbookURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"https://wiki.example.com/rb#cpu", "https://wiki.example.com/rb#cpu", true},
		{" http://runbooks.internal:8080/x?y=1 ", "http://runbooks.internal:8080/x?y=1", true},
		{"javascript:alert(1)", "", false},
		{"ftp://example.com/rb", "", false},
		{"https://", "", false},
		{"/relative/runbook", "", false},
		{"https://user:pw@example.com/", "", false},
		{"https://example.com/a b", "", false},
		{"https://example.com/\n<!channel>", "", false},
		{"https://example.com/" + strings.Repeat("a", maxTagValueLen), "", false},
		{"", "", false},
	} {
		got, ok := RunbookURL(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("RunbookURL(%q) = %q, %t; want %q, %t", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzRunbookURL(f *testing.F) {
	for _, s := range []string{"https://wiki.example.com/rb", "javascript:alert(1)", "http://[::1]:80/x", "https://a@b/", "%zz", "https://x/\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, ok := RunbookURL(s)
		if !ok {
			if u != "" {
				t.Fatalf("rejected %q but returned %q", s, u)
			}
			return
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			t.Fatalf("accepted %q: not http(s)", u)
		}
		if strings.ContainsAny(u, " \t\r\n") || len(u) > maxTagValueLen {
			t.Fatalf("accepted %q", u)
		}
	})
}
