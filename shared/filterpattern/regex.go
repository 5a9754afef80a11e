package filterpattern

import (
	"regexp"
	"strings"
)

// regexMatcher is a compiled %regex%. A regex that is a plain literal is
// searched with strings.Contains instead of the regexp engine.
type regexMatcher struct {
	re      *regexp.Regexp
	literal string
	isLit   bool
}

func (m *regexMatcher) match(s string) bool {
	if m.isLit {
		return strings.Contains(s, m.literal)
	}
	return m.re.MatchString(s)
}

// regexLiteralChars are the literal characters AWS allows in a regex besides
// letters and digits (space appears in AWS's own examples).
const regexLiteralChars = ":_#=@/;,- "

// regexOperatorChars are the operators AWS allows in a regex.
const regexOperatorChars = "^$?[]{}|\\*+."

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// compileRegex validates src[start:end] against AWS's regex subset and
// translates it to Go RE2 syntax. The subset is a strict subset of RE2 apart
// from "{,n}", which becomes "{0,n}", and ".", which also matches newline.
func (ps *parser) compileRegex(start, end int) (*regexMatcher, error) {
	if start == end {
		return nil, ps.errAt(start-1, "empty regex")
	}
	var b strings.Builder
	b.WriteString("(?s)")
	literal := true
	var lit strings.Builder
	inClass, classStart := false, 0
	for i := start; i < end; i++ {
		c := ps.src[i]
		switch {
		case c >= 0x80:
			return nil, ps.errAt(i, "multi-byte characters are not supported in a regex")
		case c == '(' || c == ')':
			return nil, ps.errAt(i, "unsupported regex character %q (groups are not supported; use \\x28 or \\x29 for a literal parenthesis)", string(c))
		case isAlnum(c) || strings.IndexByte(regexLiteralChars, c) >= 0:
			if inClass && c == '-' {
				b.WriteByte(c)
			} else {
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
			lit.WriteByte(c)
		case c == '\\':
			if i+1 >= end {
				return nil, ps.errAt(i, "regex ends with a lone backslash")
			}
			n := ps.src[i+1]
			switch {
			case n == '(' || n == ')':
				return nil, ps.errAt(i+1, "unsupported regex character %q (groups are not supported; use \\x28 or \\x29 for a literal parenthesis)", string(n))
			case strings.IndexByte("dDwWsS", n) >= 0:
				b.WriteByte('\\')
				b.WriteByte(n)
				literal = false
				i++
			case n == 'x':
				if i+3 >= end || !isHex(ps.src[i+2]) || !isHex(ps.src[i+3]) {
					return nil, ps.errAt(i, "\\x needs two hex digits")
				}
				if ps.src[i+2] > '7' {
					return nil, ps.errAt(i, "\\x%s is not an ASCII character", ps.src[i+2:i+4])
				}
				b.WriteString(ps.src[i : i+4])
				literal = false
				i += 3
			case strings.IndexByte(regexOperatorChars, n) >= 0 || strings.IndexByte(regexLiteralChars, n) >= 0:
				b.WriteString(regexp.QuoteMeta(string(n)))
				lit.WriteByte(n)
				i++
			default:
				return nil, ps.errAt(i, "unsupported regex escape %q", ps.src[i:i+2])
			}
		case inClass:
			switch c {
			case ']':
				if i == classStart {
					return nil, ps.errAt(i, "empty character class in regex")
				}
				b.WriteByte(']')
				inClass = false
			case '^':
				if i == classStart {
					b.WriteByte('^')
					classStart++
				} else {
					b.WriteString(`\^`)
				}
			default:
				if strings.IndexByte(regexOperatorChars, c) < 0 {
					return nil, ps.errAt(i, "unsupported regex character %q", string(c))
				}
				b.WriteString(regexp.QuoteMeta(string(c)))
			}
		case c == '[':
			inClass, classStart = true, i+1
			literal = false
			b.WriteByte('[')
		case c == ']':
			return nil, ps.errAt(i, "unbalanced ] in regex")
		case c == '{':
			j := i + 1
			for j < end && ps.src[j] != '}' {
				j++
			}
			if j >= end || !validRepeat(ps.src[i+1:j]) {
				return nil, ps.errAt(i, "invalid repetition {m,n} in regex")
			}
			body := ps.src[i+1 : j]
			if body[0] == ',' {
				body = "0" + body
			}
			b.WriteString("{" + body + "}")
			literal = false
			i = j
		case c == '}':
			return nil, ps.errAt(i, "unbalanced } in regex")
		case strings.IndexByte("^$?|*+.", c) >= 0:
			b.WriteByte(c)
			literal = false
		default:
			return nil, ps.errAt(i, "unsupported regex character %q", string(c))
		}
	}
	if inClass {
		return nil, ps.errAt(classStart-1, "unterminated character class in regex")
	}
	ps.regexes++
	if literal {
		return &regexMatcher{literal: lit.String(), isLit: true}, nil
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, ps.errAt(start, "invalid regex: %v", err)
	}
	return &regexMatcher{re: re}, nil
}

// validRepeat accepts the inside of {m}, {m,}, {,n} and {m,n}.
func validRepeat(s string) bool {
	lo, hi, comma := s, "", false
	if k := strings.IndexByte(s, ','); k >= 0 {
		lo, hi, comma = s[:k], s[k+1:], true
	}
	digits := func(d string) bool {
		for i := 0; i < len(d); i++ {
			if d[i] < '0' || d[i] > '9' {
				return false
			}
		}
		return true
	}
	if !digits(lo) || !digits(hi) || lo == "" && hi == "" {
		return false
	}
	return comma || lo != ""
}
