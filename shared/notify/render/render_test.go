package render

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var goldenAlerts = []string{"metric_alarm", "metric_ok", "cloudtrail_hostile", "log_alarm", "group_storm"}

func loadAlert(t testing.TB, name string) alert.Alert {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "alerts", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var a alert.Alert
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func testOptions(t testing.TB) Options {
	t.Helper()
	tz, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)
	return Options{TimeZone: tz, AccountAlias: "prod", Now: func() time.Time { return now }}
}

// tinyPNG is a real 2×2 PNG.
func tinyPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func indentJSON(t *testing.T, v any) []byte {
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

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
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

func TestGolden(t *testing.T) {
	opts := testOptions(t)
	for _, name := range goldenAlerts {
		a := loadAlert(t, name)
		t.Run(name, func(t *testing.T) {
			checkGolden(t, name+".slack", indentJSON(t, Slack(a, opts)))
			checkGolden(t, name+".teams", indentJSON(t, Teams(a, opts)))
			subject, text, html := Email(a, opts)
			checkGolden(t, name+".email", []byte("Subject: "+subject+"\n--- text ---\n"+text+"--- html ---\n"+html))
			checkGolden(t, name+".eml", EML("Watchkeeper <alerts@example.com>", []string{"oncall@example.com", "Ops Team <ops@example.com>"}, a, opts))
			checkGolden(t, name+".text", []byte(Text(a, opts)))
			checkGolden(t, name+".webhook", append(JSON(a), '\n'))
		})
	}
	t.Run("eml_with_graph", func(t *testing.T) {
		o := opts
		o.GraphPNG = tinyPNG(t)
		checkGolden(t, "metric_alarm_graph.eml", EML("alerts@example.com", []string{"oncall@example.com"}, loadAlert(t, "metric_alarm"), o))
	})
}

func TestRenderersDoNotMutateAlert(t *testing.T) {
	a := loadAlert(t, "cloudtrail_hostile")
	before, _ := json.Marshal(a)
	opts := testOptions(t)
	Slack(a, opts)
	Teams(a, opts)
	Email(a, opts)
	EML("a@example.com", []string{"b@example.com"}, a, opts)
	Text(a, opts)
	JSON(a)
	after, _ := json.Marshal(a)
	if !bytes.Equal(before, after) {
		t.Fatal("a renderer changed the alert")
	}
}

func TestWebhookJSONStableFields(t *testing.T) {
	a := loadAlert(t, "metric_alarm")
	var got map[string]any
	if err := json.Unmarshal(JSON(a), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "id", "key", "source", "state", "previous_state", "resolved", "severity", "title", "reason", "time", "account", "region", "labels", "metric", "resources", "links"} {
		if _, ok := got[k]; !ok {
			t.Errorf("field %q missing", k)
		}
	}
	if got["schema"] != WebhookSchema || got["state"] != "ALARM" || got["resolved"] != false || got["time"] != "2024-05-01T12:33:04.123Z" {
		t.Errorf("unexpected values: %v", got)
	}
	m := got["metric"].(map[string]any)
	if m["threshold"] != 5.0 || m["dimensions"].(map[string]any)["LoadBalancer"] != "app/public-api/50dc6c495c0c9188" {
		t.Errorf("metric = %v", m)
	}
	ok := loadAlert(t, "metric_ok")
	var okBody Webhook
	if err := json.Unmarshal(JSON(ok), &okBody); err != nil {
		t.Fatal(err)
	}
	if !okBody.Resolved || okBody.PreviousState != "ALARM" {
		t.Errorf("resolved alert body = %+v", okBody)
	}
}

func TestJSONEscapesHTML(t *testing.T) {
	b := JSON(loadAlert(t, "cloudtrail_hostile"))
	if bytes.ContainsAny(b, "<>") {
		t.Errorf("webhook body has raw angle brackets: %s", b)
	}
	var w Webhook
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.CloudTrail.UserAgent, "<script>") {
		t.Errorf("user agent not preserved verbatim in decoded body: %q", w.CloudTrail.UserAgent)
	}
}

func alertLink(u string) alert.Link { return alert.Link{Title: "l", URL: u} }

func decodeB64(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
