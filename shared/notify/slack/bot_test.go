package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// apiCall is one request the fake Slack Web API received.
type apiCall struct {
	method, path, auth, contentType string
	json                            map[string]any
	form                            url.Values
	raw                             []byte
}

// fakeWebAPI stands in for slack.com/api and the upload host. Replies are
// per path; the default for chat methods is ok with a fresh ts.
type fakeWebAPI struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	calls   []apiCall
	replies map[string]func(n int) (int, string)
	seq     int
}

func newFakeWebAPI(t *testing.T) *fakeWebAPI {
	f := &fakeWebAPI{t: t, replies: map[string]func(int) (int, string){}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeWebAPI) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c := apiCall{method: r.Method, path: r.URL.Path, auth: r.Header.Get("Authorization"), contentType: r.Header.Get("Content-Type"), raw: b}
	switch {
	case strings.HasPrefix(c.contentType, "application/json"):
		if err := json.Unmarshal(b, &c.json); err != nil {
			f.t.Errorf("%s: body is not JSON: %v", c.path, err)
		}
	case strings.HasPrefix(c.contentType, "application/x-www-form-urlencoded"):
		v, err := url.ParseQuery(string(b))
		if err != nil {
			f.t.Errorf("%s: body is not a form: %v", c.path, err)
		}
		c.form = v
	}
	f.mu.Lock()
	f.calls = append(f.calls, c)
	n := 0
	for _, p := range f.calls {
		if p.path == c.path {
			n++
		}
	}
	f.seq++
	seq := f.seq
	reply := f.replies[c.path]
	f.mu.Unlock()
	if reply != nil {
		status, body := reply(n)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "7")
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
		return
	}
	switch c.path {
	case "/api/chat.postMessage", "/api/chat.update":
		ts := fmt.Sprintf("1700000000.%06d", seq)
		if c.path == "/api/chat.update" {
			ts, _ = c.json["ts"].(string)
		}
		fmt.Fprintf(w, `{"ok":true,"channel":"C123","ts":%q}`, ts)
	case "/api/files.getUploadURLExternal":
		fmt.Fprintf(w, `{"ok":true,"upload_url":%q,"file_id":"F0001"}`, f.srv.URL+"/upload/v1/abc")
	case "/upload/v1/abc":
		io.WriteString(w, "OK - 4")
	case "/api/files.completeUploadExternal":
		io.WriteString(w, `{"ok":true,"files":[{"id":"F0001","title":"graph"}]}`)
	default:
		f.t.Errorf("unexpected call %s %s", c.method, c.path)
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

// paths lists the paths called, in order.
func (f *fakeWebAPI) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.path
	}
	return out
}

func (f *fakeWebAPI) call(i int) apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[i]
}

// memThreads is an in-memory ThreadStore; fail makes every call fail.
type memThreads struct {
	mu   sync.Mutex
	m    map[string]state.Thread
	fail error
}

func newMemThreads() *memThreads { return &memThreads{m: map[string]state.Thread{}} }

func (s *memThreads) Thread(_ context.Context, ch, key string) (state.Thread, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return state.Thread{}, false, s.fail
	}
	th, ok := s.m[ch+"#"+key]
	return th, ok, nil
}

func (s *memThreads) SaveThread(_ context.Context, ch, key string, th state.Thread) (state.Thread, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return state.Thread{}, s.fail
	}
	if old, ok := s.m[ch+"#"+key]; ok {
		return old, nil
	}
	s.m[ch+"#"+key] = th
	return th, nil
}

func (s *memThreads) ReplaceThread(_ context.Context, ch, key string, th state.Thread) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.m[ch+"#"+key] = th
	return nil
}

func newBot(t *testing.T, f *fakeWebAPI, threads ThreadStore) *Notifier {
	t.Helper()
	opts := []notify.Option{notify.WithHTTPClient(f.srv.Client()), notify.WithEndpoint(f.srv.URL + "/api")}
	if threads != nil {
		opts = append(opts, notify.WithThreads(threads))
	}
	n, err := New(config.Channel{Name: "ops", Type: Type, Token: tokenRef, SlackChannel: "C123"}, secrets(f.srv.URL), nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBotRepliesInTheAlertsThread(t *testing.T) {
	f := newFakeWebAPI(t)
	threads := newMemThreads()
	n := newBot(t, f, threads)
	ctx := context.Background()

	a := testAlert()
	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	first := f.call(0)
	if first.path != "/api/chat.postMessage" || first.method != http.MethodPost || first.auth != "Bearer "+testToken {
		t.Fatalf("first call %+v", first)
	}
	if _, has := first.json["thread_ts"]; has || first.json["channel"] != "C123" {
		t.Errorf("first message = %v; want top-level in C123", first.json)
	}
	root, ok, _ := threads.Thread(ctx, "ops", a.ID)
	if !ok || root.ChannelID != "C123" || root.TS != "1700000000.000001" {
		t.Fatalf("recorded thread = %+v, %v", root, ok)
	}

	// A later state of the same alert replies in that thread, not broadcast.
	a.State, a.PreviousState = alert.StateInsufficientData, alert.StateAlarm
	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	reply := f.call(1)
	if reply.json["thread_ts"] != root.TS || reply.json["reply_broadcast"] != nil {
		t.Errorf("state change = %v; want a quiet reply in %s", reply.json, root.TS)
	}
	// The resolution replies and is broadcast to the channel.
	a.State, a.PreviousState = alert.StateOK, alert.StateInsufficientData
	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	res := f.call(2)
	if res.json["thread_ts"] != root.TS || res.json["reply_broadcast"] != true {
		t.Errorf("resolution = %v; want a broadcast reply", res.json)
	}
	// The thread still points at the first message.
	if th, _, _ := threads.Thread(ctx, "ops", a.ID); th != root {
		t.Errorf("thread moved to %+v", th)
	}
	// Another alert starts its own thread.
	b := testAlert()
	b.ID = "a2"
	if _, err := n.Notify(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, has := f.call(3).json["thread_ts"]; has {
		t.Error("a different alert replied in another alert's thread")
	}
}

func TestBotWithoutThreadStorePostsTopLevel(t *testing.T) {
	f := newFakeWebAPI(t)
	n := newBot(t, f, nil)
	a := testAlert()
	for _, s := range []alert.State{alert.StateAlarm, alert.StateOK} {
		a.State = s
		if _, err := n.Notify(context.Background(), a); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 2 {
		if _, has := f.call(i).json["thread_ts"]; has {
			t.Errorf("call %d threads without a store: %v", i, f.call(i).json)
		}
	}
}

func TestBotThreadStoreFailureStillDelivers(t *testing.T) {
	f := newFakeWebAPI(t)
	threads := newMemThreads()
	threads.fail = errors.New("ProvisionedThroughputExceededException")
	n := newBot(t, f, threads)
	retry, err := n.Notify(context.Background(), testAlert())
	if err != nil || retry {
		t.Fatalf("Notify = %v, %v; want delivered without a thread", retry, err)
	}
	if got := f.paths(); len(got) != 1 || got[0] != "/api/chat.postMessage" {
		t.Errorf("calls = %v", got)
	}
}

func TestBotUploadsGraphIntoThread(t *testing.T) {
	f := newFakeWebAPI(t)
	threads := newMemThreads()
	n := newBot(t, f, threads)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 300)...)
	a := testAlert()
	a.Graph = png
	a.GraphURL = "https://bucket.s3.amazonaws.com/graphs/x.png?X-Amz-Signature=abc"
	if _, err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/chat.postMessage", "/api/files.getUploadURLExternal", "/upload/v1/abc", "/api/files.completeUploadExternal"}
	if got := f.paths(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("calls = %v; want %v (message first, never files.upload)", got, want)
	}
	msg := f.call(0)
	if strings.Contains(string(msg.raw), "X-Amz-Signature") {
		t.Error("the bot message links the S3 copy although it uploads the image")
	}
	get := f.call(1)
	if get.auth != "Bearer "+testToken || get.form.Get("filename") != "a1-alarm.png" || get.form.Get("length") != fmt.Sprint(len(png)) {
		t.Errorf("getUploadURLExternal = %s %v", get.auth, get.form)
	}
	up := f.call(2)
	if up.method != http.MethodPost || !bytes.Equal(up.raw, png) || up.auth != "" {
		t.Errorf("upload = %s, %d bytes, auth %q; want the PNG posted without the token", up.method, len(up.raw), up.auth)
	}
	done := f.call(3)
	var files []map[string]string
	if err := json.Unmarshal([]byte(done.form.Get("files")), &files); err != nil || len(files) != 1 || files[0]["id"] != "F0001" || !strings.HasPrefix(files[0]["title"], "Metric graph: cpu &lt;!channel&gt;") {
		t.Errorf("files = %q (%v)", done.form.Get("files"), err)
	}
	root, _, _ := threads.Thread(context.Background(), "ops", a.ID)
	if done.form.Get("channel_id") != "C123" || done.form.Get("thread_ts") != root.TS || root.TS == "" {
		t.Errorf("complete = %v; want channel C123 and thread %s", done.form, root.TS)
	}

	// The OK state's graph goes into the same thread.
	a.State = alert.StateOK
	if _, err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if last := f.call(7); last.path != "/api/files.completeUploadExternal" || last.form.Get("thread_ts") != root.TS {
		t.Errorf("second graph = %s %v", last.path, last.form)
	}
}

func TestBotGraphUploadFailureKeepsTheMessage(t *testing.T) {
	for _, tt := range []struct {
		name, path string
		status     int
		reply      string
	}{
		{"reserve refused", "/api/files.getUploadURLExternal", http.StatusOK, `{"ok":false,"error":"invalid_auth"}`},
		{"upload host down", "/upload/v1/abc", http.StatusServiceUnavailable, "busy"},
		{"complete refused", "/api/files.completeUploadExternal", http.StatusOK, `{"ok":false,"error":"not_in_channel"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeWebAPI(t)
			f.replies[tt.path] = func(int) (int, string) { return tt.status, tt.reply }
			n := newBot(t, f, newMemThreads())
			a := testAlert()
			a.Graph = []byte("\x89PNG\r\n\x1a\nxx")
			retry, err := n.Notify(context.Background(), a)
			if err != nil || retry {
				t.Fatalf("Notify = %v, %v; want sent", retry, err)
			}
			if got := f.paths(); got[0] != "/api/chat.postMessage" {
				t.Errorf("calls = %v; the message must go first", got)
			}
		})
	}
}

func TestBotUpdatesGroupMessageInPlace(t *testing.T) {
	f := newFakeWebAPI(t)
	threads := newMemThreads()
	n := newBot(t, f, threads)
	ctx := context.Background()
	a := testAlert()
	a.ID = "g-alert"
	a.Group = &alert.Group{Key: "root/{alarm=\"cpu\"}", Count: 2, Since: time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC)}

	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	if c := f.call(0); c.path != "/api/chat.postMessage" {
		t.Fatalf("first group message via %s", c.path)
	}
	th, ok, _ := threads.Thread(ctx, "ops", GroupThreadKey(a.Group.Key))
	if !ok {
		t.Fatal("group message not recorded")
	}
	a.Group.Count = 40
	a.Title = "cpu storm"
	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	up := f.call(1)
	if up.path != "/api/chat.update" || up.json["ts"] != th.TS || up.json["channel"] != "C123" || up.auth != "Bearer "+testToken {
		t.Fatalf("update = %s %v", up.path, up.json)
	}
	if !strings.Contains(string(up.raw), "cpu storm") {
		t.Errorf("update does not carry the new rendering: %s", up.raw)
	}

	// The message was deleted: post a new one and remember it instead.
	f.replies["/api/chat.update"] = func(int) (int, string) { return http.StatusOK, `{"ok":false,"error":"message_not_found"}` }
	if _, err := n.Notify(ctx, a); err != nil {
		t.Fatal(err)
	}
	if got := f.paths(); strings.Join(got[2:], " ") != "/api/chat.update /api/chat.postMessage" {
		t.Fatalf("calls = %v", got)
	}
	th2, _, _ := threads.Thread(ctx, "ops", GroupThreadKey(a.Group.Key))
	if th2.TS == th.TS || th2.TS == "" {
		t.Errorf("group thread not replaced: %+v → %+v", th, th2)
	}

	// Any other update failure is the delivery's failure (retried).
	f.replies["/api/chat.update"] = func(int) (int, string) { return http.StatusOK, `{"ok":false,"error":"ratelimited"}` }
	if retry, err := n.Notify(ctx, a); err == nil || !retry {
		t.Errorf("rate-limited update = %v, %v; want a retryable error", retry, err)
	}
}

func TestBotWithWrongThreadStoreType(t *testing.T) {
	_, err := New(config.Channel{Name: "ops", Type: Type, Token: tokenRef, SlackChannel: "C1"}, secrets(""), nil, notify.WithThreads("not a store"))
	if err == nil || !strings.Contains(err.Error(), "ThreadStore") {
		t.Errorf("New = %v; want a clear error", err)
	}
}

func TestGraphFileNameAndTitle(t *testing.T) {
	tests := []struct {
		a         alert.Alert
		file, ttl string
	}{
		{alert.Alert{ID: "abc123", State: alert.StateAlarm, Title: "cpu"}, "abc123-alarm.png", "Metric graph: cpu"},
		{alert.Alert{ID: "../../etc", State: alert.StateInsufficientData, Title: "<!here> & co"}, "------etc-insufficient_data.png", "Metric graph: &lt;!here&gt; &amp; co"},
		{alert.Alert{State: alert.StateOK, Title: strings.Repeat("é", 400)}, "alert-ok.png", "Metric graph: " + strings.Repeat("é", SlackMaxFileTitle-len("Metric graph: ")-1) + "…"},
	}
	for _, tt := range tests {
		if got := graphFileName(tt.a); got != tt.file {
			t.Errorf("graphFileName(%q) = %q; want %q", tt.a.ID, got, tt.file)
		}
		if got := graphTitle(tt.a); got != tt.ttl {
			t.Errorf("graphTitle(%q) = %q; want %q", tt.a.Title, got, tt.ttl)
		}
	}
}
