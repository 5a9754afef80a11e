package evidence

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// jsurlDecoder parses the JSURL form the console uses (the inverse of what
// links.go writes), so tests check meaning rather than bytes.
type jsurlDecoder struct {
	s string
	i int
}

func (d *jsurlDecoder) value() (any, error) {
	if d.i >= len(d.s) {
		return nil, fmt.Errorf("end of input at %d", d.i)
	}
	switch c := d.s[d.i]; {
	case c == '(':
		d.i++
		// An array's first element follows "(" directly with "~"; an object starts with a key.
		if d.i < len(d.s) && d.s[d.i] == '~' {
			var arr []any
			for d.s[d.i] == '~' {
				d.i++
				v, err := d.value()
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			d.i++ // ')'
			return arr, nil
		}
		obj := map[string]any{}
		for d.i < len(d.s) && d.s[d.i] != ')' {
			if d.s[d.i] == '~' {
				d.i++
			}
			k := d.word()
			if d.s[d.i] != '~' {
				return nil, fmt.Errorf("want ~ after key %q at %d", k, d.i)
			}
			d.i++
			v, err := d.value()
			if err != nil {
				return nil, err
			}
			obj[k] = v
		}
		d.i++
		return obj, nil
	case c == '~':
		d.i++
		return d.value()
	case c == '\'':
		d.i++
		return d.str()
	default:
		w := d.word()
		switch w {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return strconv.ParseFloat(w, 64)
	}
}

func (d *jsurlDecoder) word() string {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] != '~' && d.s[d.i] != ')' {
		d.i++
	}
	return d.s[start:d.i]
}

func (d *jsurlDecoder) str() (string, error) {
	var units []uint16
	for d.i < len(d.s) && d.s[d.i] != '~' && d.s[d.i] != ')' {
		switch c := d.s[d.i]; c {
		case '!':
			units = append(units, '$')
			d.i++
		case '*':
			n := 2
			if strings.HasPrefix(d.s[d.i:], "**") {
				n, d.i = 4, d.i+1
			}
			v, err := strconv.ParseUint(d.s[d.i+1:d.i+1+n], 16, 16)
			if err != nil {
				return "", err
			}
			units = append(units, uint16(v))
			d.i += 1 + n
		default:
			units = append(units, uint16(c))
			d.i++
		}
	}
	return string(utf16.Decode(units)), nil
}

func decodeJSURL(t *testing.T, s string) map[string]any {
	t.Helper()
	if !strings.HasPrefix(s, "~(") {
		t.Fatalf("not a JSURL object: %q", s)
	}
	d := &jsurlDecoder{s: s, i: 1}
	v, err := d.value()
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	m, ok := v.(map[string]any)
	if !ok || d.i != len(s) {
		t.Fatalf("decode %q: %T, stopped at %d of %d", s, v, d.i, len(s))
	}
	return m
}

// decodeInsightsURL undoes LogsInsightsURL's layers: '$' → '%' and URI
// decoding, then the escape() layer, leaving the JSURL queryDetail.
func decodeInsightsURL(t *testing.T, raw string) (region string, detail map[string]any) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "https" || u.Path != "/cloudwatch/home" {
		t.Fatalf("not a console URL: %s", raw)
	}
	frag, ok := strings.CutPrefix(u.EscapedFragment(), "logsV2:logs-insights")
	if !ok {
		t.Fatalf("fragment %q", u.EscapedFragment())
	}
	if strings.Contains(frag, "%") {
		t.Fatalf("fragment keeps a raw %%: %q", frag)
	}
	once, err := url.PathUnescape(strings.ReplaceAll(frag, "$", "%"))
	if err != nil {
		t.Fatal(err)
	}
	q, ok := strings.CutPrefix(once, "?queryDetail=")
	if !ok {
		t.Fatalf("no queryDetail in %q", once)
	}
	twice, err := url.PathUnescape(q)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("region"), decodeJSURL(t, twice)
}

func TestLogsInsightsURLDecodes(t *testing.T) {
	from := time.Date(2026, 11, 25, 1, 1, 35, 472e6, time.UTC)
	to := from.Add(5 * time.Minute)
	query := "fields @timestamp, @message\n| filter @message like \"a~b (c) 'd' $e ü 😀\"\n| limit 100"
	raw := LogsInsightsURL("ap-northeast-1", []string{"/app/web", "/aws/lambda/x"}, query, from, to)
	if !strings.HasPrefix(raw, "https://ap-northeast-1.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-1#logsV2:logs-insights$3FqueryDetail$3D$257E$2528end$257E$2527") {
		t.Errorf("URL does not have the console's layout: %s", raw)
	}
	region, d := decodeInsightsURL(t, raw)
	if region != "ap-northeast-1" {
		t.Errorf("region = %q", region)
	}
	want := map[string]any{
		"end": "2026-11-25T01:06:35.472Z", "start": "2026-11-25T01:01:35.472Z", "timeType": "ABSOLUTE", "tz": "UTC",
		"editorString": query, "isLiveTail": false,
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %#v; want %#v", k, d[k], v)
		}
	}
	src, _ := d["source"].([]any)
	if len(src) != 2 || src[0] != "/app/web" || src[1] != "/aws/lambda/x" {
		t.Errorf("source = %#v", d["source"])
	}
}

func TestInsightsQuery(t *testing.T) {
	tests := []struct{ pattern, filter string }{
		{"ERROR", `| filter @message like "ERROR"`},
		{`ERROR "disk full" -DEBUG`, `| filter @message like "ERROR" and @message like "disk full" and @message not like "DEBUG"`},
		{"?ERROR ?WARN", `| filter (@message like "ERROR" or @message like "WARN")`},
		{`"say \"hi\"" back\slash`, `| filter @message like "say \"hi\"" and @message like "back\\slash"`},
		{"%5\\d\\d/x%", `| filter @message like /5\d\d\/x/`},
		{`{ $.level = "ERROR" }`, ""},
		{"[ip, user, status=5*]", ""},
		{"", ""},
	}
	for _, tt := range tests {
		q := InsightsQuery(tt.pattern)
		lines := strings.Split(q, "\n")
		if lines[0] != "fields @timestamp, @logStream, @message" || lines[len(lines)-1] != "| limit 100" {
			t.Errorf("%q: query %q", tt.pattern, q)
		}
		got := ""
		for _, l := range lines {
			if strings.HasPrefix(l, "| filter") {
				got = l
			}
		}
		if got != tt.filter {
			t.Errorf("InsightsQuery(%q) filter = %q; want %q", tt.pattern, got, tt.filter)
		}
	}
}

func TestLinksEnricher(t *testing.T) {
	when := time.Date(2026, 11, 25, 1, 6, 35, 0, time.UTC)
	l := NewLinks([]config.LogAlarm{{Name: "app-warn-lines", LogGroup: "/app/web", Pattern: "WARN", PeriodSeconds: 300, EvaluationPeriods: 2}})

	logAlarm := alert.Alert{
		Labels: map[string]string{alert.LabelRegion: "eu-west-1", alert.LabelAlarm: "app-warn-lines"},
		Time:   when,
		Metric: &alert.Metric{Namespace: config.LogMetricNamespace, Name: "app-warn-lines", Statistic: "Sum", Period: 300},
		Links:  []alert.Link{{Title: LinkTitleAlarm, URL: alert.AlarmConsoleURL("eu-west-1", "app-warn-lines")}},
	}
	if err := l.Enrich(t.Context(), &logAlarm); err != nil {
		t.Fatal(err)
	}
	titles := map[string]string{}
	for _, k := range logAlarm.Links {
		if _, dup := titles[k.Title]; dup {
			t.Errorf("link %q twice", k.Title)
		}
		titles[k.Title] = k.URL
	}
	if len(titles) != 3 || titles[LinkTitleMetric] == "" || titles[LinkTitleInsights] == "" {
		t.Fatalf("links = %+v", logAlarm.Links)
	}
	_, d := decodeInsightsURL(t, titles[LinkTitleInsights])
	if d["start"] != "2026-11-25T00:56:35.000Z" || d["end"] != "2026-11-25T01:06:35.000Z" || !strings.Contains(d["editorString"].(string), `@message like "WARN"`) {
		t.Errorf("insights query detail = %v", d)
	}

	// The evidence window wins when the log lines were fetched.
	withLogs := logAlarm
	withLogs.Links = nil
	withLogs.Logs = &alert.LogEvidence{From: when.Add(-time.Minute), To: when}
	_ = l.Enrich(t.Context(), &withLogs)
	for _, k := range withLogs.Links {
		if k.Title == LinkTitleInsights {
			if _, d := decodeInsightsURL(t, k.URL); d["start"] != "2026-11-25T01:05:35.000Z" {
				t.Errorf("start = %v; want the evidence window", d["start"])
			}
		}
	}

	// A metric alarm gets alarm and metric links; the metric link decodes.
	metric := alert.Alert{
		Labels: map[string]string{alert.LabelRegion: "us-east-1", alert.LabelAlarm: "web cpu"},
		Time:   when,
		Metric: &alert.Metric{Namespace: "AWS/EC2", Name: "CPUUtilization", Statistic: "Average", Period: 60,
			Dimensions: []alert.Dimension{{Name: "AutoScalingGroupName", Value: "web $asg"}}},
	}
	_ = l.Enrich(t.Context(), &metric)
	if len(metric.Links) != 2 || metric.Links[0].Title != LinkTitleAlarm || metric.Links[1].Title != LinkTitleMetric {
		t.Fatalf("metric links = %+v", metric.Links)
	}
	mu := metric.Links[1].URL
	graph, ok := strings.CutPrefix(mu, "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#metricsV2:graph=")
	if !ok {
		t.Fatalf("metric URL %s", mu)
	}
	g := decodeJSURL(t, graph)
	ms, _ := g["metrics"].([]any)
	row, _ := ms[0].([]any)
	if len(row) != 4 || row[0] != "AWS/EC2" || row[1] != "CPUUtilization" || row[2] != "AutoScalingGroupName" || row[3] != "web $asg" {
		t.Errorf("metrics = %#v", g["metrics"])
	}
	if g["stat"] != "Average" || g["period"] != 60.0 || g["region"] != "us-east-1" {
		t.Errorf("graph = %v", g)
	}

	// Not an alarm, or no region: nothing to link.
	ev := alert.Alert{Labels: map[string]string{alert.LabelRegion: "us-east-1"}}
	_ = l.Enrich(t.Context(), &ev)
	noRegion := alert.Alert{Metric: &alert.Metric{Namespace: "AWS/EC2", Name: "CPUUtilization"}}
	_ = l.Enrich(t.Context(), &noRegion)
	if len(ev.Links)+len(noRegion.Links) != 0 {
		t.Errorf("links added without an alarm or region: %v %v", ev.Links, noRegion.Links)
	}
}
