package filterpattern

import (
	"strconv"
	"strings"
)

// node is a compiled JSON pattern expression evaluated on a decoded root.
type node interface {
	eval(root any) bool
}

type andNode []node

func (n andNode) eval(root any) bool {
	for _, c := range n {
		if !c.eval(root) {
			return false
		}
	}
	return true
}

type orNode []node

func (n orNode) eval(root any) bool {
	for _, c := range n {
		if c.eval(root) {
			return true
		}
	}
	return false
}

type segKind uint8

const (
	segKey      segKind = iota // .name or ['key']
	segIndex                   // [n]
	segAnyField                // .*
	segAnyIndex                // [*]
)

type seg struct {
	kind segKind
	key  string
	idx  int
}

type leafKind uint8

const (
	leafCmp leafKind = iota
	leafIsNull
	leafIsTrue
	leafIsFalse
	leafNotExists
)

// leaf is one selector test. With a wildcard selector it holds when any
// resolved node passes (existential), and NOT EXISTS holds when none resolves.
type leaf struct {
	kind leafKind
	path []seg
	c    cond
}

func (l *leaf) eval(root any) bool {
	if l.kind == leafNotExists {
		return !l.walk(root, l.path)
	}
	return l.walk(root, l.path)
}

// walk reports whether some node at path below v passes the leaf's test.
func (l *leaf) walk(v any, path []seg) bool {
	if len(path) == 0 {
		return l.test(v)
	}
	s := path[0]
	switch s.kind {
	case segKey:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		child, ok := m[s.key]
		return ok && l.walk(child, path[1:])
	case segIndex:
		a, ok := v.([]any)
		if !ok || s.idx >= len(a) {
			return false
		}
		return l.walk(a[s.idx], path[1:])
	case segAnyField:
		switch x := v.(type) {
		case map[string]any:
			for _, child := range x {
				if l.walk(child, path[1:]) {
					return true
				}
			}
		case []any:
			for _, child := range x {
				if l.walk(child, path[1:]) {
					return true
				}
			}
		}
	case segAnyIndex:
		if a, ok := v.([]any); ok {
			for _, child := range a {
				if l.walk(child, path[1:]) {
					return true
				}
			}
		}
	}
	return false
}

func (l *leaf) test(v any) bool {
	switch l.kind {
	case leafNotExists:
		return true
	case leafIsNull:
		return v == nil
	case leafIsTrue:
		b, ok := v.(bool)
		return ok && b
	case leafIsFalse:
		b, ok := v.(bool)
		return ok && !b
	}
	return l.c.testJSON(v)
}

// parseJSON parses the inside of { ... } at src[start:end].
func (ps *parser) parseJSON(start, end int) (node, error) {
	i := ps.skipSpace(start, end)
	if i == end {
		return nil, ps.errAt(start-1, "empty JSON pattern")
	}
	n, i, err := ps.parseOr(i, end, 0)
	if err != nil {
		return nil, err
	}
	i = ps.skipSpace(i, end)
	if i < end {
		if ps.src[i] == ')' {
			return nil, ps.errAt(i, "unbalanced parenthesis")
		}
		return nil, ps.errAt(i, "unexpected %q; expected && or ||", ps.src[i:i+1])
	}
	return n, nil
}

// maxNesting bounds parenthesis depth so the recursive-descent parser's
// stack use is bounded whatever the input.
const maxNesting = 256

func (ps *parser) parseOr(i, end, depth int) (node, int, error) {
	var parts orNode
	for {
		n, j, err := ps.parseAnd(i, end, depth)
		if err != nil {
			return nil, j, err
		}
		parts = append(parts, n)
		j = ps.skipSpace(j, end)
		if j+1 < end && ps.src[j:j+2] == "||" {
			i = j + 2
			continue
		}
		if len(parts) == 1 {
			return parts[0], j, nil
		}
		return parts, j, nil
	}
}

func (ps *parser) parseAnd(i, end, depth int) (node, int, error) {
	var parts andNode
	for {
		n, j, err := ps.parseUnary(i, end, depth)
		if err != nil {
			return nil, j, err
		}
		parts = append(parts, n)
		j = ps.skipSpace(j, end)
		if j+1 < end && ps.src[j:j+2] == "&&" {
			i = j + 2
			continue
		}
		if len(parts) == 1 {
			return parts[0], j, nil
		}
		return parts, j, nil
	}
}

func (ps *parser) parseUnary(i, end, depth int) (node, int, error) {
	i = ps.skipSpace(i, end)
	if i >= end {
		return nil, i, ps.errAt(i, "expected a selector or (")
	}
	if ps.src[i] != '(' {
		return ps.parseComparison(i, end)
	}
	if depth >= maxNesting {
		return nil, i, ps.errAt(i, "parentheses nested deeper than %d", maxNesting)
	}
	open := i
	n, j, err := ps.parseOr(i+1, end, depth+1)
	if err != nil {
		return nil, j, err
	}
	j = ps.skipSpace(j, end)
	if j >= end || ps.src[j] != ')' {
		return nil, j, ps.errAt(open, "unbalanced parenthesis")
	}
	return n, j + 1, nil
}

func isNameChar(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

func (ps *parser) parseComparison(i, end int) (node, int, error) {
	if ps.src[i] != '$' {
		if ps.src[i] == ')' {
			return nil, i, ps.errAt(i, "unbalanced parenthesis")
		}
		return nil, i, ps.errAt(i, "expected a selector starting with $")
	}
	selStart := i
	l := &leaf{}
	i++
	wild := 0
	for i < end {
		c := ps.src[i]
		if c == '.' && i+1 < end && ps.src[i+1] == '[' {
			i++ // .['key'] is the same as ['key']
			c = '['
		}
		if c == '.' {
			i++
			switch {
			case i < end && ps.src[i] == '*':
				l.path = append(l.path, seg{kind: segAnyField})
				wild++
				i++
			case i < end && isNameChar(ps.src[i]):
				j := i
				for j < end && isNameChar(ps.src[j]) {
					j++
				}
				l.path = append(l.path, seg{kind: segKey, key: ps.src[i:j]})
				i = j
			default:
				return nil, i, ps.errAt(i, "expected a field name, * or ['key'] after .")
			}
			continue
		}
		if c != '[' {
			break
		}
		open := i
		i++
		switch {
		case i < end && ps.src[i] == '*':
			l.path = append(l.path, seg{kind: segAnyIndex})
			wild++
			i++
		case i < end && (ps.src[i] == '\'' || ps.src[i] == '"'):
			q := ps.src[i]
			k := strings.IndexByte(ps.src[i+1:end], q)
			if k < 0 {
				return nil, i, ps.errAt(i, "unterminated quoted key")
			}
			l.path = append(l.path, seg{kind: segKey, key: ps.src[i+1 : i+1+k]})
			i += k + 2
		case i < end && ps.src[i] >= '0' && ps.src[i] <= '9':
			j := i
			for j < end && ps.src[j] >= '0' && ps.src[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(ps.src[i:j])
			if err != nil {
				return nil, i, ps.errAt(i, "array index %s out of range", ps.src[i:j])
			}
			l.path = append(l.path, seg{kind: segIndex, idx: n})
			i = j
		default:
			return nil, i, ps.errAt(i, "expected an array index, * or a quoted key after [")
		}
		if i >= end || ps.src[i] != ']' {
			return nil, i, ps.errAt(open, "unclosed [ in selector")
		}
		i++
	}
	if len(l.path) == 0 {
		return nil, i, ps.errAt(selStart, "selector $ needs at least one field, index or wildcard")
	}
	if wild > MaxWildcardsPerSelector {
		return nil, i, ps.errAt(selStart, "more than %d wildcard in one selector", MaxWildcardsPerSelector)
	}
	if wild > 0 {
		ps.wildSels++
		if ps.wildSels > MaxWildcardSelectors {
			return nil, i, ps.errAt(selStart, "more than %d wildcard selectors in one pattern", MaxWildcardSelectors)
		}
	}
	if i < end && !isSpace(ps.src[i]) && strings.IndexByte("=!<>", ps.src[i]) < 0 {
		return nil, i, ps.errAt(i, "unexpected %q in selector", ps.src[i:i+1])
	}
	i = ps.skipSpace(i, end)
	if i >= end {
		return nil, i, ps.errAt(i, "expected an operator, IS or NOT EXISTS after selector")
	}
	if strings.IndexByte("=!<>", ps.src[i]) >= 0 {
		c, j, err := ps.parseCond(i, end, func(b byte) bool { return b == ')' || b == '}' })
		if err != nil {
			return nil, j, err
		}
		l.c = c
		return l, j, nil
	}
	w1, j := ps.word(i, end)
	switch w1 {
	case "IS":
		k := ps.skipSpace(j, end)
		w2, j2 := ps.word(k, end)
		switch w2 {
		case "NULL":
			l.kind = leafIsNull
		case "TRUE":
			l.kind = leafIsTrue
		case "FALSE":
			l.kind = leafIsFalse
		case "NOT":
			return nil, k, ps.errAt(k, "IS NOT is not supported; use != or NOT EXISTS")
		default:
			return nil, k, ps.errAt(k, "expected NULL, TRUE or FALSE after IS")
		}
		return l, j2, nil
	case "NOT":
		k := ps.skipSpace(j, end)
		w2, j2 := ps.word(k, end)
		if w2 != "EXISTS" {
			return nil, k, ps.errAt(k, "expected EXISTS after NOT")
		}
		l.kind = leafNotExists
		return l, j2, nil
	case "EXISTS":
		return nil, i, ps.errAt(i, `EXISTS is not supported; use = "*" to test presence`)
	}
	if op, k := ps.opRun(i, end); op != "" {
		return nil, k, ps.errAt(i, "unknown operator %q", op)
	}
	return nil, i, ps.errAt(i, "expected an operator, IS or NOT EXISTS after selector, found %q", w1)
}

// word returns the run of characters at i up to whitespace, ")", && or ||, so that
// "ISNULL" or "IS-NULL" is not mistaken for a keyword.
func (ps *parser) word(i, end int) (string, int) {
	j := i
	for j < end && !isSpace(ps.src[j]) && ps.src[j] != ')' && !ps.connective(j, end) {
		j++
	}
	return ps.src[i:j], j
}

// opRun returns a run of punctuation that looks like an attempted operator.
func (ps *parser) opRun(i, end int) (string, int) {
	j := i
	for j < end && strings.IndexByte("=!<>~:&|", ps.src[j]) >= 0 {
		j++
	}
	return ps.src[i:j], j
}
