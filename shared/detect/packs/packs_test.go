package packs

import (
	"slices"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			p, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Name != name || p.Description == "" || len(p.Rules) == 0 {
				t.Errorf("pack %s: name %q, description %q, %d rules", name, p.Name, p.Description, len(p.Rules))
			}
			for _, r := range p.Rules {
				if !strings.HasPrefix(r.ID, name+".") {
					t.Errorf("rule %s is not prefixed %q", r.ID, name+".")
				}
			}
		})
	}
}

func TestLoadUnknown(t *testing.T) {
	for _, name := range []string{"", "CIS", "mitre", "cis.yaml", "../cis"} {
		_, err := Load(name)
		if err == nil {
			t.Fatalf("Load(%q) succeeded", name)
		}
		for _, valid := range Names() {
			if !strings.Contains(err.Error(), valid) {
				t.Errorf("Load(%q) error %q does not list %q", name, err, valid)
			}
		}
	}
}

func TestNames(t *testing.T) {
	if got := Names(); !slices.Equal(got, []string{"cis", "attack"}) {
		t.Errorf("Names() = %v", got)
	}
}

// goodRule is a minimal valid rule; cases below break one thing at a time.
const goodRule = `
  - id: x.one
    title: One
    severity: high
    technique: "T1098 Account Manipulation"
    description: A rule.
    pattern: '{ $.eventName = "CreateUser" }'
`

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown rule key", "name: x\nrules:\n" + goodRule + "    sevrity: low\n", "sevrity"},
		{"unknown top-level key", "name: x\nversion: 2\nrules:\n" + goodRule, "version"},
		{"unknown tests key", "name: x\nrules:\n" + goodRule + "    tests: {matches: []}\n", "matches"},
		{"missing name", "rules:\n" + goodRule, "missing name"},
		{"missing title", "name: x\nrules:\n" + strings.Replace(goodRule, "title: One", "title: ''", 1), "missing title"},
		{"missing technique", "name: x\nrules:\n" + strings.Replace(goodRule, `technique: "T1098 Account Manipulation"`, "technique: ' '", 1), "missing technique"},
		{"bad severity", "name: x\nrules:\n" + strings.Replace(goodRule, "severity: high", "severity: urgent", 1), `severity "urgent"`},
		{"bad pattern", "name: x\nrules:\n" + strings.Replace(goodRule, `$.eventName = "CreateUser"`, `($.eventName = "CreateUser"`, 1), "pattern"},
		{"pattern over the metric filter limit", "name: x\nrules:\n" + strings.Replace(goodRule, `"CreateUser"`, `"`+strings.Repeat("A", 1024)+`"`, 1), "pattern"},
		{"duplicate id", "name: x\nrules:\n" + goodRule + goodRule, "duplicate id"},
		{"not YAML", "name: [x\n", "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestParseReportsEveryRule(t *testing.T) {
	bad := strings.Replace(goodRule, "severity: high", "severity: urgent", 1)
	_, err := Parse([]byte("name: x\nrules:\n" + bad + strings.Replace(bad, "x.one", "x.two", 1)))
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	for _, want := range []string{"rules[0] (x.one)", "rules[1] (x.two)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestRecordJSON(t *testing.T) {
	p, err := Parse([]byte("name: x\nrules:\n" + goodRule + `    tests:
      match:
        - {eventName: CreateUser, eventSource: iam.amazonaws.com, readOnly: false, requestParameters: {userName: eve, tags: [{key: team, value: 7}]}, responseElements: null}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Rules[0].Tests.Match[0].JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eventName":"CreateUser","eventSource":"iam.amazonaws.com","readOnly":false,"requestParameters":{"tags":[{"key":"team","value":7}],"userName":"eve"},"responseElements":null}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
}

// FuzzParse feeds arbitrary pack files to the strict decoder: it must return
// a pack or an error, never panic, and a pack it accepts has valid rules.
func FuzzParse(f *testing.F) {
	for _, name := range Names() {
		data, err := files.ReadFile(name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: x\nrules:\n" + goodRule))
	f.Add([]byte("name: x\nrules:\n" + goodRule + "    tests: {match: [{a: *b}]}\n"))
	f.Add([]byte("name: x\nrules: [{id: 1, severity: [low]}]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("name: x\nrules:\n" + goodRule + "    threshold: {count: 3, window: 5m, key: principal}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		for _, r := range p.Rules {
			if _, err := r.Compile(); err != nil {
				t.Errorf("accepted rule %s does not compile: %v", r.ID, err)
			}
			if r.Threshold != nil {
				if d, err := r.Threshold.Duration(); err != nil || d <= 0 || r.Threshold.Count < 1 {
					t.Errorf("accepted rule %s has threshold %+v (%v, %v)", r.ID, r.Threshold, d, err)
				}
			}
			for _, rec := range append(slices.Clone(r.Tests.Match), r.Tests.NoMatch...) {
				_, _ = rec.JSON()
			}
		}
	})
}
