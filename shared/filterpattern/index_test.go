package filterpattern

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestLiterals(t *testing.T) {
	tests := []struct {
		pattern string
		field   string
		want    []string
		ok      bool
	}{
		{`{ $.eventName = StopLogging }`, "eventName", []string{"StopLogging"}, true},
		{`{ $.eventName = "Stop Logging" }`, "eventName", []string{"Stop Logging"}, true},
		{`{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StopLogging) || ($.eventName = DeleteTrail)) }`, "eventName", []string{"StopLogging", "DeleteTrail"}, true},
		{`{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StopLogging) || ($.eventName = DeleteTrail)) }`, "eventSource", []string{"cloudtrail.amazonaws.com"}, true},
		{`{ ($.eventName = A || $.eventName = B || $.eventName = C) && $.eventName = D }`, "eventName", []string{"D"}, true},
		{`{ $.eventName = A || $.errorCode = AccessDenied }`, "eventName", nil, false},
		{`{ $.eventName = Stop* }`, "eventName", nil, false},
		{`{ $.eventName != StopLogging }`, "eventName", nil, false},
		{`{ $.eventName = 5 }`, "eventName", nil, false},
		{`{ $.eventName NOT EXISTS }`, "eventName", nil, false},
		{`{ $.eventName = %Stop.*% }`, "eventName", nil, false},
		{`{ $.detail.eventName = StopLogging }`, "eventName", nil, false},
		{`{ $.* = StopLogging }`, "eventName", nil, false},
		{`{ $.userIdentity.type = Root }`, "eventName", nil, false},
		{`StopLogging`, "eventName", nil, false},
		{`[a, b]`, "eventName", nil, false},
		{``, "eventName", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"/"+tt.field, func(t *testing.T) {
			p, err := Compile(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := p.Literals(tt.field)
			if ok != tt.ok || !slices.Equal(got, tt.want) {
				t.Errorf("Literals = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		pattern string
		want    [][]string
		all     bool
	}{
		{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") }`,
			[][]string{{"errorCode"}, {"errorCode"}, {"sourceIPAddress"}}, false},
		{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`, [][]string{{"userIdentity", "type"}, {"userIdentity", "invokedBy"}}, false},
		{`{ $.['a.b'].c = 1 }`, [][]string{{"a.b", "c"}}, false},
		{`{ $.a[*].b = 1 || $.c.*.d = 1 || $[0] = 2 || $[*] = 3 }`, [][]string{{"a"}, {"c"}}, false},
		{`{ $.* = 1 }`, nil, true},
		{`AccessDenied`, nil, false},
		{`[a, b=4*]`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Compile(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			got, all := p.Paths()
			if all != tt.all || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Paths = %q, %v; want %q, %v", got, all, tt.want, tt.all)
			}
		})
	}
}

func TestProjection(t *testing.T) {
	const rec = `{"eventName":"ConsoleLogin","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","sessionContext":{"attributes":{"mfaAuthenticated":"false"}}},
		"resources":[{"ARN":"a","type":"t"},{"ARN":"b"},[{"ARN":"c","x":1}]],"requestParameters":{"k":[1,2,{"z":null}]},"n":-1.5e3,"s":"\u00e9\n"}`
	p := NewProjection()
	p.Add([]string{"userIdentity", "type"})
	p.Add([]string{"userIdentity", "sessionContext"})
	p.Add([]string{"resources", "ARN"})
	p.Add([]string{"s"})
	got, ok := p.Decode(rec)
	want := map[string]any{
		"userIdentity": map[string]any{"type": "Root", "sessionContext": map[string]any{"attributes": map[string]any{"mfaAuthenticated": "false"}}},
		"resources":    []any{map[string]any{"ARN": "a"}, map[string]any{"ARN": "b"}, []any{map[string]any{"ARN": "c"}}},
		"s":            "\u00e9\n",
	}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("Decode = %#v, %v; want %#v", got, ok, want)
	}
	whole := NewProjection()
	whole.Merge(p)
	whole.Add(nil)
	full, _ := DecodeJSON(rec)
	if got, ok := whole.Decode(rec); !ok || !reflect.DeepEqual(got, full) || !whole.Whole() || whole.Child("x") != whole {
		t.Errorf("whole projection = %#v, %v", got, ok)
	}
	if p.Child("n") != nil || p.Child("userIdentity") == nil {
		t.Error("Child")
	}
	for _, bad := range []string{`{"userIdentity":{"type":"Root"}`, `{"x":[1,}`, `{"x":"\q"}`, `{"x":01}`, `{"x":"a"} x`, `{"x":tru}`, "{\"x\":\"\x01\"}"} {
		if _, ok := p.Decode(bad); ok {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

// cutValue is the projection done on a decoded value: the reference
// FuzzProjection holds Decode to.
func cutValue(v any, p *Projection) any {
	if p.whole {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, c := range p.children {
			if xv, ok := x[k]; ok {
				m[k] = cutValue(xv, c)
			}
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = cutValue(e, p)
		}
		return a
	}
	return v
}

func FuzzProjection(f *testing.F) {
	f.Add(`{"a":{"b":[{"c":1,"d":2},{"c":"x"}],"e":null},"f":"\u0041","a":{"b":3}}`, "a.b.c a.e f")
	f.Add(`[{"a":{"b":1}},{"a":[{"b":{"c":true}}]}]`, "a.b")
	f.Add(`{"a":"\ud800","b":[1e5,-0,0.5],"c":{}}`, "a b.x c.y")
	f.Fuzz(func(t *testing.T, message, paths string) {
		p := NewProjection()
		for _, path := range strings.Fields(paths) {
			p.Add(strings.Split(path, "."))
		}
		got, ok := p.Decode(message)
		full, fullOK := DecodeValue(message)
		if ok != fullOK {
			t.Fatalf("Decode ok %v, DecodeValue ok %v on %q", ok, fullOK, message)
		}
		if ok && !reflect.DeepEqual(got, cutValue(full, p)) {
			t.Fatalf("Decode = %#v, want %#v", got, cutValue(full, p))
		}
	})
}

func TestDecodeValue(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want any
		ok   bool
	}{
		{`"x"`, "x", true}, {` 12.5 `, json.Number("12.5"), true}, {`null`, nil, true}, {`true`, true, true},
		{`{"a":[1]}`, map[string]any{"a": []any{json.Number("1")}}, true},
		{`"x" 1`, nil, false}, {`01`, nil, false}, {``, nil, false}, {`{"a":}`, nil, false},
	} {
		got, ok := DecodeValue(tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("DecodeValue(%q) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
