package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/watchkeeper/watchkeeper/shared/internal/swar"
)

// ErrSyntax reports a record that is not one well-formed JSON object.
var ErrSyntax = errors.New("cloudtrail record: invalid JSON")

// maxScanDepth is encoding/json's nesting limit, so Scan and Parse reject
// the same deeply nested input.
const maxScanDepth = 10000

// Head is what the detector reads from every record before deciding whether
// any rule can fire on it: the two fields the rule index is keyed on.
type Head struct {
	EventSource string
	EventName   string
}

// Scan validates that b is one JSON object and returns its top-level
// eventSource and eventName, without decoding anything else. It is the
// detector's per-record check: several times faster than Parse, which it
// defers to the few records a rule matches.
//
// Scan accepts what encoding/json accepts (invalid UTF-8 included) and fails
// like Parse on malformed JSON and on a missing, empty or non-string
// eventName or eventSource. Unlike Parse it does not check the types of the
// other fields (a record whose eventTime is not RFC 3339 passes), and keys are
// matched exactly, as filter patterns and Sigma rules match them, where
// encoding/json would also accept "EventName". Duplicate keys: the last wins.
func Scan(b []byte) (Head, error) {
	_, h, err := scan(b, nil, false)
	// scan's strings may share b's memory; the caller may reuse b.
	h.EventSource, h.EventName = strings.Clone(h.EventSource), strings.Clone(h.EventName)
	return h, err
}

// Member is one top-level member of a record: its key (unescaped) and its
// value's raw JSON text, both views of the scanned bytes.
type Member struct {
	Key   string
	Value []byte
}

// ScanMembers is Scan that also appends every top-level member of the record
// to dst, in order (a repeated key appears each time; the last one is the
// one that counts). Keys, values and the Head's strings share memory with b
// (b must not change while they are in use). The detector decodes only the
// members its rules read.
func ScanMembers(b []byte, dst []Member) ([]Member, Head, error) {
	return scan(b, dst, true)
}

func scan(b []byte, dst []Member, members bool) ([]Member, Head, error) {
	s := scanner{b: b}
	var h Head
	var rawSource, rawName []byte
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		return dst, h, s.fail()
	}
	s.i++
	s.ws()
	if s.i < len(b) && b[s.i] == '}' {
		s.i++
	} else {
		for {
			s.ws()
			keyStart := s.i
			if !s.str() {
				return dst, h, s.fail()
			}
			key := b[keyStart+1 : s.i-1]
			s.ws()
			if s.i >= len(b) || b[s.i] != ':' {
				return dst, h, s.fail()
			}
			s.i++
			s.ws()
			valStart := s.i
			if !s.value(1) {
				return dst, h, s.fail()
			}
			field := s.key(key)
			if members {
				dst = append(dst, Member{Key: field, Value: b[valStart:s.i]})
			}
			switch field {
			case "eventSource", "eventName":
				var v []byte
				if b[valStart] == '"' {
					v = b[valStart:s.i]
				}
				if field == "eventSource" {
					rawSource = v
				} else {
					rawName = v
				}
			}
			s.ws()
			if s.i >= len(b) {
				return dst, h, s.fail()
			}
			if b[s.i] == '}' {
				s.i++
				break
			}
			if b[s.i] != ',' {
				return dst, h, s.fail()
			}
			s.i++
		}
	}
	s.ws()
	if s.i != len(b) {
		return dst, h, s.fail()
	}
	h.EventSource = unquote(rawSource)
	h.EventName = unquote(rawName)
	var missing string
	switch {
	case h.EventName == "" && h.EventSource == "":
		missing = "eventName, eventSource"
	case h.EventName == "":
		missing = "eventName"
	case h.EventSource == "":
		missing = "eventSource"
	default:
		return dst, h, nil
	}
	return dst, h, fmt.Errorf("%w: %s", ErrMissingField, missing)
}

// unquote decodes a JSON string token (quotes included) the way
// encoding/json does; nil (absent or not a string) gives "". Without
// escapes the result shares memory with tok.
func unquote(tok []byte) string {
	if len(tok) < 2 {
		return ""
	}
	inner := tok[1 : len(tok)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain || (!hasByte(inner, '\\') && utf8.Valid(inner)) {
		return unsafe.String(unsafe.SliceData(inner), len(inner))
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "" // unreachable: the scanner has validated the token
	}
	return s
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// scanner is a validating JSON scanner that allocates nothing. Strings, the
// bulk of a CloudTrail record, are skipped eight bytes at a time.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail() error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: unexpected end of input", ErrSyntax)
	}
	return fmt.Errorf("%w: unexpected %q at offset %d", ErrSyntax, s.b[s.i], s.i)
}

// key returns the text of an object key, unescaping only when it must. The
// result shares memory with b.
func (s *scanner) key(raw []byte) string {
	if hasByte(raw, '\\') || !isASCII(raw) {
		tok := make([]byte, 0, len(raw)+2)
		tok = append(append(append(tok, '"'), raw...), '"')
		return unquote(tok)
	}
	return unsafe.String(unsafe.SliceData(raw), len(raw))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; c {
	case '"':
		return s.str()
	case '{':
		return s.object(depth + 1)
	case '[':
		return s.array(depth + 1)
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			return s.number()
		}
	}
	return false
}

func (s *scanner) lit(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return false
	}
	s.i += len(word)
	return true
}

func (s *scanner) object(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.i++ // {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		if !s.str() {
			return false
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		if !s.value(depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) array(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	s.i++ // [
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		s.ws()
		if !s.value(depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.digits() == 0:
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

// str skips the string at s.i (which must hold its opening quote).
func (s *scanner) str() bool {
	b := s.b
	if s.i >= len(b) || b[s.i] != '"' {
		return false
	}
	i := s.i + 1
	var high uint64
	for {
		i = swar.Skip(b, i, &high)
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return true
		case c == '\\':
			if i+1 >= len(b) {
				return false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return false
				}
				for _, h := range b[i+2 : i+6] {
					if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
						return false
					}
				}
				i += 6
			default:
				return false
			}
		case c < 0x20:
			s.i = i
			return false
		default:
			i++
		}
	}
}
