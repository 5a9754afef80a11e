package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

const secretPath = "/services/T0001/B0002/XxSecretTokenxX"

func TestDoRedactsTransportErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL + secretPath + "?token=qsecret"
	srv.Close() // connection refused from now on
	_, err := Do(context.Background(), http.DefaultClient, Request{URL: u, Body: []byte("{}"), Secrets: []string{"bearer-xyz"}})
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	msg := err.Error()
	for _, leak := range []string{"XxSecretTokenxX", "qsecret", srv.URL, "T0001"} {
		if strings.Contains(msg, leak) {
			t.Errorf("error %q leaks %q", msg, leak)
		}
	}
	if !strings.Contains(msg, Redacted) {
		t.Errorf("error %q does not show where the URL was", msg)
	}
	var ue *url.Error
	if !errors.As(err, &ue) || ue.URL != Redacted || strings.Contains(ue.Error(), "XxSecret") {
		t.Errorf("wrapped *url.Error still carries the URL: %v", ue)
	}
	if !Retryable(err) {
		t.Error("connection refused should be retryable")
	}
}

func TestDoRedactsEchoedSecrets(t *testing.T) {
	// Some vendors echo the request (URL, token) in error bodies.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad request to "+r.URL.String()+" with "+r.Header.Get("Authorization"), http.StatusBadRequest)
	}))
	defer srv.Close()
	_, err := Do(context.Background(), srv.Client(), Request{
		URL: srv.URL + secretPath, Header: http.Header{"Authorization": {"Bearer xoxb-123-secret"}}, Secrets: []string{"xoxb-123-secret"},
	})
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 400 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "XxSecretTokenxX") || strings.Contains(err.Error(), "xoxb-123-secret") {
		t.Errorf("error leaks a secret: %q", err)
	}
	if !strings.Contains(err.Error(), "bad request to <redacted> with Bearer <redacted>") {
		t.Errorf("error %q lost its context", err)
	}
}

func TestRedact(t *testing.T) {
	hook := "https://hooks.example.com/services/T1/B2/abc?x=1"
	tests := []struct {
		in   string
		want string
	}{
		{"post " + hook + ": EOF", "post <redacted>: EOF"},
		{"path /services/T1/B2/abc leaked", "path <redacted> leaked"},
		{"escaped " + url.QueryEscape(hook), "escaped <redacted>"},
		{"nothing secret", "nothing secret"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in, hook, ""); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactErrorKeepsChain(t *testing.T) {
	err := RedactError(&url.Error{Op: "Post", URL: "https://x/secret", Err: context.DeadlineExceeded}, "https://x/secret")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("chain lost")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("leak: %q", err)
	}
	if RedactError(nil) != nil {
		t.Error("nil error became non-nil")
	}
}

func FuzzRedact(f *testing.F) {
	f.Add("post https://h/x/secret: EOF", "https://h/x/secret")
	f.Add("token abc abc", "abc")
	f.Fuzz(func(t *testing.T, s, secret string) {
		out := Redact(s, secret)
		if secret == "" || strings.ContainsAny(secret, Redacted) {
			return // a secret made of marker characters can reappear inside the marker
		}
		if strings.Contains(out, secret) {
			t.Fatalf("Redact(%q, %q) = %q still holds the secret", s, secret, out)
		}
	})
}

func TestSecret(t *testing.T) {
	calls := 0
	fail := true
	fn := func(_ context.Context, ref config.SecretRef) (string, error) {
		calls++
		if fail {
			return "", errors.New("throttled")
		}
		return "v-" + string(ref), nil
	}
	s := NewSecret("ssm:/hook", fn)
	if _, err := s.Value(context.Background()); err == nil {
		t.Fatal("want the resolver error")
	}
	fail = false
	for range 3 {
		if v, err := s.Value(context.Background()); err != nil || v != "v-ssm:/hook" {
			t.Fatalf("Value = %q, %v", v, err)
		}
	}
	if calls != 2 {
		t.Errorf("resolver called %d times, want 2 (failure not cached, success cached)", calls)
	}
	if NewSecret("", fn).IsSet() {
		t.Error("empty ref reported as set")
	}
	if _, err := NewSecret("ssm:/x", nil).Value(context.Background()); !errors.Is(err, ErrNoSecretFunc) {
		t.Errorf("nil resolver: %v", err)
	}
}

func TestApplyDefaults(t *testing.T) {
	s := Apply()
	if s.HTTPClient == nil || s.HTTPClient.Timeout != DefaultHTTPTimeout || s.Now == nil || s.Render.Now == nil {
		t.Errorf("defaults not applied: %+v", s)
	}
	c := &http.Client{}
	s = Apply(WithHTTPClient(c), WithEndpoint("http://x"), nil)
	if s.HTTPClient != c || s.Endpoint != "http://x" {
		t.Errorf("options not applied: %+v", s)
	}
}
