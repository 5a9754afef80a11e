package notify_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/pagerduty"
	"github.com/watchkeeper/watchkeeper/shared/notify/slack"
)

// waits records the waits a Retrier chose, without sleeping.
type waits struct {
	mu sync.Mutex
	d  []time.Duration
}

func (w *waits) wait(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.d = append(w.d, d)
	return nil
}

func (w *waits) got() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.d)
}

// script answers requests in turn: status (and Retry-After seconds) per
// attempt; a status of 0 hangs until the client gives up. The last entry
// repeats.
type script struct {
	t     *testing.T
	steps []step
	calls atomic.Int32
	ok    atomic.Int32
	body  string
}

type step struct {
	status     int
	retryAfter string
}

func (s *script) server() *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		n := int(s.calls.Add(1)) - 1
		st := s.steps[min(n, len(s.steps)-1)]
		switch {
		case st.status == 0:
			<-r.Context().Done()
			return
		case st.retryAfter != "":
			w.Header().Set("Retry-After", st.retryAfter)
		}
		w.WriteHeader(st.status)
		if st.status/100 == 2 {
			s.ok.Add(1)
			io.WriteString(w, s.body)
			return
		}
		io.WriteString(w, `{"ok":false,"error":"try later"}`)
	}))
	s.t.Cleanup(srv.Close)
	return srv
}

type faultChannel struct {
	name  string
	build func(t *testing.T, srv *httptest.Server, opts ...notify.Option) notify.Notifier
	ok    string // the body of a success
	okSt  int
}

func channelsUnderTest() []faultChannel {
	literal := func(_ context.Context, ref config.SecretRef) (string, error) { return string(ref), nil }
	return []faultChannel{
		{"slack webhook", func(t *testing.T, srv *httptest.Server, opts ...notify.Option) notify.Notifier {
			n, err := slack.New(config.Channel{Name: "hook", Type: slack.Type, WebhookURL: config.SecretRef(srv.URL + "/services/T/B/x")}, literal, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}, "ok", http.StatusOK},
		{"slack bot", func(t *testing.T, srv *httptest.Server, opts ...notify.Option) notify.Notifier {
			n, err := slack.New(config.Channel{Name: "bot", Type: slack.Type, Token: "xoxb-test", SlackChannel: "C1", APIURL: srv.URL + "/api"}, literal, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}, `{"ok":true,"channel":"C1","ts":"1.1"}`, http.StatusOK},
		{"pagerduty", func(t *testing.T, srv *httptest.Server, opts ...notify.Option) notify.Notifier {
			n, err := pagerduty.New(config.Channel{Name: "pd", Type: pagerduty.Type, RoutingKey: "R0UT1NGKEY0123456789012345678901"}, literal, nil,
				append(opts, notify.WithEndpoint(srv.URL+"/v2/enqueue"))...)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}, `{"status":"success","message":"Event processed","dedup_key":"k"}`, http.StatusAccepted},
	}
}

func faultAlert() alert.Alert {
	return alert.Alert{ID: "f1", Key: "k1", State: alert.StateAlarm, Severity: alert.SeverityHigh, Title: "cpu", Source: alert.SourceAlarm,
		Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Labels: map[string]string{"alarm": "cpu"}}
}

// A 429 with Retry-After, then success: delivered exactly once, after the
// wait the server asked for.
func TestFault429ThenSuccessHonoursRetryAfter(t *testing.T) {
	for _, ch := range channelsUnderTest() {
		t.Run(ch.name, func(t *testing.T) {
			s := &script{t: t, steps: []step{{http.StatusTooManyRequests, "7"}, {ch.okSt, ""}}, body: ch.ok}
			srv := s.server()
			w := &waits{}
			r := &notify.Retrier{Jitter: func() float64 { return 0.5 }, Wait: w.wait}
			n := r.Wrap(ch.build(t, srv, notify.WithHTTPClient(srv.Client())))
			retry, err := n.Notify(context.Background(), faultAlert())
			if err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			if s.calls.Load() != 2 || s.ok.Load() != 1 {
				t.Errorf("%d requests, %d answered ok; want 2 and exactly 1", s.calls.Load(), s.ok.Load())
			}
			if got := w.got(); !slices.Equal(got, []time.Duration{7 * time.Second}) {
				t.Errorf("waits = %v; want the 7s Retry-After", got)
			}
		})
	}
}

// A 500, then a request that times out, then success: each failure is
// retried with backoff, and the message goes out once.
func TestFault500ThenTimeoutThenSuccess(t *testing.T) {
	for _, ch := range channelsUnderTest() {
		t.Run(ch.name, func(t *testing.T) {
			s := &script{t: t, steps: []step{{http.StatusInternalServerError, ""}, {0, ""}, {ch.okSt, ""}}, body: ch.ok}
			srv := s.server()
			w := &waits{}
			r := &notify.Retrier{BaseDelay: 100 * time.Millisecond, Jitter: func() float64 { return 1 }, Wait: w.wait}
			client := srv.Client()
			client.Timeout = 200 * time.Millisecond
			n := r.Wrap(ch.build(t, srv, notify.WithHTTPClient(client)))
			retry, err := n.Notify(context.Background(), faultAlert())
			if err != nil || retry {
				t.Fatalf("Notify = %v, %v", retry, err)
			}
			if s.calls.Load() != 3 || s.ok.Load() != 1 {
				t.Errorf("%d requests, %d ok; want 3 and 1", s.calls.Load(), s.ok.Load())
			}
			// Full jitter at its ceiling: 100ms, then 200ms.
			if got := w.got(); !slices.Equal(got, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}) {
				t.Errorf("waits = %v", got)
			}
		})
	}
}

// A channel that never recovers fails retryably after MaxAttempts, so the
// invocation errors and Lambda retries it, then parks it on the on-failure queue.
func TestFaultForeverFailsRetryably(t *testing.T) {
	for _, ch := range channelsUnderTest() {
		t.Run(ch.name, func(t *testing.T) {
			s := &script{t: t, steps: []step{{http.StatusServiceUnavailable, "1"}}, body: ch.ok}
			srv := s.server()
			w := &waits{}
			r := &notify.Retrier{MaxAttempts: 4, Jitter: func() float64 { return 0 }, Wait: w.wait}
			n := r.Wrap(ch.build(t, srv, notify.WithHTTPClient(srv.Client())))
			retry, err := n.Notify(context.Background(), faultAlert())
			if err == nil || !retry {
				t.Fatalf("Notify = %v, %v; want a retryable failure", retry, err)
			}
			if s.calls.Load() != 4 || len(w.got()) != 3 {
				t.Errorf("%d attempts, %d waits; want 4 and 3", s.calls.Load(), len(w.got()))
			}
		})
	}
}
