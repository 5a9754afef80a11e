// Package webhook posts alerts as JSON (render.Webhook, schema
// render.WebhookSchema) to any HTTP endpoint.
//
// # Verifying signatures
//
// When the channel has a signing_secret, every request carries
//
//	X-Watchkeeper-Timestamp: <unix seconds>
//	X-Watchkeeper-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// A receiver should:
//
//  1. read the raw body bytes before parsing them;
//  2. recompute HMAC-SHA256 with the shared secret over the timestamp header
//     value, a ".", and the body, and hex-encode it;
//  3. compare it with the header value after "sha256=" in constant time
//     (hmac.Equal);
//  4. reject timestamps more than a few minutes from its own clock, so a
//     captured request cannot be replayed later;
//  5. drop repeats by the body's "key" field (the idempotency key), since
//     deliveries are at least once.
//
// Verify does all but the last step and can be used by Go receivers.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "webhook"

// Request headers.
const (
	SignatureHeader = "X-Watchkeeper-Signature"
	TimestampHeader = "X-Watchkeeper-Timestamp"
	// KeyHeader repeats the body's idempotency key for receivers that
	// deduplicate before parsing.
	KeyHeader = "X-Watchkeeper-Key"
	// SignaturePrefix starts the signature header value.
	SignaturePrefix = "sha256="
)

// DefaultTolerance is how far a timestamp may be from the receiver's clock
// for Verify.
const DefaultTolerance = 5 * time.Minute

// Notifier posts the JSON body to one URL.
type Notifier struct {
	name    string
	url     *notify.Secret
	signing *notify.Secret
	client  *http.Client
	now     func() time.Time
	logger  *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds a webhook notifier posting to cfg.WebhookURL, signing bodies
// with cfg.SigningSecret when set. Both are resolved through secret.
func New(cfg config.Channel, secret notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("webhook channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	if cfg.WebhookURL == "" {
		return nil, fmt.Errorf("webhook channel %q: needs webhook_url", cfg.Name)
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		name:    cfg.Name,
		url:     notify.NewSecret(cfg.WebhookURL, secret),
		signing: notify.NewSecret(cfg.SigningSecret, secret),
		client:  s.HTTPClient,
		now:     s.Now,
		logger:  logger.With("channel", cfg.Name, "type", Type),
	}, nil
}

// Notify posts render.JSON(a) once.
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	if err := n.post(ctx, a); err != nil {
		return notify.Classify(fmt.Errorf("webhook channel %q: %w", n.name, err))
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID)
	return false, nil
}

func (n *Notifier) post(ctx context.Context, a alert.Alert) error {
	u, err := n.url.Value(ctx)
	if err != nil {
		return err
	}
	body := render.JSON(a)
	h := http.Header{"Content-Type": {"application/json"}}
	if a.Key != "" {
		h.Set(KeyHeader, headerSafe(a.Key))
	}
	var secrets []string
	if n.signing.IsSet() {
		key, err := n.signing.Value(ctx)
		if err != nil {
			return err
		}
		secrets = append(secrets, key)
		ts := strconv.FormatInt(n.now().Unix(), 10)
		h.Set(TimestampHeader, ts)
		h.Set(SignatureHeader, SignaturePrefix+Sign(key, ts, body))
	}
	if _, err := notify.Do(ctx, n.client, notify.Request{URL: u, Header: h, Body: body, Secrets: secrets}); err != nil {
		return fmt.Errorf("post: %w", err)
	}
	return nil
}

// headerSafe keeps printable ASCII so an outside key cannot split headers.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, s)
}

// Sign returns the hex HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrNoSignature      = errors.New("webhook: missing signature or timestamp header")
	ErrBadSignature     = errors.New("webhook: signature does not match")
	ErrStaleTimestamp   = errors.New("webhook: timestamp outside tolerance")
	ErrMalformedHeaders = errors.New("webhook: malformed signature headers")
)

// Verify checks the signature headers of a received request against body
// (the raw bytes) and rejects timestamps further than tolerance from now
// (DefaultTolerance when 0).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, sig := h.Get(TimestampHeader), h.Get(SignatureHeader)
	if ts == "" || sig == "" {
		return ErrNoSignature
	}
	hexSig, ok := strings.CutPrefix(sig, SignaturePrefix)
	if !ok {
		return ErrMalformedHeaders
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return ErrMalformedHeaders
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrMalformedHeaders
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleTimestamp
	}
	want, _ := hex.DecodeString(Sign(secret, ts, body))
	if !hmac.Equal(got, want) {
		return ErrBadSignature
	}
	return nil
}
