package render

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Slack limits. Lengths are counted as textLen does.
const (
	// SlackMaxSectionText is the text limit of a section block.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	SlackMaxSectionText = 3000
	// SlackMaxSectionFields is how many fields one section block may hold.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	SlackMaxSectionFields = 10
	// SlackMaxFieldText is the text limit of one section field.
	// https://docs.slack.dev/reference/block-kit/blocks/section-block
	SlackMaxFieldText = 2000
	// SlackMaxHeaderText is the text limit of a header block.
	// https://docs.slack.dev/reference/block-kit/blocks/header-block
	SlackMaxHeaderText = 150
	// SlackMaxBlocks is how many blocks one message may hold.
	// https://docs.slack.dev/reference/block-kit/blocks
	SlackMaxBlocks = 50
	// SlackMaxContextElements is how many elements one context block may hold.
	// https://docs.slack.dev/reference/block-kit/blocks/context-block
	SlackMaxContextElements = 10
	// SlackMaxFallbackText caps the top-level text, the notification and
	// accessibility fallback of a message with blocks; Slack advises staying
	// under 4,000 characters.
	// https://docs.slack.dev/reference/methods/chat.postMessage#truncating
	SlackMaxFallbackText = 4000
)

// maxSlackLabelKey caps a label name shown as a field title.
const maxSlackLabelKey = 100

// SlackMessage is the body of an incoming-webhook post, and of a
// chat.postMessage call once Channel is set.
type SlackMessage struct {
	// Channel is the conversation id for chat.postMessage; webhooks ignore it.
	Channel string `json:"channel,omitempty"`
	// Text is the notification fallback.
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
	// UnfurlLinks and UnfurlMedia are false: console links need no previews.
	UnfurlLinks bool `json:"unfurl_links"`
	UnfurlMedia bool `json:"unfurl_media"`
}

var stateEmoji = map[alert.State]string{
	alert.StateAlarm:            ":rotating_light:",
	alert.StateOK:               ":white_check_mark:",
	alert.StateInsufficientData: ":grey_question:",
	alert.StateFinding:          ":warning:",
	alert.StateRemediated:       ":hammer_and_wrench:",
	alert.StateEvent:            ":information_source:",
}

var severityEmoji = map[string]string{
	alert.SeverityCritical: ":red_circle:",
	alert.SeverityHigh:     ":large_orange_circle:",
	alert.SeverityMedium:   ":large_yellow_circle:",
	alert.SeverityLow:      ":large_blue_circle:",
	alert.SeverityInfo:     ":white_circle:",
}

func emojiFor(m map[string]string, k string) string {
	if e, ok := m[k]; ok {
		return e
	}
	return ":grey_question:"
}

// Slack renders a as Block Kit: a header with state and severity, the reason,
// the description, fields for the metric, account, region and times, the
// CloudTrail caller when there is one, resources, labels, links and the alert
// id. Outside text is escaped (SlackEscape, SlackMrkdwn, SlackCode) and every
// block stays within Slack's limits.
func Slack(a alert.Alert, opts Options) SlackMessage {
	v := newView(a, opts)
	var blocks []slack.Block

	se := stateEmoji[v.state]
	if se == "" {
		se = ":bell:"
	}
	lead := se + " " + emojiFor(severityEmoji, v.severity) + " "
	blocks = append(blocks, slack.NewHeaderBlock(plainText(
		lead+fit(v.headline(), SlackMaxHeaderText-textLen(lead), slackEntityEscaper))))

	if v.reason != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(fit(v.reason, SlackMaxSectionText, slackMrkdwnEscaper)), nil, nil))
	}
	if v.description != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(fit(v.description, SlackMaxSectionText, slackMrkdwnEscaper)), nil, nil))
	}
	blocks = append(blocks, slackFieldSections(v.facts)...)
	if v.logHeading != "" {
		items := make([]string, len(v.logLines))
		for i, l := range v.logLines {
			items[i] = slackCode(l, SlackMaxFieldText)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(
			joinFit("*"+fit(v.logHeading, 200, slackMrkdwnEscaper)+"*\n", items, "\n", SlackMaxSectionText)), nil, nil))
	}
	blocks = append(blocks, slackGroupBlocks(v)...)
	if len(v.trail) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText("*CloudTrail*"), nil, nil))
		blocks = append(blocks, slackFieldSections(v.trail)...)
	}
	if len(v.resources) > 0 {
		items := make([]string, len(v.resources))
		for i, r := range v.resources {
			items[i] = "• " + slackCode(r, SlackMaxFieldText)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(joinFit("*Resources*\n", items, "\n", SlackMaxSectionText)), nil, nil))
	}
	blocks = append(blocks, slackFieldSections(v.labels)...)
	if len(v.links) > 0 {
		items := make([]string, len(v.links))
		for i, l := range v.links {
			items[i] = slackLink(l)
		}
		blocks = append(blocks, slack.NewSectionBlock(mrkdwnText(joinFit("", items, "  ·  ", SlackMaxSectionText)), nil, nil))
	}
	blocks = append(blocks, slackGraphBlocks(v)...)
	if v.id != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwnText("Alert "+slackCode(v.id, SlackMaxSectionText-len("Alert ")))))
	}
	if len(blocks) > SlackMaxBlocks {
		blocks = append(blocks[:SlackMaxBlocks-1:SlackMaxBlocks-1],
			slack.NewContextBlock("", mrkdwnText(TruncationMarker)))
	}
	return SlackMessage{
		Text:   fit(v.headline(), SlackMaxFallbackText, slackMrkdwnEscaper),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

// slackFieldSections lays facts out as two-column fields, up to
// SlackMaxSectionFields per section.
func slackFieldSections(facts []fact) []slack.Block {
	var out []slack.Block
	for len(facts) > 0 {
		n := min(len(facts), SlackMaxSectionFields)
		fields := make([]*slack.TextBlockObject, n)
		for i, f := range facts[:n] {
			title := "*" + fit(f.name, maxSlackLabelKey, slackMrkdwnEscaper) + "*\n"
			budget := SlackMaxFieldText - textLen(title)
			if f.code {
				fields[i] = mrkdwnText(title + slackCode(f.value, budget))
			} else {
				fields[i] = mrkdwnText(title + fit(f.value, budget, slackMrkdwnEscaper))
			}
		}
		out = append(out, slack.NewSectionBlock(nil, fields, nil))
		facts = facts[n:]
	}
	return out
}

func plainText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// mrkdwnText is verbatim so Slack does not turn bare names, channels and URLs
// in outside text into mentions or links.
func mrkdwnText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// slackCode renders an identifier as inline code within limit characters,
// backticks included.
func slackCode(s string, limit int) string {
	return "`" + fit(s, limit-2, slackCodeEscaper) + "`"
}

// slackLink renders a checked http(s) link as <url|title>.
func slackLink(l alert.Link) string {
	u := strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(l.URL)
	title := strings.ReplaceAll(fit(l.Title, 200, slackMrkdwnEscaper), "|", "∣")
	return "<" + u + "|" + title + ">"
}

// SlackEscape escapes Slack's control characters &, < and > as entities, so
// outside text cannot form <!channel>-style mentions or <url|text> links.
// https://docs.slack.dev/messaging/formatting-message-text#escaping
func SlackEscape(s string) string { return escape(s, slackEntityEscaper) }

// SlackMrkdwn escapes s for a mrkdwn text object: SlackEscape, plus the
// formatting characters *, _, ~ and ` replaced by look-alikes (∗ ˍ ∼ ˋ), since
// mrkdwn has no escape for them, and a word joiner after @ in @here,
// @channel and @everyone.
func SlackMrkdwn(s string) string { return escape(s, slackMrkdwnEscaper) }

// SlackCode escapes s for the inside of an inline code span: entities, and
// backticks replaced by ˋ so the span cannot be closed early.
func SlackCode(s string) string { return escape(s, slackCodeEscaper) }

func slackEntityEscaper(_ string, r rune, _ string) (string, bool) {
	switch r {
	case '&':
		return "&amp;", true
	case '<':
		return "&lt;", true
	case '>':
		return "&gt;", true
	}
	return "", false
}

func slackMrkdwnEscaper(before string, r rune, rest string) (string, bool) {
	switch r {
	case '*':
		return "∗", true
	case '_':
		return "ˍ", true
	case '~':
		return "∼", true
	case '`':
		return "ˋ", true
	case '@':
		if broadcastMention(rest) {
			return "@\u2060", true
		}
		return "", false
	}
	return slackEntityEscaper(before, r, rest)
}

func slackCodeEscaper(before string, r rune, rest string) (string, bool) {
	switch r {
	case '`':
		return "ˋ", true
	case '\n':
		return " ", true
	}
	return slackEntityEscaper(before, r, rest)
}

// broadcastMention reports whether rest starts with a word Slack turns into a
// broadcast when it follows @.
func broadcastMention(rest string) bool {
	for _, w := range []string{"here", "channel", "everyone"} {
		if len(rest) >= len(w) && strings.EqualFold(rest[:len(w)], w) {
			return true
		}
	}
	return false
}
