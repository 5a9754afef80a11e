package sigma

import "strings"

// Literals returns the values, lower-cased, that the top-level field must
// equal (ignoring case) for the rule to match: for example
// ["stoplogging", "deletetrail"] for field "eventName" of a rule whose every
// branch selects eventName: [StopLogging, DeleteTrail]. ok is false when the
// rule does not pin the field to a finite set of ASCII strings (wildcards,
// modifiers, null, negation, an "or" branch that does not test the field).
// The detector indexes rules by these values.
func (r *Rule) Literals(field string) (values []string, ok bool) {
	if r == nil || r.match == nil || field == "" || strings.Contains(field, ".") {
		return nil, false
	}
	return literals(r.match, field)
}

func literals(m matcher, field string) ([]string, bool) {
	switch x := m.(type) {
	case andMatcher:
		var best []string
		found := false
		for _, c := range x {
			if v, ok := literals(c, field); ok && (!found || len(v) < len(best)) {
				best, found = v, true
			}
		}
		return best, found
	case orMatcher:
		var all []string
		for _, c := range x {
			v, ok := literals(c, field)
			if !ok {
				return nil, false
			}
			all = append(all, v...)
		}
		return all, true
	case *fieldMatcher:
		if x.keyword || x.nullOK || x.path.name != field || len(x.values) == 0 {
			return nil, false
		}
		out := make([]string, 0, len(x.values))
		for _, v := range x.values {
			if v.kind != kExact || !isASCII(v.lit) {
				return nil, false
			}
			out = append(out, strings.ToLower(v.lit))
		}
		return out, true
	}
	return nil, false
}

// Keys returns the top-level keys of a JSON object record that the rule
// reads, every one a dotted field name could start with ("a.b.c" reads "a",
// "a.b" and "a.b.c"): on a record holding only those keys the rule gives the
// same result as on the whole record. all is true when the rule reads every
// value (a keyword search without a field name).
func (r *Rule) Keys() (keys []string, all bool) {
	if r == nil || r.match == nil {
		return nil, false
	}
	seen := map[string]bool{}
	all = collectKeys(r.match, seen, &keys)
	return keys, all
}

func collectKeys(m matcher, seen map[string]bool, keys *[]string) (all bool) {
	add := func(p fieldPath) {
		for _, k := range p.keys[0] {
			if !seen[k] {
				seen[k] = true
				*keys = append(*keys, k)
			}
		}
	}
	switch x := m.(type) {
	case andMatcher:
		for _, c := range x {
			all = collectKeys(c, seen, keys) || all
		}
	case orMatcher:
		for _, c := range x {
			all = collectKeys(c, seen, keys) || all
		}
	case notMatcher:
		return collectKeys(x.m, seen, keys)
	case *fieldMatcher:
		if x.keyword {
			return true
		}
		add(x.path)
	case existsMatcher:
		add(x.path)
	case *fieldrefMatcher:
		add(x.path)
		add(x.other)
	default:
		// A matcher this walk does not know could read anything.
		return true
	}
	return all
}
