package notify

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxResponseBody caps how much of a vendor response is read; answers to
// webhook posts are tiny and the body is only used for error messages and
// ok/error fields.
const MaxResponseBody = 64 << 10

// maxErrorBody caps how much of a response body an error quotes.
const maxErrorBody = 512

// UserAgent is sent with every HTTP request.
const UserAgent = "watchkeeper-notifier/1"

// Request is one HTTP call of a channel.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
	// Secrets are scrubbed from every error (the URL is always scrubbed).
	Secrets []string
}

// Response is a 2xx answer.
type Response struct {
	StatusCode int
	Header     http.Header
	// Body holds at most MaxResponseBody bytes.
	Body []byte
}

// HTTPError is a non-2xx answer. Its text quotes the start of the body with
// secrets removed.
type HTTPError struct {
	StatusCode int
	// RetryAfter is the server-requested wait (Retry-After header), or 0.
	RetryAfter time.Duration
	// Body is the start of the response body, redacted.
	Body string
}

// Error describes the status and body.
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("unexpected status %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Retryable reports whether the status is worth retrying (RetryableStatus).
func (e *HTTPError) Retryable() bool { return RetryableStatus(e.StatusCode) }

// RetryAfterHint is the wait the server asked for; the Retrier honours it.
func (e *HTTPError) RetryAfterHint() time.Duration { return e.RetryAfter }

// Do sends r with c and returns the 2xx response, an *HTTPError for other
// statuses, or the transport error. Every error is redacted: it carries
// neither r.URL nor r.Secrets.
func Do(ctx context.Context, c *http.Client, r Request) (*Response, error) {
	secrets := append([]string{r.URL}, r.Secrets...)
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, RedactError(fmt.Errorf("build request: %w", err), secrets...)
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", UserAgent)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, RedactError(err, secrets...)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody))
	if err != nil && resp.StatusCode/100 == 2 {
		return nil, RedactError(fmt.Errorf("read response: %w", err), secrets...)
	}
	if resp.StatusCode/100 != 2 {
		ra, _ := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return nil, &HTTPError{
			StatusCode: resp.StatusCode,
			RetryAfter: ra,
			Body:       snippet([]byte(Redact(string(body), secrets...))),
		}
	}
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// snippet is the start of a body as one printable line.
func snippet(b []byte) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxErrorBody {
		cut := maxErrorBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
