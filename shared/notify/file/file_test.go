package file

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

func testAlert(id string) alert.Alert {
	return alert.Alert{ID: id, State: alert.StateAlarm, Severity: "high", Title: "disk full", Source: alert.SourceAlarm}
}

func newNotifier(t *testing.T, dir, format string) *Notifier {
	t.Helper()
	n, err := New(config.Channel{Name: "local", Type: Type, Dir: dir, Format: format}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func TestNumberingContinues(t *testing.T) {
	dir := t.TempDir()
	n := newNotifier(t, dir, "")
	for _, id := range []string{"a1", "a2"} {
		d, retry, err := n.NotifyWithReceipt(context.Background(), testAlert(id))
		if err != nil || retry {
			t.Fatalf("NotifyWithReceipt = %v, %v", retry, err)
		}
		if d.Channel != "local" || filepath.Dir(d.Location) != filepath.Join(dir, "local") {
			t.Errorf("delivery %+v", d)
		}
	}
	// A later run (new notifier) appends after the highest number, even one
	// left by hand.
	if err := os.WriteFile(filepath.Join(dir, "local", "000041-manual.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newNotifier(t, dir, "").Notify(context.Background(), testAlert("a3")); err != nil {
		t.Fatal(err)
	}
	want := []string{"000001-a1.json", "000002-a2.json", "000041-manual.json", "000042-a3.json"}
	if got := names(t, filepath.Join(dir, "local")); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

func TestFormats(t *testing.T) {
	a := testAlert("x")
	tests := []struct {
		format, ext string
		check       func(t *testing.T, b []byte)
	}{
		{"json", "json", func(t *testing.T, b []byte) {
			var w render.Webhook
			if err := json.Unmarshal(b, &w); err != nil || w.ID != "x" || w.Schema != render.WebhookSchema {
				t.Errorf("json: %+v %v", w, err)
			}
		}},
		{"slack", "json", func(t *testing.T, b []byte) {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil || m["blocks"] == nil {
				t.Errorf("slack: %v", err)
			}
		}},
		{"teams", "json", func(t *testing.T, b []byte) {
			var m render.TeamsMessage
			if err := json.Unmarshal(b, &m); err != nil || m.Type != "message" {
				t.Errorf("teams: %v", err)
			}
		}},
		{"email", "eml", func(t *testing.T, b []byte) {
			msg, err := mail.ReadMessage(bytes.NewReader(b))
			if err != nil || msg.Header.Get("Subject") != "[ALARM] high: disk full" || msg.Header.Get("From") != "<"+defaultFrom+">" {
				t.Errorf("eml: %v %v", msg.Header, err)
			}
		}},
		{"text", "txt", func(t *testing.T, b []byte) {
			if !strings.HasPrefix(string(b), "[ALARM] high: disk full\n") {
				t.Errorf("text: %q", b)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			d, _, err := newNotifier(t, t.TempDir(), tt.format).NotifyWithReceipt(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if filepath.Base(d.Location) != "000001-x."+tt.ext {
				t.Errorf("path %s", d.Location)
			}
			b, err := os.ReadFile(d.Location)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, b)
		})
	}
}

func TestUnsafeIDsStayInDirectory(t *testing.T) {
	dir := t.TempDir()
	n := newNotifier(t, dir, "text")
	for _, id := range []string{"../../etc/passwd", "..", "", "a/b\\c:d*e?f", strings.Repeat("z", 300), "\x00\n"} {
		d, _, err := n.NotifyWithReceipt(context.Background(), testAlert(id))
		if err != nil {
			t.Fatalf("%q: %v", id, err)
		}
		if filepath.Dir(d.Location) != n.Dir() {
			t.Errorf("%q escaped to %s", id, d.Location)
		}
		base := filepath.Base(d.Location)
		if len(base) > seqWidth+1+maxIDInName+4 || strings.ContainsAny(base, "/\\:*?\x00\n") {
			t.Errorf("%q gave unsafe name %q", id, base)
		}
	}
	if got := safeName("..", "alert"); got != "alert" {
		t.Errorf("safeName(..) = %q", got)
	}
	weird, err := New(config.Channel{Name: "../up", Type: Type, Dir: dir}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(weird.Dir()) != dir {
		t.Errorf("channel name escaped: %s", weird.Dir())
	}
}

func TestConcurrentWritesGetDistinctNumbers(t *testing.T) {
	dir := t.TempDir()
	a, b := newNotifier(t, dir, "json"), newNotifier(t, dir, "json") // two "processes"
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func(n *Notifier) {
			defer wg.Done()
			if _, err := n.Notify(context.Background(), testAlert(fmt.Sprint("c", i))); err != nil {
				t.Error(err)
			}
		}(map[bool]*Notifier{true: a, false: b}[i%2 == 0])
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, name := range names(t, a.Dir()) {
		seq, _, _ := strings.Cut(name, "-")
		if seen[seq] {
			t.Errorf("number %s used twice", seq)
		}
		seen[seq] = true
	}
	if len(seen) != 20 {
		t.Errorf("%d files, want 20", len(seen))
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := New(config.Channel{Name: "x", Type: Type, Format: "pdf"}, nil, nil); err == nil {
		t.Error("accepted format pdf")
	}
}

var _ notify.ReceiptNotifier = (*Notifier)(nil)
