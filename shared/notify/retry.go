package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Retrier defaults.
const (
	DefaultMaxAttempts   = 5
	DefaultBaseDelay     = 250 * time.Millisecond
	DefaultMaxDelay      = 8 * time.Second
	DefaultMaxRetryAfter = 30 * time.Second
	DefaultMargin        = time.Second
)

// RetryableStatus is the one HTTP status classifier: 429 and 5xx are worth
// retrying, every other non-2xx status is permanent.
func RetryableStatus(code int) bool {
	return code == http.StatusTooManyRequests || (code >= 500 && code <= 599)
}

// Retryable classifies a delivery error: errors that know (HTTPError, vendor
// API errors implementing Retryable() bool) decide themselves; timeouts and
// transient network failures (connection refused or reset, unexpected EOF,
// temporary DNS failures) are retryable; cancellation, certificate errors,
// unknown hosts and everything else are not.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var certInvalid x509.CertificateInvalidError
	if errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &certInvalid) {
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return !dnsErr.IsNotFound
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr)
}

// Classify pairs an error with its Retryable verdict, the shape Notify returns.
func Classify(err error) (bool, error) { return Retryable(err), err }

// ParseRetryAfter reads a Retry-After header value: delay seconds or an HTTP
// date (RFC 9110 §10.2.3). A date in the past yields 0. ok is false for an
// empty or malformed value.
func ParseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			var numErr *strconv.NumError
			if errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange) {
				return maxDuration, true
			}
			return 0, false
		}
		if n > uint64(maxDuration/time.Second) {
			return maxDuration, true
		}
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	if d := t.Sub(now); d > 0 {
		return d, true
	}
	return 0, true
}

const maxDuration = time.Duration(1<<63 - 1)

// Retrier repeats a failed retryable attempt with exponential backoff and
// full jitter (a random wait between 0 and min(MaxDelay, BaseDelay·2ⁿ)),
// waiting at least as long as a Retry-After hint asks (capped by
// MaxRetryAfter). It never starts a wait that would end later than Margin
// before the context deadline, and each attempt runs with that earlier
// deadline so a hung request cannot eat the time the caller needs to report.
// The zero value uses the Default* settings.
type Retrier struct {
	MaxAttempts   int
	BaseDelay     time.Duration
	MaxDelay      time.Duration
	MaxRetryAfter time.Duration
	Margin        time.Duration
	// Logger receives one line per retry; nil discards.
	Logger *slog.Logger
	// Jitter returns a number in [0,1); nil uses math/rand/v2.
	Jitter func() float64
	// Wait pauses for d before the next attempt, or returns ctx's error when
	// it is done first; nil uses a timer. Tests record the chosen waits here.
	Wait func(ctx context.Context, d time.Duration) error
}

func (r *Retrier) settings() Retrier {
	s := Retrier{}
	if r != nil {
		s = *r
	}
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = DefaultMaxAttempts
	}
	if s.BaseDelay <= 0 {
		s.BaseDelay = DefaultBaseDelay
	}
	if s.MaxDelay <= 0 {
		s.MaxDelay = DefaultMaxDelay
	}
	if s.MaxRetryAfter <= 0 {
		s.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if s.Margin <= 0 {
		s.Margin = DefaultMargin
	}
	if s.Jitter == nil {
		s.Jitter = rand.Float64
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Wait == nil {
		s.Wait = sleep
	}
	return s
}

// sleep waits d on a timer, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Delay is the wait before retry number n (0-based) after err.
func (r *Retrier) Delay(n int, err error) time.Duration {
	return delay(r.settings(), n, err)
}

// delay computes the wait with s already defaulted.
func delay(s Retrier, n int, err error) time.Duration {
	ceiling := s.MaxDelay
	if n < 62 {
		if b := s.BaseDelay << n; b > 0 && b < ceiling {
			ceiling = b
		}
	}
	d := time.Duration(s.Jitter() * float64(ceiling))
	var hint interface{ RetryAfterHint() time.Duration }
	if errors.As(err, &hint) {
		if ra := min(hint.RetryAfterHint(), s.MaxRetryAfter); ra > d {
			d = ra
		}
	}
	return d
}

// Do runs attempt until it succeeds, fails permanently, runs out of attempts
// or of time. retry is true when the last failure was retryable, so the caller
// can leave the delivery for a later invocation.
func (r *Retrier) Do(ctx context.Context, attempt func(ctx context.Context) (bool, error)) (retry bool, err error) {
	s := r.settings()
	actx := ctx
	deadline, hasDeadline := ctx.Deadline()
	if hasDeadline {
		if inner := deadline.Add(-s.Margin); inner.After(time.Now()) {
			var cancel context.CancelFunc
			actx, cancel = context.WithDeadline(ctx, inner)
			defer cancel()
		}
	}
	for n := 0; ; n++ {
		retry, err := attempt(actx)
		if err == nil {
			return false, nil
		}
		if !retry {
			return false, err
		}
		if n+1 >= s.MaxAttempts {
			return true, fmt.Errorf("giving up after %d attempts: %w", n+1, err)
		}
		if ctx.Err() != nil {
			return true, fmt.Errorf("giving up after %d attempts: %w", n+1, err)
		}
		wait := delay(s, n, err)
		if hasDeadline && time.Now().Add(wait).After(deadline.Add(-s.Margin)) {
			return true, fmt.Errorf("giving up after %d attempts, next wait %s would pass the deadline: %w",
				n+1, wait.Round(time.Millisecond), err)
		}
		s.Logger.LogAttrs(ctx, slog.LevelWarn, "delivery failed, retrying",
			slog.Int("attempt", n+1), slog.Duration("wait", wait), slog.String("error", err.Error()))
		if s.Wait(ctx, wait) != nil {
			return true, fmt.Errorf("giving up after %d attempts: %w", n+1, err)
		}
	}
}

// Wrap returns a Notifier that delivers through n with retries. A wrapped
// ReceiptNotifier stays one.
func (r *Retrier) Wrap(n Notifier) Notifier {
	w := retrying{r: r, n: n}
	if rn, ok := n.(ReceiptNotifier); ok {
		return retryingReceipt{retrying: w, rn: rn}
	}
	return w
}

type retrying struct {
	r *Retrier
	n Notifier
}

func (w retrying) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	return w.r.Do(ctx, func(ctx context.Context) (bool, error) { return w.n.Notify(ctx, a) })
}

type retryingReceipt struct {
	retrying
	rn ReceiptNotifier
}

func (w retryingReceipt) NotifyWithReceipt(ctx context.Context, a alert.Alert) (Delivery, bool, error) {
	var d Delivery
	retry, err := w.r.Do(ctx, func(ctx context.Context) (bool, error) {
		var (
			retry bool
			err   error
		)
		d, retry, err = w.rn.NotifyWithReceipt(ctx, a)
		return retry, err
	})
	return d, retry, err
}
