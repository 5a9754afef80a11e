package detect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// WindowCounter is the state the threshold engine counts in;
// *state.WindowCounter implements it over the state table.
type WindowCounter interface {
	Add(ctx context.Context, a state.WindowAdd) (state.WindowCount, error)
}

var _ WindowCounter = (*state.WindowCounter)(nil)

// Thresholds is the threshold engine: the config's thresholds and the
// aggregating Sigma rules, each counting the records it selects per key in
// a sliding window and firing when the count reaches its threshold.
type Thresholds struct {
	items []*threshold
}

type threshold struct {
	index                            int
	id, title, severity, description string
	info                             RuleInfo
	window                           time.Duration
	count                            int
	key                              string // a config key kind, or "" with by
	by                               string // the Sigma field grouped by
	rule                             string // count the matches of this rule
	pattern                          *filterpattern.Pattern
	sigma                            *sigma.Rule
	selections                       []string // all-of correlations: one counter slot each
}

// NewThresholds compiles the config's thresholds, the burst rules of the
// packs the config enables and the aggregating Sigma rules. known reports whether a rule id exists (a threshold's rule must);
// every problem is reported at once.
func NewThresholds(d config.Detection, aggregating []*sigma.Rule, known func(id string) bool) (*Thresholds, error) {
	th := &Thresholds{}
	var errs []error
	for i, c := range d.Thresholds {
		w, err := time.ParseDuration(c.Window)
		if err != nil || w <= 0 {
			errs = append(errs, fmt.Errorf("detection.thresholds[%d] (%s): window %q is not a positive duration", i, c.ID, c.Window))
			continue
		}
		if c.Count < 1 {
			errs = append(errs, fmt.Errorf("detection.thresholds[%d] (%s): count must be at least 1", i, c.ID))
			continue
		}
		t := &threshold{
			id: c.ID, title: c.Title, severity: c.Severity, description: c.Description,
			info: RuleInfo{Technique: c.Technique}, window: w, count: c.Count, key: c.Key, rule: c.Rule,
		}
		switch {
		case c.Rule != "":
			if known != nil && !known(c.Rule) {
				errs = append(errs, fmt.Errorf("detection.thresholds[%d] (%s): rule %q is not a loaded rule (custom, pack or sigma:<file stem>)", i, c.ID, c.Rule))
				continue
			}
		default:
			p, err := filterpattern.Compile(c.Pattern)
			if err != nil {
				errs = append(errs, fmt.Errorf("detection.thresholds[%d] (%s): %w", i, c.ID, err))
				continue
			}
			t.pattern = p
		}
		th.add(t)
	}
	pts, perrs := packThresholds(d)
	errs = append(errs, perrs...)
	for _, t := range pts {
		th.add(t)
	}
	for _, r := range aggregating {
		a, err := r.Aggregate()
		if err != nil {
			errs = append(errs, fmt.Errorf("sigma rule %s: %w", SigmaRuleID(r), err))
			continue
		}
		t := &threshold{
			id: SigmaRuleID(r), title: r.Title, severity: sigmaSeverity(r.Level),
			description: strings.TrimSpace(strings.TrimSpace(r.Description) + "\n" + r.Attribution()),
			info:        sigmaInfo(r), window: a.Window, count: a.Threshold, sigma: r,
		}
		switch {
		case a.Kind == sigma.AggregateAll:
			t.selections, t.count = a.Selections, 1
			t.key = config.ThresholdKeyAccount
		case a.By != "":
			t.by = a.By
		default:
			t.key = config.ThresholdKeyAccount
		}
		th.add(t)
	}
	errs = append(errs, th.checkIDs(known))
	return th, errors.Join(errs...)
}

func (th *Thresholds) add(t *threshold) {
	t.index = len(th.items)
	th.items = append(th.items, t)
}

// checkIDs reports threshold ids used twice or by a rule.
func (th *Thresholds) checkIDs(known func(id string) bool) error {
	seen := map[string]bool{}
	var errs []error
	for _, t := range th.items {
		if seen[t.id] || (known != nil && known(t.id)) {
			errs = append(errs, fmt.Errorf("threshold %s: id already used by another rule or threshold", t.id))
		}
		seen[t.id] = true
	}
	return errors.Join(errs...)
}

// Len is the number of thresholds (config and Sigma).
func (th *Thresholds) Len() int {
	if th == nil {
		return 0
	}
	return len(th.items)
}

// readsEveryRecord reports whether a threshold selects records itself (a
// pattern not moved into the engine, a Sigma aggregate) rather than through
// an engine rule, so that no record may be screened out before it sees it.
func (th *Thresholds) readsEveryRecord() bool {
	if th == nil {
		return false
	}
	for _, t := range th.items {
		if t.pattern != nil || t.sigma != nil {
			return true
		}
	}
	return false
}

// IDs lists the threshold ids, for the catalog and suppressions.
func (th *Thresholds) IDs() []string {
	var out []string
	for _, t := range th.items {
		out = append(out, t.id)
	}
	return out
}

// HasRule reports whether the engine loaded a rule with this id, so that a
// threshold can count its matches.
func (e *PatternEngine) HasRule(id string) bool {
	_, ok := e.ids[id]
	return ok
}

// thresholdRulePrefix names the engine rules that only feed thresholds.
const thresholdRulePrefix = "threshold-pattern:"

// AddThresholdPatterns moves the thresholds' filter patterns into the
// engine, so that each record is decoded once for rules and thresholds
// alike. Their matches feed the thresholds only: the detector never
// publishes or counts them as findings.
func (e *PatternEngine) AddThresholdPatterns(th *Thresholds) {
	if th == nil {
		return
	}
	for _, t := range th.items {
		if t.pattern == nil {
			continue
		}
		id := thresholdRulePrefix + t.id
		e.ids[id] = "threshold " + t.id
		e.add(patternRule{id: id, title: t.title, severity: t.severity, match: t.pattern.MatchEvent,
			literals: t.pattern.Literals, paths: t.pattern.Paths})
		t.rule, t.pattern = id, nil
	}
	e.index.finish()
}

// groupKey is one counter update of an invocation: threshold, key, bucket.
type groupKey struct {
	threshold int
	key       string
	bucket    time.Time
}

// thresholdGroup is what an invocation counted for one groupKey.
type thresholdGroup struct {
	t    *threshold
	key  string
	adds []int64
	// at and rec are the latest record counted: it stands for the finding.
	at  time.Time
	rec *cloudtrail.Record
}

// recordView decodes what thresholds need of one record, once, lazily.
type recordView struct {
	rec    *cloudtrail.Record
	raw    []byte
	ev     *filterpattern.Event
	json   any
	jsonOK bool
	decode bool
	labels map[string]string
}

func (v *recordView) event() *filterpattern.Event {
	if v.ev == nil {
		v.ev = filterpattern.NewEvent(string(v.raw))
	}
	return v.ev
}

func (v *recordView) decoded() (any, bool) {
	if !v.decode {
		v.decode = true
		v.json, v.jsonOK = v.event().JSON()
	}
	return v.json, v.jsonOK
}

func (v *recordView) labelSet() map[string]string {
	if v.labels == nil {
		v.labels = alert.FromCloudTrail(v.rec).Labels
		if v.labels == nil {
			v.labels = map[string]string{}
		}
	}
	return v.labels
}

// slots reports which counter slots the record hits for t: [0] for a
// count, each matching selection for a correlation, none when t does not
// select the record.
func (t *threshold) slots(v *recordView, matched map[string]bool) []int {
	switch {
	case t.rule != "":
		if matched[t.rule] {
			return []int{0}
		}
	case t.pattern != nil:
		if t.pattern.MatchEvent(v.event()) {
			return []int{0}
		}
	case t.sigma != nil:
		js, ok := v.decoded()
		if !ok {
			return nil
		}
		if len(t.selections) == 0 {
			if t.sigma.Match(js) {
				return []int{0}
			}
			return nil
		}
		var hit []int
		for i, s := range t.selections {
			if t.sigma.MatchSelection(s, js) {
				hit = append(hit, i)
			}
		}
		return hit
	}
	return nil
}

// keyOf is the value t counts the record under; "" means the record has
// none and is not counted.
func (t *threshold) keyOf(v *recordView) string {
	r := v.rec
	if t.by != "" {
		js, ok := v.decoded()
		if !ok {
			return ""
		}
		s, _ := sigma.FieldValue(js, t.by)
		return s
	}
	switch t.key {
	case config.ThresholdKeyPrincipal:
		if r.UserIdentity.ARN != "" {
			return r.UserIdentity.ARN
		}
		return r.Actor()
	case config.ThresholdKeySourceIP:
		return r.SourceIPAddress
	case config.ThresholdKeyAccessKey:
		return r.UserIdentity.AccessKeyID
	case config.ThresholdKeyAccount:
		return r.Account()
	}
	return v.labelSet()[t.key]
}

// keyName says what the key is, for the finding's text.
func (t *threshold) keyName() string {
	if t.by != "" {
		return t.by
	}
	return strings.ReplaceAll(t.key, "_", " ")
}

// slotCount is how many counter slots t keeps.
func (t *threshold) slotCount() int { return max(1, len(t.selections)) }

// fires reports whether window estimates reach the threshold.
func (t *threshold) fires(est []float64) bool {
	if len(t.selections) > 0 {
		for _, e := range est {
			if e <= 0 {
				return false
			}
		}
		return true
	}
	// Estimates are sums of whole counts and one weighted term: a tiny
	// tolerance keeps 9.9999999 from missing 10.
	return est[0]+1e-9 >= float64(t.count)
}

// observe counts the record for every threshold that selects it, in the
// invocation's groups; suppressed reports (and counts) a suppression of a
// threshold on this record.
func (th *Thresholds) observe(inv *invocation, v *recordView, matched map[string]bool, now time.Time, suppressed func(rule string) bool) {
	if th == nil {
		return
	}
	for _, t := range th.items {
		hit := t.slots(v, matched)
		if len(hit) == 0 || suppressed(t.id) {
			continue
		}
		key := t.keyOf(v)
		if key == "" {
			continue
		}
		at := v.rec.EventTime
		if at.IsZero() {
			at = now
		}
		gk := groupKey{threshold: t.index, key: key, bucket: state.BucketStart(at, t.window)}
		g := inv.groups[gk]
		if g == nil {
			g = &thresholdGroup{t: t, key: key, adds: make([]int64, t.slotCount())}
			inv.groups[gk] = g
		}
		for _, i := range hit {
			g.adds[i]++
		}
		if g.rec == nil || !at.Before(g.at) {
			g.at, g.rec = at, v.rec
		}
	}
}

// flush adds each group to its counter, one update per group, and returns
// the findings of the groups whose window count reaches the threshold.
// Every group at or over its threshold yields a finding; the finding dedup
// keeps that to one per key and window (which is also what makes a retried
// invocation, whose counts are already in, publish what it failed to).
func (th *Thresholds) flush(ctx context.Context, inv *invocation, counter WindowCounter) ([]thresholdFinding, []error) {
	if len(inv.groups) == 0 || counter == nil {
		return nil, nil
	}
	keys := make([]groupKey, 0, len(inv.groups))
	for k := range inv.groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b groupKey) int {
		return cmp.Or(cmp.Compare(a.threshold, b.threshold), cmp.Compare(a.key, b.key), a.bucket.Compare(b.bucket))
	})
	var out []thresholdFinding
	var errs []error
	for _, k := range keys {
		g := inv.groups[k]
		t := g.t
		wc, err := counter.Add(ctx, state.WindowAdd{ID: "threshold#" + t.id + "#" + g.key, Window: t.window, At: g.at, Adds: g.adds})
		if err != nil {
			errs = append(errs, fmt.Errorf("threshold %s: %w", t.id, err))
			continue
		}
		if !t.fires(wc.After) {
			continue
		}
		out = append(out, thresholdFinding{t: t, g: g, count: int(math.Round(wc.After[0]))})
	}
	return out, errs
}

// thresholdFinding is a threshold that fired for one key.
type thresholdFinding struct {
	t     *threshold
	g     *thresholdGroup
	count int
}

// match is the finding as a Match, its description saying how many
// records of which key within which window.
func (f thresholdFinding) match() Match {
	t := f.t
	var what string
	if len(t.selections) > 0 {
		what = fmt.Sprintf("Records matching each of %s from %s %s within %s.", strings.Join(t.selections, ", "), t.keyName(), f.g.key, t.window)
	} else {
		what = fmt.Sprintf("%s matching records from %s %s within %s (threshold %d).", strconv.Itoa(f.count), t.keyName(), f.g.key, t.window, t.count)
	}
	desc := what
	if t.description != "" {
		desc = t.description + "\n\n" + what
	}
	return Match{Rule: t.id, Title: t.title, Severity: t.severity, Description: desc,
		Technique: t.info.Technique, SigmaID: t.info.SigmaID, Author: t.info.Author, Link: t.info.Link}
}
