package render

import (
	"fmt"
	"maps"
	"slices"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// MaxDigestLines caps the rows a digest message lists (by account and
// severity, then the busiest rules); vendor limits may cut the list shorter,
// with TruncationMarker.
const MaxDigestLines = 60

// maxDigestFacts caps the totals shown as facts (kinds and outcomes).
const maxDigestFacts = 30

// digestView adds a digest's numbers to v: its period and totals as facts
// and its rows as the message's list, which every format renders (escaped,
// within its limits) like a group's members.
func digestView(v *view, a alert.Alert) {
	s := a.Digest
	if s == nil {
		return
	}
	add := func(name, value string) {
		if len(v.facts) < maxDigestFacts {
			v.facts = append(v.facts, fact{name: clean(name), value: clean(value)})
		}
	}
	add("Period (UTC)", s.Period())
	add("Records", fmt.Sprint(s.Total()))
	for _, k := range slices.Sorted(maps.Keys(s.Totals)) {
		add(cap1(k), fmt.Sprint(s.Totals[k]))
	}
	for _, o := range slices.Sorted(maps.Keys(s.Remediations)) {
		add("Remediations "+o, fmt.Sprint(s.Remediations[o]))
	}
	for _, o := range slices.Sorted(maps.Keys(s.Notifications)) {
		add("Notifications "+o, fmt.Sprint(s.Notifications[o]))
	}
	if a.Group != nil {
		return
	}
	var lines []string
	for _, r := range s.Rows {
		lines = append(lines, cut(fmt.Sprintf("%s · %s · %s: %d", clean(r.Kind), clean(r.Account), clean(r.Severity), r.Count), maxGroupLineText))
	}
	for _, r := range s.Rules {
		lines = append(lines, cut(fmt.Sprintf("rule %s (%s): %d", clean(r.Rule), clean(r.Kind), r.Count), maxGroupLineText))
	}
	more := s.RowsDropped
	if len(lines) > MaxDigestLines {
		more += len(lines) - MaxDigestLines
		lines = lines[:MaxDigestLines]
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("+%d more rows not listed", more))
	}
	if len(lines) == 0 {
		lines = []string{"Nothing happened: no notifications, findings or remediations were recorded."}
	}
	v.groupHeading = "By kind, account and severity; busiest rules"
	v.groupLines = lines
}

// cap1 upper-cases the first letter of an ASCII word.
func cap1(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
