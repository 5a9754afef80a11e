package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// checkSlackLimits fails when m breaks any Slack limit.
func checkSlackLimits(t *testing.T, m SlackMessage) {
	t.Helper()
	if n := len(m.Blocks.BlockSet); n > SlackMaxBlocks {
		t.Errorf("%d blocks, limit %d", n, SlackMaxBlocks)
	}
	if n := textLen(m.Text); n > SlackMaxFallbackText {
		t.Errorf("fallback text %d long", n)
	}
	for i, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := textLen(b.Text.Text); n > SlackMaxHeaderText {
				t.Errorf("block %d: header %d long", i, n)
			}
		case *slack.SectionBlock:
			if b.Text != nil && textLen(b.Text.Text) > SlackMaxSectionText {
				t.Errorf("block %d: section text %d long", i, textLen(b.Text.Text))
			}
			if len(b.Fields) > SlackMaxSectionFields {
				t.Errorf("block %d: %d fields", i, len(b.Fields))
			}
			for _, f := range b.Fields {
				if textLen(f.Text) > SlackMaxFieldText {
					t.Errorf("block %d: field %d long", i, textLen(f.Text))
				}
			}
		case *slack.ContextBlock:
			if n := len(b.ContextElements.Elements); n > SlackMaxContextElements {
				t.Errorf("block %d: %d context elements", i, n)
			}
		default:
			t.Errorf("block %d: unexpected type %T", i, b)
		}
	}
}

func TestGoldenAlertsWithinLimits(t *testing.T) {
	opts := testOptions(t)
	for _, name := range goldenAlerts {
		a := loadAlert(t, name)
		checkSlackLimits(t, Slack(a, opts))
		b, _ := json.Marshal(Teams(a, opts))
		if len(b) > TeamsMaxMessageBytes {
			t.Errorf("%s: teams card %d bytes", name, len(b))
		}
		if strings.Contains(string(b), TruncationMarker) {
			t.Errorf("%s: small card was truncated", name)
		}
	}
}

func header(m SlackMessage) string { return m.Blocks.BlockSet[0].(*slack.HeaderBlock).Text.Text }

func TestSlackHeaderAtLimit(t *testing.T) {
	a := alert.Alert{State: alert.StateAlarm, Severity: alert.SeverityHigh}
	lead := ":rotating_light: :large_orange_circle: ALARM: "
	a.Title = strings.Repeat("t", SlackMaxHeaderText-len(lead))
	if got := header(Slack(a, Options{})); got != lead+a.Title || textLen(got) != SlackMaxHeaderText {
		t.Errorf("header at the limit changed: %q (%d)", got, textLen(got))
	}
	a.Title += "u"
	got := header(Slack(a, Options{}))
	if textLen(got) > SlackMaxHeaderText || !strings.HasSuffix(got, TruncationMarker) {
		t.Errorf("header over the limit: %q (%d)", got, textLen(got))
	}
	// Escapes count and are never split.
	a.Title = strings.Repeat("&", SlackMaxHeaderText)
	got = header(Slack(a, Options{}))
	body := strings.TrimSuffix(strings.TrimPrefix(got, lead), TruncationMarker)
	if textLen(got) > SlackMaxHeaderText || strings.ReplaceAll(body, "&amp;", "") != "" {
		t.Errorf("escaped header cut badly: %q", got)
	}
}

func sectionText(t *testing.T, m SlackMessage, i int) string {
	t.Helper()
	s, ok := m.Blocks.BlockSet[i].(*slack.SectionBlock)
	if !ok || s.Text == nil {
		t.Fatalf("block %d is %T, not a text section", i, m.Blocks.BlockSet[i])
	}
	return s.Text.Text
}

func TestSlackSectionTextAtLimit(t *testing.T) {
	a := alert.Alert{State: alert.StateAlarm, Title: "t", Reason: strings.Repeat("r", SlackMaxSectionText)}
	if got := sectionText(t, Slack(a, Options{}), 1); got != a.Reason {
		t.Errorf("reason at the limit changed (%d chars)", textLen(got))
	}
	a.Reason += "r"
	got := sectionText(t, Slack(a, Options{}), 1)
	if textLen(got) != SlackMaxSectionText || !strings.HasSuffix(got, TruncationMarker) {
		t.Errorf("reason over the limit: %d chars, suffix %q", textLen(got), got[len(got)-20:])
	}
	// Multi-byte and astral characters: counted in UTF-16 units, cut on rune boundaries.
	a.Reason = strings.Repeat("😀", SlackMaxSectionText)
	got = sectionText(t, Slack(a, Options{}), 1)
	if textLen(got) > SlackMaxSectionText || !utf8.ValidString(got) {
		t.Errorf("emoji reason: %d units, valid=%v", textLen(got), utf8.ValidString(got))
	}
}

func labelAlert(n, valueLen int) alert.Alert {
	a := alert.Alert{State: alert.StateAlarm, Title: "t", Severity: alert.SeverityHigh, Labels: map[string]string{}}
	for i := range n {
		a.Labels[fmt.Sprintf("k%04d", i)] = strings.Repeat("v", valueLen)
	}
	return a
}

func TestSlackFieldsPerSection(t *testing.T) {
	m := Slack(labelAlert(25, 3), Options{})
	checkSlackLimits(t, m)
	var counts []int
	for _, b := range m.Blocks.BlockSet[2:] {
		counts = append(counts, len(b.(*slack.SectionBlock).Fields))
	}
	if fmt.Sprint(counts) != "[10 10 5]" {
		t.Errorf("label fields per section = %v, want [10 10 5]", counts)
	}
}

func TestSlackFieldTextAtLimit(t *testing.T) {
	title := "*k0000*\n"
	fieldOf := func(m SlackMessage) string { return m.Blocks.BlockSet[2].(*slack.SectionBlock).Fields[0].Text }
	exact := labelAlert(1, SlackMaxFieldText-len(title)-2)
	if got := fieldOf(Slack(exact, Options{})); textLen(got) != SlackMaxFieldText || strings.Contains(got, TruncationMarker) {
		t.Errorf("field at the limit changed: %d chars", textLen(got))
	}
	over := labelAlert(1, SlackMaxFieldText)
	got := fieldOf(Slack(over, Options{}))
	if textLen(got) > SlackMaxFieldText || !strings.HasSuffix(got, TruncationMarker+"`") {
		t.Errorf("field over the limit: %d chars, ends %q", textLen(got), got[len(got)-20:])
	}
}

func TestSlackBlocksAtLimit(t *testing.T) {
	// header + one fact section + labels/10 sections.
	at := Slack(labelAlert((SlackMaxBlocks-2)*SlackMaxSectionFields, 3), Options{})
	checkSlackLimits(t, at)
	if n := len(at.Blocks.BlockSet); n != SlackMaxBlocks {
		t.Fatalf("%d blocks, want exactly %d", n, SlackMaxBlocks)
	}
	if _, ok := at.Blocks.BlockSet[SlackMaxBlocks-1].(*slack.SectionBlock); !ok {
		t.Error("message at the limit was truncated")
	}
	over := Slack(labelAlert((SlackMaxBlocks-2)*SlackMaxSectionFields+1, 3), Options{})
	checkSlackLimits(t, over)
	last, ok := over.Blocks.BlockSet[len(over.Blocks.BlockSet)-1].(*slack.ContextBlock)
	if len(over.Blocks.BlockSet) != SlackMaxBlocks || !ok {
		t.Fatalf("over the limit: %d blocks, last %T", len(over.Blocks.BlockSet), over.Blocks.BlockSet[len(over.Blocks.BlockSet)-1])
	}
	if txt := last.ContextElements.Elements[0].(*slack.TextBlockObject).Text; txt != TruncationMarker {
		t.Errorf("last block says %q", txt)
	}
}

func TestSlackHugeAlertWithinLimits(t *testing.T) {
	a := labelAlert(700, 5000)
	a.Title = strings.Repeat("<!channel>", 1000)
	a.Reason = strings.Repeat("&", 10000)
	a.Description = strings.Repeat("line\n", 10000)
	for i := range 300 {
		a.Resources = append(a.Resources, alert.Resource{ARN: fmt.Sprintf("arn:aws:s3:::bucket-%d-%s", i, strings.Repeat("x", 100))})
		a.Links = append(a.Links, alert.Link{Title: "l", URL: fmt.Sprintf("https://example.com/%d?a=1&b=2", i)})
	}
	m := Slack(a, Options{MaxLogLines: 100000})
	checkSlackLimits(t, m)
	var res string
	for _, b := range m.Blocks.BlockSet {
		if s, ok := b.(*slack.SectionBlock); ok && s.Text != nil && strings.HasPrefix(s.Text.Text, "*Resources*") {
			res = s.Text.Text
		}
	}
	if res == "" || !strings.HasSuffix(res, TruncationMarker) {
		t.Errorf("resource list not truncated cleanly: %q", res[max(0, len(res)-50):])
	}
}

func teamsSize(t *testing.T, m TeamsMessage) int {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

func TestTeamsCardAtLimit(t *testing.T) {
	// Find the largest label count whose full card fits, then check that it
	// is sent whole and that one more label makes a truncated card that still fits.
	fits := func(n int) bool {
		return teamsSize(t, teamsMessage(newView(labelAlert(n, 100), Options{}), teamsBudgets[0])) <= TeamsMaxMessageBytes
	}
	lo, hi := 1, 1000
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	at := Teams(labelAlert(lo, 100), Options{})
	if n := teamsSize(t, at); n > TeamsMaxMessageBytes || strings.Contains(fmt.Sprint(at), TruncationMarker) {
		t.Errorf("card at the limit (%d labels, %d bytes) was truncated or too big", lo, n)
	}
	over := Teams(labelAlert(lo+1, 100), Options{})
	if n := teamsSize(t, over); n > TeamsMaxMessageBytes {
		t.Errorf("card over the limit is %d bytes", n)
	}
	b, _ := json.Marshal(over)
	if !strings.Contains(string(b), TruncationMarker) {
		t.Error("card over the limit shows no truncation marker")
	}
}

func TestTeamsHugeAlertWithinLimits(t *testing.T) {
	a := labelAlert(2000, 2000)
	a.Title = strings.Repeat("*", 100000)
	a.Description = strings.Repeat("x", 100000)
	m := Teams(a, Options{})
	if n := teamsSize(t, m); n > TeamsMaxMessageBytes {
		t.Fatalf("card is %d bytes", n)
	}
	if m.Attachments[0].Content.Body[0].Size != "Large" {
		t.Error("headline lost")
	}
}

func TestTextAtSNSLimit(t *testing.T) {
	a := alert.Alert{State: alert.StateAlarm, Title: "t", Description: "d"}
	base := len(Text(a, Options{})) - 1
	a.Description = strings.Repeat("d", SNSMaxMessageBytes-base)
	got := Text(a, Options{})
	if len(got) != SNSMaxMessageBytes || strings.Contains(got, TruncationMarker) {
		t.Errorf("text at the limit: %d bytes, truncated=%v", len(got), strings.Contains(got, TruncationMarker))
	}
	a.Description = strings.Repeat("é", SNSMaxMessageBytes)
	got = Text(a, Options{})
	if len(got) > SNSMaxMessageBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, TruncationMarker) {
		t.Errorf("text over the limit: %d bytes, valid=%v", len(got), utf8.ValidString(got))
	}
}

func TestMaxLogLines(t *testing.T) {
	a := alert.Alert{State: alert.StateAlarm, Title: "t", Description: strings.TrimSuffix(strings.Repeat("line\n", 30), "\n")}
	shown := func(s string) (n int) {
		for _, l := range strings.Split(s, "\n") {
			if l == "line" {
				n++
			}
		}
		return n
	}
	got := Text(a, Options{MaxLogLines: 5})
	if shown(got) != 5 || !strings.Contains(got, "line\n…(25 more lines)") {
		t.Errorf("MaxLogLines 5:\n%s", got)
	}
	if got := Text(a, Options{}); shown(got) != DefaultMaxLogLines {
		t.Errorf("default shows %d lines", shown(got))
	}
}

func TestEMLStructure(t *testing.T) {
	opts := testOptions(t)
	opts.GraphPNG = tinyPNG(t)
	a := loadAlert(t, "metric_alarm")
	a.Title = "Überlast – " + strings.Repeat("ä", 300)
	raw := EML("Watchkeeper <alerts@example.com>", []string{"oncall@example.com", "bad\r\nBcc: victim@example.com"}, a, opts)
	for i, line := range bytes.Split(raw, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("line %d is %d bytes", i, len(line))
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Bcc") != "" || bytes.Contains(raw, []byte("\r\nBcc:")) {
		t.Error("address injected a header")
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(subject, "[ALARM] high: Überlast – ää") || !strings.HasSuffix(subject, TruncationMarker) || textLen(subject) > maxEmailSubject {
		t.Errorf("subject %q", subject)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(opts.Now()) {
		t.Errorf("Date %v %v", d, err)
	}
	if id := msg.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q", id)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "oncall@example.com" {
		t.Errorf("To = %v, %v", to, err)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/related" {
		t.Fatalf("content type %q %v", mt, err)
	}
	rel := multipart.NewReader(msg.Body, params["boundary"])
	altPart, err := rel.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	_, altParams, _ := mime.ParseMediaType(altPart.Header.Get("Content-Type"))
	alt := multipart.NewReader(altPart, altParams["boundary"])
	var types []string
	for {
		p, err := alt.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p) // multipart decodes quoted-printable
		types = append(types, p.Header.Get("Content-Type"))
		if !strings.Contains(string(body), "Überlast") {
			t.Errorf("%s part lacks the title", p.Header.Get("Content-Type"))
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") && !strings.Contains(string(body), `src="cid:`+graphCID+`"`) {
			t.Error("html does not reference the inline graph")
		}
	}
	if fmt.Sprint(types) != "[text/plain; charset=utf-8 text/html; charset=utf-8]" {
		t.Errorf("alternative parts %v", types)
	}
	img, err := rel.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	if img.Header.Get("Content-Type") != "image/png" || img.Header.Get("Content-Id") != "<"+graphCID+">" {
		t.Errorf("image part headers %v", img.Header)
	}
	b64, _ := io.ReadAll(img)
	if !bytes.Equal(decodeB64(t, b64), opts.GraphPNG) {
		t.Error("image part does not decode to the PNG")
	}
}
