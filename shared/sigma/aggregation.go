package sigma

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// AggregateKind says how an aggregating rule combines records.
type AggregateKind string

const (
	// AggregateCount fires when enough records match the condition within
	// the timeframe: "selection | count() [by field] > N".
	AggregateCount AggregateKind = "count"
	// AggregateAll fires when every listed selection has matched a record
	// within the timeframe: "selection1 | near selection2", or
	// "selection1 and selection2" with a timeframe.
	AggregateAll AggregateKind = "all"
)

// maxTimeframe bounds a timeframe: a year of state per counter is already
// more than any aggregating rule needs.
const maxTimeframe = 366 * 24 * time.Hour

// DefaultTimeframe is the window of an aggregating rule that names none
// (near without timeframe): the spec leaves it to the backend.
const DefaultTimeframe = time.Hour

// ErrUnsupportedAggregation marks an aggregation form the threshold engine
// does not evaluate (count(field), min/max/avg/sum, <, comparisons of
// several conditions).
var ErrUnsupportedAggregation = errors.New("sigma: unsupported aggregation")

// Aggregate is an aggregating rule's threshold, ready for a counter.
type Aggregate struct {
	Kind AggregateKind
	// By is the field the count groups by; empty means one group.
	By string
	// Threshold is how many records (AggregateCount) fire the rule: N+1
	// for "> N", N for ">= N".
	Threshold int
	// Selections are the search identifiers that must all match
	// (AggregateAll), in the order written.
	Selections []string
	// Window is the timeframe (DefaultTimeframe when the rule has none).
	Window time.Duration
}

var countRE = regexp.MustCompile(`^count\(\s*\)\s*(?:by\s+([A-Za-z0-9_.\-]+)\s*)?(>=|>)\s*(\d+)$`)

// Aggregate describes how the rule's records are combined. It returns an
// error wrapping ErrUnsupportedAggregation for forms it cannot evaluate,
// and for rules that do not aggregate at all.
func (r *Rule) Aggregate() (Aggregate, error) {
	a := Aggregate{Window: DefaultTimeframe}
	if r.Timeframe != "" {
		d, err := ParseTimeframe(r.Timeframe)
		if err != nil {
			return a, fmt.Errorf("rule %q: %w", r.Title, err)
		}
		a.Window = d
	}
	agg := strings.TrimSpace(r.Aggregation)
	if strings.Contains(agg, "\n") {
		return a, fmt.Errorf("rule %q: several aggregating conditions: %w", r.Title, ErrUnsupportedAggregation)
	}
	switch {
	case strings.HasPrefix(agg, "count"):
		m := countRE.FindStringSubmatch(agg)
		if m == nil {
			return a, fmt.Errorf("rule %q: %q (only count() [by field] > N or >= N): %w", r.Title, agg, ErrUnsupportedAggregation)
		}
		n, err := strconv.Atoi(m[3])
		if err != nil || n > 1_000_000 {
			return a, fmt.Errorf("rule %q: count threshold %q out of range: %w", r.Title, m[3], ErrUnsupportedAggregation)
		}
		a.Kind, a.By, a.Threshold = AggregateCount, m[1], n
		if m[2] == ">" {
			a.Threshold++
		}
		if a.Threshold < 1 {
			a.Threshold = 1
		}
		return a, nil
	case strings.HasPrefix(agg, "near "):
		base, _, ok := strings.Cut(r.Condition, "|")
		if !ok {
			return a, fmt.Errorf("rule %q: near without a condition before it: %w", r.Title, ErrUnsupportedAggregation)
		}
		names := append(splitAnd(base), splitAnd(strings.TrimPrefix(agg, "near "))...)
		return r.allOf(a, names)
	case agg == "" && r.Timeframe != "":
		return r.allOf(a, splitAnd(r.Condition))
	}
	return a, fmt.Errorf("rule %q: %q: %w", r.Title, agg, ErrUnsupportedAggregation)
}

func (r *Rule) allOf(a Aggregate, names []string) (Aggregate, error) {
	for _, n := range names {
		if _, ok := r.selections[n]; !ok {
			return a, fmt.Errorf("rule %q: %q is not a selection of the rule (correlations join plain selections with and): %w", r.Title, n, ErrUnsupportedAggregation)
		}
	}
	if len(names) < 2 {
		return a, fmt.Errorf("rule %q: a correlation needs two or more selections joined by and: %w", r.Title, ErrUnsupportedAggregation)
	}
	a.Kind, a.Selections = AggregateAll, names
	return a, nil
}

// splitAnd splits "a and b and c" into names; any other operator or a
// parenthesis leaves a part that is not a selection name.
func splitAnd(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.TrimSpace(s), " and ") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// MatchSelection reports whether the decoded record satisfies the named
// search identifier alone; false for a name the rule does not define.
func (r *Rule) MatchSelection(name string, record any) bool {
	m, ok := r.selections[name]
	return ok && m.match(record)
}

// FieldValue is the first scalar value of the dotted field in the decoded
// record, as text (numbers in their shortest form), and whether there is one.
func FieldValue(record any, field string) (string, bool) {
	p := newFieldPath(field)
	var out string
	found := p.each(record, func(v any) bool {
		switch x := v.(type) {
		case string:
			out = x
		case float64:
			out = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out = strconv.FormatBool(x)
		case interface{ String() string }:
			out = x.String()
		default:
			return false
		}
		return true
	})
	return out, found
}

// ParseTimeframe reads a Sigma timeframe: a positive number followed by s,
// m, h or d ("30s", "10m", "1h", "1d").
func ParseTimeframe(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("timeframe %q: want a number and s, m, h or d", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("timeframe %q: want a positive number and s, m, h or d", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("timeframe %q: unit must be s, m, h or d", s)
	}
	if time.Duration(n) > maxTimeframe/unit {
		return 0, fmt.Errorf("timeframe %q is longer than a year", s)
	}
	return time.Duration(n) * unit, nil
}
