package slack

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// The bot posts a digest as its own message and uploads the chart PNG the
// notifier drew into it, instead of the presigned link.
func TestBotUploadsDigestChart(t *testing.T) {
	f := newFakeWebAPI(t)
	n := newBot(t, f, newMemThreads())
	s := &alert.DigestSummary{From: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Receivers: []string{"ops"}, Totals: map[string]int{"notification": 2},
		Rows: []alert.DigestRow{{Kind: "notification", Account: "<!channel>", Severity: "high", Count: 2}}}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{9}, 64)...)
	a := alert.Alert{ID: alert.DigestID("wk", s.From, s.To), Source: alert.SourceSweeper, State: alert.StateEvent, Severity: alert.SeverityInfo,
		Title: alert.DigestTitle(s), Digest: s, Graph: png, GraphURL: "https://b.s3.amazonaws.com/g.png?X-Amz-Signature=x",
		Labels: map[string]string{alert.LabelDetailType: alert.DetailTypeDigest}}
	if _, err := n.Notify(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/chat.postMessage", "/api/files.getUploadURLExternal", "/upload/v1/abc", "/api/files.completeUploadExternal"}
	if got := f.paths(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("calls = %v; want %v", got, want)
	}
	msg := string(f.call(0).raw)
	if !strings.Contains(msg, "By kind, account and severity") || !strings.Contains(msg, "Period (UTC)") {
		t.Errorf("message lacks the digest: %s", msg)
	}
	if strings.Contains(msg, "<!channel>") || strings.Contains(msg, "X-Amz-Signature") {
		t.Errorf("message has an unescaped account or the redundant link: %s", msg)
	}
	if up := f.call(2); !bytes.Equal(up.raw, png) {
		t.Errorf("uploaded %d bytes, want the chart", len(up.raw))
	}
}
