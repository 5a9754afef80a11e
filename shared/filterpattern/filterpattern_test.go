package filterpattern

import (
	"bufio"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// vector is one line of the reference testvectors.jsonl.
type vector struct {
	Pattern           string            `json:"pattern"`
	Message           *string           `json:"message"`
	ExpectedMatch     *bool             `json:"expected_match"`
	ExpectedError     string            `json:"expected_error"`
	ExpectedExtracted map[string]string `json:"expected_extracted"`
	Source            string            `json:"source"`
}

func TestConformanceVectors(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	path := repo.Reference(root, "filter-patterns", "testvectors.jsonl")
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("reference vectors absent: %s", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line, checked := 0, 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		checked++
		p, err := Compile(v.Pattern)
		if v.ExpectedError != "" {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("line %d: Compile(%q) = %v, want a SyntaxError (%s)", line, v.Pattern, err, v.ExpectedError)
			}
			continue
		}
		if err != nil {
			t.Errorf("line %d: Compile(%q): %v", line, v.Pattern, err)
			continue
		}
		if v.Message == nil || v.ExpectedMatch == nil {
			t.Errorf("line %d: vector has neither an error nor a message and result", line)
			continue
		}
		if got := p.Match(*v.Message); got != *v.ExpectedMatch {
			t.Errorf("line %d: %q on %q = %v, want %v (%s)", line, v.Pattern, *v.Message, got, *v.ExpectedMatch, v.Source)
		}
		if got := p.MatchEvent(NewEvent(*v.Message)); got != *v.ExpectedMatch {
			t.Errorf("line %d: MatchEvent %q on %q = %v, want %v", line, v.Pattern, *v.Message, got, *v.ExpectedMatch)
		}
		if v.ExpectedExtracted != nil {
			got, ok := p.Extract(*v.Message)
			if !ok {
				t.Errorf("line %d: Extract found no match", line)
			}
			for k, want := range v.ExpectedExtracted {
				if got[k] != want {
					t.Errorf("line %d: extracted %s = %q, want %q", line, k, got[k], want)
				}
			}
			if len(got) != len(v.ExpectedExtracted) {
				t.Errorf("line %d: extracted %v, want exactly %v", line, got, v.ExpectedExtracted)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("no vectors in", path)
	}
	t.Logf("checked %d reference vectors", checked)
}

// tcase is one entry of testdata/cases.yaml: either a pattern with messages
// and their expected results, or a pattern that must fail at a column.
type tcase struct {
	Name    string   `yaml:"name"`
	Pattern string   `yaml:"pattern"`
	Kind    string   `yaml:"kind"`
	Match   []string `yaml:"match"`
	NoMatch []string `yaml:"nomatch"`
	Error   string   `yaml:"error"`
	Column  int      `yaml:"column"`
}

func loadCases(t *testing.T) []tcase {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []tcase
	if err := yaml.UnmarshalWithOptions(b, &cases, yaml.Strict()); err != nil {
		t.Fatalf("cases.yaml: %v", err)
	}
	return cases
}

func TestCases(t *testing.T) {
	cases := loadCases(t)
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			p, err := Compile(tc.Pattern)
			if tc.Error != "" {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("Compile(%q) = %v, want SyntaxError containing %q", tc.Pattern, err, tc.Error)
				}
				if !strings.Contains(se.Msg, tc.Error) {
					t.Errorf("error %q does not contain %q", se.Error(), tc.Error)
				}
				if tc.Column != 0 && se.Pos != tc.Column {
					t.Errorf("error %q at column %d, want %d", se.Error(), se.Pos, tc.Column)
				}
				return
			}
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.Pattern, err)
			}
			if len(tc.Match)+len(tc.NoMatch) == 0 {
				t.Fatal("case checks nothing")
			}
			if tc.Kind != "" && p.Kind().String() != tc.Kind {
				t.Errorf("Kind = %s, want %s", p.Kind(), tc.Kind)
			}
			for _, m := range tc.Match {
				if !p.Match(m) {
					t.Errorf("%q should match %q", tc.Pattern, m)
				}
				if !p.MatchEvent(NewEvent(m)) {
					t.Errorf("MatchEvent: %q should match %q", tc.Pattern, m)
				}
				if d, ok := DecodeJSON(m); ok && !p.MatchJSON(d) {
					t.Errorf("MatchJSON: %q should match %q", tc.Pattern, m)
				}
			}
			for _, m := range tc.NoMatch {
				if p.Match(m) {
					t.Errorf("%q should not match %q", tc.Pattern, m)
				}
				if d, ok := DecodeJSON(m); ok && p.Kind() == KindJSON && p.MatchJSON(d) {
					t.Errorf("MatchJSON: %q should not match %q", tc.Pattern, m)
				}
			}
		})
	}
}

func TestMaxPatternLength(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		ok      bool
	}{
		{"term at limit", strings.Repeat("a", MaxPatternLength), true},
		{"term over limit", strings.Repeat("a", MaxPatternLength+1), false},
		{"multibyte at limit", strings.Repeat("é", MaxPatternLength), true},
		{"multibyte over limit", strings.Repeat("é", MaxPatternLength+1), false},
		{"json at limit", `{ $.a = "` + strings.Repeat("x", MaxPatternLength-len(`{ $.a = "" }`)) + `" }`, true},
		{"json over limit", `{ $.a = "` + strings.Repeat("x", MaxPatternLength+1-len(`{ $.a = "" }`)) + `" }`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile(tc.pattern)
			if tc.ok {
				if err != nil {
					t.Fatalf("len %d: %v", utf8.RuneCountInString(tc.pattern), err)
				}
				if p.Kind() == KindTerm && !p.Match("<"+tc.pattern+">") {
					t.Error("pattern at the limit does not match itself")
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos != MaxPatternLength+1 {
				t.Fatalf("err = %v, want SyntaxError at column %d", err, MaxPatternLength+1)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	tests := []struct {
		pattern string
		want    string
	}{
		{`{ ($.a = 1 && $.b = 2 }`, "filter pattern: unbalanced parenthesis at column 3"},
		{`{ $.eventName => "x" }`, `filter pattern: unknown operator "=>" at column 15`},
		{`%a(b)%`, `at column 3`},
	}
	for _, tc := range tests {
		_, err := Compile(tc.pattern)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Compile(%q) = %v, want %q", tc.pattern, err, tc.want)
		}
	}
}

func TestExtract(t *testing.T) {
	msg := `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`
	tests := []struct {
		pattern string
		want    map[string]string
		ok      bool
	}{
		{"[]", map[string]string{"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700", "$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$7": "1534"}, true},
		{"[..., size]", map[string]string{"$1": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700", "$5": "GET /apache_pb.gif HTTP/1.0", "$6": "200", "$size": "1534"}, true},
		{"[ip, ..., status=200, bytes>1000]", map[string]string{"$ip": "127.0.0.1", "$2": "-", "$3": "frank", "$4": "10/Oct/2000:13:25:15 -0700", "$5": "GET /apache_pb.gif HTTP/1.0", "$status": "200", "$bytes": "1534"}, true},
		{"[ip, ..., status=404, bytes]", nil, false},
	}
	for _, tc := range tests {
		got, ok := mustCompile(t, tc.pattern).Extract(msg)
		if ok != tc.ok || len(got) != len(tc.want) {
			t.Errorf("%s: Extract = %v, %v; want %v, %v", tc.pattern, got, ok, tc.want, tc.ok)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.pattern, k, got[k], v)
			}
		}
	}
	if got, ok := mustCompile(t, "ERROR").Extract("an ERROR"); got != nil || !ok {
		t.Errorf("term Extract = %v, %v; want nil, true", got, ok)
	}
}

// TestManyPatternsOneEvent checks that an Event decodes once and serves
// every kind, and that NewDecodedEvent reuses a caller's decoding.
func TestManyPatternsOneEvent(t *testing.T) {
	msg := `{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"},"userIdentity":{"type":"Root"},"responseElements":{"ConsoleLogin":"Success"}}`
	patterns := map[string]bool{
		`{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }`:        true,
		`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`:           true,
		`{ ($.eventName = ConsoleLogin) && ($.responseElements.ConsoleLogin = "Failure") }`: false,
		`ConsoleLogin`:                    true,
		`%MFAUsed.:.No%`:                  true,
		`[a]`:                             true,
		`{ $.eventName = "StopLogging" }`: false,
		``:                                true,
	}
	e := NewEvent(msg)
	decoded, ok := DecodeJSON(msg)
	if !ok {
		t.Fatal("DecodeJSON failed")
	}
	pre := NewDecodedEvent(msg, decoded)
	for src, want := range patterns {
		p := mustCompile(t, src)
		if got := p.MatchEvent(e); got != want {
			t.Errorf("MatchEvent(%q) = %v, want %v", src, got, want)
		}
		if got := p.MatchEvent(pre); got != want {
			t.Errorf("MatchEvent(decoded, %q) = %v, want %v", src, got, want)
		}
		if got := p.MatchJSON(decoded); got != want {
			t.Errorf("MatchJSON(%q) = %v, want %v", src, got, want)
		}
	}
	// encoding/json without UseNumber yields float64; numbers still compare.
	var plain any
	if err := json.Unmarshal([]byte(`{"n":3,"f":1.5e3}`), &plain); err != nil {
		t.Fatal(err)
	}
	for src, want := range map[string]bool{`{ $.n = 3 }`: true, `{ $.n = "3" }`: true, `{ $.f >= 1500 }`: true, `{ $.f < 1e3 }`: false} {
		if got := mustCompile(t, src).MatchJSON(plain); got != want {
			t.Errorf("MatchJSON(float64, %q) = %v, want %v", src, got, want)
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		msg string
		ok  bool
	}{
		{`{"a":1}`, true},
		{` [1,2] `, true},
		{`{"a":1} {"b":2}`, false},
		{`{"a":1} x`, false},
		{`42`, false},
		{`"s"`, false},
		{`{"a":`, false},
		{`plain text`, false},
		{``, false},
	}
	for _, tc := range tests {
		if _, ok := DecodeJSON(tc.msg); ok != tc.ok {
			t.Errorf("DecodeJSON(%q) ok = %v, want %v", tc.msg, ok, tc.ok)
		}
	}
}

func mustCompile(t testing.TB, src string) *Pattern {
	t.Helper()
	p, err := Compile(src)
	if err != nil {
		t.Fatalf("Compile(%q): %v", src, err)
	}
	return p
}

func TestExtractTrailingComma(t *testing.T) {
	got, ok := mustCompile(t, "[..., status=4*,]").Extract("a b 404 10")
	want := map[string]string{"$1": "a", "$2": "b", "$status": "404", "$4": "10"}
	if !ok || len(got) != len(want) {
		t.Fatalf("Extract = %v, %v; want %v", got, ok, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestNestingLimits(t *testing.T) {
	deep := func(n int) string {
		return "{" + strings.Repeat("(", n) + "$.a=1" + strings.Repeat(")", n) + "}"
	}
	if p, err := Compile(deep(maxNesting)); err != nil || !p.Match(`{"a":1}`) {
		t.Errorf("nesting %d: %v", maxNesting, err)
	}
	var se *SyntaxError
	if _, err := Compile(deep(maxNesting + 1)); !errors.As(err, &se) || se.Pos != maxNesting+2 {
		t.Errorf("nesting %d: err = %v, want SyntaxError at column %d", maxNesting+1, err, maxNesting+2)
	}
	nested := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	if _, ok := DecodeJSON(nested(maxJSONDepth)); !ok {
		t.Errorf("JSON nested %d deep should decode", maxJSONDepth)
	}
	if _, ok := DecodeJSON(nested(maxJSONDepth + 1)); ok {
		t.Errorf("JSON nested %d deep should be refused", maxJSONDepth+1)
	}
}
