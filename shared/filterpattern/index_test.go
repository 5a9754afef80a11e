package filterpattern

import (
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
