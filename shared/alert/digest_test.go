package alert

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

var (
	digestFrom = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	digestTo   = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
)

func sampleDigest() DigestSummary {
	return DigestSummary{
		From: digestFrom, To: digestTo, Receivers: []string{"ops", "oncall"},
		Totals:        map[string]int{"notification": 6, "remediation": 3},
		Remediations:  map[string]int{"applied": 2, "planned": 1},
		Notifications: map[string]int{"sent": 5, "failed": 1},
		Rows: []DigestRow{{Kind: "notification", Account: "123456789012", Severity: "critical", Count: 4},
			{Kind: "remediation", Account: "111122223333", Severity: "high", Count: 3}},
		Rules:  []DigestRow{{Kind: "notification", Rule: "web-cpu-high", Count: 4}},
		Widget: `{"metrics":[]}`,
	}
}

func TestDigestRoundTrip(t *testing.T) {
	d, err := DigestDetail("Watchkeeper", sampleDigest())
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewPutEventsEntry(BusName, SourceSweeper, DetailTypeDigest, d)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(eventFromEntry(t, e, "ev-d"))
	if err != nil {
		t.Fatal(err)
	}
	a := tr.Alerts[0]
	if !a.IsDigest() || a.IsGroupFlush() || a.Reminder != nil {
		t.Fatalf("alert %+v", a)
	}
	if a.ID != DigestID("Watchkeeper", digestFrom, digestTo) || a.State != StateEvent || a.Severity != SeverityInfo ||
		a.Labels[LabelJob] != RuleDigest || a.Labels[LabelDetailType] != DetailTypeDigest {
		t.Errorf("alert %+v", a)
	}
	if want := "Watchkeeper weekly digest: 9 records, 2026-11-23 to 2026-11-29"; a.Title != want {
		t.Errorf("title %q, want %q", a.Title, want)
	}
	s := a.Digest
	if len(s.Rows) != 2 || s.Rows[1].Count != 3 || s.Rules[0].Rule != "web-cpu-high" || s.Widget != `{"metrics":[]}` ||
		s.Remediations["applied"] != 2 || s.Notifications["failed"] != 1 || strings.Join(s.Receivers, ",") != "ops,oncall" {
		t.Errorf("digest %+v", s)
	}
	// Another week is another alert: each week's digest passes the dedup window.
	if DigestID("Watchkeeper", digestFrom.AddDate(0, 0, 7), digestTo.AddDate(0, 0, 7)) == a.ID {
		t.Error("the next week's digest has this week's id")
	}
}

// Rows past MaxDigestDetailBytes are dropped (rules first), counted, and
// the entry stays well under the PutEvents limit.
func TestDigestDetailTrimsToFit(t *testing.T) {
	s := sampleDigest()
	s.Rows, s.Rules = nil, nil
	long := strings.Repeat("x", 2*maxDigestField)
	for i := range 2000 {
		s.Rows = append(s.Rows, DigestRow{Kind: "finding", Account: fmt.Sprintf("%012d", i), Severity: long, Count: i})
	}
	for i := range 50 {
		s.Rules = append(s.Rules, DigestRow{Kind: "finding", Rule: fmt.Sprintf("rule-%d", i), Count: 1})
	}
	d, err := DigestDetail("Watchkeeper", s)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(d)
	if len(b) > MaxDigestDetailBytes {
		t.Errorf("detail is %d bytes, limit %d", len(b), MaxDigestDetailBytes)
	}
	g := d.Digest
	if len(g.Rules) != 0 || g.RowsDropped != 50+2000-len(g.Rows) || len(g.Rows) == 0 {
		t.Errorf("kept %d rows, %d rules, dropped %d", len(g.Rows), len(g.Rules), g.RowsDropped)
	}
	if n := len(g.Rows[0].Severity); n > maxDigestField+len("…") {
		t.Errorf("a %d-byte field was kept", n)
	}
	e, err := NewPutEventsEntry(BusName, SourceSweeper, DetailTypeDigest, d)
	if err != nil || e.Size() > MaxPutEventsEntryBytes/2 {
		t.Errorf("entry %d bytes, %v", e.Size(), err)
	}
	// At the limit: a detail that fits exactly is kept whole.
	small := sampleDigest()
	d2, err := DigestDetail("Watchkeeper", small)
	if err != nil || d2.Digest.RowsDropped != 0 || len(d2.Digest.Rows) != 2 {
		t.Errorf("small digest trimmed: %+v %v", d2.Digest, err)
	}
}

func TestDigestErrors(t *testing.T) {
	ev := func(detail string) string {
		return `{"version":"0","id":"x","detail-type":"` + DetailTypeDigest + `","source":"watchkeeper.sweeper","account":"1",` +
			`"time":"2026-11-30T08:00:00Z","region":"eu-west-1","resources":[],"detail":` + detail + `}`
	}
	const head = `{"schema_version":1,"rule":"digest","severity":"info","title":"t"`
	for name, tt := range map[string]struct{ payload, want string }{
		"no digest":    {ev(head + `}`), "digest event without digest"},
		"no receivers": {ev(head + `,"digest":{"from":"2026-11-23T00:00:00Z","to":"2026-11-30T00:00:00Z","receivers":[]}}`), "without receivers"},
		"empty name":   {ev(head + `,"digest":{"from":"2026-11-23T00:00:00Z","to":"2026-11-30T00:00:00Z","receivers":[""]}}`), "empty receiver"},
		"period":       {ev(head + `,"digest":{"from":"2026-11-30T00:00:00Z","to":"2026-11-23T00:00:00Z","receivers":["ops"]}}`), "period"},
		"count":        {ev(head + `,"digest":{"from":"2026-11-23T00:00:00Z","to":"2026-11-30T00:00:00Z","receivers":["ops"],"rows":[{"kind":"k","count":-1}]}}`), "negative count"},
		"bad json":     {ev(head + `,"digest":{"from":"yesterday"}}`), "detail"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if _, err := DigestDetail("s", DigestSummary{From: digestFrom, To: digestTo}); err == nil {
		t.Error("a digest for nobody was built")
	}
	if _, err := DigestDetail("s", DigestSummary{From: digestTo, To: digestTo, Receivers: []string{"ops"}}); err == nil {
		t.Error("an empty period was accepted")
	}
}

// A detail of exactly MaxDigestDetailBytes is sent whole; one byte more
// drops a row.
func TestDigestDetailAtTheLimit(t *testing.T) {
	size := func(s DigestSummary) int {
		t.Helper()
		d, err := DigestDetail("Watchkeeper", s)
		if err != nil {
			t.Fatal(err)
		}
		if d.Digest.RowsDropped > 0 {
			return MaxDigestDetailBytes + 1
		}
		b, _ := json.Marshal(d)
		return len(b)
	}
	s := sampleDigest()
	s.Rows = nil
	for size(s)+300 < MaxDigestDetailBytes {
		s.Rows = append(s.Rows, DigestRow{Kind: "finding", Account: strings.Repeat("a", 100), Severity: "high", Count: 1})
	}
	exact := -1
	for l := 0; l < maxDigestField; l++ {
		c := s
		c.Rows = append(append([]DigestRow(nil), s.Rows...), DigestRow{Kind: "finding", Account: strings.Repeat("b", l), Severity: "high", Count: 1})
		if size(c) == MaxDigestDetailBytes {
			exact = l
			s = c
			break
		}
	}
	if exact < 0 {
		t.Fatal("could not build a detail of exactly the limit")
	}
	d, err := DigestDetail("Watchkeeper", s)
	if err != nil || d.Digest.RowsDropped != 0 || len(d.Digest.Rows) != len(s.Rows) {
		t.Errorf("at the limit: dropped %d, %v", d.Digest.RowsDropped, err)
	}
	s.Rows[len(s.Rows)-1].Account += "b"
	d, err = DigestDetail("Watchkeeper", s)
	if err != nil || d.Digest.RowsDropped == 0 {
		t.Errorf("one byte over: dropped %d, %v", d.Digest.RowsDropped, err)
	}
}
