package filterpattern

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
)

// fuzzSeeds returns every pattern in testdata/cases.yaml, so the fuzzers
// start from each construct and each error path.
func fuzzSeeds(f *testing.F) []string {
	b, err := os.ReadFile(filepath.Join("testdata", "cases.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	var cases []tcase
	if err := yaml.Unmarshal(b, &cases); err != nil {
		f.Fatal(err)
	}
	out := make([]string, 0, len(cases))
	for _, c := range cases {
		out = append(out, c.Pattern)
	}
	return out
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pattern string) {
		p, err := Compile(pattern)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) error %T is not *SyntaxError", pattern, err)
			}
			limit := utf8.RuneCountInString(pattern) + 1
			if limit > MaxPatternLength+1 {
				limit = MaxPatternLength + 1
			}
			if se.Pos < 1 || se.Pos > limit {
				t.Fatalf("Compile(%q): column %d outside [1,%d]", pattern, se.Pos, limit)
			}
			if se.Msg == "" {
				t.Fatalf("Compile(%q): empty message", pattern)
			}
			return
		}
		if p.String() != pattern {
			t.Fatalf("String() = %q, want %q", p.String(), pattern)
		}
		// A compiled pattern evaluates its own text without panicking, and
		// every entry point agrees.
		if p.Match(pattern) != p.MatchEvent(NewEvent(pattern)) {
			t.Fatalf("Match and MatchEvent disagree for %q", pattern)
		}
	})
}

func FuzzMatch(f *testing.F) {
	messages := []string{
		"",
		"[ERROR 400] BAD REQUEST",
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534`,
		`{"eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"},"n":[1,2.5e3,null,true],"o":{"a.b":{"c":"d"}}}`,
		`["a",{"b":[[1]]}]`,
		"[unclosed \"quote",
		"\x00\xff\t\n",
	}
	seeds := fuzzSeeds(f)
	for i, s := range seeds {
		f.Add(s, messages[i%len(messages)])
	}
	f.Fuzz(func(t *testing.T, pattern, message string) {
		p, err := Compile(pattern)
		if err != nil {
			return
		}
		got := p.Match(message)
		e := NewEvent(message)
		if p.MatchEvent(e) != got || p.MatchEvent(e) != got {
			t.Fatalf("MatchEvent disagrees with Match for %q on %q", pattern, message)
		}
		if d, ok := DecodeJSON(message); ok && p.Kind() == KindJSON && p.MatchJSON(d) != got {
			t.Fatalf("MatchJSON disagrees with Match for %q on %q", pattern, message)
		}
		if m, ok := p.Extract(message); ok != got || (m != nil && p.Kind() != KindDelimited) {
			t.Fatalf("Extract = %v, %v; Match = %v for %q on %q", m, ok, got, pattern, message)
		}
		// The record decoded through the pattern's paths gives the same verdict.
		if _, ok := DecodeJSON(message); ok && strings.HasPrefix(strings.TrimLeft(message, " \t\r\n"), "{") {
			if paths, all := p.Paths(); !all {
				proj := NewProjection()
				for _, path := range paths {
					proj.Add(path)
				}
				cut, ok := proj.Decode(message)
				if !ok {
					t.Fatalf("projection of %q does not decode", message)
				}
				if p.MatchEvent(NewDecodedEvent(message, cut)) != got {
					t.Fatalf("%q on %q: the record cut to paths %q gives another verdict", pattern, message, paths)
				}
			}
		}
		// The rule index is sound: a match implies the field holds one of the literals.
		if vals, ok := p.Literals("eventName"); ok && got {
			d, _ := DecodeJSON(message)
			obj, _ := d.(map[string]any)
			name, isStr := obj["eventName"].(string)
			if !isStr || !slices.Contains(vals, name) {
				t.Fatalf("%q matches %q but its eventName %v is not among Literals %q", pattern, message, obj["eventName"], vals)
			}
		}
	})
}

// FuzzDecodeJSON holds the fast decoder to encoding/json: same acceptance,
// same decoded value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[true,false,null,"x\u00e9\ud83d\ude00\n"],"c":{"d":-1.5e+3}}`,
		`[]`, `{}`, ` [ 1 , 2 ] `, `{"a":"\ud800"}`, `{"a":"\ud800\u0041"}`, `{"a":"caf\xe9"}`,
		`{"a":01}`, `{"a":1.}`, `{"a":"\x01"}`, `{"a":1,}`, `[1 2]`, `{"a" 1}`, `{"a":tru}`,
		`{"k":1,"k":2}`, `[-0, 0e0, 1E-2]`, `{"a":"\/\b\f\r\t\\\""}`, `{"a":"\q"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		got, ok := DecodeJSON(msg)
		dec := json.NewDecoder(strings.NewReader(msg))
		dec.UseNumber()
		var want any
		err := dec.Decode(&want)
		if err == nil {
			if _, terr := dec.Token(); terr != io.EOF {
				err = errors.New("trailing data")
			}
		}
		top := strings.TrimLeft(msg, " \t\r\n")
		wantOK := err == nil && (strings.HasPrefix(top, "{") || strings.HasPrefix(top, "["))
		if ok != wantOK {
			t.Fatalf("DecodeJSON(%q) ok = %v, encoding/json err = %v", msg, ok, err)
		}
		if ok && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeJSON(%q) = %#v, encoding/json = %#v", msg, got, want)
		}
	})
}
