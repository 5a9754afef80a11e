package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 202: false, 400: false, 401: false, 403: false, 404: false, 410: false, 413: false,
		429: true, 500: true, 502: true, 503: true, 504: true,
	} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

type slackishErr struct{ retry bool }

func (e slackishErr) Error() string   { return "api error" }
func (e slackishErr) Retryable() bool { return e.retry }

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"429", &HTTPError{StatusCode: 429}, true},
		{"503 wrapped", fmt.Errorf("slack: %w", &HTTPError{StatusCode: 503}), true},
		{"400", &HTTPError{StatusCode: 400}, false},
		{"404", &HTTPError{StatusCode: 404}, false},
		{"vendor says retry", fmt.Errorf("x: %w", slackishErr{true}), true},
		{"vendor says permanent", slackishErr{false}, false},
		{"canceled", fmt.Errorf("post: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, true},
		{"dns not found", &net.DNSError{Err: "no such host", Name: "hooks.example", IsNotFound: true}, false},
		{"dns temporary", &net.DNSError{Err: "server misbehaving", Name: "hooks.example", IsTemporary: true}, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"unknown CA", x509.UnknownAuthorityError{}, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		if got := Retryable(tt.err); got != tt.want {
			t.Errorf("%s: Retryable = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		{" 7 ", 7 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"99999999999999999999999", maxDuration, true},
		{"Wed, 01 May 2024 12:00:30 GMT", 30 * time.Second, true},
		{"Wednesday, 01-May-24 12:01:00 GMT", time.Minute, true},
		{"Wed May  1 12:00:05 2024", 5 * time.Second, true},
		{"Wed, 01 May 2024 11:00:00 GMT", 0, true},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Wed, 01 May 2024 12:00:30 GMT", "", "1e9", "18446744073709551616"} {
		f.Add(s)
	}
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := ParseRetryAfter(s, now)
		if d < 0 {
			t.Fatalf("negative delay %v for %q", d, s)
		}
		if !ok && d != 0 {
			t.Fatalf("delay %v without ok for %q", d, s)
		}
	})
}

func TestDelay(t *testing.T) {
	r := &Retrier{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 5 * time.Second, Jitter: func() float64 { return 0.999999 }}
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		if got := r.Delay(n, errors.New("x")).Round(time.Millisecond); got != want*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want*time.Millisecond)
		}
	}
	if got := r.Delay(100, errors.New("x")).Round(time.Millisecond); got != time.Second {
		t.Errorf("Delay(100) = %v, want the cap", got)
	}
	zero := &Retrier{Jitter: func() float64 { return 0 }, MaxRetryAfter: 5 * time.Second}
	if got := zero.Delay(0, &HTTPError{StatusCode: 429, RetryAfter: 3 * time.Second}); got != 3*time.Second {
		t.Errorf("Retry-After 3s gave %v", got)
	}
	if got := zero.Delay(0, fmt.Errorf("w: %w", &HTTPError{StatusCode: 429, RetryAfter: time.Hour})); got != 5*time.Second {
		t.Errorf("Retry-After 1h gave %v, want the 5s cap", got)
	}
}

// post is the attempt a channel makes: one Do call, classified.
func post(c *http.Client, url string) func(ctx context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		_, err := Do(ctx, c, Request{URL: url, Body: []byte(`{}`)})
		return Classify(err)
	}
}

func TestRetrierHonoursRetryAfterThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	var first, second time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		second = time.Now()
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	r := &Retrier{BaseDelay: time.Millisecond, Jitter: func() float64 { return 0 }}
	retry, err := r.Do(context.Background(), post(srv.Client(), srv.URL))
	if err != nil || retry {
		t.Fatalf("Do = %v, %v", retry, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls, want 2", calls.Load())
	}
	if gap := second.Sub(first); gap < time.Second {
		t.Errorf("second attempt after %v, Retry-After asked for 1s", gap)
	}
}

func TestRetrierRetries503(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	r := &Retrier{BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	if retry, err := r.Do(context.Background(), post(srv.Client(), srv.URL)); err != nil || retry {
		t.Fatalf("Do = %v, %v", retry, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
}

func TestRetrier400IsPermanent(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "invalid_payload", http.StatusBadRequest)
	}))
	defer srv.Close()
	r := &Retrier{BaseDelay: time.Millisecond}
	retry, err := r.Do(context.Background(), post(srv.Client(), srv.URL))
	var he *HTTPError
	if retry || !errors.As(err, &he) || he.StatusCode != 400 || he.Body != "invalid_payload" {
		t.Fatalf("Do = %v, %v", retry, err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d calls, want 1", calls.Load())
	}
}

func TestRetrierGivesUpAfterMaxAttempts(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	r := &Retrier{MaxAttempts: 3, BaseDelay: time.Millisecond}
	retry, err := r.Do(context.Background(), post(srv.Client(), srv.URL))
	if !retry || err == nil || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("Do = %v, %v", retry, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}
}

func TestRetrierRespectsDeadline(t *testing.T) {
	t.Run("long Retry-After", func(t *testing.T) {
		var calls atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			w.Header().Set("Retry-After", "10")
			w.WriteHeader(http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		r := &Retrier{Margin: 200 * time.Millisecond}
		retry, err := r.Do(ctx, post(srv.Client(), srv.URL))
		if !retry || err == nil || !strings.Contains(err.Error(), "would pass the deadline") {
			t.Fatalf("Do = %v, %v", retry, err)
		}
		if calls.Load() != 1 || ctx.Err() != nil {
			t.Errorf("%d calls, context %v: want one call and giving up before the deadline", calls.Load(), ctx.Err())
		}
	})
	t.Run("hanging server", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		defer close(release)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r := &Retrier{Margin: 400 * time.Millisecond}
		start := time.Now()
		retry, err := r.Do(ctx, post(srv.Client(), srv.URL))
		if !retry || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Do = %v, %v", retry, err)
		}
		if ctx.Err() != nil {
			t.Errorf("returned after the caller's deadline (%v); the margin was not kept", time.Since(start))
		}
	})
}

func TestRetrierStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Retrier{BaseDelay: time.Hour, MaxDelay: time.Hour, Jitter: func() float64 { return 0.5 }}
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	retry, err := r.Do(ctx, func(context.Context) (bool, error) { return true, errors.New("flaky") })
	if !retry || err == nil {
		t.Fatalf("Do = %v, %v", retry, err)
	}
}

type receiptStub struct{ calls int }

func (s *receiptStub) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	_, r, err := s.NotifyWithReceipt(ctx, a)
	return r, err
}

func (s *receiptStub) NotifyWithReceipt(_ context.Context, a alert.Alert) (Delivery, bool, error) {
	s.calls++
	if s.calls == 1 {
		return Delivery{}, true, errors.New("first try fails")
	}
	return Delivery{Channel: "c", Location: "/tmp/" + a.ID}, false, nil
}

func TestWrapKeepsReceipts(t *testing.T) {
	inner := &receiptStub{}
	n := (&Retrier{BaseDelay: time.Millisecond}).Wrap(inner)
	rn, ok := n.(ReceiptNotifier)
	if !ok {
		t.Fatal("wrapped notifier lost NotifyWithReceipt")
	}
	d, retry, err := rn.NotifyWithReceipt(context.Background(), alert.Alert{ID: "x"})
	if err != nil || retry || d.Location != "/tmp/x" || inner.calls != 2 {
		t.Fatalf("got %+v %v %v after %d calls", d, retry, err, inner.calls)
	}
	plain := (&Retrier{}).Wrap(NotifierFunc(func(context.Context, alert.Alert) (bool, error) { return false, nil }))
	if _, ok := plain.(ReceiptNotifier); ok {
		t.Error("plain notifier gained a receipt method")
	}
}
