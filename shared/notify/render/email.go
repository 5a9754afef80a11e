package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Email text caps. They are not vendor limits but keep one alert from
// producing a message mail clients clip (Gmail clips HTML over 102 KB).
const (
	maxEmailSubject = 200
	maxEmailText    = 10000
)

// graphCID is the Content-ID of the inline graph image.
const graphCID = "graph@watchkeeper"

type emailFact struct {
	Name, Value string
	Code        bool
}

type emailLink struct {
	Title string
	URL   string
}

type emailData struct {
	Headline    string
	Color       string
	Reason      string
	Description string
	Facts       []emailFact
	Trail       []emailFact
	Resources   []string
	Labels      []emailFact
	Links       []emailLink
	ID          string
	Graph       template.URL
	LogHeading  string
	LogLines    []string
	// GroupHeading and GroupLines list a group message's members.
	GroupHeading string
	GroupLines   []string
}

// emailHTML is parsed once; html/template escapes every value for its
// context (text, attribute, URL).
var emailHTML = template.Must(template.New("email").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Headline}}</title></head>
<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1d1c1d">
<h2 style="margin:0 0 8px 0;color:{{.Color}}">{{.Headline}}</h2>
{{- if .Reason}}
<p>{{.Reason}}</p>
{{- end}}
{{- if .Description}}
<p style="white-space:pre-wrap;color:#555">{{.Description}}</p>
{{- end}}
{{- if .Graph}}
<p><img src="{{.Graph}}" alt="metric graph" style="max-width:100%"></p>
{{- end}}
<table cellpadding="4" style="border-collapse:collapse">
{{- range .Facts}}
<tr><th align="left" style="vertical-align:top">{{.Name}}</th><td>{{if .Code}}<code>{{.Value}}</code>{{else}}{{.Value}}{{end}}</td></tr>
{{- end}}
</table>
{{- if .LogHeading}}
<h3>{{.LogHeading}}</h3>
{{- if .LogLines}}
<pre style="white-space:pre-wrap;background:#f6f6f6;padding:8px">{{range .LogLines}}{{.}}
{{end}}</pre>
{{- end}}
{{- end}}
{{- if .GroupHeading}}
<h3>{{.GroupHeading}}</h3>
<ul>
{{- range .GroupLines}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
{{- if .Trail}}
<h3>CloudTrail</h3>
<table cellpadding="4" style="border-collapse:collapse">
{{- range .Trail}}
<tr><th align="left" style="vertical-align:top">{{.Name}}</th><td>{{if .Code}}<code>{{.Value}}</code>{{else}}{{.Value}}{{end}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Resources}}
<h3>Resources</h3>
<ul>
{{- range .Resources}}
<li><code>{{.}}</code></li>
{{- end}}
</ul>
{{- end}}
{{- if .Labels}}
<h3>Labels</h3>
<table cellpadding="4" style="border-collapse:collapse">
{{- range .Labels}}
<tr><th align="left" style="vertical-align:top">{{.Name}}</th><td>{{if .Code}}<code>{{.Value}}</code>{{else}}{{.Value}}{{end}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Links}}
<p>
{{- range $i, $l := .Links}}{{if $i}} · {{end}}<a href="{{$l.URL}}">{{$l.Title}}</a>{{end -}}
</p>
{{- end}}
<p style="color:#888;font-size:12px">Alert {{.ID}} · sent by Watchkeeper</p>
</body></html>
`))

// Email renders a as an e-mail subject, plain-text body and HTML body. The
// subject is one line without control characters; every value in the HTML is
// escaped by html/template.
func Email(a alert.Alert, opts Options) (subject, text, html string) {
	v := newView(a, opts)
	subject = emailSubject(v)
	text = emailText(v)
	html = emailHTMLBody(v, len(opts.GraphPNG) > 0)
	return subject, text, html
}

func emailSubject(v view) string {
	return cut("["+stateWord(v.state)+"] "+v.severity+": "+v.title, maxEmailSubject)
}

func emailText(v view) string {
	var b strings.Builder
	b.WriteString(v.headline() + "\n")
	if v.reason != "" {
		b.WriteString("\n" + cutText(v.reason) + "\n")
	}
	if v.description != "" {
		b.WriteString("\n" + cutText(v.description) + "\n")
	}
	writeFacts := func(title string, fs []fact) {
		if len(fs) == 0 {
			return
		}
		b.WriteString("\n")
		if title != "" {
			b.WriteString(title + "\n")
		}
		for _, f := range fs {
			b.WriteString(f.name + ": " + cutText(f.value) + "\n")
		}
	}
	writeFacts("", v.facts)
	if v.logHeading != "" {
		b.WriteString("\n" + v.logHeading + "\n")
		for _, l := range v.logLines {
			b.WriteString("  " + cutText(l) + "\n")
		}
	}
	if v.groupHeading != "" {
		b.WriteString("\n")
		writeGroupText(&b, v, "- ", cutText)
	}
	writeFacts("CloudTrail", v.trail)
	if len(v.resources) > 0 {
		b.WriteString("\nResources\n")
		for _, r := range v.resources {
			b.WriteString("- " + cutText(r) + "\n")
		}
	}
	writeFacts("Labels", v.labels)
	if len(v.links) > 0 {
		b.WriteString("\nLinks\n")
		for _, l := range v.links {
			b.WriteString("- " + l.Title + ": " + l.URL + "\n")
		}
	}
	b.WriteString("\nAlert " + v.id + "\n")
	return b.String()
}

func cutText(s string) string { return cut(s, maxEmailText) }

func emailHTMLBody(v view, graph bool) string {
	d := emailData{
		Headline:    v.headline(),
		Color:       htmlColor(v),
		Reason:      cutText(v.reason),
		Description: cutText(v.description),
		ID:          v.id,
		LogHeading:  v.logHeading,
	}
	for _, l := range v.logLines {
		d.LogLines = append(d.LogLines, cutText(l))
	}
	d.GroupHeading = v.groupHeading
	for _, l := range v.groupLines {
		d.GroupLines = append(d.GroupLines, cutText(l))
	}
	conv := func(fs []fact) []emailFact {
		out := make([]emailFact, len(fs))
		for i, f := range fs {
			out[i] = emailFact{Name: f.name, Value: cutText(f.value), Code: f.code}
		}
		return out
	}
	d.Facts, d.Trail, d.Labels = conv(v.facts), conv(v.trail), conv(v.labels)
	for _, r := range v.resources {
		d.Resources = append(d.Resources, cutText(r))
	}
	for _, l := range v.links {
		d.Links = append(d.Links, emailLink{Title: l.Title, URL: l.URL})
	}
	if graph {
		d.Graph = template.URL("cid:" + graphCID)
	}
	var b strings.Builder
	if err := emailHTML.Execute(&b, d); err != nil {
		// Only a template bug gets here; fall back to the escaped text part.
		return "<pre>" + template.HTMLEscapeString(emailText(v)) + "</pre>"
	}
	return b.String()
}

func htmlColor(v view) string {
	switch teamsColor(v) {
	case "Good":
		return "#2e7d32"
	case "Attention":
		return "#c62828"
	case "Warning":
		return "#ef6c00"
	}
	return "#1d1c1d"
}

// EML renders a as a complete RFC 5322 message from from to the to
// addresses (unparsable ones are left out): multipart/alternative with the text and HTML bodies (both
// quoted-printable), wrapped in multipart/related with the PNG inline when
// opts.GraphPNG is set. Headers carry an RFC 2047 encoded Subject, Date and
// Message-ID from opts.Now, and mark the mail auto-generated.
func EML(from string, to []string, a alert.Alert, opts Options) []byte {
	v := newView(a, opts)
	subject := emailSubject(v)
	text := emailText(v)
	html := emailHTMLBody(v, len(opts.GraphPNG) > 0)
	now := opts.now()

	sum := sha256.New()
	fmt.Fprintf(sum, "%s\x00%s\x00%s\x00%d\x00", text, html, v.id, now.UnixNano())
	sum.Write(opts.GraphPNG)
	digest := hex.EncodeToString(sum.Sum(nil))

	var body bytes.Buffer
	alt := multipart.NewWriter(&body)
	// A boundary derived from the content cannot be planted in it.
	_ = alt.SetBoundary("alt-" + digest[:40])
	writeQP(alt, "text/plain; charset=utf-8", text)
	writeQP(alt, "text/html; charset=utf-8", html)
	_ = alt.Close()
	contentType := "multipart/alternative; boundary=\"" + alt.Boundary() + "\""

	if len(opts.GraphPNG) > 0 {
		var rel bytes.Buffer
		rw := multipart.NewWriter(&rel)
		_ = rw.SetBoundary("rel-" + digest[:40])
		h := textproto.MIMEHeader{}
		h.Set("Content-Type", contentType)
		if w, err := rw.CreatePart(h); err == nil {
			_, _ = w.Write(body.Bytes())
		}
		h = textproto.MIMEHeader{}
		h.Set("Content-Type", "image/png")
		h.Set("Content-Transfer-Encoding", "base64")
		h.Set("Content-ID", "<"+graphCID+">")
		h.Set("Content-Disposition", `inline; filename="graph.png"`)
		if w, err := rw.CreatePart(h); err == nil {
			_, _ = w.Write(base64Lines(opts.GraphPNG))
		}
		_ = rw.Close()
		contentType = "multipart/related; type=\"multipart/alternative\"; boundary=\"" + rw.Boundary() + "\""
		body = rel
	}

	var m bytes.Buffer
	header := func(k, v string) { m.WriteString(k + ": " + v + "\r\n") }
	header("From", formatAddress(from))
	tos := make([]string, 0, len(to))
	for _, t := range to {
		// Unparsable recipients are left out rather than half-written.
		if addr, err := mail.ParseAddress(t); err == nil {
			tos = append(tos, addr.String())
		}
	}
	header("To", strings.Join(tos, ",\r\n "))
	header("Subject", encodeHeader(subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+digest[:32]+"@"+addressDomain(from)+">")
	header("MIME-Version", "1.0")
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	if id := headerToken(v.id); id != "" {
		header("X-Watchkeeper-Alert-Id", id)
	}
	header("Content-Type", contentType)
	m.WriteString("\r\n")
	m.Write(body.Bytes())
	return m.Bytes()
}

func writeQP(w *multipart.Writer, contentType, s string) {
	h := textproto.MIMEHeader{}
	h.Set("Content-Type", contentType)
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	pw, err := w.CreatePart(h)
	if err != nil {
		return
	}
	qp := quotedprintable.NewWriter(pw)
	_, _ = qp.Write([]byte(s))
	_ = qp.Close()
}

// base64Lines encodes b in lines of 76 characters (RFC 2045).
func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc + "\r\n")
	return out.Bytes()
}

// encodeHeader RFC 2047-encodes s when it is not plain ASCII and folds
// between encoded words, keeping lines short.
func encodeHeader(s string) string {
	enc := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

// formatAddress renders a configured address for a header, encoding display
// names; an unparsable value is reduced to its printable characters so it can
// never inject a header.
func formatAddress(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return a.String()
	}
	return headerToken(s)
}

func addressDomain(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 {
			if d := headerToken(a.Address[i+1:]); d != "" && !strings.ContainsAny(d, "<> ") {
				return d
			}
		}
	}
	return "watchkeeper.invalid"
}

// headerToken keeps the printable ASCII of s, at most 200 bytes.
func headerToken(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return -1
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
