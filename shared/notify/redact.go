package notify

import (
	"errors"
	"net/url"
	"sort"
	"strings"
)

// Redacted replaces secrets in error and log text.
const Redacted = "<redacted>"

// Redact returns s with every occurrence of each secret replaced by Redacted.
// Besides the secret as given it removes its URL-escaped forms and, when the
// secret is a URL, its path, query and user info on their own, since
// transport errors and vendor responses may quote any of them.
func Redact(s string, secrets ...string) string {
	for _, v := range variants(secrets) {
		s = strings.ReplaceAll(s, v, Redacted)
	}
	return s
}

// variants lists the strings to remove for secrets, longest first so a longer
// form is not left half-replaced by a shorter one.
func variants(secrets []string) []string {
	var out []string
	// Derived forms skip the bare "/" a host-only URL has for a path.
	add := func(v string) {
		if v != "" && v != "/" {
			out = append(out, v)
		}
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		out = append(out, s)
		add(url.QueryEscape(s))
		add(url.PathEscape(s))
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			add(u.EscapedPath())
			add(u.Path)
			add(u.RawQuery)
			if u.User != nil {
				add(u.User.String())
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// RedactError returns err with the URL of any *url.Error in its chain
// replaced by Redacted (the error is changed in place: net/http builds a fresh
// one per request) and its message scrubbed of secrets. The result still
// unwraps to err, so errors.Is/As keep working, e.g. for context.DeadlineExceeded.
func RedactError(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	for e := err; e != nil; {
		var ue *url.Error
		if !errors.As(e, &ue) {
			break
		}
		ue.URL = Redacted
		e = ue.Err
	}
	return &redactedError{msg: Redact(err.Error(), secrets...), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
