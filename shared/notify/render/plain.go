package render

import (
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// SNSMaxMessageBytes is the largest SNS message (UTF-8 bytes).
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
const SNSMaxMessageBytes = 256 * 1024

// Text renders a as plain text for SNS subscribers (e-mail, SMS, chat
// integrations that show the message as is): a headline, the reason, the
// description and "Name: value" lines. Control and bidirectional-override
// characters from outside are removed; the result is at most
// SNSMaxMessageBytes.
func Text(a alert.Alert, opts Options) string {
	v := newView(a, opts)
	var b strings.Builder
	b.WriteString("[" + stateWord(v.state) + "] " + v.severity + ": " + v.title + "\n")
	if v.reason != "" {
		b.WriteString("\n" + v.reason + "\n")
	}
	if v.description != "" {
		b.WriteString("\n" + v.description + "\n")
	}
	b.WriteString("\n")
	for _, f := range v.facts {
		b.WriteString(f.name + ": " + f.value + "\n")
	}
	if v.logHeading != "" {
		b.WriteString(v.logHeading + ":\n")
		for _, l := range v.logLines {
			b.WriteString("  " + l + "\n")
		}
	}
	writeGroupText(&b, v, "  ", func(s string) string { return s })
	for _, f := range v.trail {
		b.WriteString(f.name + ": " + f.value + "\n")
	}
	for _, r := range v.resources {
		b.WriteString("Resource: " + r + "\n")
	}
	for _, f := range v.labels {
		b.WriteString(f.name + "=" + f.value + "\n")
	}
	for _, l := range v.links {
		b.WriteString(l.Title + ": " + l.URL + "\n")
	}
	if v.id != "" {
		b.WriteString("Alert: " + v.id + "\n")
	}
	return fitBytes(b.String(), SNSMaxMessageBytes)
}

// PlainText is the escaping Text applies to outside values: invalid UTF-8
// replaced, line breaks and tabs turned into spaces, other control and
// bidirectional-override characters removed.
func PlainText(s string) string { return clean(s) }
