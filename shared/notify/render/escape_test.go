package render

import (
	"encoding/json"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSlackEscapers(t *testing.T) {
	tests := []struct {
		name, in, escape, mrkdwn, code string
	}{
		{"plain", "cpu high", "cpu high", "cpu high", "cpu high"},
		{"broadcast link", "<!channel>", "&lt;!channel&gt;", "&lt;!channel&gt;", "&lt;!channel&gt;"},
		{"link injection", "<http://evil|click>", "&lt;http://evil|click&gt;", "&lt;http://evil|click&gt;", "&lt;http://evil|click&gt;"},
		{"ampersand", "a & b &amp;", "a &amp; b &amp;amp;", "a &amp; b &amp;amp;", "a &amp; b &amp;amp;"},
		{"formatting", "*b* _i_ ~s~ `c`", "*b* _i_ ~s~ `c`", "∗b∗ ˍiˍ ∼s∼ ˋcˋ", "*b* _i_ ~s~ ˋcˋ"},
		{"bare mentions", "@here @Channel @everyone @bob", "@here @Channel @everyone @bob", "@\u2060here @\u2060Channel @\u2060everyone @bob", "@here @Channel @everyone @bob"},
		{"code newline", "a\nb", "a\nb", "a\nb", "a b"},
		{"unicode", "Zürich ✓", "Zürich ✓", "Zürich ✓", "Zürich ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SlackEscape(tt.in); got != tt.escape {
				t.Errorf("SlackEscape(%q) = %q, want %q", tt.in, got, tt.escape)
			}
			if got := SlackMrkdwn(tt.in); got != tt.mrkdwn {
				t.Errorf("SlackMrkdwn(%q) = %q, want %q", tt.in, got, tt.mrkdwn)
			}
			if got := SlackCode(tt.in); got != tt.code {
				t.Errorf("SlackCode(%q) = %q, want %q", tt.in, got, tt.code)
			}
		})
	}
}

func TestTeamsMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cpu high", "cpu high"},
		{"**bold** _i_", `\*\*bold\*\* \_i\_`},
		{"[x](https://evil)", `\[x\]\(https://evil\)`},
		{"# title", `\# title`},
		{"- item\n+ item\n  - nested", "\\- item\n\\+ item\n  \\- nested"},
		{"1. first\n10. tenth", "1\\. first\n10\\. tenth"},
		{"a - b, 1.5, 10.0.0.1, -1", "a - b, 1.5, 10.0.0.1, -1"},
		{"<script> & {{DATE(x)}}", `\<script\> \& \{\{DATE\(x\)\}\}`},
		{`back\slash`, `back\\slash`},
		{"![img](x)", `\!\[img\]\(x\)`},
	}
	for _, tt := range tests {
		if got := TeamsMarkdown(tt.in); got != tt.want {
			t.Errorf("TeamsMarkdown(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ok", "ok"},
		{"a\r\nb\tc", "a  b c"},
		{"\x1b[31mred\x1b[0m", "[31mred[0m"},
		{"safe\u202eexe.txt", "safeexe.txt"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"  trim  ", "trim"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// slackTexts returns every text object of a message as {type, text}.
func slackTexts(t *testing.T, m SlackMessage) (texts [][2]string) {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if typ, ok := x["type"].(string); ok && (typ == "mrkdwn" || typ == "plain_text") {
				texts = append(texts, [2]string{typ, x["text"].(string)})
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	walk(v)
	return texts
}

var slackLinkRE = regexp.MustCompile(`<(https?://[^|<>\s]+)\|[^<>]*>`)

func TestSlackHostileInputIsInert(t *testing.T) {
	a := loadAlert(t, "cloudtrail_hostile")
	m := Slack(a, testOptions(t))
	allowed := map[string]bool{}
	for _, l := range a.Links {
		if u, ok := safeURL(l.URL); ok {
			allowed[strings.NewReplacer("&", "&amp;", "<", "%3C", ">", "%3E", "|", "%7C").Replace(u)] = true
		}
	}
	texts := slackTexts(t, m)
	if len(texts) == 0 {
		t.Fatal("no texts")
	}
	for _, tx := range append(texts, [2]string{"mrkdwn", m.Text}) {
		typ, s := tx[0], tx[1]
		for _, bad := range []string{"<!", "<@", "<https://evil", "<http://evil", "javascript:", "<script", "\u202e"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s text contains %q: %q", typ, bad, s)
			}
		}
		if typ == "plain_text" {
			if strings.ContainsAny(s, "<>") {
				t.Errorf("plain_text has raw angle bracket: %q", s)
			}
			continue
		}
		rest := slackLinkRE.ReplaceAllStringFunc(s, func(link string) string {
			u := slackLinkRE.FindStringSubmatch(link)[1]
			if !allowed[u] {
				t.Errorf("unexpected link %q in %q", u, s)
			}
			return ""
		})
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("mrkdwn has an angle bracket outside a checked link: %q", s)
		}
		if strings.Count(rest, "`")%2 != 0 {
			t.Errorf("unbalanced code span: %q", s)
		}
		segs := strings.Split(rest, "`")
		for i := 0; i < len(segs); i += 2 { // outside code spans
			out := segs[i]
			for _, bad := range []string{"*bold*", "*now*", "_see_", "~strike~", "*x*"} {
				if strings.Contains(out, bad) {
					t.Errorf("formatting %q outside code in %q", bad, s)
				}
			}
			for _, w := range []string{"@here", "@channel", "@everyone"} {
				if strings.Contains(strings.ToLower(out), w) {
					t.Errorf("bare %s outside code in %q", w, s)
				}
			}
		}
	}
	b, _ := json.Marshal(m)
	if strings.Contains(string(b), "javascript") {
		t.Error("unsafe link kept")
	}
}

func TestTeamsHostileInputIsInert(t *testing.T) {
	m := Teams(loadAlert(t, "cloudtrail_hostile"), testOptions(t))
	card := m.Attachments[0].Content
	check := func(where, s string) {
		if strings.Contains(s, "javascript:") {
			t.Errorf("%s: unsafe link: %q", where, s)
		}
		// Every markdown special character must be backslash-escaped, except
		// the link syntax of the link line, which only carries checked URLs.
		if strings.HasPrefix(s, "[") {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("*_[]()#<>{}~`&|!", s[i]) >= 0 {
				t.Errorf("%s: unescaped %q at %d in %q", where, s[i], i, s)
			}
		}
	}
	for _, e := range card.Body {
		if e.Text != "" {
			check("TextBlock", e.Text)
		}
		for _, f := range e.Facts {
			check("Fact.title", f.Title)
			check("Fact.value", f.Value)
		}
	}
}

func TestEmailHostileInputIsInert(t *testing.T) {
	subject, text, html := Email(loadAlert(t, "cloudtrail_hostile"), testOptions(t))
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject has a line break: %q", subject)
	}
	for _, bad := range []string{"<script", "</script", "<!channel>", "<img", "javascript:", "onerror=alert(1)>"} {
		if strings.Contains(html, bad) {
			t.Errorf("html contains %q", bad)
		}
	}
	if !strings.Contains(html, "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("user agent not shown escaped in html")
	}
	if strings.Contains(text, "\u202e") || strings.Contains(text, "javascript:") {
		t.Error("text part kept a bidi override or an unsafe link")
	}
}

func FuzzSlackEscape(f *testing.F) {
	for _, s := range []string{"<!channel>", "a&b", "<http://x|y>", "&amp;", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SlackEscape(s)
		if strings.ContainsAny(out, "<>") {
			t.Fatalf("raw angle bracket in %q", out)
		}
		if back := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(out); back != s {
			t.Fatalf("not reversible: %q → %q → %q", s, out, back)
		}
	})
}

func FuzzSlackMrkdwn(f *testing.F) {
	for _, s := range []string{"*bold* _i_ ~s~ `c`", "@here @CHANNEL", "<@U123>", "a\nb", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SlackMrkdwn(s)
		if strings.ContainsAny(out, "<>*_~`") {
			t.Fatalf("control or formatting character left in %q", out)
		}
		lower := strings.ToLower(out)
		for _, w := range []string{"@here", "@channel", "@everyone"} {
			if strings.Contains(lower, w) {
				t.Fatalf("broadcast %s left in %q", w, out)
			}
		}
		checkEntities(t, out)
	})
}

func FuzzSlackCode(f *testing.F) {
	for _, s := range []string{"`x`", "```", "a\nb", "<!here>", "*b*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := SlackCode(s)
		if strings.ContainsAny(out, "`<>\n") {
			t.Fatalf("code span breakout possible in %q", out)
		}
		checkEntities(t, out)
	})
}

func checkEntities(t *testing.T, out string) {
	t.Helper()
	for i := strings.IndexByte(out, '&'); i >= 0; {
		rest := out[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Fatalf("bare & at %d in %q", i, out)
		}
		j := strings.IndexByte(out[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

func FuzzTeamsMarkdown(f *testing.F) {
	for _, s := range []string{"**b**", "- a\n1. b", "[x](y)", `\`, "{{DATE(x)}}", "<b>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := TeamsMarkdown(s)
		var back strings.Builder
		for i := 0; i < len(out); i++ {
			if out[i] == '\\' && i+1 < len(out) {
				i++
				back.WriteByte(out[i])
				continue
			}
			if strings.IndexByte("\\*_[]()#<>{}~`&|!", out[i]) >= 0 {
				t.Fatalf("unescaped %q in %q", out[i], out)
			}
			back.WriteByte(out[i])
		}
		if back.String() != s {
			t.Fatalf("not reversible: %q → %q → %q", s, out, back.String())
		}
		for _, line := range strings.Split(out, "\n") {
			l := strings.TrimLeft(line, " ")
			if strings.HasPrefix(l, "- ") || strings.HasPrefix(l, "+ ") || l == "-" || l == "+" {
				t.Fatalf("list marker left in %q", out)
			}
		}
	})
}

func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"a\r\nb", "\x1b[2J", "x\u202ey", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := PlainText(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		for _, r := range out {
			if dropRune(r) || r == '\n' || r == '\r' || r == '\t' {
				t.Fatalf("control rune %U left in %q", r, out)
			}
		}
	})
}

func FuzzEmailHTML(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "javascript:alert(1)", "&amp;"} {
		f.Add(s, s)
	}
	base := loadAlert(f, "cloudtrail_hostile")
	f.Fuzz(func(t *testing.T, title, ua string) {
		a := base
		rec := *base.Record
		a.Record = &rec
		a.Title, a.Record.UserAgent = title, ua
		a.Links = append(append([]alert.Link(nil), base.Links...), alertLink(ua))
		subject, _, html := Email(a, Options{})
		if strings.ContainsAny(subject, "\r\n") {
			t.Fatalf("line break in subject %q", subject)
		}
		for _, bad := range []string{"<script", "<img", "href=\"javascript", "<!channel"} {
			if strings.Contains(strings.ToLower(html), bad) {
				t.Fatalf("html contains %q", bad)
			}
		}
	})
}

func FuzzFit(f *testing.F) {
	f.Add("&&&&&&&&&&", 12)
	f.Add("héllo wörld", 5)
	f.Add("", 0)
	f.Fuzz(func(t *testing.T, s string, limit int) {
		if limit < 0 || limit > 5000 {
			return
		}
		for _, e := range []escaper{slackEntityEscaper, slackMrkdwnEscaper, slackCodeEscaper, teamsEscaper} {
			out := fit(s, limit, e)
			if textLen(out) > limit {
				t.Fatalf("fit(%q, %d) = %q is %d long", s, limit, out, textLen(out))
			}
			if full := escape(s, e); textLen(full) <= limit && out != full {
				t.Fatalf("fit changed text that fits: %q → %q", full, out)
			}
			if body, cut := strings.CutSuffix(out, TruncationMarker); cut && !strings.HasPrefix(escape(s, e), body) {
				t.Fatalf("truncated text %q is not a prefix of %q", body, escape(s, e))
			}
		}
	})
}
