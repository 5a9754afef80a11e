package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestRemediatorAlarmFilter(t *testing.T) {
	rule := func(name string, matchers ...string) config.RemediationRule {
		return config.RemediationRule{Name: name, Matchers: matchers, Action: "asg-adjust-capacity"}
	}
	cases := []struct {
		name            string
		rules           []config.RemediationRule
		subscribe       bool
		names, prefixes []string
	}{
		{"no rules", nil, false, nil, nil},
		{"only CloudTrail rules", []config.RemediationRule{rule("ssh", `event_name="AuthorizeSecurityGroupIngress"`)}, false, nil, nil},
		{"only findings", []config.RemediationRule{rule("f", `source="watchkeeper.detector"`)}, false, nil, nil},
		{"exact names", []config.RemediationRule{rule("a", `alarm="web-cpu-high"`), rule("b", `alarm="db-cpu"`, "severity=high"),
			rule("ssh", `event_name="AuthorizeSecurityGroupIngress"`)}, true, []string{"db-cpu", "web-cpu-high"}, nil},
		{"prefix", []config.RemediationRule{rule("a", `alarm=~"web-.*"`)}, true, nil, []string{"web-"}},
		{"alarm source and name", []config.RemediationRule{rule("a", `source="cloudwatch.alarm"`, `alarm="x"`)}, true, []string{"x"}, nil},
		{"namespace only", []config.RemediationRule{rule("a", `alarm="x"`), rule("b", `namespace="AWS/EC2"`)}, true, nil, nil},
		{"regex too rich", []config.RemediationRule{rule("a", `alarm=~"(web|api)-cpu"`)}, true, nil, nil},
		{"negative name", []config.RemediationRule{rule("a", `alarm!="x"`)}, true, nil, nil},
		{"negated CloudTrail matcher", []config.RemediationRule{rule("a", `event_name!="X"`, `alarm="y"`)}, true, []string{"y"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := remediatorAlarmFilter(tc.rules)
			if f.Subscribe != tc.subscribe || !slices.Equal(f.Names, tc.names) || !slices.Equal(f.Prefixes, tc.prefixes) || f.Why == "" {
				t.Errorf("filter = %+v, want subscribe %v names %v prefixes %v", f, tc.subscribe, tc.names, tc.prefixes)
			}
		})
	}

	// At the SNS limit the policy holds; one more value and it is dropped.
	var rules []config.RemediationRule
	for i := range maxFilterPolicyValues {
		rules = append(rules, rule(fmt.Sprint("r", i), fmt.Sprintf(`alarm="a%d"`, i)))
	}
	if f := remediatorAlarmFilter(rules); !f.Filtered() || len(f.Names) != maxFilterPolicyValues {
		t.Errorf("at the limit: %d names, filtered %v", len(f.Names), f.Filtered())
	}
	rules = append(rules, rule("over", `alarm="over"`))
	if f := remediatorAlarmFilter(rules); f.Filtered() || !f.Subscribe {
		t.Errorf("over the limit: %+v, want unfiltered", f)
	}
}

func TestLiteralPrefix(t *testing.T) {
	for re, want := range map[string]string{"web-.*": "web-", `db\.prod.*`: "db.prod", "web-": "", ".*": "", "(?i)web.*": "", "a.+": "", "a|b.*": ""} {
		got, ok := literalPrefix(re)
		if got != want || ok != (want != "") {
			t.Errorf("literalPrefix(%q) = %q %v, want %q", re, got, ok, want)
		}
	}
}
