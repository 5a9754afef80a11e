package sigma

import (
	"errors"
	"fmt"
	"strings"
)

type condParser struct {
	toks  []string
	pos   int
	sels  map[string]matcher
	names []string // sorted
	depth int
}

func tokenizeCondition(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, s[i:i+1])
			i++
		case isIdentByte(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			return nil, fmt.Errorf("unexpected character %q at offset %d", c, i)
		}
	}
	return toks, nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '*' || c == '-' || c == '.' ||
		('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c >= 0x80
}

// parseCondition compiles a condition without aggregation. Precedence:
// not > and > or.
func parseCondition(s string, sels map[string]matcher, names []string) (matcher, error) {
	toks, err := tokenizeCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, errors.New("empty condition")
	}
	p := &condParser{toks: toks, sels: sels, names: names}
	m, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	return m, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) isKeyword(word string) bool {
	return strings.EqualFold(p.peek(), word)
}

func (p *condParser) or() (matcher, error) {
	m, err := p.and()
	if err != nil {
		return nil, err
	}
	ors := orMatcher{m}
	for p.isKeyword("or") {
		p.pos++
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		ors = append(ors, n)
	}
	if len(ors) == 1 {
		return m, nil
	}
	return ors, nil
}

func (p *condParser) and() (matcher, error) {
	m, err := p.unary()
	if err != nil {
		return nil, err
	}
	ands := andMatcher{m}
	for p.isKeyword("and") {
		p.pos++
		n, err := p.unary()
		if err != nil {
			return nil, err
		}
		ands = append(ands, n)
	}
	if len(ands) == 1 {
		return m, nil
	}
	return ands, nil
}

func (p *condParser) unary() (matcher, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, errors.New("condition nested too deeply")
	}
	t := p.peek()
	switch {
	case t == "":
		return nil, errors.New("unexpected end of condition")
	case strings.EqualFold(t, "not"):
		p.pos++
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notMatcher{m}, nil
	case t == "(":
		p.pos++
		m, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, errors.New("missing )")
		}
		p.pos++
		return m, nil
	case t == ")":
		return nil, errors.New("unexpected )")
	}
	if p.pos+1 < len(p.toks) && strings.EqualFold(p.toks[p.pos+1], "of") {
		return p.of()
	}
	switch strings.ToLower(t) {
	case "and", "or", "of", "them":
		return nil, fmt.Errorf("unexpected %q", t)
	}
	p.pos++
	if strings.Contains(t, "*") {
		return nil, fmt.Errorf("wildcard %q is only allowed after \"1 of\" or \"all of\"", t)
	}
	m, ok := p.sels[t]
	if !ok {
		return nil, fmt.Errorf("%w %q", errNoSelection, t)
	}
	return m, nil
}

// of compiles "1 of X", "any of X" and "all of X", where X is a selection
// name pattern or "them" (every selection not starting with '_').
func (p *condParser) of() (matcher, error) {
	q := strings.ToLower(p.toks[p.pos])
	p.pos += 2
	target := p.peek()
	if target == "" || target == "(" || target == ")" {
		return nil, fmt.Errorf("%q of needs a selection pattern or them", q)
	}
	p.pos++
	var ms []matcher
	if strings.EqualFold(target, "them") {
		for _, n := range p.names {
			if !strings.HasPrefix(n, "_") {
				ms = append(ms, p.sels[n])
			}
		}
	} else {
		pat := newPatternMatcher(parseSigmaString(target), true)
		for _, n := range p.names {
			if pat.matchString(n) {
				ms = append(ms, p.sels[n])
			}
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("%w matching %q", errNoSelection, target)
	}
	switch q {
	case "1", "any":
		if len(ms) == 1 {
			return ms[0], nil
		}
		return orMatcher(ms), nil
	case "all":
		if len(ms) == 1 {
			return ms[0], nil
		}
		return andMatcher(ms), nil
	}
	return nil, fmt.Errorf("unsupported quantifier %q (use 1 of or all of)", q)
}
