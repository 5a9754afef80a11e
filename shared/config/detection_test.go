package config

import (
	"strings"
	"testing"
)

// Each case is a detection body with one mistake in a threshold or a
// suppression, the position the error points at, and part of its message.
func TestValidateThresholdsAndSuppressions(t *testing.T) {
	const ok = "{id: th, title: t, pattern: '{ $.errorCode = \"AccessDenied\" }', count: 10, window: 5m, key: principal"
	cases := []struct {
		name string
		body string
		at   string
		want string
	}{
		{"id required", "  thresholds:\n    - {title: t, rule: r, count: 1, window: 5m, key: account}\n", "4:7", "detection.thresholds[0].id: is required"},
		{"id shared with rules", "  rules:\n    - {id: th, title: t, pattern: p}\n  thresholds:\n    - " + ok + "}\n", "6:8", `duplicate rule name "th"`},
		{"title", "  thresholds:\n    - {id: a, rule: r, count: 1, window: 5m, key: account}\n", "4:7", "detection.thresholds[0].title: is required"},
		{"neither rule nor pattern", "  thresholds:\n    - {id: a, title: t, count: 1, window: 5m, key: account}\n", "4:7", "needs rule"},
		{"both rule and pattern", "  thresholds:\n    - {id: a, title: t, rule: r, pattern: x, count: 1, window: 5m, key: account}\n", "4:34", "give rule or pattern, not both"},
		{"own rule", "  thresholds:\n    - {id: a, title: t, rule: a, count: 1, window: 5m, key: account}\n", "4:25", "cannot count its own findings"},
		{"bad pattern", "  thresholds:\n    - {id: a, title: t, pattern: '{ $.x = }', count: 1, window: 5m, key: account}\n", "4:25", "detection.thresholds[0].pattern"},
		{"count zero", "  thresholds:\n    - {id: a, title: t, rule: r, count: 0, window: 5m, key: account}\n", "4:34", "detection.thresholds[0].count: must be at least 1"},
		{"window required", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, key: account}\n", "4:7", "detection.thresholds[0].window: is required"},
		{"window not a duration", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: soon, key: account}\n", "4:44", `"soon" is not a duration`},
		{"window too long", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: 48h, key: account}\n", "4:44", "must be between 1s and 24h0m0s"},
		{"key required", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: 5m}\n", "4:7", "detection.thresholds[0].key: is required"},
		{"key", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: 5m, key: \"who am i\"}\n", "4:56", "is not principal, source_ip, access_key, account or a label name"},
		{"severity", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: 5m, key: account, severity: bad}\n", "4:70", `unknown severity "bad"`},
		{"technique", "  thresholds:\n    - {id: a, title: t, rule: r, count: 1, window: 5m, key: account, technique: brute}\n", "4:70", "is not an ATT&CK technique id"},
		{"dedup window", "  dedup_window: forever\n", "3:3", `detection.dedup_window: "forever" is not a duration`},
		{"suppression cidr", "  suppressions:\n    - {reason: r, until: \"2030-01-01T00:00:00Z\", source_cidr: 10.0.0.0/33}\n", "4:50", "is not a CIDR"},
		{"suppression account", "  suppressions:\n    - {reason: r, until: \"2030-01-01T00:00:00Z\", account: \"12\"}\n", "4:50", "is not a 12-digit account id"},
		{"suppression region", "  suppressions:\n    - {reason: r, until: \"2030-01-01T00:00:00Z\", region: mars}\n", "4:50", "is not a region"},
		{"suppression of everything", "  suppressions:\n    - {reason: r, until: \"2030-01-01T00:00:00Z\"}\n", "4:7", "would drop every finding"},
		{"suppression rule id", "  suppressions:\n    - {rule: \"a b\", reason: r, until: \"2030-01-01T00:00:00Z\"}\n", "4:8", "is not a rule id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("v.yaml", []byte("version: 1\ndetection:\n"+tc.body))
			wantError(t, err, tc.at, tc.want)
		})
	}
}

func TestValidateThresholdsAccepts(t *testing.T) {
	body := `version: 1
detection:
  dedup_window: 30m
  rules:
    - {id: denied, title: t, pattern: '{ $.errorCode = "AccessDenied" }'}
  thresholds:
    - {id: a, title: t, rule: denied, count: 10, window: 5m, key: principal, technique: T1110}
    - {id: b, title: t, pattern: '{ $.eventName = "ConsoleLogin" }', count: 3, window: 24h, key: event_source, technique: T1110.001}
  suppressions:
    - {reason: r, until: "2030-01-01T00:00:00Z", principal: "arn:aws:iam::*:role/ci-*", source_cidr: "2001:db8::/32", user_agent: "terraform/*", account: "123456789012", region: eu-west-1}
`
	c, err := Parse("v.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	th := c.Detection.Thresholds
	if len(th) != 2 || th[0].Severity != DefaultSeverity || th[1].Window != "24h" || th[0].Rule != "denied" {
		t.Errorf("thresholds = %+v", th)
	}
	if c.Detection.DedupWindow != "30m" {
		t.Errorf("dedup_window = %q", c.Detection.DedupWindow)
	}
	d, err := Parse("v.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Detection.DedupWindow != DefaultDetectionDedupWindow {
		t.Errorf("default dedup_window = %q", d.Detection.DedupWindow)
	}
	if !strings.Contains(c.Detection.Suppressions[0].Principal, "ci-*") {
		t.Errorf("suppression = %+v", c.Detection.Suppressions[0])
	}
}
