package filterpattern

import "strings"

// term is one word, quoted phrase or %regex% of a term pattern.
type term struct {
	text string
	re   *regexMatcher
	neg  bool // -term: must be absent
	opt  bool // ?term: any one of them must be present
}

func (t *term) found(msg string) bool {
	if t.re != nil {
		return t.re.match(msg)
	}
	return strings.Contains(msg, t.text)
}

// termSet is a compiled term pattern. When ?terms are mixed with other terms
// AWS ignores the ?terms, so they are dropped at compile time.
type termSet struct {
	all      []term // as written, for introspection
	required []term
	excluded []term
	optional []term
}

func (s *termSet) match(msg string) bool {
	if len(s.optional) > 0 {
		for i := range s.optional {
			if s.optional[i].found(msg) {
				return true
			}
		}
		return false
	}
	for i := range s.required {
		if !s.required[i].found(msg) {
			return false
		}
	}
	for i := range s.excluded {
		if s.excluded[i].found(msg) {
			return false
		}
	}
	return true
}

func (ps *parser) parseTerms(start, end int) (termSet, error) {
	var s termSet
	i := start
	for {
		i = ps.skipSpace(i, end)
		if i >= end {
			break
		}
		var t term
		if c := ps.src[i]; c == '?' || c == '-' {
			t.opt, t.neg = c == '?', c == '-'
			if i+1 >= end || isSpace(ps.src[i+1]) {
				return s, ps.errAt(i, "missing term after %q", string(c))
			}
			i++
		}
		tokStart := i
		switch ps.src[i] {
		case '"':
			j := strings.IndexByte(ps.src[i+1:end], '"')
			if j < 0 {
				return s, ps.errAt(tokStart, "unterminated quoted phrase")
			}
			t.text = ps.src[i+1 : i+1+j]
			i += j + 2
		case '%':
			j := strings.IndexByte(ps.src[i+1:end], '%')
			if j < 0 {
				return s, ps.errAt(tokStart, "unterminated regex (missing closing %%)")
			}
			re, err := ps.compileRegex(i+1, i+1+j)
			if err != nil {
				return s, err
			}
			t.re = re
			i += j + 2
		default:
			j := i
			for j < end && !isSpace(ps.src[j]) {
				j++
			}
			t.text = ps.src[i:j]
			i = j
		}
		if i < end && !isSpace(ps.src[i]) {
			return s, ps.errAt(i, "expected whitespace after term")
		}
		s.all = append(s.all, t)
	}
	hasPlain := false
	for _, t := range s.all {
		if !t.opt {
			hasPlain = true
		}
	}
	for _, t := range s.all {
		switch {
		case t.opt && !hasPlain:
			s.optional = append(s.optional, t)
		case t.neg:
			s.excluded = append(s.excluded, t)
		case !t.opt:
			s.required = append(s.required, t)
		}
	}
	return s, nil
}
