package alert

import (
	"encoding/json"
	"fmt"
	"time"
)

// Weekly digests: the sweeper's digest job publishes one Watchkeeper Digest
// event naming the receivers that get it; the notifier sends it to exactly
// their channels, past the routing tree. Detail.Digest carries the summary
// (the numbers the e-mail digest shows), so the notifier needs no table read.
const (
	// DetailTypeDigest carries a digest for the named receivers.
	DetailTypeDigest = "Watchkeeper Digest"
	// RuleDigest is the Detail.Rule of digest events: the sweeper job.
	RuleDigest = "digest"
)

// MaxDigestDetailBytes bounds a digest event's detail, well under the
// PutEvents entry limit (MaxPutEventsEntryBytes): rows past it are dropped
// and counted in DigestSummary.RowsDropped.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
const MaxDigestDetailBytes = 64 * 1024

// maxDigestField caps one account, kind, severity or rule name in a digest row.
const maxDigestField = 256

// DigestSummary is a digest's content: its period, totals and rows.
type DigestSummary struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Receivers are the config receivers the digest goes to.
	Receivers []string `json:"receivers"`
	// Totals counts records by kind (notification, remediation, …).
	Totals map[string]int `json:"totals"`
	// Remediations counts remediation decisions by outcome.
	Remediations map[string]int `json:"remediations,omitempty"`
	// Notifications counts the notifier's records by outcome.
	Notifications map[string]int `json:"notifications,omitempty"`
	// Rows count records by kind, account and severity.
	Rows []DigestRow `json:"rows,omitempty"`
	// Rules are the rules with most records, most first.
	Rules []DigestRow `json:"rules,omitempty"`
	// RowsDropped is how many rows and rules were left out to fit MaxDigestDetailBytes.
	RowsDropped int `json:"rows_dropped,omitempty"`
	// Widget is the CloudWatch metric widget JSON of the digest's chart, drawn
	// by the notifier for the channels that show it.
	Widget string `json:"widget,omitempty"`
}

// DigestRow is one count of a digest: by kind, account and severity, or by rule.
type DigestRow struct {
	Kind     string `json:"kind"`
	Account  string `json:"account,omitempty"`
	Severity string `json:"severity,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Count    int    `json:"count"`
}

// Total is the number of records the digest counts.
func (s *DigestSummary) Total() int {
	n := 0
	for _, v := range s.Totals {
		n += v
	}
	return n
}

// Period is "2026-11-23 to 2026-11-29": the first and last day covered.
func (s *DigestSummary) Period() string {
	return s.From.UTC().Format(time.DateOnly) + " to " + s.To.UTC().Add(-time.Second).Format(time.DateOnly)
}

// DigestID is the alert id of the digest of stack for a period: the period is
// part of it, so each week's digest is a new message past the dedup window.
func DigestID(stack string, from, to time.Time) string {
	return MakeID("digest", stack, from.UTC().Format(time.RFC3339), to.UTC().Format(time.RFC3339))
}

// DigestTitle is the title of a digest message.
func DigestTitle(s *DigestSummary) string {
	return fmt.Sprintf("Watchkeeper weekly digest: %d records, %s", s.Total(), s.Period())
}

// DigestDetail is the detail of a digest event for stack. Long names are
// cut, and rows are dropped from the end (rules first) until the detail
// fits MaxDigestDetailBytes; RowsDropped says how many went.
func DigestDetail(stack string, s DigestSummary) (Detail, error) {
	if len(s.Receivers) == 0 {
		return Detail{}, fmt.Errorf("digest detail: no receivers")
	}
	if !s.From.Before(s.To) {
		return Detail{}, fmt.Errorf("digest detail: period %s to %s is empty", s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	}
	s.From, s.To = s.From.UTC(), s.To.UTC()
	s.Rows = cutRows(s.Rows)
	s.Rules = cutRows(s.Rules)
	d := Detail{
		SchemaVersion: DetailSchemaVersion,
		AlertID:       DigestID(stack, s.From, s.To),
		Rule:          RuleDigest,
		Severity:      SeverityInfo,
		Title:         DigestTitle(&s),
		State:         StateEvent,
		Labels:        map[string]string{LabelSource: SourceSweeper},
		Time:          s.To,
		Digest:        &s,
	}
	for {
		b, err := json.Marshal(d)
		if err != nil {
			return Detail{}, fmt.Errorf("digest detail: %w", err)
		}
		if len(b) <= MaxDigestDetailBytes {
			return d, nil
		}
		// Drop about as many rows as the excess holds, at least one, so a
		// huge week takes a few rounds rather than one per row.
		n := len(s.Rules) + len(s.Rows)
		if n == 0 {
			return Detail{}, fmt.Errorf("digest detail: %d bytes without rows, limit %d", len(b), MaxDigestDetailBytes)
		}
		drop := max(1, n*(len(b)-MaxDigestDetailBytes)/len(b))
		r := min(drop, len(s.Rules))
		s.Rules = s.Rules[:len(s.Rules)-r]
		s.Rows = s.Rows[:len(s.Rows)-min(drop-r, len(s.Rows))]
		s.RowsDropped += drop
	}
}

func cutRows(rows []DigestRow) []DigestRow {
	out := make([]DigestRow, len(rows))
	for i, r := range rows {
		out[i] = DigestRow{Kind: truncate(r.Kind, maxDigestField), Account: truncate(r.Account, maxDigestField),
			Severity: truncate(r.Severity, maxDigestField), Rule: truncate(r.Rule, maxDigestField), Count: r.Count}
	}
	return out
}

// IsDigest reports whether a is a digest (a Watchkeeper Digest event), which
// goes to its named receivers rather than through the routing tree.
func (a *Alert) IsDigest() bool {
	return a != nil && a.Digest != nil && a.Label(LabelDetailType) == DetailTypeDigest
}

// digestFields fills a digest's alert from its detail.
func digestFields(a *Alert, d *Detail) error {
	s := d.Digest
	if s == nil {
		return fmt.Errorf("detail: digest event without digest")
	}
	if len(s.Receivers) == 0 {
		return fmt.Errorf("detail: digest without receivers")
	}
	for _, r := range s.Receivers {
		if r == "" {
			return fmt.Errorf("detail: digest names an empty receiver")
		}
	}
	if !s.From.Before(s.To) {
		return fmt.Errorf("detail: digest period %s to %s is empty", s.From.Format(time.RFC3339), s.To.Format(time.RFC3339))
	}
	for _, r := range append(slicesClone(s.Rows), s.Rules...) {
		if r.Count < 0 {
			return fmt.Errorf("detail: digest row %q has a negative count", truncate(r.Kind, 60))
		}
	}
	if d.AlertID == "" {
		d.AlertID = DigestID("", s.From, s.To)
	}
	a.State = StateEvent
	c := *s
	c.From, c.To = s.From.UTC(), s.To.UTC()
	a.Digest = &c
	if a.Title == "" {
		a.Title = DigestTitle(&c)
	}
	return nil
}

func slicesClone(rows []DigestRow) []DigestRow { return append([]DigestRow(nil), rows...) }
