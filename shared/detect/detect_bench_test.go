package detect

import (
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func BenchmarkPatternEngine(b *testing.B) {
	e, err := NewPatternEngine(config.Detection{Rules: []config.DetectionRule{
		{ID: "stop-logging", Pattern: `{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StopLogging) || ($.eventName = DeleteTrail)) }`},
		{ID: "console-no-mfa", Pattern: `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }`},
		{ID: "root", Pattern: `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`},
	}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc := New(e, nil, nil, nil)
	ev := readEvent(b, "detector/logs-cloudtrail.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Handle(b.Context(), ev); err != nil {
			b.Fatal(err)
		}
	}
}
