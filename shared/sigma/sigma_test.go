package sigma

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// ruleYAML wraps a detection block (written at two-space indent) in the
// metadata every test rule needs.
func ruleYAML(detection string) string {
	return "title: Test rule\nid: 9d3c0c1e-0000-4000-8000-000000000001\nauthor: Watchkeeper tests\n" +
		"logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + detection
}

func TestMatch(t *testing.T) {
	const base = `{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","errorCode":null,
		"userAgent":"S3 Browser 11.5.7 https://s3browser.com","sourceIPAddress":"10.1.2.3",
		"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob","userName":"bob"},
		"requestParameters":{"userName":"bob","enable":false,"count":42,"tags":["a*b","Prod"],
		  "policy":"{\"Effect\":\"Allow\"}","items":[{"id":"i-1"},{"id":"i-2"}],"x.y":"dotted"},
		"responseElements":{}}`
	tests := []struct {
		name, detection string
		want            bool
	}{
		{"equality", "  sel:\n    eventName: CreateUser\n  condition: sel\n", true},
		{"equality is case-insensitive", "  sel:\n    eventName: 'createuser'\n  condition: sel\n", true},
		{"equality needs the whole value", "  sel:\n    eventName: Create\n  condition: sel\n", false},
		{"map is AND", "  sel:\n    eventName: CreateUser\n    eventSource: s3.amazonaws.com\n  condition: sel\n", false},
		{"value list is OR", "  sel:\n    eventName:\n      - DeleteUser\n      - CreateUser\n  condition: sel\n", true},
		{"list of maps is OR", "  sel:\n    - eventName: DeleteUser\n    - eventSource: iam.amazonaws.com\n  condition: sel\n", true},
		{"list of maps none", "  sel:\n    - eventName: DeleteUser\n    - eventSource: s3.amazonaws.com\n  condition: sel\n", false},
		{"nested path", "  sel:\n    userIdentity.type: iamuser\n  condition: sel\n", true},
		{"key with a dot", "  sel:\n    requestParameters.x.y: dotted\n  condition: sel\n", true},
		{"path through an array", "  sel:\n    requestParameters.items.id: i-2\n  condition: sel\n", true},
		{"array value any element", "  sel:\n    requestParameters.tags: prod\n  condition: sel\n", true},
		{"null matches null", "  sel:\n    errorCode: null\n  condition: sel\n", true},
		{"null matches absent", "  sel:\n    errorMessage: null\n  condition: sel\n", true},
		{"null does not match a value", "  sel:\n    eventName: null\n  condition: sel\n", false},
		{"null or value list", "  sel:\n    eventName:\n      - null\n      - CreateUser\n  condition: sel\n", true},
		{"value does not match null field", "  sel:\n    errorCode: '*'\n  condition: sel\n", false},
		{"bool by string form", "  sel:\n    requestParameters.enable: 'false'\n  condition: sel\n", true},
		{"unquoted YAML bool", "  sel:\n    requestParameters.enable: false\n  condition: sel\n", true},
		{"number by string form", "  sel:\n    requestParameters.count: 42\n  condition: sel\n", true},
		{"wildcard star", "  sel:\n    eventName: 'Cr*User'\n  condition: sel\n", true},
		{"wildcard question", "  sel:\n    eventName: 'Create?ser'\n  condition: sel\n", true},
		{"question is one char", "  sel:\n    eventName: 'Create?'\n  condition: sel\n", false},
		{"escaped star is literal", "  sel:\n    requestParameters.tags: 'a\\*b'\n  condition: sel\n", true},
		{"escaped star does not wildcard", "  sel:\n    requestParameters.tags: 'a\\*c'\n  condition: sel\n", false},
		{"lone star needs a value", "  sel:\n    eventName: '*'\n  condition: sel\n", true},
		{"contains", "  sel:\n    userAgent|contains: 's3 browser'\n  condition: sel\n", true},
		{"contains all", "  sel:\n    userAgent|contains|all:\n      - S3\n      - s3browser.com\n  condition: sel\n", true},
		{"contains all missing one", "  sel:\n    userAgent|contains|all:\n      - S3\n      - cyberduck\n  condition: sel\n", false},
		{"contains any", "  sel:\n    userAgent|contains:\n      - cyberduck\n      - browser\n  condition: sel\n", true},
		{"contains star is exists", "  sel:\n    requestParameters.userName|contains: '*'\n  condition: sel\n", true},
		{"contains star on absent", "  sel:\n    requestParameters.nothing|contains: '*'\n  condition: sel\n", false},
		{"contains star on empty object", "  sel:\n    responseElements|contains: '*'\n  condition: sel\n", false},
		{"contains on object stringifies", "  sel:\n    requestParameters|contains: '\"userName\":\"bob\"'\n  condition: sel\n", true},
		{"contains on object leaf", "  sel:\n    requestParameters|contains: '\"Effect\":\"Allow\"'\n  condition: sel\n", true},
		{"contains on array", "  sel:\n    requestParameters.items|contains: 'i-2'\n  condition: sel\n", true},
		{"startswith", "  sel:\n    eventName|startswith: create\n  condition: sel\n", true},
		{"startswith miss", "  sel:\n    eventName|startswith: User\n  condition: sel\n", false},
		{"endswith", "  sel:\n    eventSource|endswith: '.AMAZONAWS.COM'\n  condition: sel\n", true},
		{"cased", "  sel:\n    eventName|cased: createuser\n  condition: sel\n", false},
		{"cased exact", "  sel:\n    eventName|cased: CreateUser\n  condition: sel\n", true},
		{"cased contains", "  sel:\n    userAgent|contains|cased: 's3 browser'\n  condition: sel\n", false},
		{"re", "  sel:\n    userIdentity.arn|re: ':user/b.b$'\n  condition: sel\n", true},
		{"re is case-sensitive", "  sel:\n    userIdentity.arn|re: ':USER/'\n  condition: sel\n", false},
		{"re i", "  sel:\n    userIdentity.arn|re|i: ':USER/'\n  condition: sel\n", true},
		{"cidr", "  sel:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: sel\n", true},
		{"cidr list miss", "  sel:\n    sourceIPAddress|cidr:\n      - 192.168.0.0/16\n      - 2001:db8::/32\n  condition: sel\n", false},
		{"cidr on non-ip", "  sel:\n    eventName|cidr: 10.0.0.0/8\n  condition: sel\n", false},
		{"exists true", "  sel:\n    userIdentity.arn|exists: true\n  condition: sel\n", true},
		{"exists on null", "  sel:\n    errorCode|exists: true\n  condition: sel\n", false},
		{"exists false", "  sel:\n    errorMessage|exists: false\n  condition: sel\n", true},
		{"fieldref equal", "  sel:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: sel\n", true},
		{"fieldref differ", "  sel:\n    eventName|fieldref: requestParameters.userName\n  condition: sel\n", false},
		{"fieldref endswith", "  sel:\n    userIdentity.arn|fieldref|endswith: requestParameters.userName\n  condition: sel\n", true},
		{"fieldref absent", "  sel:\n    eventName|fieldref: requestParameters.nothing\n  condition: sel\n", false},
		{"and", "  a:\n    eventName: CreateUser\n  b:\n    eventSource: iam.amazonaws.com\n  condition: a and b\n", true},
		{"not", "  a:\n    eventName: CreateUser\n  b:\n    eventSource: iam.amazonaws.com\n  condition: a and not b\n", false},
		{"not binds tighter than and", "  a:\n    eventName: CreateUser\n  b:\n    eventName: nope\n  condition: not b and a\n", true},
		{"and binds tighter than or", "  a:\n    eventName: CreateUser\n  b:\n    eventName: nope\n  c:\n    eventName: nope2\n  condition: a or b and c\n", true},
		{"and before or, other side", "  a:\n    eventName: CreateUser\n  b:\n    eventName: nope\n  c:\n    eventName: nope2\n  condition: b and c or a\n", true},
		{"parentheses", "  a:\n    eventName: CreateUser\n  b:\n    eventName: nope\n  c:\n    eventName: nope2\n  condition: (a or b) and c\n", false},
		{"not parentheses", "  a:\n    eventName: CreateUser\n  b:\n    eventName: nope\n  condition: not (a and b)\n", true},
		{"1 of pattern", "  sel_a:\n    eventName: nope\n  sel_b:\n    eventName: CreateUser\n  condition: 1 of sel_*\n", true},
		{"all of pattern", "  sel_a:\n    eventName: nope\n  sel_b:\n    eventName: CreateUser\n  condition: all of sel_*\n", false},
		{"all of pattern all true", "  sel_a:\n    eventSource: iam.amazonaws.com\n  sel_b:\n    eventName: CreateUser\n  filter:\n    eventName: nope\n  condition: all of sel_*\n", true},
		{"1 of them", "  a:\n    eventName: nope\n  b:\n    eventName: CreateUser\n  condition: 1 of them\n", true},
		{"all of them", "  a:\n    eventName: nope\n  b:\n    eventName: CreateUser\n  condition: all of them\n", false},
		{"them skips underscore", "  _a:\n    eventName: nope\n  b:\n    eventName: CreateUser\n  condition: all of them\n", true},
		{"not 1 of", "  sel:\n    eventName: CreateUser\n  filter_a:\n    userAgent|contains: cyberduck\n  filter_b:\n    userIdentity.type: Root\n  condition: sel and not 1 of filter_*\n", true},
		{"pattern without underscore", "  sel:\n    eventName: CreateUser\n  filter1:\n    errorCode|contains: '*'\n  condition: sel and not 1 of filter*\n", true},
		{"keywords", "  kw:\n    - '*s3browser*'\n  condition: kw\n", true},
		{"condition list is OR", "  a:\n    eventName: nope\n  b:\n    eventName: CreateUser\n  condition:\n    - a\n    - b\n", true},
	}
	rec := decodeRecord(t, base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(ruleYAML(tc.detection)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := r.Match(rec); got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchEncodingJSONRecord(t *testing.T) {
	// Records decoded by encoding/json carry float64 numbers.
	var rec any
	if err := json.Unmarshal([]byte(`{"requestParameters":{"durationSeconds":3600,"ratio":0.5}}`), &rec); err != nil {
		t.Fatal(err)
	}
	r, err := Parse([]byte(ruleYAML("  sel:\n    requestParameters.durationSeconds: 3600\n    requestParameters.ratio: '0.5'\n  condition: sel\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Match(rec) {
		t.Error("float64 numbers should compare by their text")
	}
	for _, rec := range []any{nil, "text", []any{1}, map[string]any{}} {
		if r.Match(rec) {
			t.Errorf("Match(%v) = true", rec)
		}
	}
}

func TestMetadataAndAttribution(t *testing.T) {
	src := `title: Access key for someone else
id: 0f3a-test
status: experimental
description: |
    Two lines
    of text.
references:
    - https://example.com/a
author: Jane Doe, John Roe
date: 2024-01-02
modified: 2024-03-04
tags:
    - attack.persistence
logsource:
    product: AWS
    service: CloudTrail
detection:
    sel:
        eventName: CreateAccessKey
    condition: sel
falsepositives:
    - Admins
level: high
`
	r, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Access key for someone else" || r.ID != "0f3a-test" || r.Status != "experimental" ||
		r.Author != "Jane Doe, John Roe" || r.Date != "2024-01-02" || r.Modified != "2024-03-04" ||
		r.Level != "high" || len(r.Tags) != 1 || len(r.References) != 1 || len(r.FalsePositives) != 1 ||
		r.Description != "Two lines\nof text.\n" || r.Condition != "sel" || r.Logsource.Product != "AWS" {
		t.Errorf("metadata = %+v", r)
	}
	want := "Sigma rule Access key for someone else by Jane Doe, John Roe (0f3a-test), Detection Rule License 1.1, https://github.com/SigmaHQ/sigma"
	if got := r.Attribution(); got != want {
		t.Errorf("Attribution = %q\nwant %q", got, want)
	}
	r.Source = "https://example.com/rules"
	if got := r.Attribution(); !strings.HasSuffix(got, ", https://example.com/rules") {
		t.Errorf("Attribution with Source = %q", got)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		is        error
		contains  string
	}{
		{"not yaml", "title: [unclosed\n", nil, "parse rule YAML"},
		{"not a map", "- a\n- b\n", nil, "line 1"},
		{"no title", "logsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  s:\n    a: b\n  condition: s\n", nil, "no title"},
		{"other logsource", "title: x\nlogsource:\n  product: windows\n  service: security\ndetection:\n  s:\n    a: b\n  condition: s\n", ErrLogsource, "line 3"},
		{"no logsource", "title: x\ndetection:\n  s:\n    a: b\n  condition: s\n", ErrLogsource, ""},
		{"no detection", "title: x\nlogsource:\n  product: aws\n  service: cloudtrail\n", nil, "no detection"},
		{"no condition", ruleYAML("  s:\n    a: b\n"), nil, "no condition"},
		{"unknown selection", ruleYAML("  s:\n    a: b\n  condition: s and t\n"), errNoSelection, "line 10"},
		{"no pattern match", ruleYAML("  s:\n    a: b\n  condition: 1 of x_*\n"), errNoSelection, ""},
		{"bare wildcard", ruleYAML("  s:\n    a: b\n  condition: s*\n"), nil, "only allowed"},
		{"unbalanced", ruleYAML("  s:\n    a: b\n  condition: (s\n"), nil, "missing )"},
		{"trailing", ruleYAML("  s:\n    a: b\n  condition: s s\n"), nil, "unexpected"},
		{"bad char", ruleYAML("  s:\n    a: b\n  condition: s = 1\n"), nil, "unexpected character"},
		{"unknown modifier", ruleYAML("  s:\n    a|base64: b\n  condition: s\n"), nil, "line 9: unsupported modifier"},
		{"conflicting modifiers", ruleYAML("  s:\n    a|contains|startswith: b\n  condition: s\n"), nil, "conflicting"},
		{"bad regexp", ruleYAML("  s:\n    a|re: '('\n  condition: s\n"), nil, "regular expression"},
		{"bad cidr", ruleYAML("  s:\n    a|cidr: 10.0.0/8\n  condition: s\n"), nil, "CIDR"},
		{"exists not bool", ruleYAML("  s:\n    a|exists: yes please\n  condition: s\n"), nil, "exists takes"},
		{"nested map value", ruleYAML("  s:\n    a:\n      b: c\n  condition: s\n"), nil, "value must be"},
		{"empty list", ruleYAML("  s:\n    a: []\n  condition: s\n"), nil, "empty value list"},
		{"placeholder missing", ruleYAML("  s:\n    a|expand: '%x%'\n  condition: s\n"), ErrPlaceholder, "line 9"},
		{"alias", ruleYAML("  s: &x\n    a: b\n  t: *x\n  condition: s\n"), nil, "aliases"},
		{"unsupported quantifier", ruleYAML("  s:\n    a: b\n  condition: 2 of s\n"), nil, "quantifier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", r)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
			if errors.Is(err, ErrAggregation) {
				t.Errorf("error %v should not be ErrAggregation", err)
			}
		})
	}
}

func TestAggregation(t *testing.T) {
	tests := []struct {
		name, detection, agg, timeframe string
	}{
		{"count", "  sel:\n    eventName: ListBuckets\n  timeframe: 10m\n  condition: sel | count() > 5\n", "count() > 5", "10m"},
		{"count by", "  sel:\n    eventName: ListBuckets\n  condition: sel | count() by sourceIPAddress > 5\n", "count() by sourceIPAddress > 5", ""},
		{"near", "  sel:\n    eventName: ListBuckets\n  other:\n    eventName: Invoke\n  condition: sel | near other\n", "near other", ""},
		{"timeframe only", "  sel:\n    eventName: ListBuckets\n  timeframe: 5m\n  condition: sel\n", "", "5m"},
	}
	rec := decodeRecord(t, `{"eventName":"ListBuckets"}`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse([]byte(ruleYAML(tc.detection)))
			if !errors.Is(err, ErrAggregation) {
				t.Fatalf("err = %v, want ErrAggregation", err)
			}
			if r == nil || r.Title != "Test rule" || r.Aggregation != tc.agg || r.Timeframe != tc.timeframe {
				t.Fatalf("rule = %+v", r)
			}
			if !r.Match(rec) {
				t.Error("the per-record part of an aggregating rule should match")
			}
		})
	}
}

func TestExpand(t *testing.T) {
	src := []byte(ruleYAML("  sel:\n    eventName: ConsoleLogin\n  filter:\n    sourceIPAddress|expand: '%Office%'\n    userAgent|expand|contains: '%Browser%/%Ver%'\n  condition: sel and not filter\n"))
	ph := map[string][]string{"Office": {"198.51.100.*", "203.0.113.7"}, "Browser": {"Firefox", "Chrome"}, "Ver": {"1*", "2*"}}
	r, err := ParseWithPlaceholders(src, ph)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rec  string
		want bool
	}{
		{`{"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.4","userAgent":"Mozilla Chrome/131.0"}`, false},
		{`{"eventName":"ConsoleLogin","sourceIPAddress":"198.51.100.4","userAgent":"Mozilla Safari/17"}`, true},
		{`{"eventName":"ConsoleLogin","sourceIPAddress":"192.0.2.1","userAgent":"Mozilla Firefox/2.0"}`, true},
	} {
		if got := r.Match(decodeRecord(t, tc.rec)); got != tc.want {
			t.Errorf("Match(%s) = %v, want %v", tc.rec, got, tc.want)
		}
	}
	delete(ph, "Ver")
	if _, err := ParseWithPlaceholders(src, ph); !errors.Is(err, ErrPlaceholder) || !strings.Contains(err.Error(), "%Ver%") {
		t.Errorf("missing placeholder error = %v", err)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"*a?c*", "zzabc", true},
		{"a\\?c", "a?c", true},
		{"a\\?c", "abc", false},
		{"a\\\\*", "a\\xyz", true},
		{"a\\b", "a\\b", true},
		{"é?", "éü", true},
		{"*", "", true},
		{"?", "", false},
		{"a*a*a*a*b", strings.Repeat("a", 200), false},
	}
	for _, tc := range tests {
		if got := globMatch(parseSigmaString(tc.pattern), tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestNonASCIIFolding(t *testing.T) {
	r, err := Parse([]byte(ruleYAML("  sel:\n    userIdentity.userName|contains: 'JÖRG'\n  condition: sel\n")))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Match(decodeRecord(t, `{"userIdentity":{"userName":"hans-jörg"}}`)) {
		t.Error("non-ASCII contains should fold case")
	}
}
