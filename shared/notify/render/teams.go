package render

import (
	"encoding/json"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// TeamsMaxMessageBytes caps the serialized Workflows webhook body: Teams
// rejects messages over about 28 KB.
// https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-messages-using-curl-and-powershell
const TeamsMaxMessageBytes = 28 * 1000

// Adaptive Card constants of the Teams payload.
const (
	TeamsCardContentType = "application/vnd.microsoft.card.adaptive"
	AdaptiveCardSchema   = "http://adaptivecards.io/schemas/adaptive-card.json"
	AdaptiveCardVersion  = "1.4"
)

// TeamsMessage is the body a Teams Workflows webhook ("Post to a channel when
// a webhook request is received") accepts: one Adaptive Card attachment.
type TeamsMessage struct {
	Type        string            `json:"type"`
	Attachments []TeamsAttachment `json:"attachments"`
}

// TeamsAttachment wraps the card.
type TeamsAttachment struct {
	ContentType string       `json:"contentType"`
	ContentURL  *string      `json:"contentUrl"`
	Content     AdaptiveCard `json:"content"`
}

// AdaptiveCard is the subset of Adaptive Card 1.4 the renderer uses.
// https://adaptivecards.io/explorer/AdaptiveCard.html
type AdaptiveCard struct {
	Schema  string        `json:"$schema"`
	Type    string        `json:"type"`
	Version string        `json:"version"`
	Body    []CardElement `json:"body"`
	MSTeams *CardMSTeams  `json:"msteams,omitempty"`
}

// CardMSTeams holds Teams-specific card settings.
type CardMSTeams struct {
	Width string `json:"width,omitempty"`
}

// CardElement is a TextBlock or a FactSet.
type CardElement struct {
	Type      string `json:"type"`
	Text      string `json:"text,omitempty"`
	Size      string `json:"size,omitempty"`
	Weight    string `json:"weight,omitempty"`
	Color     string `json:"color,omitempty"`
	Wrap      bool   `json:"wrap,omitempty"`
	IsSubtle  bool   `json:"isSubtle,omitempty"`
	Separator bool   `json:"separator,omitempty"`
	Facts     []Fact `json:"facts,omitempty"`
}

// Fact is one row of a FactSet.
type Fact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsBudgets are the per-text caps tried in turn until the card fits
// TeamsMaxMessageBytes.
var teamsBudgets = []int{4000, 1500, 500, 150, 40}

// Teams renders a as an Adaptive Card inside a Workflows webhook message.
// Outside text is escaped with TeamsMarkdown; when the card would exceed
// TeamsMaxMessageBytes, texts are cut to smaller budgets, and as a last resort
// only the headline is kept.
func Teams(a alert.Alert, opts Options) TeamsMessage {
	v := newView(a, opts)
	for _, budget := range teamsBudgets {
		m := teamsMessage(v, budget)
		if b, err := json.Marshal(m); err == nil && len(b) <= TeamsMaxMessageBytes {
			return m
		}
	}
	return wrapCard([]CardElement{
		{Type: "TextBlock", Text: fit(v.headline(), 200, teamsEscaper), Size: "Large", Weight: "Bolder", Wrap: true, Color: teamsColor(v)},
		{Type: "TextBlock", Text: TruncationMarker, Wrap: true, IsSubtle: true},
	})
}

func teamsMessage(v view, budget int) TeamsMessage {
	body := []CardElement{{
		Type: "TextBlock", Text: fit(v.headline(), min(budget, 400), teamsEscaper),
		Size: "Large", Weight: "Bolder", Wrap: true, Color: teamsColor(v),
	}}
	if v.reason != "" {
		body = append(body, CardElement{Type: "TextBlock", Text: fit(v.reason, budget, teamsEscaper), Wrap: true})
	}
	if v.description != "" {
		body = append(body, CardElement{Type: "TextBlock", Text: fit(v.description, budget, teamsEscaper), Wrap: true, IsSubtle: true})
	}
	body = append(body, teamsFacts(v.facts, budget))
	if v.logHeading != "" {
		items := make([]string, len(v.logLines))
		for i, l := range v.logLines {
			items[i] = "- " + fit(l, budget, teamsEscaper)
		}
		body = append(body,
			CardElement{Type: "TextBlock", Text: fit(v.logHeading, 200, teamsEscaper), Weight: "Bolder", Separator: true, Wrap: true})
		if len(items) > 0 {
			body = append(body, CardElement{Type: "TextBlock", Text: joinFit("", items, "\n", budget*4), Wrap: true})
		}
	}
	body = append(body, teamsGroupElements(v, budget)...)
	if len(v.trail) > 0 {
		body = append(body,
			CardElement{Type: "TextBlock", Text: "CloudTrail", Weight: "Bolder", Separator: true},
			teamsFacts(v.trail, budget))
	}
	if len(v.resources) > 0 {
		items := make([]string, len(v.resources))
		for i, r := range v.resources {
			items[i] = "- " + fit(r, budget, teamsEscaper)
		}
		body = append(body,
			CardElement{Type: "TextBlock", Text: "Resources", Weight: "Bolder", Separator: true},
			CardElement{Type: "TextBlock", Text: joinFit("", items, "\n", budget*4), Wrap: true})
	}
	if len(v.labels) > 0 {
		body = append(body, teamsFacts(v.labels, budget))
	}
	if len(v.links) > 0 {
		items := make([]string, len(v.links))
		for i, l := range v.links {
			items[i] = teamsLink(l)
		}
		body = append(body, CardElement{Type: "TextBlock", Text: joinFit("", items, " · ", budget*4), Wrap: true, Separator: true})
	}
	if v.id != "" {
		body = append(body, CardElement{Type: "TextBlock", Text: "Alert " + fit(v.id, min(budget, 200), teamsEscaper), IsSubtle: true, Size: "Small", Wrap: true})
	}
	return wrapCard(body)
}

func wrapCard(body []CardElement) TeamsMessage {
	return TeamsMessage{
		Type: "message",
		Attachments: []TeamsAttachment{{
			ContentType: TeamsCardContentType,
			Content: AdaptiveCard{
				Schema:  AdaptiveCardSchema,
				Type:    "AdaptiveCard",
				Version: AdaptiveCardVersion,
				Body:    body,
				MSTeams: &CardMSTeams{Width: "Full"},
			},
		}},
	}
}

func teamsFacts(facts []fact, budget int) CardElement {
	fs := make([]Fact, len(facts))
	for i, f := range facts {
		fs[i] = Fact{Title: fit(f.name, min(budget, 100), teamsEscaper), Value: fit(f.value, budget, teamsEscaper)}
	}
	return CardElement{Type: "FactSet", Facts: fs}
}

func teamsColor(v view) string {
	switch {
	case v.state.Resolved():
		return "Good"
	case v.state == alert.StateAlarm || v.state == alert.StateFinding:
		if v.severity == alert.SeverityCritical || v.severity == alert.SeverityHigh {
			return "Attention"
		}
		return "Warning"
	}
	return "Default"
}

// teamsLink renders a checked link as [title](url) with the characters that
// could end the URL early percent-encoded.
func teamsLink(l alert.Link) string {
	u := strings.NewReplacer("(", "%28", ")", "%29", "[", "%5B", "]", "%5D", "<", "%3C", ">", "%3E", " ", "%20").Replace(l.URL)
	return "[" + fit(l.Title, 200, teamsEscaper) + "](" + u + ")"
}

// TeamsMarkdown escapes s for an Adaptive Card TextBlock or Fact, whose text
// is a CommonMark subset: markdown punctuation (\ * _ [ ] ( ) # < > { } ~ ` &
// |) gets a backslash, and so do list markers at the start of a line ("-",
// "+", "1."), so outside text renders literally.
// https://learn.microsoft.com/en-us/adaptive-cards/authoring-cards/text-features
func TeamsMarkdown(s string) string { return escape(s, teamsEscaper) }

func teamsEscaper(before string, r rune, rest string) (string, bool) {
	switch r {
	case '\\', '*', '_', '[', ']', '(', ')', '#', '<', '>', '{', '}', '~', '`', '&', '|', '!':
		return `\` + string(r), true
	case '-', '+', '.':
		if !listMarkerEnd(rest) {
			return "", false
		}
		line := strings.TrimLeft(before[strings.LastIndexByte(before, '\n')+1:], " ")
		if r == '.' {
			if line != "" && strings.Trim(line, "0123456789") == "" {
				return `\.`, true
			}
			return "", false
		}
		if line == "" {
			return `\` + string(r), true
		}
	}
	return "", false
}

// listMarkerEnd reports whether a list marker followed by rest would start a
// list item: CommonMark wants a space, a tab or the end of the line after it.
func listMarkerEnd(rest string) bool {
	return rest == "" || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n'
}
