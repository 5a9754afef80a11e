package render

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

func digestAlert(rows, dropped int) alert.Alert {
	s := &alert.DigestSummary{
		From: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Receivers: []string{"ops"}, Totals: map[string]int{"notification": rows}, RowsDropped: dropped,
	}
	for i := range rows {
		s.Rows = append(s.Rows, alert.DigestRow{Kind: "notification", Account: fmt.Sprintf("<!here> acct-%d *%s*", i, strings.Repeat("x", 80)), Severity: "high", Count: 1})
	}
	return alert.Alert{ID: "d", Source: alert.SourceSweeper, State: alert.StateEvent, Severity: alert.SeverityInfo,
		Title: alert.DigestTitle(s), Digest: s, Labels: map[string]string{alert.LabelDetailType: alert.DetailTypeDigest}}
}

func digestSection(t *testing.T, m SlackMessage) string {
	t.Helper()
	for _, b := range m.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && strings.HasPrefix(s.Text.Text, "*By kind, account") {
			return s.Text.Text
		}
	}
	t.Fatal("no digest section")
	return ""
}

func TestDigestRendering(t *testing.T) {
	for _, tc := range []struct {
		name           string
		rows, dropped  int
		wantMore       string
		wantTruncation bool
	}{
		{name: "quiet week", rows: 0, wantMore: "Nothing happened"},
		{name: "a few rows", rows: 3},
		{name: "more than listed", rows: MaxDigestLines + 5, wantMore: "+5 more rows not listed", wantTruncation: true},
		{name: "dropped by the sweeper", rows: 2, dropped: 40, wantMore: "+40 more rows not listed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := digestAlert(tc.rows, tc.dropped)
			m := Slack(a, Options{})
			if n := len(m.Blocks.BlockSet); n > SlackMaxBlocks {
				t.Errorf("%d blocks", n)
			}
			sec := digestSection(t, m)
			if textLen(sec) > SlackMaxSectionText {
				t.Errorf("section is %d chars, limit %d", textLen(sec), SlackMaxSectionText)
			}
			if strings.Contains(sec, "<!here>") {
				t.Errorf("account reached Slack unescaped: %q", sec)
			}
			if tc.wantTruncation && !strings.HasSuffix(sec, TruncationMarker) {
				t.Errorf("long list not cut with the marker: …%q", sec[max(0, len(sec)-40):])
			}
			text := Text(a, Options{})
			if tc.wantMore != "" && !strings.Contains(text, tc.wantMore) {
				t.Errorf("text lacks %q:\n%s", tc.wantMore, text)
			}
			if !strings.Contains(text, "Period (UTC): 2026-11-23 to 2026-11-29") || !strings.Contains(text, fmt.Sprintf("Notification: %d", tc.rows)) {
				t.Errorf("text lacks the totals:\n%s", text)
			}
			teams, _ := json.Marshal(Teams(a, Options{}))
			if !strings.Contains(string(teams), `{"title":"Records","value":"`+fmt.Sprint(tc.rows)+`"}`) || strings.Contains(string(teams), "<!here>") {
				t.Errorf("teams card: %s", teams)
			}
			_, _, html := Email(a, Options{})
			if strings.Contains(html, "<!here>") {
				t.Error("account reached the HTML unescaped")
			}
			var w Webhook
			if err := json.Unmarshal(JSON(a), &w); err != nil {
				t.Fatal(err)
			}
			if w.Digest == nil || len(w.Digest.Rows) != tc.rows || w.Digest.RowsDropped != tc.dropped {
				t.Errorf("webhook digest %+v", w.Digest)
			}
		})
	}
}
