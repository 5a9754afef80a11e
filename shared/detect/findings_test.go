package detect

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// decodeInsights undoes the console's encoding of a Logs Insights link and
// returns the query detail's values by key.
func decodeInsights(t *testing.T, link string) map[string]string {
	t.Helper()
	_, frag, ok := strings.Cut(link, "#logsV2:logs-insights")
	if !ok {
		t.Fatalf("not a Logs Insights link: %s", link)
	}
	outer, err := url.PathUnescape(strings.ReplaceAll(frag, "$", "%"))
	if err != nil {
		t.Fatal(err)
	}
	detail, ok := strings.CutPrefix(outer, "?queryDetail=")
	if !ok {
		t.Fatalf("fragment %q", outer)
	}
	if detail, err = url.PathUnescape(detail); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(detail, "~(") || !strings.HasSuffix(detail, ")") {
		t.Fatalf("detail %q", detail)
	}
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(detail, "~("), ")"), "~")
	out := map[string]string{}
	for i := 0; i+1 < len(parts); i += 2 {
		key, v := parts[i], parts[i+1]
		if v == "(" && i+2 < len(parts) { // source~(~'group)
			v = strings.TrimSuffix(parts[i+2], ")")
			i++
		}
		s, err := url.PathUnescape(strings.ReplaceAll(strings.TrimPrefix(v, "'"), "*", "%"))
		if err != nil {
			t.Fatal(err)
		}
		out[key] = s
	}
	return out
}

func TestLogsInsightsURL(t *testing.T) {
	rec := &cloudtrail.Record{EventID: "0c7f1c2e-4b1a-4e8e-9c55-3a1d2b3c4d01", EventName: "StopLogging", AWSRegion: "eu-west-1",
		EventTime: time.Date(2026, 11, 25, 9, 14, 7, 0, time.UTC)}
	link := LogsInsightsURL(rec, "aws-cloudtrail-logs-123456789012-watchkeeper")
	if !strings.HasPrefix(link, "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:logs-insights$3FqueryDetail$3D$257E$2528end$257E$2527") {
		t.Errorf("link = %s", link)
	}
	q := decodeInsights(t, link)
	want := map[string]string{
		"start": "2026-11-25T09:14:00.000Z", "end": "2026-11-25T09:15:00.000Z", "timeType": "ABSOLUTE", "tz": "UTC",
		"source": "aws-cloudtrail-logs-123456789012-watchkeeper",
	}
	for k, v := range want {
		if q[k] != v {
			t.Errorf("%s = %q, want %q", k, q[k], v)
		}
	}
	if !strings.Contains(q["editorString"], `| filter eventID = "0c7f1c2e-4b1a-4e8e-9c55-3a1d2b3c4d01"`) {
		t.Errorf("query = %q", q["editorString"])
	}
	// Hostile values stay inside their quoted field.
	rec.EventID = ""
	rec.EventName = `x" | delete ~(`
	q = decodeInsights(t, LogsInsightsURL(rec, "/group/with~tilde"))
	if q["source"] != "/group/with~tilde" || !strings.Contains(q["editorString"], `eventName = "x\" | delete ~("`) {
		t.Errorf("decoded %v", q)
	}
	for _, r := range []*cloudtrail.Record{nil, {AWSRegion: "eu-west-1"}, {EventTime: rec.EventTime}} {
		if LogsInsightsURL(r, "g") != "" {
			t.Errorf("link without region or time for %+v", r)
		}
	}
	if LogsInsightsURL(rec, "") != "" {
		t.Error("link without a log group")
	}
}

func TestPercentEncodings(t *testing.T) {
	for _, c := range []struct{ in, uri, esc string }{
		{"a-Z_0.9", "a-Z_0.9", "a-Z_0.9"},
		{"~()'!*", "~()'!*", "%7E%28%29%27%21*"},
		{"@+/ :", "%40%2B%2F%20%3A", "@+/%20%3A"},
		{"é", "%C3%A9", "%C3%A9"},
	} {
		if got := encodeURIComponent(c.in); got != c.uri {
			t.Errorf("encodeURIComponent(%q) = %q, want %q", c.in, got, c.uri)
		}
		if got := jsEscape(c.in); got != c.esc {
			t.Errorf("jsEscape(%q) = %q, want %q", c.in, got, c.esc)
		}
	}
}

func TestCatalog(t *testing.T) {
	r, err := sigma.Parse([]byte(`title: Trail stopped
id: 4db60cc0-36fb-42b7-9b58-a5b53019fb74
author: someone
tags: [attack.defense-evasion, attack.t1562.008]
logsource: {product: aws, service: cloudtrail}
detection:
  sel: {eventName: StopLogging}
  condition: sel
`))
	if err != nil {
		t.Fatal(err)
	}
	r.Name = "aws_cloudtrail_disable_logging"
	c, err := NewCatalog(config.Detection{
		Packs:      []string{config.PackAttack},
		Thresholds: []config.Threshold{{ID: "burst", Technique: "T1110"}},
	}, []*sigma.Rule{r})
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]RuleInfo{
		"attack.defense-evasion.cloudtrail-stopped": {Technique: "T1562.008"},
		"burst":                                {Technique: "T1110"},
		"sigma:aws_cloudtrail_disable_logging": {Technique: "T1562.008", SigmaID: "4db60cc0-36fb-42b7-9b58-a5b53019fb74", Author: "someone", Link: sigma.SigmaHQURL},
	} {
		if c[id] != want {
			t.Errorf("%s: %+v, want %+v", id, c[id], want)
		}
	}
	for id, info := range c {
		if !strings.HasPrefix(id, "attack.") {
			continue
		}
		if !techniqueIDRE.MatchString(info.Technique) {
			t.Errorf("%s: technique %q", id, info.Technique)
		}
	}
	if _, err := NewCatalog(config.Detection{Packs: []string{"nope"}}); err == nil {
		t.Error("unknown pack accepted")
	}
	m := Match{Rule: "burst", Technique: "T9999"}
	c.enrich(&m)
	if m.Technique != "T9999" {
		t.Error("enrich replaced what the engine set")
	}
	r.Name = ""
	if SigmaRuleID(r) != "sigma:"+r.ID {
		t.Errorf("SigmaRuleID without a file = %q", SigmaRuleID(r))
	}
}
