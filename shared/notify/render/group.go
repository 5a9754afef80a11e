package render

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// MaxGroupLines caps the members a group message lists; the others are
// counted in a last line. Vendor limits may cut the list shorter, with
// TruncationMarker.
const MaxGroupLines = 25

// maxGroupLineText caps one member line (its title is outside text).
const maxGroupLineText = 300

// groupLines is the heading and the cleaned member lines of a group message:
// "ALARM high: <title> (2026-11-25 10:00:01 UTC)", most recent first, and
// "+N more not listed" when the group holds more than it lists.
func groupLines(g *alert.Group) (string, []string) {
	if g == nil {
		return "", nil
	}
	heading := fmt.Sprintf("Alerts in this group (%d)", g.Count)
	var lines []string
	for i, m := range g.Members {
		if i == MaxGroupLines {
			break
		}
		title := clean(m.Title)
		if title == "" {
			title = clean(m.ID)
		}
		line := clean(string(m.State)) + " " + clean(m.Severity) + ": " + title
		if !m.Time.IsZero() {
			line += " (" + m.Time.UTC().Format("2006-01-02 15:04:05 MST") + ")"
		}
		lines = append(lines, cut(line, maxGroupLineText))
	}
	if more := g.Count - len(lines); more > 0 {
		lines = append(lines, fmt.Sprintf("+%d more not listed", more))
	}
	return heading, lines
}

// slackGroupBlocks is the member list as one section, within Slack's limit.
func slackGroupBlocks(v view) []slack.Block {
	if v.groupHeading == "" {
		return nil
	}
	items := make([]string, len(v.groupLines))
	for i, l := range v.groupLines {
		items[i] = "• " + fit(l, maxGroupLineText, slackMrkdwnEscaper)
	}
	return []slack.Block{slack.NewSectionBlock(mrkdwnText(
		joinFit("*"+fit(v.groupHeading, 200, slackMrkdwnEscaper)+"*\n", items, "\n", SlackMaxSectionText)), nil, nil)}
}

// teamsGroupElements is the member list as a heading and one text block.
func teamsGroupElements(v view, budget int) []CardElement {
	if v.groupHeading == "" {
		return nil
	}
	items := make([]string, len(v.groupLines))
	for i, l := range v.groupLines {
		items[i] = "- " + fit(l, budget, teamsEscaper)
	}
	return []CardElement{
		{Type: "TextBlock", Text: fit(v.groupHeading, 200, teamsEscaper), Weight: "Bolder", Separator: true, Wrap: true},
		{Type: "TextBlock", Text: joinFit("", items, "\n", budget*4), Wrap: true},
	}
}

// writeGroupText writes the member list to a plain-text body.
func writeGroupText(b *strings.Builder, v view, indent string, each func(string) string) {
	if v.groupHeading == "" {
		return
	}
	b.WriteString(v.groupHeading + ":\n")
	for _, l := range v.groupLines {
		b.WriteString(indent + each(l) + "\n")
	}
}

// WebhookGroup is the group of a group message in the Webhook body.
type WebhookGroup struct {
	Key     string               `json:"key"`
	Labels  map[string]string    `json:"labels,omitempty"`
	Count   int                  `json:"count"`
	Since   string               `json:"since,omitempty"`
	Members []WebhookGroupMember `json:"members"`
}

// WebhookGroupMember is one listed alert of a group.
type WebhookGroupMember struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Severity string `json:"severity"`
	State    string `json:"state"`
	Time     string `json:"time,omitempty"`
}

// maxWebhookGroupMembers caps the members a webhook body lists, so the body
// stays far below the SNS and webhook size limits whatever the titles.
const maxWebhookGroupMembers = 100

func newWebhookGroup(g *alert.Group) *WebhookGroup {
	if g == nil {
		return nil
	}
	w := &WebhookGroup{Key: g.Key, Labels: g.Labels, Count: g.Count, Members: []WebhookGroupMember{}}
	if !g.Since.IsZero() {
		w.Since = g.Since.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
	}
	for i, m := range g.Members {
		if i == maxWebhookGroupMembers {
			break
		}
		wm := WebhookGroupMember{ID: m.ID, Title: cut(m.Title, maxGroupLineText), Severity: m.Severity, State: string(m.State)}
		if !m.Time.IsZero() {
			wm.Time = m.Time.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		w.Members = append(w.Members, wm)
	}
	return w
}
