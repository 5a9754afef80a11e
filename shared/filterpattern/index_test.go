package filterpattern

import (
	"encoding/json"
	"reflect"
	"slices"
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

func TestKeys(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
		all     bool
	}{
		{`{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`,
			[]string{"errorCode", "sourceIPAddress", "eventName"}, false},
		{`{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`, []string{"userIdentity", "eventType"}, false},
		{`{ $.['a.b'].c = 1 }`, []string{"a.b"}, false},
		{`{ $.a[*].b = 1 || $[0] = 2 || $[*] = 3 }`, []string{"a"}, false},
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
			got, all := p.Keys()
			if all != tt.all || !slices.Equal(got, tt.want) {
				t.Errorf("Keys = %q, %v; want %q, %v", got, all, tt.want, tt.all)
			}
		})
	}
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
