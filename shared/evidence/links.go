package evidence

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Link titles the Links enricher adds.
const (
	LinkTitleAlarm    = "Alarm in CloudWatch"
	LinkTitleMetric   = "Metric in CloudWatch"
	LinkTitleInsights = "Logs Insights query"
)

// InsightsQueryLimit is how many events the linked Logs Insights query asks
// for; the console shows at most 10,000.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL_QuerySyntax-Limit.html
const InsightsQueryLimit = 100

// Links adds console links people need to act on an alarm: the alarm and its
// metric when the parser did not link them, and for a log metric filter alarm
// a Logs Insights query over the alarm window in its log group.
type Links struct {
	alarms map[string]config.LogAlarm
}

// NewLinks returns the enricher for the config's log alarms.
func NewLinks(logAlarms []config.LogAlarm) *Links {
	m := make(map[string]config.LogAlarm, len(logAlarms))
	for _, a := range logAlarms {
		m[a.Name] = a
	}
	return &Links{alarms: m}
}

// Enrich adds the missing links; it never fails.
func (l *Links) Enrich(_ context.Context, a *alert.Alert) error {
	region := a.Label(alert.LabelRegion)
	if a.Metric == nil || region == "" {
		return nil
	}
	addLink(a, LinkTitleAlarm, alert.AlarmConsoleURL(region, a.Label(alert.LabelAlarm)))
	addLink(a, LinkTitleMetric, MetricConsoleURL(region, a.Metric, a.Time))
	la, ok := l.logAlarm(a)
	if !ok || a.Time.IsZero() {
		return nil
	}
	from, to := a.Time.Add(-logWindow(la)), a.Time
	if ev := a.Logs; ev != nil && !ev.From.IsZero() && !ev.To.IsZero() {
		from, to = ev.From, ev.To
	}
	addLink(a, LinkTitleInsights, LogsInsightsURL(region, []string{la.LogGroup}, InsightsQuery(la.Pattern), from, to))
	return nil
}

// logAlarm finds the configured log alarm behind a: its metric is named
// after it in LogMetricNamespace.
func (l *Links) logAlarm(a *alert.Alert) (config.LogAlarm, bool) {
	if a.Metric.Namespace != config.LogMetricNamespace {
		return config.LogAlarm{}, false
	}
	if la, ok := l.alarms[a.Metric.Name]; ok {
		return la, true
	}
	la, ok := l.alarms[a.Label(alert.LabelAlarm)]
	return la, ok
}

// logWindow is the span a log alarm evaluates: period × evaluation periods.
func logWindow(la config.LogAlarm) time.Duration {
	return time.Duration(la.PeriodSeconds*max(la.EvaluationPeriods, 1)) * time.Second
}

// addLink appends a link unless the URL is empty or a link with the same
// title or URL is already there.
func addLink(a *alert.Alert, title, u string) {
	if u == "" {
		return
	}
	for _, l := range a.Links {
		if l.Title == title || l.URL == u {
			return
		}
	}
	a.Links = append(a.Links, alert.Link{Title: title, URL: u})
}

// InsightsQuery turns a CloudWatch Logs filter pattern into a Logs Insights
// query for the same lines. Term patterns translate exactly: every plain term
// must appear, "-term" must not, and at least one "?term" must; %regex% terms
// become regular expressions. JSON ({ … }) and space-delimited ([ … ])
// patterns have no direct equivalent, so their query lists every line of the
// window, newest first.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
func InsightsQuery(pattern string) string {
	var b strings.Builder
	b.WriteString("fields @timestamp, @logStream, @message")
	p := strings.TrimSpace(pattern)
	if p != "" && p[0] != '{' && p[0] != '[' {
		var all, any []string
		for _, t := range patternTerms(p) {
			switch {
			case strings.HasPrefix(t, "?") && len(t) > 1:
				any = append(any, "@message "+likeTerm(t[1:]))
			case strings.HasPrefix(t, "-") && len(t) > 1:
				all = append(all, "@message not "+likeTerm(t[1:]))
			default:
				all = append(all, "@message "+likeTerm(t))
			}
		}
		if len(any) > 0 {
			all = append(all, "("+strings.Join(any, " or ")+")")
		}
		if len(all) > 0 {
			b.WriteString("\n| filter " + strings.Join(all, " and "))
		}
	}
	b.WriteString("\n| sort @timestamp desc\n| limit " + strconv.Itoa(InsightsQueryLimit))
	return b.String()
}

// patternTerms splits a term pattern on blanks, keeping "quoted phrases"
// (with their ?/- prefix) together and unquoted.
func patternTerms(p string) []string {
	var out []string
	var cur strings.Builder
	inQuote, has := false, false
	flush := func() {
		if has {
			out = append(out, cur.String())
		}
		cur.Reset()
		has = false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			has = true
		case c == '\\' && inQuote && i+1 < len(p):
			i++
			cur.WriteByte(p[i])
			has = true
		case (c == ' ' || c == '\t') && !inQuote:
			flush()
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	flush()
	return out
}

// likeTerm is a Logs Insights "like" test for one term: a regular expression
// for %regex%, else a quoted substring.
func likeTerm(t string) string {
	if len(t) >= 2 && t[0] == '%' && t[len(t)-1] == '%' {
		return "like /" + strings.ReplaceAll(t[1:len(t)-1], "/", `\/`) + "/"
	}
	return `like "` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(t) + `"`
}

// LogsInsightsURL links the CloudWatch console's Logs Insights page with the
// query, the log groups and an absolute UTC time range filled in. The console
// reads its state from the fragment: the queryDetail object in JSURL form,
// escaped once more, then URI-encoded with '$' in place of '%'.
func LogsInsightsURL(region string, groups []string, query string, from, to time.Time) string {
	if region == "" || len(groups) == 0 {
		return ""
	}
	const ts = "2006-01-02T15:04:05.000Z"
	var d strings.Builder
	d.WriteString("~(end~'" + jsurlString(to.UTC().Format(ts)))
	d.WriteString("~start~'" + jsurlString(from.UTC().Format(ts)))
	d.WriteString("~timeType~'ABSOLUTE~tz~'UTC~editorString~'" + jsurlString(query))
	d.WriteString("~isLiveTail~false~source~(")
	for _, g := range groups {
		d.WriteString("~'" + jsurlString(g))
	}
	d.WriteString("))")
	frag := "?queryDetail=" + jsEscape(d.String())
	return cloudtrail.ConsoleBase(region) + "/cloudwatch/home?region=" + url.QueryEscape(region) +
		"#logsV2:logs-insights" + strings.ReplaceAll(uriComponent(frag), "%", "$")
}

// MetricConsoleURL links a single-metric alarm's metric in the CloudWatch
// console, graphed with its statistic and period over the graph window
// around t; "" for metric math and composite alarms.
func MetricConsoleURL(region string, m *alert.Metric, t time.Time) string {
	if region == "" || m == nil || m.Name == "" || m.Namespace == "" {
		return ""
	}
	var g strings.Builder
	g.WriteString("~(metrics~(~(~'" + jsurlString(m.Namespace) + "~'" + jsurlString(m.Name))
	for _, d := range m.Dimensions {
		g.WriteString("~'" + jsurlString(d.Name) + "~'" + jsurlString(d.Value))
	}
	g.WriteString("))~view~'timeSeries~stacked~false~region~'" + jsurlString(region))
	if m.Statistic != "" {
		g.WriteString("~stat~'" + jsurlString(m.Statistic))
	}
	if m.Period > 0 {
		g.WriteString("~period~" + strconv.Itoa(m.Period))
	}
	if !t.IsZero() {
		g.WriteString("~start~'" + jsurlString(t.Add(-graphBefore).UTC().Format(time.RFC3339)))
		g.WriteString("~end~'" + jsurlString(t.Add(graphAfter).UTC().Format(time.RFC3339)))
	}
	g.WriteString(")")
	return cloudtrail.ConsoleBase(region) + "/cloudwatch/home?region=" + url.QueryEscape(region) + "#metricsV2:graph=" + g.String()
}

// jsurlString encodes a string value the way JSURL does: word characters,
// '-' and '.' stay, '$' becomes '!', other UTF-16 code units become *xx or
// **xxxx (lower-case hex).
func jsurlString(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		switch {
		case u < 0x80 && (isWord(byte(u)) || u == '-' || u == '.'):
			b.WriteByte(byte(u))
		case u == '$':
			b.WriteByte('!')
		case u < 0x100:
			fmt.Fprintf(&b, "*%02x", u)
		default:
			fmt.Fprintf(&b, "**%04x", u)
		}
	}
	return b.String()
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// jsEscape is JavaScript's escape() for the ASCII JSURL produces: letters,
// digits and @*_+-./ stay, every other byte becomes %XX.
func jsEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isWord(c) || strings.IndexByte("@*+-./", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// uriComponent is JavaScript's encodeURIComponent: letters, digits and
// -_.!~*'() stay, every other byte of the UTF-8 form becomes %XX.
func uriComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isWord(c) || strings.IndexByte("-.!~*'()", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
