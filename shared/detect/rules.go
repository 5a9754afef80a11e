package detect

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

// PatternEngine evaluates the built-in packs' rules and custom rules, all
// CloudWatch Logs filter patterns over the CloudTrail record, then drops what
// a suppression covers (pack rules by their id too). Patterns are compiled
// once. Rules are indexed by the eventName/eventSource values they test, so
// most records are rejected after reading those two fields; the rules the
// index cannot exclude run on every record; either way a record is decoded
// only along the paths the rules to run read.
type PatternEngine struct {
	rules        []patternRule
	index        ruleIndex
	suppressions []suppression
	now          func() time.Time
	// ids maps each rule id to where it was defined, to refuse duplicates.
	ids map[string]string
}

type patternRule struct {
	id, title, severity string
	// description is what findings carry: for pack rules it ends with the
	// ATT&CK technique and, for CIS rules, the control ids.
	description string
	// match tests one record, decoded at most once for every rule.
	match func(ev *filterpattern.Event) bool
	// literals and paths say what of the record the rule reads, for the
	// index (see filterpattern.Pattern's Literals and Paths); nil means
	// anything.
	literals func(field string) ([]string, bool)
	paths    func() ([][]string, bool)
}

// add appends a rule and indexes it.
func (e *PatternEngine) add(r patternRule) {
	e.rules = append(e.rules, r)
	e.index.add(len(e.rules)-1, &e.rules[len(e.rules)-1])
}

type suppression struct {
	rule     string
	matchers []config.Matcher
	until    time.Time
}

// NewPatternEngine loads the packs named in d.Packs, compiles the config's
// custom rules and suppressions, and reports every unknown pack, bad pattern,
// rule id used twice, matcher or expiry at once.
func NewPatternEngine(d config.Detection, now func() time.Time) (*PatternEngine, error) {
	if now == nil {
		now = time.Now
	}
	e := &PatternEngine{now: now, ids: map[string]string{}}
	var errs []error
	ruleFrom := e.ids
	loaded := map[string]bool{}
	burst := map[string]bool{}
	for i, name := range d.Packs {
		if loaded[name] {
			continue
		}
		loaded[name] = true
		pk, err := packs.Load(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("detection.packs[%d]: %w", i, err))
			continue
		}
		for _, r := range pk.Rules {
			if r.Threshold != nil {
				// A burst rule: the threshold engine counts its matches
				// (NewThresholds); its id is still taken.
				ruleFrom[r.ID] = "pack " + name
				burst[r.ID] = true
				continue
			}
			p, err := r.Compile()
			if err != nil {
				errs = append(errs, fmt.Errorf("detection.packs[%d] (%s): %w", i, name, err))
				continue
			}
			ruleFrom[r.ID] = "pack " + name
			e.add(patternRule{
				id: r.ID, title: r.Title, severity: r.Severity,
				description: packDescription(r), match: p.MatchEvent,
				literals: p.Literals, paths: p.Paths,
			})
		}
	}
	for i, r := range d.Rules {
		if from, dup := ruleFrom[r.ID]; dup {
			errs = append(errs, fmt.Errorf("detection.rules[%d] (%s): id already used by %s", i, r.ID, from))
			continue
		}
		p, err := filterpattern.Compile(r.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("detection.rules[%d] (%s): %w", i, r.ID, err))
			continue
		}
		ruleFrom[r.ID] = fmt.Sprintf("detection.rules[%d]", i)
		e.add(patternRule{id: r.ID, title: r.Title, severity: r.Severity, description: r.Description, match: p.MatchEvent,
			literals: p.Literals, paths: p.Paths})
	}
	// Burst rule ids stop custom rules reusing them above, but HasRule
	// must not report them: no threshold may count a rule the engine does
	// not run, and NewThresholds refuses ids the engine has.
	for id := range burst {
		delete(e.ids, id)
	}
	// Suppressions are the Service's (see Suppressor), which counts what
	// they drop; e.suppressions stays empty.
	e.index.finish()
	return e, errors.Join(errs...)
}

// Len is the number of rules loaded.
func (e *PatternEngine) Len() int { return len(e.rules) }

// Evaluate implements Engine. raw is only read.
func (e *PatternEngine) Evaluate(rec *cloudtrail.Record, raw []byte) []Match {
	if len(e.rules) == 0 {
		return nil
	}
	var buf [8]int
	fired, err := e.fired(raw, buf[:0])
	if err != nil {
		// Not a record the index reads (the caller parsed it some other
		// way): every rule on the whole message.
		ev := filterpattern.NewEvent(string(raw))
		for i := range e.rules {
			if e.rules[i].match(ev) {
				fired = append(fired, i)
			}
		}
	}
	var out []Match
	var labels map[string]string
	for _, i := range fired {
		r := &e.rules[i]
		if len(e.suppressions) > 0 {
			if labels == nil {
				labels = alert.FromCloudTrail(rec).Labels
			}
			if e.suppressed(r.id, labels) {
				continue
			}
		}
		out = append(out, Match{Rule: r.id, Title: r.title, Severity: r.severity, Description: r.description})
	}
	return out
}

// suppressed reports whether a live suppression of rule matches the record's labels.
func (e *PatternEngine) suppressed(rule string, labels map[string]string) bool {
	now := e.now()
	for _, s := range e.suppressions {
		if s.rule != rule || (!s.until.IsZero() && now.After(s.until)) {
			continue
		}
		if config.MatchAll(s.matchers, labels) {
			return true
		}
	}
	return false
}

// packDescription is a pack rule's description followed by its CIS
// control; the ATT&CK technique is a field of the finding (see Catalog).
func packDescription(r packs.Rule) string {
	var b strings.Builder
	b.WriteString(strings.TrimSpace(r.Description))
	if r.Control != "" {
		b.WriteString("\n\nCIS AWS Foundations Benchmark: ")
		b.WriteString(r.Control)
		if r.SecurityHub != "" {
			b.WriteString(" (Security Hub ")
			b.WriteString(r.SecurityHub)
			b.WriteString(")")
		}
	}
	return b.String()
}
