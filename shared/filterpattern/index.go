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
