package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseDecodeErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		at   string
		want string
	}{
		{"string for int", "version: 1\ndeployment:\n  log_retention_days: abc\n", "3:3",
			`deployment.log_retention_days: expected an integer, got a string ("abc")`},
		{"quoted number for int", "version: 1\ntrail:\n  retention_days: \"90\"\n", "3:3",
			`trail.retention_days: expected an integer, got a string ("90")`},
		{"float for int", "version: 1\ndeployment:\n  functions:\n    notifier:\n      memory_mb: 256.5\n", "5:7",
			"deployment.functions.notifier.memory_mb: expected an integer, got a number (256.5)"},
		{"int out of range", "version: 1\ndeployment:\n  functions:\n    notifier:\n      memory_mb: 99999999999999999999\n", "5:7",
			"deployment.functions.notifier.memory_mb: integer 99999999999999999999 is out of range"},
		{"string where list expected", "version: 1\nschedules: posture\n", "2:1",
			`schedules: expected a list, got a string ("posture")`},
		{"mapping where list expected", "version: 1\nevents:\n  name: x\n", "2:1",
			"events: expected a list, got a mapping"},
		{"list where mapping expected", "version: 1\ndeployment:\n  tags: [a, b]\n", "3:3",
			"deployment.tags: expected a mapping, got a list"},
		{"scalar where struct expected", "version: 1\ntrail: yes\n", "2:1",
			`trail: expected a mapping, got a string ("yes")`},
		{"string for bool", "version: 1\ndeployment:\n  tracing: \"true\"\n", "3:3",
			`deployment.tracing: expected true or false, got a string ("true")`},
		{"yes is not a bool", "version: 1\ndeployment:\n  tracing: yes\n", "3:3",
			`deployment.tracing: expected true or false, got a string ("yes")`},
		{"bool for string", "version: 1\nremediation:\n  mode: true\n", "3:3",
			"remediation.mode: expected a string, got a boolean (true)"},
		{"list for string", "version: 1\nnotifications:\n  channels:\n    - name: [a]\n      type: slack\n", "4:7",
			"notifications.channels[0].name: expected a string, got a list"},
		{"string for float", "version: 1\nalarms:\n  log:\n    - name: a\n      log_group: /g\n      pattern: ERROR\n      threshold: lots\n", "7:7",
			`alarms.log[0].threshold: expected a number, got a string ("lots")`},
		{"infinite float", "version: 1\nalarms:\n  log:\n    - name: a\n      log_group: /g\n      pattern: ERROR\n      threshold: .inf\n", "7:7",
			"alarms.log[0].threshold: expected a finite number, got .inf"},
		{"unknown top-level key", "version: 1\nnotification: {}\n", "2:1",
			`notification: unknown key "notification"; did you mean "notifications"?`},
		{"unknown nested key with suggestion", "version: 1\nnotifications:\n  channels:\n    - name: s\n      type: slack\n      webhok_url: x\n", "6:7",
			`notifications.channels[0].webhok_url: unknown key "webhok_url"; did you mean "webhook_url"?`},
		{"unknown key without suggestion", "version: 1\ntrail:\n  zzz: 1\n", "3:3",
			`trail.zzz: unknown key "zzz" (valid: cis_alarms, create, data_events, expire_after_days, filter_pattern, glacier_after_days, log_group_name, retention_days)`},
		{"duplicate key", "version: 1\ntrail:\n  retention_days: 30\n  retention_days: 60\n", "4:3",
			`trail.retention_days: duplicate key "retention_days" (first defined at line 3, column 3)`},
		{"duplicate top-level key", "version: 1\nversion: 1\n", "2:1",
			`version: duplicate key "version" (first defined at line 1, column 1)`},
		{"duplicate map key", "version: 1\ndeployment:\n  tags:\n    a: x\n    a: y\n", "5:5",
			`deployment.tags.a: duplicate key "a"`},
		{"duplicate key in free-form params", "version: 1\nremediation:\n  rules:\n    - name: r\n      matchers: [a=b]\n      action: x\n      params: {by: 1, by: 2}\n", "7:23",
			`remediation.rules[0].params.by: duplicate key "by"`},
		{"null key", "version: 1\ndeployment:\n  tags:\n    ~: x\n", "4:5",
			"deployment.tags[\"(key at 4:5)\"]: mapping keys must be plain strings, got null"},
		{"top level not a mapping", "- a\n- b\n", "1:1",
			"expected a mapping, got a list"},
		{"undefined alias", "version: 1\ntrail: *nope\n", "2:1",
			"trail: alias *nope refers to no anchor"},
		{"recursive alias", "version: 1\nevents:\n  - name: x\n    targets: [notifier]\n    pattern: &p\n      self: *p\n", "6:7",
			"events[0].pattern.self.self: alias *p refers to itself"},
		{"syntax error", "version: 1\ndeployment:\n  tags: [a\n", "3:9",
			"invalid YAML"},
		{"multiple documents", "version: 1\n---\nversion: 1\n", "3:1",
			"more than one YAML document"},
		{"empty file", "", "1:1",
			"version: is required (set version: 1)"},
		{"invalid UTF-8", "version: 1\ntrail:\n  filter_pattern: \"\xff\"\n", "3:20",
			"file is not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("test.yaml", []byte(tc.yaml))
			if cfg != nil {
				t.Errorf("Parse returned a config along with errors")
			}
			wantError(t, err, tc.at, "test.yaml:"+tc.at+": "+tc.want)
		})
	}
}

// A misspelt required key should yield the "did you mean" error only, not a
// second "is required" for the key it was meant to be.
func TestUnknownKeySuppressesRequired(t *testing.T) {
	_, err := Parse("t.yaml", []byte("version: 1\nalarms:\n  log:\n    - name: a\n      log_group: /g\n      patern: ERROR\n"))
	list := errorList(t, err)
	if len(list) != 1 {
		t.Fatalf("got %d errors, want 1:\n%v", len(list), err)
	}
	wantError(t, err, "6:7", `unknown key "patern"; did you mean "pattern"?`)
}

// A value that failed to decode must not also be reported by Validate.
func TestTypeErrorSuppressesValidation(t *testing.T) {
	_, err := Parse("t.yaml", []byte("version: 1\ndeployment:\n  log_retention_days: abc\n"))
	list := errorList(t, err)
	if len(list) != 1 {
		t.Fatalf("got %d errors, want 1:\n%v", len(list), err)
	}
}

func TestAllErrorsAtOnce(t *testing.T) {
	src := `version: 1
notifications:
  channels:
    - name: ops-slack
      type: slak
      webhook_url: ssm:/watchkeeper/slack
  receivers:
    - name: ops
      channels: [ops-slack]
  route:
    receiver: ops
deployment:
  log_retention_days: thirty
schedules:
  - name: digest
    job: digest
    expresion: rate(1 day)
`
	_, err := Parse("watchkeeper.yaml", []byte(src))
	list := errorList(t, err)
	want := []string{
		`watchkeeper.yaml:5:7: notifications.channels[0].type: unknown channel type "slak" (valid: email, file, pagerduty, slack, sns, teams, webhook)`,
		`watchkeeper.yaml:13:3: deployment.log_retention_days: expected an integer, got a string ("thirty")`,
		`watchkeeper.yaml:17:5: schedules[0].expresion: unknown key "expresion"; did you mean "expression"?`,
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		if got := list[i].Error(); got != w {
			t.Errorf("error %d:\n got %s\nwant %s", i, got, w)
		}
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("Error() =\n%s\nwant one line per error", got)
	}
	// Each Error is reachable through errors.As as well.
	var one Error
	if !errors.As(err, &one) || one.Path != "notifications.channels[0].type" {
		t.Errorf("errors.As(Error) = %+v", one)
	}
}

func TestJSONInputPositions(t *testing.T) {
	src := `{
  "version": 1,
  "deployment": {"log_retention_days": 31, "stack_nam": "X"},
  "notifications": {
    "channels": [
      {"name": "a", "type": "email", "from": "not an address", "to": ["ops@example.com"]}
    ]
  }
}`
	_, err := Parse("watchkeeper.json", []byte(src))
	wantError(t, err, "3:18", "deployment.log_retention_days: 31 is not a retention CloudWatch Logs accepts")
	wantError(t, err, "3:44", `deployment.stack_nam: unknown key "stack_nam"; did you mean "stack_name"?`)
	wantError(t, err, "6:38", `notifications.channels[0].from: "not an address" is not an email address`)
	wantError(t, err, "4:3", "notifications.route.receiver: the root route needs a receiver")
}

func TestScalarsIntoStrings(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`version: 1
deployment:
  account: 012345678901
  tags:
    cost-centre: 4711
    ratio: 1.50
    forced: !!str true
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Deployment.Account; got != "012345678901" {
		t.Errorf("account = %q, want the source text with its leading zero", got)
	}
	want := map[string]string{"cost-centre": "4711", "ratio": "1.50", "forced": "true"}
	for k, v := range want {
		if cfg.Deployment.Tags[k] != v {
			t.Errorf("tags[%s] = %q, want %q", k, cfg.Deployment.Tags[k], v)
		}
	}
}

func TestAnchorsAliasesAndMerge(t *testing.T) {
	cfg, err := Parse("t.yaml", []byte(`version: 1
alarms:
  metric:
    - &cpu
      name: a
      namespace: AWS/EC2
      metric: CPUUtilization
      comparison: ">"
      threshold: 80
      severity: high
    - <<: *cpu
      name: b
      threshold: 90
remediation:
  rules:
    - name: r
      matchers: &m [alarm="a"]
      action: x
      params: {ports: &p [22, 3389], again: *p}
    - name: r2
      matchers: *m
      action: y
`))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Alarms.Metric[1]
	if b.Name != "b" || b.Threshold != 90 || b.Namespace != "AWS/EC2" || b.Severity != "high" || b.Comparison != "GreaterThanThreshold" {
		t.Errorf("merged alarm = %+v", b)
	}
	if got := cfg.Remediation.Rules[1].Matchers; len(got) != 1 || got[0] != `alarm="a"` {
		t.Errorf("aliased matchers = %q", got)
	}
	again, ok := cfg.Remediation.Rules[0].Params["again"].([]any)
	if !ok || len(again) != 2 || again[0] != float64(22) {
		t.Errorf("aliased params = %#v", cfg.Remediation.Rules[0].Params)
	}
}

func TestAliasBombFails(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 1\nremediation:\n  rules:\n    - name: r\n      matchers: [a=b]\n      action: x\n      params:\n")
	b.WriteString("        l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("        l" + string(rune('0'+i)) + ": &l" + string(rune('0'+i)) + " [")
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many alias expansions") {
		t.Fatalf("alias bomb: got %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(p, []byte("version: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Source() != p {
		t.Errorf("Source() = %q, want %q", cfg.Source(), p)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want a wrapped ErrNotExist", err)
	}
	if err := os.WriteFile(p, []byte("version: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	wantError(t, err, "1:1", p+":1:1: version: unsupported version 2 (this build reads version 1)")
}

func TestErrorFormatting(t *testing.T) {
	cases := []struct {
		e    Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Col: 5, Path: "a.b", Msg: "bad"}, "f.yaml:3:5: a.b: bad"},
		{Error{File: "f.yaml", Path: "a.b", Msg: "bad"}, "f.yaml: a.b: bad"},
		{Error{Line: 1, Col: 2, Path: "a", Msg: "bad"}, "1:2: a: bad"},
		{Error{Path: "a", Msg: "bad"}, "a: bad"},
		{Error{Msg: "bad"}, "bad"},
	}
	for _, tc := range cases {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("%+v.Error() = %q, want %q", tc.e, got, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	cases := []struct{ parent, key, want string }{
		{"", "version", "version"},
		{"deployment", "tags", "deployment.tags"},
		{"deployment.tags", "aws:x", "deployment.tags.aws:x"},
		{"deployment.tags", "a.b", `deployment.tags["a.b"]`},
		{"deployment.tags", "", `deployment.tags[""]`},
	}
	for _, tc := range cases {
		got := joinPath(tc.parent, tc.key)
		if got != tc.want {
			t.Errorf("joinPath(%q, %q) = %q, want %q", tc.parent, tc.key, got, tc.want)
		}
		if back := parentPath(got); back != tc.parent {
			t.Errorf("parentPath(%q) = %q, want %q", got, back, tc.parent)
		}
	}
	if got := parentPath("a.b[3]"); got != "a.b" {
		t.Errorf("parentPath(a.b[3]) = %q", got)
	}
}

func TestSuggest(t *testing.T) {
	valid := []string{"webhook_url", "token", "slack_channel", "routing_key"}
	cases := map[string]string{
		"webhok_url":   "webhook_url",
		"WEBHOOK_URL":  "webhook_url",
		"tokn":         "token",
		"routingkey":   "routing_key",
		"color":        "",
		"x":            "",
		"slackchannel": "slack_channel",
	}
	for in, want := range cases {
		if got := suggest(in, valid); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}
