package detect

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// RuleInfo is what a rule's findings carry beyond the match itself.
type RuleInfo struct {
	// Technique is the ATT&CK technique id (T1562.008).
	Technique string
	// SigmaID is a Sigma rule's own id (its UUID).
	SigmaID string
	// Author and Link credit a Sigma rule, as its licence requires.
	Author, Link string
}

// Catalog maps rule ids (pack, custom, threshold and sigma:<stem>) to
// what their findings carry.
type Catalog map[string]RuleInfo

// NewCatalog collects the rule information of the packs the config
// enables, its thresholds and the given Sigma rules.
func NewCatalog(d config.Detection, sigmaRules ...[]*sigma.Rule) (Catalog, error) {
	c := Catalog{}
	var errs []error
	for _, name := range d.Packs {
		pk, err := packs.Load(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("catalog: %w", err))
			continue
		}
		for _, r := range pk.Rules {
			c[r.ID] = RuleInfo{Technique: techniqueID(r.Technique)}
		}
	}
	for _, t := range d.Thresholds {
		c[t.ID] = RuleInfo{Technique: t.Technique}
	}
	for _, rs := range sigmaRules {
		for _, r := range rs {
			c[SigmaRuleID(r)] = sigmaInfo(r)
		}
	}
	return c, errors.Join(errs...)
}

func sigmaInfo(r *sigma.Rule) RuleInfo {
	link := r.Source
	if link == "" {
		link = sigma.SigmaHQURL
	}
	return RuleInfo{Technique: sigmaTechnique(r.Tags), SigmaID: r.ID, Author: r.Author, Link: link}
}

// SigmaRuleID is the id findings of a Sigma rule carry: "sigma:" and the
// rule file's stem, which people can read and suppress by; the rule's UUID
// when it was not loaded from a file.
func SigmaRuleID(r *sigma.Rule) string {
	if r.Name != "" {
		return "sigma:" + r.Name
	}
	return "sigma:" + r.ID
}

var (
	techniqueIDRE  = regexp.MustCompile(`^T\d{4}(\.\d{3})?\b`)
	sigmaTechTagRE = regexp.MustCompile(`^attack\.t(\d{4}(\.\d{3})?)$`)
)

// techniqueID is the id at the start of a pack's "T1098.001 Name" technique.
func techniqueID(s string) string {
	return techniqueIDRE.FindString(strings.TrimSpace(s))
}

// sigmaTechnique is the first ATT&CK technique among a Sigma rule's tags
// (attack.t1562.008 → T1562.008).
func sigmaTechnique(tags []string) string {
	for _, t := range tags {
		if m := sigmaTechTagRE.FindStringSubmatch(strings.ToLower(strings.TrimSpace(t))); m != nil {
			return "T" + m[1]
		}
	}
	return ""
}

// enrich fills the match's rule information from the catalog where the
// engine left it empty.
func (c Catalog) enrich(m *Match) {
	info, ok := c[m.Rule]
	if !ok {
		return
	}
	if m.Technique == "" {
		m.Technique = info.Technique
	}
	if m.SigmaID == "" {
		m.SigmaID = info.SigmaID
	}
	if m.Author == "" {
		m.Author = info.Author
	}
	if m.Link == "" {
		m.Link = info.Link
	}
}

// findingDetail is the published detail of a match on rec: the record
// summary, the rule's technique and credits, and links to the event in
// CloudTrail and to the record in Logs Insights (when the log group is known).
func findingDetail(m Match, rec *cloudtrail.Record, logGroup string) alert.Detail {
	d := alert.FindingFromRecord(m.Rule, m.Severity, m.Title, m.Description, rec)
	d.Technique, d.SigmaID, d.Author = m.Technique, m.SigmaID, m.Author
	if u := LogsInsightsURL(rec, logGroup); u != "" {
		d.Links = append(d.Links, alert.Link{Title: "Record in Logs Insights", URL: u})
	}
	if m.Link != "" {
		d.Links = append(d.Links, alert.Link{Title: "Sigma rule", URL: m.Link})
	}
	return d
}

// LogsInsightsURL opens CloudWatch Logs Insights on logGroup over the
// minute of the record, querying for its event id (or, without one, its
// event name). It returns "" without a log group, region or event time.
//
// The console reads the query from the fragment in its own encoding: each
// value percent-encoded with '*' for '%' and prefixed with a quote, the
// object written as ~(key~value~…), that escaped, then the whole
// percent-encoded again with '$' for '%'.
func LogsInsightsURL(rec *cloudtrail.Record, logGroup string) string {
	if rec == nil || logGroup == "" || rec.AWSRegion == "" || rec.EventTime.IsZero() {
		return ""
	}
	start := rec.EventTime.UTC().Truncate(time.Minute)
	end := start.Add(time.Minute)
	query := "fields @timestamp, eventName, userIdentity.arn, sourceIPAddress, errorCode, @message\n"
	if rec.EventID != "" {
		query += fmt.Sprintf("| filter eventID = %q", rec.EventID)
	} else {
		query += fmt.Sprintf("| filter eventName = %q", rec.EventName)
	}
	// Values escape more than encodeURIComponent would ('~', quotes and
	// parentheses too), so no value can end its field or the object early.
	str := func(s string) string {
		return "'" + strings.ReplaceAll(percentEncode(s, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' || c == '.' }), "%", "*")
	}
	detail := "~(end~" + str(end.Format("2006-01-02T15:04:05.000Z")) +
		"~start~" + str(start.Format("2006-01-02T15:04:05.000Z")) +
		"~timeType~'ABSOLUTE~tz~'UTC~editorString~" + str(query) +
		"~source~(~" + str(logGroup) + "))"
	frag := strings.ReplaceAll(encodeURIComponent("?queryDetail="+jsEscape(detail)), "%", "$")
	return cloudtrail.ConsoleBase(rec.AWSRegion) + "/cloudwatch/home?region=" + url.QueryEscape(rec.AWSRegion) +
		"#logsV2:logs-insights" + frag
}

// encodeURIComponent is JavaScript's: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( )
// is percent-encoded as UTF-8.
func encodeURIComponent(s string) string {
	return percentEncode(s, func(c byte) bool {
		return isAlnum(c) || strings.IndexByte("-_.!~*'()", c) >= 0
	})
}

// jsEscape is JavaScript's escape() on ASCII input: everything but
// A-Z a-z 0-9 @ * _ + - . / is percent-encoded.
func jsEscape(s string) string {
	return percentEncode(s, func(c byte) bool {
		return isAlnum(c) || strings.IndexByte("@*_+-./", c) >= 0
	})
}

func percentEncode(s string, keep func(byte) bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
