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
