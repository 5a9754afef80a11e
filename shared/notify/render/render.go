// Package render turns an alert.Alert into the message formats the channels
// send: Slack Block Kit, a Teams Adaptive Card, e-mail (text, HTML and a full
// RFC 5322 message), plain text and a JSON webhook body.
//
// Everything in an alert that came from outside Watchkeeper (alarm names and
// descriptions, resource names, CloudTrail user names and user agents, label
// values) is escaped for the target format, and every renderer keeps its
// output inside the vendor's documented limits, truncating with
// TruncationMarker rather than producing a payload the vendor would reject.
package render

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// TruncationMarker ends any text that was cut to fit a limit.
const TruncationMarker = "…(truncated)"

// DefaultMaxLogLines is how many lines of multi-line free text (alert
// descriptions, which for log alarms often quote log events) a message shows
// when Options.MaxLogLines is 0.
const DefaultMaxLogLines = 20

// Options configure every renderer.
type Options struct {
	// TimeZone shows the alert time in this zone besides UTC; nil or UTC shows UTC only.
	TimeZone *time.Location
	// AccountAlias is shown with the account id of the deployment's account.
	AccountAlias string
	// MaxLogLines caps multi-line free text; 0 means DefaultMaxLogLines.
	MaxLogLines int
	// Now is the clock (e-mail Date and Message-ID); nil means time.Now.
	Now func() time.Time
	// GraphPNG is an optional metric graph EML embeds inline; other renderers ignore it.
	GraphPNG []byte
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) maxLines() int {
	if o.MaxLogLines > 0 {
		return o.MaxLogLines
	}
	return DefaultMaxLogLines
}

// fact is one labelled value of a message. code marks identifiers (ARNs, ids,
// addresses, user agents) that formats able to show code render as such.
type fact struct {
	name  string
	value string
	code  bool
}

// view is the format-neutral content of a message; every string is raw
// (unescaped) but stripped of control characters.
type view struct {
	state       alert.State
	severity    string
	title       string
	reason      string
	description string
	facts       []fact
	trail       []fact
	labels      []fact
	resources   []string
	links       []alert.Link
	id          string
	// logHeading and logLines show a log alarm's matching lines; logMore says
	// there were more than shown.
	logHeading string
	logLines   []string
	// graphURL is the checked link to the metric graph image, or "".
	graphURL string
	// groupHeading and groupLines list the members of a group message.
	groupHeading string
	groupLines   []string
}

// newView extracts what messages show from a.
func newView(a alert.Alert, o Options) view {
	v := view{
		state:       a.State,
		severity:    clean(a.Severity),
		title:       clean(a.Title),
		reason:      clean(a.Reason),
		description: capLines(cleanMultiline(a.Description), o.maxLines()),
		id:          clean(a.ID),
	}
	if v.title == "" {
		v.title = "Untitled alert"
	}
	if v.severity == "" {
		v.severity = alert.SeverityInfo
	}
	add := func(list *[]fact, name, value string, code bool) {
		if value = clean(value); value != "" {
			*list = append(*list, fact{name: name, value: value, code: code})
		}
	}
	if a.PreviousState != "" && a.PreviousState != a.State {
		add(&v.facts, "Transition", string(a.PreviousState)+" → "+string(a.State), false)
	}
	add(&v.facts, "Severity", v.severity, false)
	if m := a.Metric; m != nil {
		add(&v.facts, "Metric", metricName(m), true)
		add(&v.facts, "Threshold", threshold(m), false)
		add(&v.facts, "Dimensions", dimensions(m.Dimensions), true)
		add(&v.facts, "Recent values", datapoints(m.RecentDatapoints, m.Unit), false)
		add(&v.facts, "Alarm rule", m.AlarmRule, true)
		add(&v.facts, "Triggered by", strings.Join(m.TriggeringAlarms, ", "), true)
	}
	if ev := a.Logs; ev != nil {
		add(&v.facts, "Log group", ev.LogGroup, true)
		add(&v.facts, "Filter pattern", ev.Pattern, true)
		v.logHeading, v.logLines = logLines(ev, o.maxLines())
	}
	v.groupHeading, v.groupLines = groupLines(a.Group)
	digestView(&v, a)
	add(&v.facts, "Account", account(a, o.AccountAlias), true)
	add(&v.facts, "Region", region(a), true)
	if !a.Time.IsZero() {
		t := a.Time.UTC()
		add(&v.facts, "Time (UTC)", t.Format("2006-01-02 15:04:05 MST"), false)
		if tz := o.TimeZone; tz != nil && tz.String() != "UTC" {
			add(&v.facts, "Time ("+tz.String()+")", t.In(tz).Format("2006-01-02 15:04:05 MST"), false)
		}
	}
	add(&v.facts, "Source", a.Source, true)
	if r := a.Record; r != nil {
		actor := r.Actor()
		if typ := r.UserIdentity.Type; typ != "" && typ != actor {
			actor += " (" + typ + ")"
		}
		add(&v.trail, "Actor", actor, true)
		add(&v.trail, "Event", strings.TrimSuffix(r.EventSource, ".amazonaws.com")+":"+r.EventName, true)
		add(&v.trail, "Source IP", r.SourceIPAddress, true)
		add(&v.trail, "User agent", r.UserAgent, true)
		if r.ErrorCode != "" {
			add(&v.trail, "Error", strings.TrimSuffix(r.ErrorCode+": "+r.ErrorMessage, ": "), true)
		}
		add(&v.trail, "Event ID", r.EventID, true)
	}
	for _, res := range a.Resources {
		name := res.Name()
		if res.Type != "" && res.ARN == "" {
			name = res.Type + " " + name
		}
		if name = clean(name); name != "" {
			v.resources = append(v.resources, name)
		}
	}
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		if !shownElsewhere(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(&v.labels, clean(k), a.Labels[k], true)
	}
	for _, l := range a.Links {
		if u, ok := safeURL(l.URL); ok {
			title := clean(l.Title)
			if title == "" {
				title = "link"
			}
			v.links = append(v.links, alert.Link{Title: title, URL: u})
		}
	}
	v.addGraphLink(a)
	return v
}

// shownElsewhere lists labels that only repeat facts a message already shows.
func shownElsewhere(k string) bool {
	switch k {
	case alert.LabelAccount, alert.LabelRegion, alert.LabelSource, alert.LabelSeverity,
		alert.LabelAlarm, alert.LabelAlarmARN, alert.LabelNamespace, alert.LabelMetric,
		alert.LabelResource, alert.LabelResourceTyp, alert.LabelEventName, alert.LabelEventSource,
		alert.LabelActor, alert.LabelSourceIP:
		return true
	}
	return strings.HasPrefix(k, alert.LabelDimensionPrefix)
}

func metricName(m *alert.Metric) string {
	var b strings.Builder
	b.WriteString(m.Namespace)
	if m.Name != "" {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(m.Name)
	}
	if b.Len() == 0 && len(m.Metrics) > 0 {
		for _, q := range m.Metrics {
			if q.ReturnData && q.Expression != "" {
				b.WriteString(q.Expression)
				break
			}
		}
	}
	if b.Len() == 0 {
		return ""
	}
	var extra []string
	if m.Statistic != "" {
		extra = append(extra, m.Statistic)
	}
	if m.Period > 0 {
		extra = append(extra, formatPeriod(m.Period))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	return b.String()
}

var comparisonSymbols = map[string]string{
	"GreaterThanOrEqualToThreshold":            "≥",
	"GreaterThanThreshold":                     ">",
	"LessThanThreshold":                        "<",
	"LessThanOrEqualToThreshold":               "≤",
	"GreaterThanUpperThreshold":                "> upper band",
	"LessThanLowerThreshold":                   "< lower band",
	"LessThanLowerOrGreaterThanUpperThreshold": "outside band",
}

func threshold(m *alert.Metric) string {
	var parts []string
	sym, known := comparisonSymbols[m.Comparison]
	if !known {
		sym = m.Comparison
	}
	switch {
	case m.Threshold != nil:
		s := strings.TrimSpace(sym + " " + formatFloat(*m.Threshold))
		if m.Unit != "" {
			s += " " + m.Unit
		}
		parts = append(parts, s)
	case m.ThresholdMetricID != "":
		parts = append(parts, strings.TrimSpace(sym+" "+m.ThresholdMetricID))
	case sym != "":
		parts = append(parts, sym)
	}
	if m.EvaluationPeriods > 0 {
		n := m.DatapointsToAlarm
		if n == 0 {
			n = m.EvaluationPeriods
		}
		parts = append(parts, fmt.Sprintf("%d of %d periods", n, m.EvaluationPeriods))
	}
	return strings.Join(parts, ", ")
}

func dimensions(ds []alert.Dimension) string {
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		parts = append(parts, d.Name+"="+d.Value)
	}
	return strings.Join(parts, ", ")
}

func datapoints(vs []float64, unit string) string {
	if len(vs) == 0 {
		return ""
	}
	const show = 5
	parts := make([]string, 0, show)
	for i, x := range vs {
		if i == show {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, formatFloat(x))
	}
	s := strings.Join(parts, ", ")
	if unit != "" {
		s += " " + unit
	}
	return s
}

// formatPeriod writes a period the way the CloudWatch console does: 60s → 1m.
func formatPeriod(sec int) string {
	switch {
	case sec%3600 == 0:
		return strconv.Itoa(sec/3600) + "h"
	case sec%60 == 0:
		return strconv.Itoa(sec/60) + "m"
	}
	return strconv.Itoa(sec) + "s"
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// accountID is the alert's account: the label, the record's, or the first resource's.
func accountID(a alert.Alert) string {
	if id := a.Label(alert.LabelAccount); id != "" {
		return id
	}
	if a.Record != nil {
		if id := a.Record.Account(); id != "" {
			return id
		}
	}
	for _, r := range a.Resources {
		if r.Account != "" {
			return r.Account
		}
	}
	return ""
}

func account(a alert.Alert, alias string) string {
	id := accountID(a)
	switch {
	case id == "":
		return alias
	case alias == "":
		return id
	}
	return alias + " (" + id + ")"
}

func region(a alert.Alert) string {
	if r := a.Label(alert.LabelRegion); r != "" {
		return r
	}
	if a.Record != nil && a.Record.AWSRegion != "" {
		return a.Record.AWSRegion
	}
	for _, r := range a.Resources {
		if r.Region != "" {
			return r.Region
		}
	}
	return ""
}

// headline is the one-line summary: "ALARM: title".
func (v view) headline() string { return stateWord(v.state) + ": " + v.title }

// stateWord is the state as people read it ("INSUFFICIENT DATA").
func stateWord(s alert.State) string {
	if w := strings.ReplaceAll(clean(string(s)), "_", " "); w != "" {
		return w
	}
	return "UNKNOWN"
}

// logLines is the heading and the cleaned lines of a log alarm's evidence,
// at most max of them.
func logLines(ev *alert.LogEvidence, max int) (string, []string) {
	lines := make([]string, 0, min(len(ev.Lines), max))
	for _, l := range ev.Lines {
		if len(lines) == max {
			break
		}
		line := clean(l.Message)
		if !l.Time.IsZero() {
			line = l.Time.UTC().Format("15:04:05") + "  " + line
		}
		lines = append(lines, line)
	}
	span := ev.From.UTC().Format("15:04") + "–" + ev.To.UTC().Format("15:04 UTC")
	var heading string
	switch n := len(ev.Lines); {
	case n == 0:
		heading = "No matching log lines found in " + span
	case ev.More || n > len(lines):
		heading = fmt.Sprintf("First %d matching log lines in %s (more not shown)", len(lines), span)
	case n == 1:
		heading = "1 matching log line in " + span
	default:
		heading = fmt.Sprintf("%d matching log lines in %s", n, span)
	}
	return heading, lines
}
