package sigma

import (
	"regexp"
	"strings"
	"testing"
)

func TestRequiredLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		`.+:assumed-role/aws:.+`: ":assumed-role/aws:",
		`^AKIA[0-9A-Z]{16}$`:     "AKIA",
		`(abc)`:                  "abc",
		`abc|def`:                "",
		`(?i)assumed-role`:       "",
		`a.b.cdef`:               "cdef",
		`x*`:                     "",
		`[`:                      "",
		`(?s)foo.*bar`:           "foo",
		"a\uFFFDb":               "",
	} {
		if got := requiredLiteral(expr); got != want {
			t.Errorf("requiredLiteral(%q) = %q, want %q", expr, got, want)
		}
	}
}

// FuzzRequiredLiteral: whatever the regexp matches contains the literal, so
// the prefilter never rejects a match.
func FuzzRequiredLiteral(f *testing.F) {
	f.Add(`.+:assumed-role/aws:.+`, "arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1")
	f.Add(`(?i)ab(c)d`, "xxABCD")
	f.Add(`a(b|c)d+e`, "acdde")
	f.Add("x\uFFFDy", "x\xffy")
	f.Fuzz(func(t *testing.T, expr, s string) {
		re, err := regexp.Compile(expr)
		if err != nil {
			return
		}
		if lit := requiredLiteral(expr); re.MatchString(s) && !strings.Contains(s, lit) {
			t.Fatalf("%q matches %q, which lacks the required literal %q", expr, s, lit)
		}
	})
}
