package config

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics, that every failure is an
// *Errors with at least one entry, and that every success survives the
// normalized-JSON round trip unchanged.
func FuzzParse(f *testing.F) {
	for _, path := range exampleFiles(f) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"version: 1\n",
		`{"version": 1, "deployment": {"tags": {"a.b": "1e21"}}}`,
		"version: 1\nremediation:\n  rules:\n    - {name: r, matchers: [a=b], action: x, params: {n: 1e21, f: 1.5e-07, l: [], m: {}, z: ~, s: !!str 12}}\n",
		"version: 1\nschedules:\n  - {name: s, job: digest, expression: cron(0 9 ? * FRI *), input: {week: -0}}\n",
		"version: 1\nalarms:\n  metric:\n    - &a {name: a, namespace: N, metric: M, comparison: '>'}\n    - {<<: *a, name: b}\n",
		"version: 1\ndeployment:\n  tags: {k: 012}\n  account: 012345678901\n",
		"version: 1\nevents: [{name: e, pattern: {detail: {\"x\\u2028\": [\"\\t\"]}}, targets: [sweeper]}]\n",
		"version: 1\nnotification: {}\nversion: 2\n",
		"- a\n- b\n",
		"a: &x [*x]\n",
		"version: 1\ndeployment: &x\ntrail: *x\nalarms: !!map\n",
		"version: !!str 1\nevents: [{name: e, pattern: &p, targets: [*p]}]\n",
		"version: 1\nremediation: {rules: [{name: r, matchers: [a=b], action: x, params: {a: &n , b: *n}}]}\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err != nil {
			var errs *Errors
			if !errors.As(err, &errs) || len(errs.List) == 0 {
				t.Fatalf("error is not a non-empty *Errors: %T %v", err, err)
			}
			return
		}
		js, err := cfg.JSON()
		if err != nil {
			t.Fatalf("JSON of a valid config: %v", err)
		}
		back, err := Parse("fuzz.json", js)
		if err != nil {
			t.Fatalf("normalized JSON does not load: %v\n%s", err, js)
		}
		if !cfg.Equal(back) {
			t.Fatalf("round trip changed the config:\n%s", js)
		}
	})
}

// FuzzParseMatcher checks that ParseMatcher never panics and that a parsed
// matcher's String form parses back to the same matcher.
func FuzzParseMatcher(f *testing.F) {
	for _, s := range []string{
		`severity="critical"`, `severity!=info`, `event_name=~"Authorize.*Ingress"`, `alarm!~web-.*`,
		`a=`, `a="\u00e9\n"`, `=x`, `a=~"("`, `x = "y" `, `a="\xff"`, "a=\xff", `tag:env=prod`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMatcher(s)
		if err != nil {
			return
		}
		again, err := ParseMatcher(m.String())
		if err != nil {
			t.Fatalf("ParseMatcher(%q).String() = %q does not parse: %v", s, m.String(), err)
		}
		if again.Name != m.Name || again.Op != m.Op || again.Value != m.Value {
			t.Fatalf("round trip of %q: %+v != %+v", s, again, m)
		}
		labels := map[string]string{m.Name: m.Value}
		if (m.Op == MatchEqual) != m.Matches(labels) && (m.Op == MatchEqual || m.Op == MatchNotEqual) {
			t.Fatalf("%q: equality matcher disagrees with its own value", s)
		}
	})
}
