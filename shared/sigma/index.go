package sigma

import (
	"slices"
	"strings"
)

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

// Paths returns the key paths into a JSON object record that the rule reads:
// a dotted field name gives one path per way of reading it ("a.b" is the
// path a → b and the key "a.b"). On the record decoded through a
// filterpattern.Projection of these paths the rule gives the same result as
// on the whole record. all is true when the rule reads every value (a
// keyword search without a field name).
func (r *Rule) Paths() (paths [][]string, all bool) {
	if r == nil || r.match == nil {
		return nil, false
	}
	all = collectPaths(r.match, &paths)
	return paths, all
}

func collectPaths(m matcher, paths *[][]string) (all bool) {
	switch x := m.(type) {
	case andMatcher:
		for _, c := range x {
			all = collectPaths(c, paths) || all
		}
	case orMatcher:
		for _, c := range x {
			all = collectPaths(c, paths) || all
		}
	case notMatcher:
		return collectPaths(x.m, paths)
	case *fieldMatcher:
		if x.keyword {
			return true
		}
		x.path.splits(0, nil, paths)
	case existsMatcher:
		x.path.splits(0, nil, paths)
	case *fieldrefMatcher:
		x.path.splits(0, nil, paths)
		x.other.splits(0, nil, paths)
	default:
		// A matcher this walk does not know could read anything.
		return true
	}
	return all
}

// splits appends every key sequence the path can resolve through, from
// part i on, each after prefix.
func (p *fieldPath) splits(i int, prefix []string, out *[][]string) {
	if i == len(p.keys) {
		*out = append(*out, slices.Clone(prefix))
		return
	}
	for j, k := range p.keys[i] {
		p.splits(i+j+1, append(prefix, k), out)
	}
}
