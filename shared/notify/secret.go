package notify

import (
	"context"
	"errors"
	"sync"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// ErrNoSecretFunc is returned when a channel needs a secret but was built
// without a SecretFunc.
var ErrNoSecretFunc = errors.New("no secret resolver configured")

// Secret resolves one secret reference on first use and caches the value, so
// a cold start does not fail on a transient Secrets Manager error and warm
// invocations do not call it again. Failures are not cached.
type Secret struct {
	ref config.SecretRef
	fn  SecretFunc

	mu    sync.Mutex
	value string
	ok    bool
}

// NewSecret returns a lazily resolved secret; ref may be empty (IsSet false).
func NewSecret(ref config.SecretRef, fn SecretFunc) *Secret {
	return &Secret{ref: ref, fn: fn}
}

// IsSet reports whether a reference was configured.
func (s *Secret) IsSet() bool { return s != nil && s.ref != "" }

// Value returns the resolved secret. The error names the reference, never the
// value.
func (s *Secret) Value(ctx context.Context) (string, error) {
	if !s.IsSet() {
		return "", nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ok {
		return s.value, nil
	}
	if s.fn == nil {
		return "", ErrNoSecretFunc
	}
	v, err := s.fn(ctx, s.ref)
	if err != nil {
		return "", &SecretError{Err: err}
	}
	if v == "" {
		return "", errors.New("resolve secret: empty value")
	}
	s.value, s.ok = v, true
	return v, nil
}

// SecretError is a failed secret lookup. It is retryable: Secrets Manager and
// SSM throttle, and a reference that can never resolve fails every attempt,
// which the Retrier's attempt limit bounds.
type SecretError struct{ Err error }

// Error wraps the resolver's message.
func (e *SecretError) Error() string { return "resolve secret: " + e.Err.Error() }

// Unwrap returns the resolver's error.
func (e *SecretError) Unwrap() error { return e.Err }

// Retryable is true unless the context was cancelled.
func (e *SecretError) Retryable() bool { return !errors.Is(e.Err, context.Canceled) }
