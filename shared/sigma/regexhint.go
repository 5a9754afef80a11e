package sigma

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// requiredLiteral returns a string that every match of the regular
// expression contains: the longest case-sensitive literal among the parts of
// its top-level concatenation. "" means it cannot tell. Checking it with
// strings.Contains rejects most values before the regexp runs: SigmaHQ's
// `.+:assumed-role/aws:.+` would otherwise scan every record's ARN.
func requiredLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	parts := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		parts = re.Sub
	}
	best := ""
	for _, p := range parts {
		// U+FFFD also matches invalid UTF-8 in the subject, which Contains
		// would not find.
		if p.Op == syntax.OpLiteral && p.Flags&syntax.FoldCase == 0 && len(string(p.Rune)) > len(best) &&
			!strings.ContainsRune(string(p.Rune), utf8.RuneError) {
			best = string(p.Rune)
		}
	}
	return best
}

// regexpMatch is strMatcher's kRegexp test with the literal prefilter.
func (m *strMatcher) regexpMatch(s string) bool {
	if m.need != "" && !strings.Contains(s, m.need) {
		return false
	}
	return m.re.MatchString(s)
}
