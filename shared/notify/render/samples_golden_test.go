package render_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/notify/pagerduty"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/notify/sns"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// TestSampleGoldens renders every notifier sample event (events/notifier)
// the way each channel sends it — Slack (webhook and bot body), Teams, email
// (parts and the full message), SNS, PagerDuty and the JSON webhook — and
// compares with testdata/samples. go test -update rewrites them.
func TestSampleGoldens(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	samples, err := filepath.Glob(filepath.Join(root, "events", "notifier", "*.json"))
	if err != nil || len(samples) == 0 {
		t.Fatalf("no notifier samples: %v", err)
	}
	tz, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	opts := render.Options{TimeZone: tz, AccountAlias: "acme-prod", Now: func() time.Time { return now }}
	for _, path := range samples {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		if strings.HasSuffix(name, ".decoded") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			trig, err := alert.Parse(payload)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if len(trig.Alerts) == 0 {
				t.Fatal("the sample carries no alert for the notifier")
			}
			for i, a := range trig.Alerts {
				base := name
				if len(trig.Alerts) > 1 {
					base += "-" + strconv.Itoa(i+1)
				}
				sampleGolden(t, base+".slack", indent(t, render.Slack(a, opts)))
				sampleGolden(t, base+".teams", indent(t, render.Teams(a, opts)))
				subject, text, html := render.Email(a, opts)
				sampleGolden(t, base+".email", []byte("Subject: "+subject+"\n--- text ---\n"+text+"--- html ---\n"+html))
				sampleGolden(t, base+".eml", render.EML("Watchkeeper <alerts@example.com>", []string{"oncall@example.com"}, a, opts))
				sampleGolden(t, base+".sns", []byte("Subject: "+sns.Subject(a)+"\n\n"+render.Text(a, opts)))
				sampleGolden(t, base+".webhook", append(render.JSON(a), '\n'))
				if ev, ok := pagerduty.NewEvent("R0UT1NGKEY", a); ok {
					sampleGolden(t, base+".pagerduty", indent(t, ev))
				}
			}
		})
	}
}

func indent(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sampleGolden compares with testdata/samples/<name>.golden; the -update
// flag belongs to the package's internal tests, so it is looked up here.
func sampleGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "samples", name+".golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run go test -update after checking the change)\n--- got ---\n%s", path, got)
	}
}
