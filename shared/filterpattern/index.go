package filterpattern

// Literals returns the values the top-level string field must equal, exactly,
// for the pattern to match: for example ["StopLogging", "DeleteTrail"] for
// field "eventName" of
//
//	{ $.eventSource = cloudtrail.amazonaws.com && ($.eventName = StopLogging || $.eventName = DeleteTrail) }
//
// ok is false when the pattern does not pin the field to a finite set of
// strings (other kinds than JSON, wildcards, !=, numbers, NOT EXISTS, an ||
// with a branch that does not test the field). The detector indexes rules by
// these values so that a record is only evaluated against rules that can
// match it.
func (p *Pattern) Literals(field string) (values []string, ok bool) {
	if p.kind != KindJSON {
		return nil, false
	}
	return literals(p.expr, field)
}

func literals(n node, field string) ([]string, bool) {
	switch x := n.(type) {
	case andNode:
		// Any one pinned operand bounds the conjunction; keep the narrowest.
		var best []string
		found := false
		for _, c := range x {
			if v, ok := literals(c, field); ok && (!found || len(v) < len(best)) {
				best, found = v, true
			}
		}
		return best, found
	case orNode:
		var all []string
		for _, c := range x {
			v, ok := literals(c, field)
			if !ok {
				return nil, false
			}
			all = append(all, v...)
		}
		return all, true
	case *leaf:
		if x.kind == leafCmp && len(x.path) == 1 && x.path[0].kind == segKey && x.path[0].key == field &&
			x.c.op == opEq && x.c.kind == valString {
			return []string{x.c.text}, true
		}
	}
	return nil, false
}

// Paths returns the key paths into a JSON object record that the pattern
// reads: evaluated on the record decoded through a Projection of these paths,
// the pattern gives the same result as on the whole record. all is true when
// the pattern reads every top-level key ($.* at the root). Term, regex and
// space-delimited patterns read the message text, not its keys, and return no
// paths. The detector decodes only these paths for the rules it runs.
func (p *Pattern) Paths() (paths [][]string, all bool) {
	if p.kind != KindJSON {
		return nil, false
	}
	all = collectPaths(p.expr, &paths)
	return paths, all
}

func collectPaths(n node, paths *[][]string) (all bool) {
	switch x := n.(type) {
	case andNode:
		for _, c := range x {
			all = collectPaths(c, paths) || all
		}
	case orNode:
		for _, c := range x {
			all = collectPaths(c, paths) || all
		}
	case *leaf:
		// The path runs up to the first index or wildcard; the value there
		// is kept whole. A root index or [*] never resolves on an object.
		var keys []string
		for _, s := range x.path {
			if s.kind != segKey {
				break
			}
			keys = append(keys, s.key)
		}
		if len(keys) == 0 {
			return x.path[0].kind == segAnyField
		}
		*paths = append(*paths, keys)
	}
	return all
}

// DecodeValue decodes message as exactly one JSON value of any kind (object,
// array, string, number, true, false, null), with the same results as
// DecodeJSON gives for the value inside a container.
func DecodeValue(message string) (v any, ok bool) {
	d := decodeJSON{s: message}
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
