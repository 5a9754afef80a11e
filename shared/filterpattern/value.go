package filterpattern

import (
	"encoding/json"
	"strconv"
	"strings"
)

type opKind uint8

const (
	opEq opKind = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opNames = map[string]opKind{"=": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}

type valKind uint8

const (
	valString valKind = iota // exact text
	valGlob                  // text with * wildcards
	valNumber                // numeric literal
	valRegex                 // %regex% search
)

// cond is one "op value" comparison, shared by JSON and space-delimited
// patterns.
type cond struct {
	op   opKind
	kind valKind
	text string   // valString text, valNumber source text
	glob []string // valGlob pieces between the wildcards
	num  float64
	re   *regexMatcher
}

// test compares a scalar given as its text and, when it reads as a number,
// its numeric value.
func (c *cond) test(text string, num float64, isNum bool) bool {
	var eq bool
	switch c.kind {
	case valString:
		eq = text == c.text
	case valGlob:
		eq = globMatch(c.glob, text)
	case valRegex:
		eq = c.re.match(text)
	case valNumber:
		switch c.op {
		case opLt:
			return isNum && num < c.num
		case opLe:
			return isNum && num <= c.num
		case opGt:
			return isNum && num > c.num
		case opGe:
			return isNum && num >= c.num
		}
		if isNum {
			eq = num == c.num
		} else {
			eq = text == c.text
		}
	}
	if c.op == opNe {
		return !eq
	}
	return eq
}

// testText compares a space-delimited field.
func (c *cond) testText(s string) bool {
	if c.kind == valNumber {
		n, ok := parseNumber(s)
		return c.test(s, n, ok)
	}
	return c.test(s, 0, false)
}

// testJSON compares a JSON node. Objects, arrays, null and missing values
// satisfy no comparison, not even !=.
func (c *cond) testJSON(v any) bool {
	switch x := v.(type) {
	case string:
		if c.kind == valNumber {
			n, ok := parseNumber(x)
			return c.test(x, n, ok)
		}
		return c.test(x, 0, false)
	case json.Number:
		if c.kind == valNumber {
			n, err := strconv.ParseFloat(string(x), 64)
			return c.test(string(x), n, err == nil)
		}
		return c.test(string(x), 0, false)
	case float64:
		return c.test(strconv.FormatFloat(x, 'g', -1, 64), x, true)
	case bool:
		return c.test(strconv.FormatBool(x), 0, false)
	}
	return false
}

// parseNumber reads s as a JSON-style number with an optional sign:
// [+-]digits[.digits][(e|E)[+-]digits].
func parseNumber(s string) (float64, bool) {
	if !isNumberText(s) {
		return 0, false
	}
	n, err := strconv.ParseFloat(s, 64)
	return n, err == nil
}

func isNumberText(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	d := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == d {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		d = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d = i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	return i == len(s)
}

// globMatch matches s against pieces separated by * wildcards: pieces[0]
// is a prefix, the last piece a suffix, the others appear in order between.
func globMatch(pieces []string, s string) bool {
	last := len(pieces) - 1
	if last == 0 {
		return s == pieces[0]
	}
	if len(s) < len(pieces[0])+len(pieces[last]) || !strings.HasPrefix(s, pieces[0]) || !strings.HasSuffix(s, pieces[last]) {
		return false
	}
	s = s[len(pieces[0]) : len(s)-len(pieces[last])]
	for _, p := range pieces[1:last] {
		k := strings.Index(s, p)
		if k < 0 {
			return false
		}
		s = s[k+len(p):]
	}
	return true
}

// parseCond parses "op value" at i. stop reports whether the byte at j ends a
// bare value (besides whitespace and the && / || connectives).
func (ps *parser) parseCond(i, end int, stop func(byte) bool) (cond, int, error) {
	var c cond
	opStart := i
	for i < end && strings.IndexByte("=!<>", ps.src[i]) >= 0 {
		i++
	}
	if i == opStart {
		return c, i, ps.errAt(opStart, "expected an operator (= != < <= > >=)")
	}
	op, ok := opNames[ps.src[opStart:i]]
	if !ok {
		return c, i, ps.errAt(opStart, "unknown operator %q", ps.src[opStart:i])
	}
	c.op = op
	i = ps.skipSpace(i, end)
	valStart := i
	if i >= end {
		return c, i, ps.errAt(i, "missing value after operator %q", opNameOf(op))
	}
	switch ps.src[i] {
	case '"':
		var pieces []string
		var cur strings.Builder
		j := i + 1
		closed := false
		for j < end {
			ch := ps.src[j]
			if ch == '"' {
				closed = true
				break
			}
			if ch == '\\' && j+1 < end && strings.IndexByte(`"\*`, ps.src[j+1]) >= 0 {
				cur.WriteByte(ps.src[j+1])
				j += 2
				continue
			}
			if ch == '*' {
				pieces = append(pieces, cur.String())
				cur.Reset()
			} else {
				cur.WriteByte(ch)
			}
			j++
		}
		if !closed {
			return c, i, ps.errAt(valStart, "unterminated quoted string")
		}
		pieces = append(pieces, cur.String())
		if len(pieces) == 1 {
			c.kind, c.text = valString, pieces[0]
		} else {
			c.kind, c.glob = valGlob, pieces
		}
		i = j + 1
	case '%':
		j := strings.IndexByte(ps.src[i+1:end], '%')
		if j < 0 {
			return c, i, ps.errAt(valStart, "unterminated regex (missing closing %%)")
		}
		re, err := ps.compileRegex(i+1, i+1+j)
		if err != nil {
			return c, i, err
		}
		if ps.regexes > MaxRegexPerPattern {
			return c, i, ps.errAt(valStart, "more than %d regexes in one pattern", MaxRegexPerPattern)
		}
		c.kind, c.re = valRegex, re
		i += j + 2
	default:
		j := i
		for j < end && !isSpace(ps.src[j]) && !stop(ps.src[j]) && !ps.connective(j, end) {
			j++
		}
		if j == i {
			return c, i, ps.errAt(valStart, "missing value after operator %q", opNameOf(op))
		}
		bare := ps.src[i:j]
		switch {
		case strings.IndexByte(bare, '*') >= 0:
			c.kind, c.glob = valGlob, strings.Split(bare, "*")
		case isNumberText(bare):
			n, err := strconv.ParseFloat(bare, 64)
			if err != nil {
				return c, i, ps.errAt(valStart, "number %s out of range", bare)
			}
			c.kind, c.text, c.num = valNumber, bare, n
		default:
			c.kind, c.text = valString, bare
		}
		i = j
	}
	if c.op != opEq && c.op != opNe && c.kind != valNumber {
		return c, i, ps.errAt(opStart, "operator %q needs a numeric value", opNameOf(c.op))
	}
	return c, i, nil
}

func (ps *parser) connective(j, end int) bool {
	if j+1 >= end {
		return false
	}
	two := ps.src[j : j+2]
	return two == "&&" || two == "||"
}

func opNameOf(op opKind) string {
	for k, v := range opNames {
		if v == op {
			return k
		}
	}
	return "?"
}
