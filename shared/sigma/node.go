package sigma

import (
	"errors"
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxDepth bounds YAML nesting and condition nesting so hostile input cannot
// exhaust the stack.
const maxDepth = 64

type nodeKind int

const (
	kindNull nodeKind = iota
	kindScalar
	kindMap
	kindSeq
)

// node is the part of the YAML AST that a rule needs, with source lines kept
// for error messages.
type node struct {
	kind  nodeKind
	str   string
	line  int
	keys  []string
	vals  []*node
	items []*node
}

func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// lineError carries the rule file's line of a problem.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string {
	if e.line <= 0 {
		return e.err.Error()
	}
	return fmt.Sprintf("line %d: %v", e.line, e.err)
}

func (e *lineError) Unwrap() error { return e.err }

func errAt(n *node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.line
	}
	return &lineError{line: line, err: fmt.Errorf(format, args...)}
}

// wrapAt adds a line to err, which may wrap a sentinel.
func wrapAt(n *node, err error) error {
	line := 0
	if n != nil {
		line = n.line
	}
	return &lineError{line: line, err: err}
}

func parseYAML(data []byte) (*node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("parse rule YAML: %w", err)
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			return nil, errors.New("parse rule YAML: more than one document (rule collections are not supported)")
		}
		body = d.Body
	}
	if body == nil {
		return nil, errors.New("parse rule YAML: empty document")
	}
	return convert(body, 0)
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

func convert(n ast.Node, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, &lineError{line: lineOf(n), err: errors.New("YAML nested too deeply")}
	}
	if n == nil {
		return &node{kind: kindNull}, nil
	}
	line := lineOf(n)
	switch v := n.(type) {
	case *ast.NullNode:
		return &node{kind: kindNull, line: line}, nil
	case *ast.StringNode:
		return &node{kind: kindScalar, str: v.Value, line: line}, nil
	case *ast.LiteralNode:
		s := ""
		if v.Value != nil {
			s = v.Value.Value
		}
		return &node{kind: kindScalar, str: s, line: line}, nil
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		tk := n.GetToken()
		if tk == nil {
			return nil, &lineError{line: line, err: errors.New("scalar without token")}
		}
		return &node{kind: kindScalar, str: tk.Value, line: line}, nil
	case *ast.TagNode:
		return convert(v.Value, depth+1)
	case *ast.AnchorNode:
		return convert(v.Value, depth+1)
	case *ast.AliasNode:
		return nil, &lineError{line: line, err: errors.New("YAML aliases are not supported in rules")}
	case *ast.MappingNode:
		out := &node{kind: kindMap, line: line}
		for _, mv := range v.Values {
			if err := addPair(out, mv, depth); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.MappingValueNode:
		out := &node{kind: kindMap, line: line}
		if err := addPair(out, v, depth); err != nil {
			return nil, err
		}
		return out, nil
	case *ast.SequenceNode:
		out := &node{kind: kindSeq, line: line}
		for _, it := range v.Values {
			c, err := convert(it, depth+1)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, c)
		}
		return out, nil
	}
	return nil, &lineError{line: line, err: fmt.Errorf("unsupported YAML %s", n.Type())}
}

func addPair(m *node, mv *ast.MappingValueNode, depth int) error {
	if mv == nil || mv.Key == nil {
		return &lineError{line: m.line, err: errors.New("mapping entry without key")}
	}
	k, err := convert(mv.Key, depth+1)
	if err != nil {
		return err
	}
	if k.kind != kindScalar {
		return &lineError{line: lineOf(mv.Key), err: errors.New("mapping key must be a scalar")}
	}
	if m.get(k.str) != nil {
		return &lineError{line: lineOf(mv.Key), err: fmt.Errorf("duplicate key %q", k.str)}
	}
	v, err := convert(mv.Value, depth+1)
	if err != nil {
		return err
	}
	if v.line == 0 {
		v.line = lineOf(mv.Key)
	}
	m.keys = append(m.keys, k.str)
	m.vals = append(m.vals, v)
	return nil
}
