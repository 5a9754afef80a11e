package config

import (
	"strings"
	"testing"
)

func TestParseMatcher(t *testing.T) {
	cases := []struct {
		in    string
		name  string
		op    MatchOp
		value string
	}{
		{`severity=critical`, "severity", MatchEqual, "critical"},
		{`severity="critical"`, "severity", MatchEqual, "critical"},
		{` severity = "critical" `, "severity", MatchEqual, "critical"},
		{`severity!=info`, "severity", MatchNotEqual, "info"},
		{`event_name=~"Authorize.*Ingress"`, "event_name", MatchRegexp, "Authorize.*Ingress"},
		{`alarm!~web-.*`, "alarm", MatchNotRegexp, "web-.*"},
		{`team=""`, "team", MatchEqual, ""},
		{`team=`, "team", MatchEqual, ""},
		{`msg="a \"quoted\" = value"`, "msg", MatchEqual, `a "quoted" = value`},
		{`resource.type=AWS::EC2::SecurityGroup`, "resource.type", MatchEqual, "AWS::EC2::SecurityGroup"},
		{`tag:env=prod`, "tag:env", MatchEqual, "prod"},
		{`x=a=b`, "x", MatchEqual, "a=b"},
	}
	for _, tc := range cases {
		m, err := ParseMatcher(tc.in)
		if err != nil {
			t.Errorf("ParseMatcher(%q): %v", tc.in, err)
			continue
		}
		if m.Name != tc.name || m.Op != tc.op || m.Value != tc.value {
			t.Errorf("ParseMatcher(%q) = %q %q %q, want %q %q %q", tc.in, m.Name, m.Op, m.Value, tc.name, tc.op, tc.value)
		}
	}
}

func TestParseMatcherErrors(t *testing.T) {
	cases := map[string]string{
		"severity":           "no operator",
		"":                   "no operator",
		"=x":                 "is not a label name",
		"1a=x":               "is not a label name",
		"a b=x":              "is not a label name",
		"a!x":                "unknown operator",
		`a="unterminated`:    "bad quoted value",
		`a="x" trailing`:     "bad quoted value",
		`a=~"("`:             "error parsing regexp",
		`a!~[`:               "error parsing regexp",
		"sev~=critical":      "is not a label name",
		"severity==critical": "",
	}
	for in, want := range cases {
		_, err := ParseMatcher(in)
		if want == "" {
			// "==" parses as = with value "=critical"; not an error.
			if err != nil {
				t.Errorf("ParseMatcher(%q) = %v, want success", in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMatcher(%q) error = %v, want %q", in, err, want)
		}
	}
}

func TestMatcherMatches(t *testing.T) {
	labels := map[string]string{"severity": "critical", "alarm": "web-cpu-high", "event_name": "AuthorizeSecurityGroupIngress"}
	cases := []struct {
		m    string
		want bool
	}{
		{`severity="critical"`, true},
		{`severity="high"`, false},
		{`severity!="high"`, true},
		{`severity=~"critical|high"`, true},
		{`severity=~"crit"`, false}, // anchored: must match the whole value
		{`severity!~"low|info"`, true},
		{`alarm=~web-.*`, true},
		{`missing=""`, true}, // absent labels are ""
		{`missing!=""`, false},
		{`missing=~".*"`, true},
		{`missing=x`, false},
		{`event_name="AuthorizeSecurityGroupIngress"`, true},
	}
	for _, tc := range cases {
		m, err := ParseMatcher(tc.m)
		if err != nil {
			t.Fatalf("ParseMatcher(%q): %v", tc.m, err)
		}
		if got := m.Matches(labels); got != tc.want {
			t.Errorf("%s.Matches = %v, want %v", tc.m, got, tc.want)
		}
	}
	// A hand-built regexp matcher works too, and a broken one matches nothing.
	if !(Matcher{Name: "alarm", Op: MatchRegexp, Value: "web.*"}).Matches(labels) {
		t.Error("hand-built regexp matcher did not match")
	}
	if (Matcher{Name: "alarm", Op: MatchRegexp, Value: "("}).Matches(labels) {
		t.Error("invalid hand-built regexp matched")
	}
	if (Matcher{Name: "alarm", Op: "?", Value: "x"}).Matches(labels) {
		t.Error("unknown operator matched")
	}
}

func TestParseMatchersAndMatchAll(t *testing.T) {
	ms, err := ParseMatchers([]string{`severity="critical"`, `alarm=~"web-.*"`})
	if err != nil {
		t.Fatal(err)
	}
	if !MatchAll(ms, map[string]string{"severity": "critical", "alarm": "web-cpu-high"}) {
		t.Error("MatchAll should hold")
	}
	if MatchAll(ms, map[string]string{"severity": "critical", "alarm": "db"}) {
		t.Error("MatchAll should fail when one matcher fails")
	}
	if !MatchAll(nil, nil) {
		t.Error("no matchers match everything")
	}
	if _, err := ParseMatchers([]string{"ok=1", "bad"}); err == nil {
		t.Error("ParseMatchers should fail on a bad matcher")
	}
	if got := ms[0].String(); got != `severity="critical"` {
		t.Errorf("String() = %s", got)
	}
}
