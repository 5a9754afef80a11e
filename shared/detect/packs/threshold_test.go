package packs

import (
	"strings"
	"testing"
)

func TestParseThreshold(t *testing.T) {
	rule := func(threshold string) string {
		return "name: x\nrules:\n" + goodRule + "    threshold: " + threshold + "\n"
	}
	p, err := Parse([]byte(rule("{count: 3, window: 5m, key: source_ip}")))
	if err != nil {
		t.Fatal(err)
	}
	th := p.Rules[0].Threshold
	if th == nil || th.Count != 3 || th.Window != "5m" || th.Key != "source_ip" {
		t.Fatalf("threshold = %+v", th)
	}
	if d, err := th.Duration(); err != nil || d.Minutes() != 5 {
		t.Errorf("Duration = %v, %v", d, err)
	}
	if p, err := Parse([]byte("name: x\nrules:\n" + goodRule)); err != nil || p.Rules[0].Threshold != nil {
		t.Errorf("a rule without threshold: %+v, %v", p.Rules, err)
	}

	tests := []struct {
		name, threshold string
		want            []string
	}{
		{"zero count", "{count: 0, window: 5m, key: principal}", []string{"count 0"}},
		{"no count", "{window: 5m, key: principal}", []string{"count 0"}},
		{"bad window", "{count: 3, window: 5 minutes, key: principal}", []string{`window "5 minutes"`}},
		{"window too short", "{count: 3, window: 500ms, key: principal}", []string{"between 1s and 24h0m0s"}},
		{"window at the limit", "{count: 3, window: 24h1s, key: principal}", []string{"between 1s and 24h0m0s"}},
		{"label key", "{count: 3, window: 5m, key: team}", []string{`key "team"`, "principal, source_ip, access_key, account"}},
		{"everything wrong at once", "{count: -1, window: '', key: ''}", []string{"count -1", `window ""`, `key ""`}},
		{"unknown field", "{count: 3, window: 5m, key: principal, by: userAgent}", []string{"by"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(rule(tt.threshold)))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// The limits themselves are accepted.
	for _, ok := range []string{"{count: 1, window: 1s, key: account}", "{count: 1, window: 24h, key: access_key}"} {
		if _, err := Parse([]byte(rule(ok))); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
