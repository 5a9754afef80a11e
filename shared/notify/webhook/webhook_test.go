package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

const (
	urlRef     = config.SecretRef("ssm:/hook-url")
	signingRef = config.SecretRef("ssm:/hook-signing")
	signingKey = "s3cr3t-signing-key"
	hookPath   = "/ingest/UrlSecretToken"
)

var clock = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func secrets(base string) notify.SecretFunc {
	return func(_ context.Context, ref config.SecretRef) (string, error) {
		switch ref {
		case urlRef:
			return base + hookPath, nil
		case signingRef:
			return signingKey, nil
		}
		return "", errors.New("unknown")
	}
}

type capture struct {
	header http.Header
	body   []byte
	path   string
}

func server(t *testing.T, status int) (*httptest.Server, *capture) {
	t.Helper()
	c := &capture{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.header, c.path = r.Header.Clone(), r.URL.Path
		c.body, _ = io.ReadAll(r.Body)
		w.WriteHeader(status)
		io.WriteString(w, "echo "+r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

func testAlert() alert.Alert {
	return alert.Alert{ID: "id-1", Key: "key-1\r\nX-Evil: 1", State: alert.StateAlarm, Severity: "high", Title: "<b>t</b>", Source: alert.SourceAlarm}
}

func TestSignedPost(t *testing.T) {
	srv, got := server(t, http.StatusNoContent)
	n, err := New(config.Channel{Name: "hook", Type: Type, WebhookURL: urlRef, SigningSecret: signingRef}, secrets(srv.URL), nil,
		notify.WithHTTPClient(srv.Client()), notify.WithClock(func() time.Time { return clock }))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(context.Background(), testAlert()); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	if got.path != hookPath || got.header.Get("Content-Type") != "application/json" {
		t.Errorf("request to %q with %v", got.path, got.header)
	}
	if ts := got.header.Get(TimestampHeader); ts != strconv.FormatInt(clock.Unix(), 10) {
		t.Errorf("timestamp %q", ts)
	}
	// Verify independently of Sign: HMAC-SHA256(secret, ts + "." + body).
	m := hmac.New(sha256.New, []byte(signingKey))
	m.Write([]byte(got.header.Get(TimestampHeader) + "." + string(got.body)))
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); got.header.Get(SignatureHeader) != want {
		t.Errorf("signature %q, want %q", got.header.Get(SignatureHeader), want)
	}
	if err := Verify(signingKey, got.header, got.body, clock.Add(time.Minute), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if k := got.header.Get(KeyHeader); k != "key-1X-Evil: 1" || got.header.Get("X-Evil") != "" {
		t.Errorf("key header %q let a header through", k)
	}
	var body render.Webhook
	if err := json.Unmarshal(got.body, &body); err != nil || body.Schema != render.WebhookSchema || body.ID != "id-1" || body.Title != "<b>t</b>" {
		t.Errorf("body %+v, %v", body, err)
	}
}

func TestUnsignedPost(t *testing.T) {
	srv, got := server(t, http.StatusOK)
	n, err := New(config.Channel{Name: "hook", Type: Type, WebhookURL: urlRef}, secrets(srv.URL), nil, notify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(context.Background(), testAlert()); err != nil {
		t.Fatal(err)
	}
	if got.header.Get(SignatureHeader) != "" || got.header.Get(TimestampHeader) != "" {
		t.Error("signed without a signing secret")
	}
}

func TestVerifyRejects(t *testing.T) {
	body := []byte(`{"id":"x"}`)
	ts := strconv.FormatInt(clock.Unix(), 10)
	good := http.Header{}
	good.Set(TimestampHeader, ts)
	good.Set(SignatureHeader, SignaturePrefix+Sign(signingKey, ts, body))
	with := func(k, v string) http.Header {
		h := good.Clone()
		h.Set(k, v)
		return h
	}
	tests := []struct {
		name string
		h    http.Header
		body []byte
		key  string
		now  time.Time
		want error
	}{
		{"valid", good, body, signingKey, clock, nil},
		{"tampered body", good, []byte(`{"id":"y"}`), signingKey, clock, ErrBadSignature},
		{"wrong key", good, body, "other", clock, ErrBadSignature},
		{"stale", good, body, signingKey, clock.Add(10 * time.Minute), ErrStaleTimestamp},
		{"future", good, body, signingKey, clock.Add(-10 * time.Minute), ErrStaleTimestamp},
		{"missing", http.Header{}, body, signingKey, clock, ErrNoSignature},
		{"no prefix", with(SignatureHeader, Sign(signingKey, ts, body)), body, signingKey, clock, ErrMalformedHeaders},
		{"bad hex", with(SignatureHeader, "sha256=zz"), body, signingKey, clock, ErrMalformedHeaders},
		{"bad timestamp", with(TimestampHeader, "yesterday"), body, signingKey, clock, ErrMalformedHeaders},
		{"replayed timestamp", with(TimestampHeader, strconv.FormatInt(clock.Unix()+1, 10)), body, signingKey, clock, ErrBadSignature},
	}
	for _, tt := range tests {
		if err := Verify(tt.key, tt.h, tt.body, tt.now, 0); !errors.Is(err, tt.want) {
			t.Errorf("%s: Verify = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestErrorsHideSecrets(t *testing.T) {
	for status, wantRetry := range map[int]bool{401: false, 404: false, 429: true, 503: true} {
		srv, _ := server(t, status)
		n, err := New(config.Channel{Name: "hook", Type: Type, WebhookURL: urlRef, SigningSecret: signingRef}, secrets(srv.URL), nil, notify.WithHTTPClient(srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		retry, err := n.Notify(context.Background(), testAlert())
		if err == nil || retry != wantRetry {
			t.Errorf("%d: Notify = %v, %v", status, retry, err)
			continue
		}
		for _, leak := range []string{"UrlSecretToken", srv.URL, signingKey} {
			if strings.Contains(err.Error(), leak) {
				t.Errorf("%d: error %q leaks %q", status, err, leak)
			}
		}
	}
}
