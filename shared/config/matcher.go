package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// MatchOp is a label matcher operator.
type MatchOp string

// Matcher operators, as in Alertmanager.
const (
	// MatchEqual: the label equals the value.
	MatchEqual MatchOp = "="
	// MatchNotEqual: the label differs from the value.
	MatchNotEqual MatchOp = "!="
	// MatchRegexp: the whole label matches the regular expression.
	MatchRegexp MatchOp = "=~"
	// MatchNotRegexp: the whole label does not match the regular expression.
	MatchNotRegexp MatchOp = "!~"
)

// Matcher tests one alert label, e.g. severity="critical" or
// event_name=~"Authorize.*Ingress". A label that is absent counts as "".
// Regular expressions are anchored: they must match the whole value.
type Matcher struct {
	Name  string
	Op    MatchOp
	Value string

	re *regexp.Regexp
}

var labelNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:/-]*$`)

// ParseMatcher parses "name op value" where op is =, !=, =~ or !~. Spaces
// around the operator are allowed. The value may be double-quoted (Go string
// escapes apply) or bare (taken verbatim after trimming spaces); a regular
// expression must compile.
func ParseMatcher(s string) (Matcher, error) {
	i := strings.IndexAny(s, "=!")
	if i < 0 {
		return Matcher{}, fmt.Errorf("matcher %q: no operator (use =, !=, =~ or !~)", s)
	}
	name := strings.TrimSpace(s[:i])
	rest := s[i:]
	var op MatchOp
	switch {
	case strings.HasPrefix(rest, "=~"):
		op = MatchRegexp
	case strings.HasPrefix(rest, "!~"):
		op = MatchNotRegexp
	case strings.HasPrefix(rest, "!="):
		op = MatchNotEqual
	case strings.HasPrefix(rest, "="):
		op = MatchEqual
	default:
		return Matcher{}, fmt.Errorf("matcher %q: unknown operator (use =, !=, =~ or !~)", s)
	}
	if !labelNameRE.MatchString(name) {
		return Matcher{}, fmt.Errorf("matcher %q: %q is not a label name", s, name)
	}
	raw := strings.TrimSpace(rest[len(op):])
	value := raw
	if strings.HasPrefix(raw, `"`) {
		v, err := strconv.Unquote(raw)
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: bad quoted value: %w", s, err)
		}
		value = v
	}
	m := Matcher{Name: name, Op: op, Value: value}
	if op == MatchRegexp || op == MatchNotRegexp {
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return Matcher{}, fmt.Errorf("matcher %q: %w", s, err)
		}
		m.re = re
	}
	return m, nil
}

// ParseMatchers parses a list of matchers, all of which must hold.
func ParseMatchers(ss []string) ([]Matcher, error) {
	out := make([]Matcher, 0, len(ss))
	for _, s := range ss {
		m, err := ParseMatcher(s)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Matches reports whether labels satisfy the matcher.
func (m Matcher) Matches(labels map[string]string) bool {
	v := labels[m.Name]
	switch m.Op {
	case MatchEqual:
		return v == m.Value
	case MatchNotEqual:
		return v != m.Value
	case MatchRegexp, MatchNotRegexp:
		re := m.re
		if re == nil {
			// A Matcher built by hand rather than by ParseMatcher.
			var err error
			if re, err = regexp.Compile("^(?:" + m.Value + ")$"); err != nil {
				return false
			}
		}
		return re.MatchString(v) == (m.Op == MatchRegexp)
	}
	return false
}

// String renders the matcher in the syntax ParseMatcher reads, value quoted.
func (m Matcher) String() string {
	return m.Name + string(m.Op) + strconv.Quote(m.Value)
}

// MatchAll reports whether every matcher holds; no matchers match everything.
func MatchAll(ms []Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}
