package pagerduty

import (
	"net/http"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// A digest is a summary, not an incident: the channel pages nothing for it
// (the notifier does not even call it; this is the second line).
func TestDigestPagesNothing(t *testing.T) {
	f := newFake(t, http.StatusAccepted)
	d := &alert.DigestSummary{From: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Receivers: []string{"oncall"}, Totals: map[string]int{"finding": 3}}
	for _, st := range []alert.State{alert.StateEvent, alert.StateAlarm} {
		a := alert.Alert{ID: "d", State: st, Severity: alert.SeverityCritical, Title: alert.DigestTitle(d), Digest: d}
		if _, ok := NewEvent(routingKey, a); ok {
			t.Errorf("%s: a digest became a PagerDuty event", st)
		}
		if retry, err := f.notifier(t).Notify(t.Context(), a); retry || err != nil {
			t.Errorf("%s: Notify = %v, %v", st, retry, err)
		}
	}
	if len(f.events) != 0 {
		t.Errorf("PagerDuty got %d events for a digest", len(f.events))
	}
	// The same alert without the digest does page.
	if _, ok := NewEvent(routingKey, alert.Alert{ID: "d", State: alert.StateAlarm, Severity: alert.SeverityCritical, Title: "t"}); !ok {
		t.Error("an alarm no longer pages")
	}
}
