package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
)

// matcher decides one compiled piece of detection logic for a record.
type matcher interface {
	match(record any) bool
}

type andMatcher []matcher

func (a andMatcher) match(r any) bool {
	for _, m := range a {
		if !m.match(r) {
			return false
		}
	}
	return true
}

type orMatcher []matcher

func (o orMatcher) match(r any) bool {
	for _, m := range o {
		if m.match(r) {
			return true
		}
	}
	return false
}

type notMatcher struct{ m matcher }

func (n notMatcher) match(r any) bool { return !n.m.match(r) }

// fieldPath is a dotted Sigma field name. keys[i][j] is parts[i:j+1]
// joined by dots, so a key that itself contains dots is found too.
type fieldPath struct {
	name string
	keys [][]string
}

func newFieldPath(name string) fieldPath {
	parts := strings.Split(name, ".")
	keys := make([][]string, len(parts))
	for i := range parts {
		keys[i] = make([]string, len(parts)-i)
		for j := i; j < len(parts); j++ {
			keys[i][j-i] = strings.Join(parts[i:j+1], ".")
		}
	}
	return fieldPath{name: name, keys: keys}
}

// each calls fn on every value the path reaches in v, fanning out over
// arrays on the way, until fn returns true.
func (p *fieldPath) each(v any, fn func(any) bool) bool {
	return p.walk(v, 0, fn, 0)
}

func (p *fieldPath) walk(v any, i int, fn func(any) bool, depth int) bool {
	if i == len(p.keys) {
		return fn(v)
	}
	if depth > maxDepth {
		return false
	}
	switch x := v.(type) {
	case map[string]any:
		for j, k := range p.keys[i] {
			if c, ok := x[k]; ok {
				if p.walk(c, i+j+1, fn, depth+1) {
					return true
				}
			}
		}
	case []any:
		for _, e := range x {
			if p.walk(e, i, fn, depth+1) {
				return true
			}
		}
	}
	return false
}

// present reports whether the path reaches a non-null value.
func (p *fieldPath) present(v any) bool {
	return p.each(v, func(x any) bool { return x != nil })
}

// fieldMatcher is one "field|modifiers: values" entry.
type fieldMatcher struct {
	path    fieldPath
	values  []*strMatcher
	nullOK  bool // a null among the values: absent or null matches
	all     bool
	keyword bool // no field name: search every value in the record
}

func (f *fieldMatcher) match(r any) bool {
	if f.all {
		for _, m := range f.values {
			if !f.one(r, m) {
				return false
			}
		}
		return len(f.values) > 0 || (f.nullOK && !f.path.present(r))
	}
	if f.nullOK && !f.keyword && !f.path.present(r) {
		return true
	}
	for _, m := range f.values {
		if f.one(r, m) {
			return true
		}
	}
	return false
}

func (f *fieldMatcher) one(r any, m *strMatcher) bool {
	if f.keyword {
		return m.matchValue(r, 0)
	}
	return f.path.each(r, func(v any) bool { return v != nil && m.matchValue(v, 0) })
}

// existsMatcher is "field|exists: true|false".
type existsMatcher struct {
	path fieldPath
	want bool
}

func (e existsMatcher) match(r any) bool { return e.path.present(r) == e.want }

// fieldrefMatcher compares a field with another field of the same record.
type fieldrefMatcher struct {
	path, other fieldPath
	kind        strKind
	cased       bool
}

func (f *fieldrefMatcher) match(r any) bool {
	return f.path.each(r, func(v any) bool {
		a, ok := scalarString(v)
		if !ok {
			return false
		}
		return f.other.each(r, func(w any) bool {
			b, ok := scalarString(w)
			if !ok {
				return false
			}
			if !f.cased {
				a, b = strings.ToLower(a), strings.ToLower(b)
			}
			switch f.kind {
			case kPrefix:
				return strings.HasPrefix(a, b)
			case kSuffix:
				return strings.HasSuffix(a, b)
			case kContains:
				return strings.Contains(a, b)
			}
			return a == b
		})
	})
}

type compiler struct {
	placeholders map[string][]string
}

func (c *compiler) compileDetection(r *Rule, det *node) (aggErr error, err error) {
	if det.kind != kindMap {
		return nil, errAt(det, "detection must be a mapping")
	}
	var cond *node
	sels := map[string]matcher{}
	var names []string
	for i, k := range det.keys {
		v := det.vals[i]
		switch k {
		case "condition":
			cond = v
			continue
		case "timeframe":
			s, err := scalar(k, v)
			if err != nil {
				return nil, err
			}
			r.Timeframe = s
			continue
		}
		m, err := c.selection(k, v)
		if err != nil {
			return nil, err
		}
		sels[k] = m
		names = append(names, k)
	}
	sort.Strings(names)
	if cond == nil {
		return nil, errAt(det, "detection has no condition")
	}
	var conds []string
	switch cond.kind {
	case kindScalar:
		conds = []string{cond.str}
	case kindSeq:
		for _, it := range cond.items {
			if it.kind != kindScalar {
				return nil, errAt(it, "condition entries must be strings")
			}
			conds = append(conds, it.str)
		}
	default:
		return nil, errAt(cond, "condition must be a string or a list of strings")
	}
	if len(conds) == 0 {
		return nil, errAt(cond, "empty condition")
	}
	r.Condition = strings.Join(conds, "\n")
	var ors orMatcher
	var aggs []string
	for _, text := range conds {
		base := text
		if i := strings.IndexByte(text, '|'); i >= 0 {
			base = text[:i]
			aggs = append(aggs, strings.TrimSpace(text[i+1:]))
		}
		m, err := parseCondition(base, sels, names)
		if err != nil {
			return nil, wrapAt(cond, fmt.Errorf("condition %q: %w", text, err))
		}
		ors = append(ors, m)
	}
	if len(ors) == 1 {
		r.match = ors[0]
	} else {
		r.match = ors
	}
	r.Aggregation = strings.Join(aggs, "\n")
	r.selections = sels
	switch {
	case r.Aggregation != "":
		return wrapAt(cond, fmt.Errorf("%q: %w", r.Aggregation, ErrAggregation)), nil
	case r.Timeframe != "":
		return wrapAt(det.get("timeframe"), fmt.Errorf("timeframe %s correlates records: %w", r.Timeframe, ErrAggregation)), nil
	}
	return nil, nil
}

// selection compiles one named search identifier: a mapping is an AND of
// its fields, a list is an OR of its mappings (or keyword values).
func (c *compiler) selection(name string, v *node) (matcher, error) {
	switch v.kind {
	case kindMap:
		return c.fieldMap(v)
	case kindSeq:
		if len(v.items) == 0 {
			return nil, errAt(v, "selection %q is an empty list", name)
		}
		var or orMatcher
		var keywords []*node
		for _, it := range v.items {
			switch it.kind {
			case kindMap:
				m, err := c.fieldMap(it)
				if err != nil {
					return nil, err
				}
				or = append(or, m)
			case kindScalar:
				keywords = append(keywords, it)
			default:
				return nil, errAt(it, "selection %q: list entries must be mappings or values", name)
			}
		}
		if len(keywords) > 0 {
			m, err := c.field("", &node{kind: kindSeq, items: keywords, line: v.line})
			if err != nil {
				return nil, err
			}
			or = append(or, m)
		}
		if len(or) == 1 {
			return or[0], nil
		}
		return or, nil
	}
	return nil, errAt(v, "selection %q must be a mapping or a list", name)
}

func (c *compiler) fieldMap(v *node) (matcher, error) {
	if len(v.keys) == 0 {
		return nil, errAt(v, "empty selection mapping")
	}
	and := make(andMatcher, 0, len(v.keys))
	for i, k := range v.keys {
		m, err := c.field(k, v.vals[i])
		if err != nil {
			return nil, err
		}
		and = append(and, m)
	}
	if len(and) == 1 {
		return and[0], nil
	}
	return and, nil
}

type modifiers struct {
	contains, startswith, endswith, all, re, cidr, exists, cased, fieldref, expand bool
	reFlags                                                                        string
}

func parseModifiers(v *node, mods []string) (modifiers, error) {
	var m modifiers
	for _, s := range mods {
		switch s {
		case "contains":
			m.contains = true
		case "startswith":
			m.startswith = true
		case "endswith":
			m.endswith = true
		case "all":
			m.all = true
		case "re":
			m.re = true
		case "i", "m", "s":
			if !m.re {
				return m, errAt(v, "modifier %q only follows re", s)
			}
			m.reFlags += s
		case "cidr":
			m.cidr = true
		case "exists":
			m.exists = true
		case "cased":
			m.cased = true
		case "fieldref":
			m.fieldref = true
		case "expand":
			m.expand = true
		default:
			return m, errAt(v, "unsupported modifier %q", s)
		}
	}
	kinds := 0
	for _, b := range []bool{m.contains, m.startswith, m.endswith, m.re, m.cidr, m.exists} {
		if b {
			kinds++
		}
	}
	if kinds > 1 {
		return m, errAt(v, "conflicting modifiers %q", strings.Join(mods, "|"))
	}
	if (m.re || m.cidr || m.exists) && (m.cased || m.fieldref) {
		return m, errAt(v, "modifiers %q cannot be combined", strings.Join(mods, "|"))
	}
	return m, nil
}

// field compiles "name|mods: value(s)"; an empty name is a keyword search.
func (c *compiler) field(key string, v *node) (matcher, error) {
	parts := strings.Split(key, "|")
	name := parts[0]
	mods, err := parseModifiers(v, parts[1:])
	if err != nil {
		return nil, err
	}
	var vals []*node
	switch v.kind {
	case kindNull, kindScalar:
		vals = []*node{v}
	case kindSeq:
		if len(v.items) == 0 {
			return nil, errAt(v, "field %q has an empty value list", key)
		}
		for _, it := range v.items {
			if it.kind == kindMap || it.kind == kindSeq {
				return nil, errAt(it, "field %q: values must be scalars", key)
			}
		}
		vals = v.items
	default:
		return nil, errAt(v, "field %q: value must be a scalar or a list", key)
	}
	path := newFieldPath(name)
	if mods.exists {
		if name == "" || len(vals) != 1 || vals[0].kind != kindScalar || (vals[0].str != "true" && vals[0].str != "false") {
			return nil, errAt(v, "field %q: exists takes true or false", key)
		}
		return existsMatcher{path: path, want: vals[0].str == "true"}, nil
	}
	var texts []string
	nullOK := false
	for _, it := range vals {
		if it.kind == kindNull {
			nullOK = true
			continue
		}
		if mods.expand {
			ex, err := c.expand(it)
			if err != nil {
				return nil, err
			}
			texts = append(texts, ex...)
			continue
		}
		texts = append(texts, it.str)
	}
	if mods.fieldref {
		if name == "" || nullOK {
			return nil, errAt(v, "field %q: fieldref needs a field and field names", key)
		}
		kind := kExact
		switch {
		case mods.contains:
			kind = kContains
		case mods.startswith:
			kind = kPrefix
		case mods.endswith:
			kind = kSuffix
		}
		var ms orMatcher
		for _, t := range texts {
			ms = append(ms, &fieldrefMatcher{path: path, other: newFieldPath(t), kind: kind, cased: mods.cased})
		}
		if mods.all {
			return andMatcher(ms), nil
		}
		return ms, nil
	}
	f := &fieldMatcher{path: path, nullOK: nullOK, all: mods.all, keyword: name == ""}
	for _, t := range texts {
		m, err := compileValue(v, t, mods)
		if err != nil {
			return nil, err
		}
		f.values = append(f.values, m)
	}
	return f, nil
}

func compileValue(v *node, t string, mods modifiers) (*strMatcher, error) {
	switch {
	case mods.re:
		expr := t
		if mods.reFlags != "" {
			expr = "(?" + mods.reFlags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, errAt(v, "bad regular expression %q: %v", t, err)
		}
		return &strMatcher{kind: kRegexp, re: re, need: requiredLiteral(expr)}, nil
	case mods.cidr:
		p, err := netip.ParsePrefix(strings.TrimSpace(t))
		if err != nil {
			return nil, errAt(v, "bad CIDR %q: %v", t, err)
		}
		return &strMatcher{kind: kCIDR, prefix: p.Masked()}, nil
	}
	s := parseSigmaString(t)
	star := globElem{wild: '*'}
	if mods.contains || mods.endswith {
		s = append(sigmaString{star}, s...)
	}
	if mods.contains || mods.startswith {
		s = append(s, star)
	}
	return newPatternMatcher(s, mods.cased), nil
}

var placeholderRE = regexp.MustCompile(`%[A-Za-z0-9_.\-]+%`)

// expand fills %name% placeholders, one output per combination of values.
func (c *compiler) expand(v *node) ([]string, error) {
	out := []string{v.str}
	for _, ph := range placeholderRE.FindAllString(v.str, -1) {
		name := strings.Trim(ph, "%")
		vals, ok := c.placeholders[name]
		if !ok || len(vals) == 0 {
			return nil, wrapAt(v, fmt.Errorf("%s: %w", ph, ErrPlaceholder))
		}
		var next []string
		for _, o := range out {
			if !strings.Contains(o, ph) {
				next = append(next, o)
				continue
			}
			for _, val := range vals {
				next = append(next, strings.Replace(o, ph, val, 1))
			}
		}
		if len(next) > 10000 {
			return nil, errAt(v, "placeholder expansion of %q is too large", v.str)
		}
		out = next
	}
	return out, nil
}

var errNoSelection = errors.New("no such selection")
