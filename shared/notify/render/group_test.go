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

func stormAlert(n, listed, titleLen int) alert.Alert {
	g := &alert.Group{Key: "root/0:k", Labels: map[string]string{"az": "a"}, Count: n}
	for i := range listed {
		title := fmt.Sprintf("<!channel> *m%d* ", i) + strings.Repeat("x", max(0, titleLen-16))
		g.Members = append(g.Members, alert.GroupMember{ID: fmt.Sprint(i), Title: title, Severity: "high", State: alert.StateAlarm,
			Time: time.Date(2026, 11, 25, 10, 0, i%60, 0, time.UTC)})
	}
	return alert.Alert{ID: "g", Source: "watchkeeper.group", State: alert.StateAlarm, Severity: "high",
		Title: alert.GroupTitle(n, alert.StateAlarm, g.Labels), Labels: map[string]string{"az": "a"}, Group: g}
}

func groupSection(t *testing.T, m SlackMessage) string {
	t.Helper()
	for _, b := range m.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && strings.HasPrefix(s.Text.Text, "*Alerts in this group") {
			return s.Text.Text
		}
	}
	t.Fatal("no group section")
	return ""
}

func TestGroupMembersListed(t *testing.T) {
	a := stormAlert(40, 3, 20)
	m := Slack(a, Options{})
	sec := groupSection(t, m)
	if strings.Count(sec, "\n• ") != 4 || !strings.Contains(sec, "+37 more not listed") || !strings.Contains(sec, "ALARM high: ") {
		t.Errorf("slack group section %q", sec)
	}
	if strings.Contains(sec, "<!channel>") || strings.Contains(sec, "*m0*") {
		t.Errorf("member title not escaped: %q", sec)
	}
	for name, body := range map[string]string{"text": Text(a, Options{}), "teams": fmt.Sprint(Teams(a, Options{}))} {
		if !strings.Contains(body, "Alerts in this group") || !strings.Contains(body, "+37 more not listed") {
			t.Errorf("%s: no member list: %s", name, body)
		}
	}
	subject, text, html := Email(a, Options{})
	if !strings.Contains(subject, "40 alerts firing: az=a") || !strings.Contains(text, "+37 more not listed") ||
		!strings.Contains(html, "<li>ALARM high: &lt;!channel&gt;") {
		t.Errorf("email: %s\n%s\n%s", subject, text, html)
	}
	var w Webhook
	if err := json.Unmarshal(JSON(a), &w); err != nil {
		t.Fatal(err)
	}
	if w.Group == nil || w.Group.Count != 40 || len(w.Group.Members) != 3 || w.Group.Members[0].Title != a.Group.Members[0].Title {
		t.Errorf("webhook group %+v", w.Group)
	}
	// Alerts that are not groups carry no group.
	if plain := loadAlert(t, "metric_alarm"); strings.Contains(Text(plain, Options{}), "Alerts in this group") || NewWebhook(plain).Group != nil {
		t.Error("a single alert shows a group")
	}
}

// A storm of long titles stays inside Slack's section and Teams' card limits
// and says it was cut.
func TestGroupAtVendorLimits(t *testing.T) {
	a := stormAlert(500, 100, 290)
	m := Slack(a, Options{})
	checkSlackLimits(t, m)
	sec := groupSection(t, m)
	if textLen(sec) > SlackMaxSectionText || !strings.HasSuffix(sec, TruncationMarker) {
		t.Errorf("section %d long, ends %q", textLen(sec), sec[max(0, len(sec)-40):])
	}
	tm := Teams(a, Options{})
	if n := teamsSize(t, tm); n > TeamsMaxMessageBytes {
		t.Errorf("teams card %d bytes", n)
	}
	if !strings.Contains(fmt.Sprint(tm), "+475 more not listed") {
		t.Error("teams member list does not count the unlisted alerts")
	}
	if n := len(Text(a, Options{})); n > SNSMaxMessageBytes {
		t.Errorf("text %d bytes", n)
	}
	// Exactly at the line cap: every line listed, nothing counted as more.
	exact := stormAlert(MaxGroupLines, MaxGroupLines, 20)
	_, lines := groupLines(exact.Group)
	if len(lines) != MaxGroupLines || strings.Contains(strings.Join(lines, "\n"), "more not listed") {
		t.Errorf("%d lines at the cap", len(lines))
	}
	over := stormAlert(MaxGroupLines+1, MaxGroupLines+1, 20)
	if _, lines := groupLines(over.Group); len(lines) != MaxGroupLines+1 || lines[MaxGroupLines] != "+1 more not listed" {
		t.Errorf("over the cap: %d lines, last %q", len(lines), lines[len(lines)-1])
	}
}
