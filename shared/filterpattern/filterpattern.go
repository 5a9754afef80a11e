package filterpattern

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// MaxPatternLength is the longest filter pattern, in characters, that
// PutMetricFilter and PutSubscriptionFilter accept.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
const MaxPatternLength = 1024

// MaxRegexPerPattern is how many %regex% values one JSON or space-delimited
// pattern may hold.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
const MaxRegexPerPattern = 2

// MaxWildcardsPerSelector is how many wildcards ($.* or [*]) one JSON
// selector may hold.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
const MaxWildcardsPerSelector = 1

// MaxWildcardSelectors is how many selectors with a wildcard one JSON pattern
// may hold.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
const MaxWildcardSelectors = 3

// Kind is the syntactic family of a pattern, chosen from its first and last
// characters.
type Kind int

// The pattern kinds.
const (
	// KindEmpty is the empty (or all-blank) pattern; it matches every event.
	KindEmpty Kind = iota
	// KindTerm is an unstructured pattern of terms, phrases and %regex% terms.
	KindTerm
	// KindRegex is a pattern that is a single %regex% over the whole message.
	KindRegex
	// KindJSON is a { selector op value } pattern.
	KindJSON
	// KindDelimited is a [field, field, ...] space-delimited pattern.
	KindDelimited
)

// String names the kind for logs and test failures.
func (k Kind) String() string {
	switch k {
	case KindEmpty:
		return "empty"
	case KindTerm:
		return "term"
	case KindRegex:
		return "regex"
	case KindJSON:
		return "json"
	case KindDelimited:
		return "delimited"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// SyntaxError reports why a pattern does not compile and where.
type SyntaxError struct {
	// Pos is the 1-based column (in characters) of the offending input in the
	// pattern as passed to Compile.
	Pos int
	// Msg says what is wrong, without the position.
	Msg string
}

// Error formats the message with its column.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter pattern: %s at column %d", e.Msg, e.Pos)
}

// Pattern is a compiled filter pattern. It is immutable and safe for
// concurrent use.
type Pattern struct {
	src  string
	kind Kind

	terms termSet
	re    *regexMatcher
	expr  node
	delim *delimPattern
}

// Compile parses pattern once so that it can be evaluated against many
// events. Errors are *SyntaxError.
func Compile(pattern string) (*Pattern, error) {
	if n := utf8.RuneCountInString(pattern); n > MaxPatternLength {
		return nil, &SyntaxError{Pos: MaxPatternLength + 1, Msg: fmt.Sprintf("pattern is %d characters, over the limit of %d", n, MaxPatternLength)}
	}
	p := &Pattern{src: pattern}
	start, end := trimBounds(pattern)
	ps := &parser{src: pattern}
	var err error
	switch {
	case start == end:
		p.kind = KindEmpty
	case pattern[start] == '{':
		if pattern[end-1] != '}' {
			return nil, ps.errAt(start, "JSON pattern opened with { is not closed with }")
		}
		p.kind = KindJSON
		p.expr, err = ps.parseJSON(start+1, end-1)
	case pattern[start] == '[':
		if pattern[end-1] != ']' {
			return nil, ps.errAt(start, "space-delimited pattern opened with [ is not closed with ]")
		}
		p.kind = KindDelimited
		p.delim, err = ps.parseDelimited(start+1, end-1)
	default:
		p.kind = KindTerm
		p.terms, err = ps.parseTerms(start, end)
		if err == nil && len(p.terms.all) == 1 && p.terms.all[0].re != nil && !p.terms.all[0].neg && !p.terms.all[0].opt {
			p.kind = KindRegex
			p.re = p.terms.all[0].re
		}
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}

// String returns the pattern as passed to Compile.
func (p *Pattern) String() string { return p.src }

// Kind reports which family of the language the pattern belongs to.
func (p *Pattern) Kind() Kind { return p.kind }

// Match reports whether message matches the pattern. To evaluate many
// patterns against one message, build an Event once and use MatchEvent so
// that the message is decoded or split only once.
func (p *Pattern) Match(message string) bool {
	switch p.kind {
	case KindEmpty:
		return true
	case KindTerm:
		return p.terms.match(message)
	case KindRegex:
		return p.re.match(message)
	}
	return p.MatchEvent(NewEvent(message))
}

// MatchEvent reports whether the event matches the pattern, reusing any JSON
// decoding or field splitting the event already holds.
func (p *Pattern) MatchEvent(e *Event) bool {
	switch p.kind {
	case KindEmpty:
		return true
	case KindTerm:
		return p.terms.match(e.Message)
	case KindRegex:
		return p.re.match(e.Message)
	case KindJSON:
		v, ok := e.JSON()
		return ok && p.expr.eval(v)
	case KindDelimited:
		return p.delim.align(e.Fields(), nil)
	}
	return false
}

// MatchJSON evaluates the pattern against an already decoded JSON value (as
// produced by DecodeJSON or encoding/json into an any). JSON patterns walk
// the value directly; other kinds need the message text, so the value is
// re-encoded first, which is slower: prefer MatchEvent when the raw text is at
// hand.
func (p *Pattern) MatchJSON(decoded any) bool {
	switch p.kind {
	case KindEmpty:
		return true
	case KindJSON:
		return isContainer(decoded) && p.expr.eval(decoded)
	}
	b, err := json.Marshal(decoded)
	if err != nil {
		return false
	}
	return p.Match(string(b))
}

// Extract returns the values a space-delimited pattern extracts from
// message, keyed as TestMetricFilter reports them: "$name" for named fields
// and "$<position>" (1-based) for fields covered by "..." or by the empty
// pattern "[]". It returns false when the message does not match; for other
// pattern kinds the map is nil.
func (p *Pattern) Extract(message string) (map[string]string, bool) {
	if p.kind != KindDelimited {
		return nil, p.Match(message)
	}
	fields := splitFields(message, nil)
	assign := make([]int, len(p.delim.fields))
	if !p.delim.align(fields, assign) {
		return nil, false
	}
	out := make(map[string]string, len(fields))
	named := make([]bool, len(fields))
	for i, f := range p.delim.fields {
		if f.name != "" {
			out["$"+f.name] = fields[assign[i]]
			named[assign[i]] = true
		}
	}
	for i, v := range fields {
		if !named[i] {
			out[fmt.Sprintf("$%d", i+1)] = v
		}
	}
	return out, true
}

// Event is one log event prepared for evaluation against many patterns: its
// JSON decoding and space-delimited fields are computed on first use and
// cached. An Event is not safe for concurrent use.
type Event struct {
	// Message is the raw log event text.
	Message string

	jsonState  uint8 // 0 not tried, 1 decoded, 2 not a JSON object or array
	decoded    any
	fields     []string
	fieldsDone bool
}

// NewEvent wraps a raw log event message.
func NewEvent(message string) *Event { return &Event{Message: message} }

// NewDecodedEvent wraps a message whose JSON the caller has already decoded
// (with DecodeJSON or encoding/json into an any), so JSON patterns do not
// decode it again.
func NewDecodedEvent(message string, decoded any) *Event {
	e := &Event{Message: message, decoded: decoded, jsonState: 2}
	if isContainer(decoded) {
		e.jsonState = 1
	}
	return e
}

// JSON returns the message decoded as a JSON object or array, decoding it on
// first call. ok is false when the message is not one JSON object or array.
func (e *Event) JSON() (v any, ok bool) {
	if e.jsonState == 0 {
		e.jsonState = 2
		if d, ok := DecodeJSON(e.Message); ok {
			e.decoded, e.jsonState = d, 1
		}
	}
	return e.decoded, e.jsonState == 1
}

// Fields returns the message split into space-delimited fields, as
// space-delimited patterns see it.
func (e *Event) Fields() []string {
	if !e.fieldsDone {
		e.fields, e.fieldsDone = splitFields(e.Message, nil), true
	}
	return e.fields
}

// DecodeJSON decodes message the way JSON patterns need it: exactly one JSON
// object or array, numbers kept as json.Number so their text survives. ok is
// false for anything else (plain text, a bare scalar, trailing data).
func DecodeJSON(message string) (v any, ok bool) {
	i := 0
	for i < len(message) && isSpace(message[i]) {
		i++
	}
	if i == len(message) || (message[i] != '{' && message[i] != '[') {
		return nil, false
	}
	d := decodeJSON{s: message, i: i}
	v, ok = d.value()
	if !ok {
		return nil, false
	}
	d.space()
	if d.i != len(message) {
		return nil, false
	}
	return v, true
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func trimBounds(s string) (start, end int) {
	start, end = 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	return start, end
}

// parser holds the full pattern so every error can report its column.
type parser struct {
	src      string
	regexes  int
	wildSels int
}

func (ps *parser) errAt(off int, format string, args ...any) *SyntaxError {
	if off > len(ps.src) {
		off = len(ps.src)
	}
	return &SyntaxError{Pos: utf8.RuneCountInString(ps.src[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (ps *parser) skipSpace(i, end int) int {
	for i < end && isSpace(ps.src[i]) {
		i++
	}
	return i
}
