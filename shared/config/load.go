package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxNodes bounds how many nodes one decode visits, so that alias bombs
// ("billion laughs") fail fast instead of exhausting memory.
const maxNodes = 200_000

// Load reads, decodes, defaults and validates the config file at path (YAML
// or JSON). Every problem found is returned at once in an *Errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes data (YAML or JSON; name is used in error messages) strictly
// against Config: unknown keys, wrong types and duplicate keys are errors.
// It then applies defaults once and runs Validate. All problems are returned
// together in an *Errors, each with file:line:col and key path.
func Parse(name string, data []byte) (*Config, error) {
	src := newSource(name)
	errs := &errList{src: src}
	if !utf8.Valid(data) {
		line, col := invalidUTF8At(data)
		src.at[""] = pos{line, col}
		errs.addf("", "file is not valid UTF-8")
		return nil, errs.err()
	}
	file, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, syntaxErrors(name, err)
	}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			errs.addAt("", nodePos(doc.Body), "more than one YAML document; put the whole config in one")
			return nil, errs.err()
		}
		body = doc.Body
	}
	cfg := &Config{src: src}
	d := &decoder{src: src, errs: errs, anchors: collectAnchors(file)}
	if body == nil {
		src.at[""] = pos{1, 1}
	} else {
		src.at[""] = nodePos(body)
		d.decode("", body, reflect.ValueOf(cfg).Elem())
	}
	cfg.applyDefaults()
	if verr := cfg.Validate(); verr != nil {
		var ve *Errors
		if errors.As(verr, &ve) {
			for _, e := range ve.List {
				if !d.suppressed(e.Path) {
					errs.list = append(errs.list, e)
				}
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// syntaxErrors turns a goccy parse error into *Errors with its position.
func syntaxErrors(name string, err error) error {
	e := Error{File: name, Msg: "invalid YAML: " + err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		e.Msg = "invalid YAML: " + ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Line, e.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return &Errors{List: []Error{e}}
}

func invalidUTF8At(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return line, col
}

// collectAnchors indexes every anchor in the file by name so that aliases
// resolve even when the anchor sits under a key the decoder rejects.
func collectAnchors(f *ast.File) map[string]ast.Node {
	anchors := map[string]ast.Node{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch x := n.(type) {
		case *ast.AnchorNode:
			if x.Name != nil && x.Name.GetToken() != nil {
				anchors[x.Name.GetToken().Value] = x.Value
			}
			walk(x.Value)
		case *ast.TagNode:
			walk(x.Value)
		case *ast.MappingNode:
			for _, mv := range x.Values {
				walk(mv)
			}
		case *ast.MappingValueNode:
			if x != nil {
				walk(x.Key)
				walk(x.Value)
			}
		case *ast.MappingKeyNode:
			walk(x.Value)
		case *ast.SequenceNode:
			for _, v := range x.Values {
				walk(v)
			}
		}
	}
	for _, doc := range f.Docs {
		if doc != nil {
			walk(doc.Body)
		}
	}
	return anchors
}

// decoder walks the YAML AST against the Go types of Config, filling the
// value and recording every problem instead of stopping at the first.
type decoder struct {
	src       *source
	errs      *errList
	anchors   map[string]ast.Node
	expanding []string
	nodes     int
	exhausted bool
	// bad holds paths whose value failed to decode, and paths that an
	// unknown key probably meant; validation errors under them are noise.
	bad []string
}

func (d *decoder) fail(path, format string, args ...any) {
	d.errs.addf(path, format, args...)
	d.bad = append(d.bad, path)
}

func (d *decoder) suppressed(path string) bool {
	for _, b := range d.bad {
		if path == b || strings.HasPrefix(path, b+".") || strings.HasPrefix(path, b+"[") {
			return true
		}
	}
	return false
}

// resolve strips anchors and tags and follows aliases. It reports whether
// the value was tagged !!str (which forces a scalar to be a string) and
// returns a cleanup func that must run after the resolved node is decoded.
func (d *decoder) resolve(path string, n ast.Node) (ast.Node, bool, func(), bool) {
	forceStr := false
	var pushed int
	done := func() { d.expanding = d.expanding[:len(d.expanding)-pushed] }
	for {
		switch x := n.(type) {
		case *ast.AnchorNode:
			n = x.Value
		case *ast.TagNode:
			if x.Start != nil && (x.Start.Value == "!!str" || x.Start.Value == "tag:yaml.org,2002:str") {
				forceStr = true
			}
			n = x.Value
		case *ast.AliasNode:
			name := ""
			if x.Value != nil {
				name = x.Value.GetToken().Value
			}
			target, ok := d.anchors[name]
			if !ok {
				d.fail(path, "alias *%s refers to no anchor", name)
				done()
				return nil, false, func() {}, false
			}
			if slices.Contains(d.expanding, name) {
				d.fail(path, "alias *%s refers to itself", name)
				done()
				return nil, false, func() {}, false
			}
			d.expanding = append(d.expanding, name)
			pushed++
			n = target
		default:
			return n, forceStr, done, true
		}
	}
}

// decode fills v from n. path names v for errors; its position has already
// been recorded by the caller.
func (d *decoder) decode(path string, n ast.Node, v reflect.Value) {
	if d.exhausted {
		return
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.exhausted = true
		d.fail(path, "document too large or too many alias expansions (more than %d nodes)", maxNodes)
		return
	}
	n, forceStr, done, ok := d.resolve(path, n)
	defer done()
	if !ok {
		return
	}
	if isNull(n) {
		// An explicit null leaves the zero value so that defaults apply.
		return
	}
	d.src.set[path] = true
	d.decodeResolved(path, n, forceStr, v)
}

// decodeResolved fills v from a node that is neither an alias, an anchor,
// a tag nor null.
func (d *decoder) decodeResolved(path string, n ast.Node, forceStr bool, v reflect.Value) {
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		elem := reflect.New(t.Elem())
		d.decodeResolved(path, n, forceStr, elem.Elem())
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(path, n, v)
	case reflect.Slice:
		d.decodeSlice(path, n, v)
	case reflect.Map:
		d.decodeMap(path, n, v)
	case reflect.Interface:
		if val, ok := d.anyValue(path, n, forceStr); ok && val != nil {
			v.Set(reflect.ValueOf(val))
		}
	case reflect.String:
		if s, ok := d.scalarString(path, n, forceStr); ok {
			v.SetString(s)
		}
	case reflect.Int:
		if i, ok := d.scalarInt(path, n, forceStr); ok {
			v.SetInt(i)
		}
	case reflect.Float64:
		if f, ok := d.scalarFloat(path, n, forceStr); ok {
			v.SetFloat(f)
		}
	case reflect.Bool:
		b, isBool := n.(*ast.BoolNode)
		if !isBool || forceStr {
			d.fail(path, "expected true or false, got %s", describe(n, forceStr))
			return
		}
		v.SetBool(b.Value)
	default:
		// Only reachable if Config grows a field of a kind handled nowhere
		// above; fail loudly rather than silently ignoring the value.
		d.fail(path, "internal: cannot decode into %s", t)
	}
}

// entry is one key/value pair of a mapping, after merge keys are expanded.
type entry struct {
	key    string
	keyPos pos
	value  ast.Node
	merged bool
}

// entries lists the pairs of mapping node n. Explicit keys come first; keys
// brought in by "<<" merges follow and never override explicit ones.
func (d *decoder) entries(path string, n ast.Node) ([]entry, bool) {
	var values []*ast.MappingValueNode
	switch x := n.(type) {
	case *ast.MappingNode:
		values = x.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{x}
	default:
		return nil, false
	}
	var out []entry
	var merges []entry
	for _, mv := range values {
		if mv == nil || mv.Key == nil {
			continue
		}
		kp := nodePos(mv.Key)
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge {
			merges = append(merges, d.mergeEntries(path, kp, mv.Value)...)
			continue
		}
		key, ok := d.keyString(path, mv.Key)
		if !ok {
			continue
		}
		out = append(out, entry{key: key, keyPos: kp, value: mv.Value})
	}
	for _, m := range merges {
		if !slices.ContainsFunc(out, func(e entry) bool { return e.key == m.key }) {
			out = append(out, m)
		}
	}
	return out, true
}

func (d *decoder) mergeEntries(path string, at pos, n ast.Node) []entry {
	mp := joinPath(path, "<<")
	d.src.at[mp] = at
	n, _, done, ok := d.resolve(mp, n)
	defer done()
	if !ok {
		return nil
	}
	var sources []ast.Node
	if seq, isSeq := n.(*ast.SequenceNode); isSeq {
		sources = seq.Values
	} else {
		sources = []ast.Node{n}
	}
	var out []entry
	for _, s := range sources {
		rs, _, sdone, ok := d.resolve(mp, s)
		if !ok {
			sdone()
			continue
		}
		es, isMap := d.entries(path, rs)
		sdone()
		if !isMap {
			d.fail(mp, "merge key << needs a mapping or a list of mappings, got %s", describe(rs, false))
			continue
		}
		for _, e := range es {
			if !slices.ContainsFunc(out, func(o entry) bool { return o.key == e.key }) {
				e.merged = true
				out = append(out, e)
			}
		}
	}
	return out
}

// keyString returns a mapping key as text. Keys must be scalars.
func (d *decoder) keyString(path string, k ast.Node) (string, bool) {
	if mk, ok := k.(*ast.MappingKeyNode); ok {
		k = mk.Value
	}
	n, forceStr, done, ok := d.resolve(path, k)
	defer done()
	if !ok {
		return "", false
	}
	switch x := n.(type) {
	case *ast.StringNode:
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value != nil {
			return x.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	at := nodePos(k)
	kp := joinPath(path, fmt.Sprintf("(key at %d:%d)", at.line, at.col))
	d.src.at[kp] = at
	d.fail(kp, "mapping keys must be plain strings, got %s", describe(n, forceStr))
	return "", false
}

// fieldIndex maps yaml key names of struct type t to field indexes.
func fieldIndex(t reflect.Type) (map[string]int, []string) {
	idx := map[string]int{}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		idx[name] = i
		names = append(names, name)
	}
	return idx, names
}

func (d *decoder) decodeStruct(path string, n ast.Node, v reflect.Value) {
	es, ok := d.entries(path, n)
	if !ok {
		d.fail(path, "expected a mapping, got %s", describe(n, false))
		return
	}
	idx, names := fieldIndex(v.Type())
	seen := map[string]pos{}
	for _, e := range es {
		child := joinPath(path, e.key)
		if first, dup := seen[e.key]; dup {
			d.duplicate(child, e, first)
			continue
		}
		seen[e.key] = e.keyPos
		fi, known := idx[e.key]
		if !known {
			d.src.at[child] = e.keyPos
			d.unknownKey(path, child, e.key, names)
			continue
		}
		if !e.merged || d.src.at[child] == (pos{}) {
			d.src.at[child] = e.keyPos
		}
		d.decode(child, e.value, v.Field(fi))
	}
}

func (d *decoder) duplicate(path string, e entry, first pos) {
	d.errs.addAt(path, e.keyPos, "duplicate key %q (first defined at line %d, column %d)", e.key, first.line, first.col)
}

func (d *decoder) unknownKey(parent, child, key string, valid []string) {
	if s := suggest(key, valid); s != "" {
		d.errs.addf(child, "unknown key %q; did you mean %q?", key, s)
		// A misspelt key makes the intended one look missing; don't say so twice.
		d.bad = append(d.bad, joinPath(parent, s))
		return
	}
	sorted := slices.Clone(valid)
	slices.Sort(sorted)
	d.errs.addf(child, "unknown key %q (valid: %s)", key, strings.Join(sorted, ", "))
}

func (d *decoder) decodeSlice(path string, n ast.Node, v reflect.Value) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(path, "expected a list, got %s", describe(n, false))
		return
	}
	if len(seq.Values) == 0 {
		// Normalized: an empty list is the same as no list.
		return
	}
	out := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, item := range seq.Values {
		child := indexPath(path, i)
		d.src.at[child] = nodePos(item)
		d.decode(child, item, out.Index(i))
	}
	v.Set(out)
}

func (d *decoder) decodeMap(path string, n ast.Node, v reflect.Value) {
	es, ok := d.entries(path, n)
	if !ok {
		d.fail(path, "expected a mapping, got %s", describe(n, false))
		return
	}
	if len(es) == 0 {
		return
	}
	t := v.Type()
	out := reflect.MakeMapWithSize(t, len(es))
	seen := map[string]pos{}
	for _, e := range es {
		child := joinPath(path, e.key)
		if first, dup := seen[e.key]; dup {
			d.duplicate(child, e, first)
			continue
		}
		seen[e.key] = e.keyPos
		d.src.at[child] = e.keyPos
		elem := reflect.New(t.Elem()).Elem()
		d.decode(child, e.value, elem)
		out.SetMapIndex(reflect.ValueOf(e.key).Convert(t.Key()), elem)
	}
	v.Set(out)
}

// anyValue converts free-form YAML (event patterns, job input, action
// params) to the values encoding/json would produce: map[string]any, []any,
// string, float64, bool and nil. Numbers become float64 so that a config and
// its normalized JSON decode to the same thing.
func (d *decoder) anyValue(path string, n ast.Node, forceStr bool) (any, bool) {
	if d.exhausted {
		return nil, false
	}
	d.nodes++
	if d.nodes > maxNodes {
		d.exhausted = true
		d.fail(path, "document too large or too many alias expansions (more than %d nodes)", maxNodes)
		return nil, false
	}
	n, fs, done, ok := d.resolve(path, n)
	defer done()
	if !ok {
		return nil, false
	}
	forceStr = forceStr || fs
	if n == nil {
		return nil, true
	}
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		es, _ := d.entries(path, x)
		m := make(map[string]any, len(es))
		seen := map[string]pos{}
		good := true
		for _, e := range es {
			child := joinPath(path, e.key)
			if first, dup := seen[e.key]; dup {
				d.duplicate(child, e, first)
				good = false
				continue
			}
			seen[e.key] = e.keyPos
			d.src.at[child] = e.keyPos
			val, ok := d.anyValue(child, e.value, false)
			good = good && ok
			m[e.key] = val
		}
		return m, good
	case *ast.SequenceNode:
		out := make([]any, len(x.Values))
		good := true
		for i, item := range x.Values {
			child := indexPath(path, i)
			d.src.at[child] = nodePos(item)
			val, ok := d.anyValue(child, item, false)
			good = good && ok
			out[i] = val
		}
		return out, good
	case *ast.NullNode:
		if forceStr {
			return x.GetToken().Value, true
		}
		return nil, true
	case *ast.BoolNode:
		if forceStr {
			return x.GetToken().Value, true
		}
		return x.Value, true
	case *ast.InfinityNode, *ast.NanNode:
		if forceStr {
			return x.GetToken().Value, true
		}
		d.fail(path, "expected a finite number, got %s", n.GetToken().Value)
		return nil, false
	}
	if s, isStr := scalarText(n); isStr {
		return s, true
	}
	if forceStr {
		return n.GetToken().Value, true
	}
	f, ok := d.scalarFloat(path, n, false)
	return f, ok
}

// scalarText returns the text of a string scalar, and false for anything
// that should be read as a number.
func scalarText(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.StringNode:
		if x.Token != nil && x.Token.Type == token.StringType && numberRE.MatchString(x.Value) {
			return "", false
		}
		return x.Value, true
	case *ast.LiteralNode:
		if x.Value == nil {
			return "", true
		}
		return x.Value.Value, true
	}
	return "", false
}

// numberRE is the YAML 1.2 core-schema float syntax, which goccy sometimes
// leaves as a plain string (e.g. "1e21").
var numberRE = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// scalarString reads a string field. Numbers are accepted with their source
// text (so "account: 012345678901" keeps its leading zero); booleans, lists
// and mappings are errors.
func (d *decoder) scalarString(path string, n ast.Node, forceStr bool) (string, bool) {
	if s, ok := scalarText(n); ok {
		return s, true
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode:
		return n.GetToken().Value, true
	case *ast.BoolNode, *ast.InfinityNode, *ast.NanNode, *ast.NullNode:
		if forceStr {
			return n.GetToken().Value, true
		}
	}
	d.fail(path, "expected a string, got %s", describe(n, forceStr))
	return "", false
}

func (d *decoder) scalarInt(path string, n ast.Node, forceStr bool) (int64, bool) {
	if !forceStr {
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch iv := x.Value.(type) {
			case int64:
				return iv, true
			case uint64:
				if iv <= math.MaxInt64 {
					return int64(iv), true
				}
			}
			d.fail(path, "integer %s is out of range", x.GetToken().Value)
			return 0, false
		case *ast.StringNode:
			if _, isStr := scalarText(x); !isStr && !strings.ContainsAny(x.Value, ".eE") {
				d.fail(path, "integer %s is out of range", x.Value)
				return 0, false
			}
		}
	}
	d.fail(path, "expected an integer, got %s", describe(n, forceStr))
	return 0, false
}

func (d *decoder) scalarFloat(path string, n ast.Node, forceStr bool) (float64, bool) {
	if !forceStr {
		switch x := n.(type) {
		case *ast.IntegerNode:
			switch iv := x.Value.(type) {
			case int64:
				return float64(iv), true
			case uint64:
				return float64(iv), true
			}
		case *ast.FloatNode:
			if !math.IsInf(x.Value, 0) && !math.IsNaN(x.Value) {
				return x.Value, true
			}
		case *ast.StringNode:
			if _, isStr := scalarText(x); !isStr {
				f, err := strconv.ParseFloat(x.Value, 64)
				if err == nil {
					return f, true
				}
				d.fail(path, "number %s is out of range", x.Value)
				return 0, false
			}
		case *ast.InfinityNode, *ast.NanNode:
			d.fail(path, "expected a finite number, got %s", x.GetToken().Value)
			return 0, false
		}
	}
	d.fail(path, "expected a number, got %s", describe(n, forceStr))
	return 0, false
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok || n == nil
}

// describe names the kind of a node for type errors, quoting short scalars.
func describe(n ast.Node, forceStr bool) string {
	quote := func(s string) string {
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "…"
		}
		return strconv.Quote(s)
	}
	if forceStr {
		if tk := n.GetToken(); tk != nil {
			return "a string (" + quote(tk.Value) + ")"
		}
	}
	switch x := n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "a boolean (" + x.GetToken().Value + ")"
	case *ast.NullNode:
		return "null"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number (" + x.GetToken().Value + ")"
	case *ast.StringNode, *ast.LiteralNode:
		s, isStr := scalarText(x)
		if !isStr {
			return "a number (" + x.GetToken().Value + ")"
		}
		return "a string (" + quote(s) + ")"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// nodePos is where a node starts. goccy places a block mapping at its first
// ':', so use the first key instead.
func nodePos(n ast.Node) pos {
	switch x := n.(type) {
	case *ast.MappingNode:
		if !x.IsFlowStyle && len(x.Values) > 0 && x.Values[0] != nil && x.Values[0].Key != nil {
			return nodePos(x.Values[0].Key)
		}
	case *ast.MappingValueNode:
		if x.Key != nil {
			return nodePos(x.Key)
		}
	case *ast.MappingKeyNode:
		if x.Start != nil && x.Start.Position != nil {
			return pos{x.Start.Position.Line, x.Start.Position.Column}
		}
	}
	if n == nil {
		return pos{}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// suggest returns the valid name closest to key when it is close enough to
// be a likely typo, else "".
func suggest(key string, valid []string) string {
	best, bestD := "", math.MaxInt
	for _, v := range valid {
		if dist := editDistance(strings.ToLower(key), v); dist < bestD {
			best, bestD = v, dist
		}
	}
	limit := max(2, len(key)/3)
	if bestD <= limit && bestD < len(key) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
