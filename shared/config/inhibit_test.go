package config

import (
	"slices"
	"testing"
)

func TestInhibitRulesValidation(t *testing.T) {
	cases := []struct {
		name, body, at, want string
	}{
		{"source required", "notifications:\n  inhibit_rules:\n    - target_matchers: [alarm=~web-.*]\n", "4:7",
			"notifications.inhibit_rules[0].source_matchers: is required"},
		{"target required", "notifications:\n  inhibit_rules:\n    - source_matchers: [alarm=az-down]\n", "4:7",
			"notifications.inhibit_rules[0].target_matchers: is required"},
		{"bad matcher", "notifications:\n  inhibit_rules:\n    - source_matchers: [alarm=az-down]\n      target_matchers: [\"alarm=~web-(\"]\n", "5:25",
			"notifications.inhibit_rules[0].target_matchers[0]"},
		{"equal label", "notifications:\n  inhibit_rules:\n    - source_matchers: [alarm=az-down]\n      target_matchers: [severity=low]\n      equal: [\"bad label\"]\n", "6:15",
			`notifications.inhibit_rules[0].equal[0]: "bad label" is not a label name`},
		{"equal twice", "notifications:\n  inhibit_rules:\n    - source_matchers: [alarm=az-down]\n      target_matchers: [severity=low]\n      equal: [az, az]\n", "6:19",
			`label "az" listed twice`},
		{"unknown key", "notifications:\n  inhibit_rules:\n    - source_matchers: [alarm=az-down]\n      target_matchers: [severity=low]\n      equals: [az]\n", "6:7",
			"equals"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("v.yaml", []byte("version: 1\n"+tc.body))
			wantError(t, err, tc.at, tc.want)
		})
	}
}

func TestInhibitRulesAccepted(t *testing.T) {
	cfg, err := Parse("v.yaml", []byte("version: 1\nnotifications:\n  inhibit_rules:\n"+
		"    - source_matchers: ['alarm=~\"az-.*-down\"']\n      target_matchers: [resource_type=AWS::EC2::Instance]\n      equal: [region, az]\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Notifications.InhibitRules
	if len(r) != 1 || !slices.Equal(r[0].Equal, []string{"region", "az"}) || r[0].SourceMatchers[0] != `alarm=~"az-.*-down"` {
		t.Errorf("inhibit rules = %+v", r)
	}
}
