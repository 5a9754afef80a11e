package detect

import (
	"errors"
	"fmt"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

// PatternEngine evaluates custom rules written as CloudWatch Logs filter
// patterns over the CloudTrail record, then drops what a suppression covers.
// Patterns are compiled once; each record is decoded once for all of them.
type PatternEngine struct {
	rules        []patternRule
	suppressions []suppression
	now          func() time.Time
}

type patternRule struct {
	config.DetectionRule
	pattern *filterpattern.Pattern
}

type suppression struct {
	rule     string
	matchers []config.Matcher
	until    time.Time
}

// NewPatternEngine compiles the config's custom rules and suppressions. It
// reports every bad pattern, matcher or expiry at once.
func NewPatternEngine(d config.Detection, now func() time.Time) (*PatternEngine, error) {
	if now == nil {
		now = time.Now
	}
	e := &PatternEngine{now: now}
	var errs []error
	for i, r := range d.Rules {
		p, err := filterpattern.Compile(r.Pattern)
		if err != nil {
			errs = append(errs, fmt.Errorf("detection.rules[%d] (%s): %w", i, r.ID, err))
			continue
		}
		e.rules = append(e.rules, patternRule{DetectionRule: r, pattern: p})
	}
	for i, s := range d.Suppressions {
		ms, err := config.ParseMatchers(s.Matchers)
		if err != nil {
			errs = append(errs, fmt.Errorf("detection.suppressions[%d]: %w", i, err))
			continue
		}
		sup := suppression{rule: s.Rule, matchers: ms}
		if s.Until != "" {
			if sup.until, err = time.Parse(time.RFC3339, s.Until); err != nil {
				errs = append(errs, fmt.Errorf("detection.suppressions[%d].until: %w", i, err))
				continue
			}
		}
		e.suppressions = append(e.suppressions, sup)
	}
	return e, errors.Join(errs...)
}

// Len is the number of rules loaded.
func (e *PatternEngine) Len() int { return len(e.rules) }

// Evaluate implements Engine.
func (e *PatternEngine) Evaluate(rec *cloudtrail.Record, raw []byte) []Match {
	if len(e.rules) == 0 {
		return nil
	}
	ev := filterpattern.NewEvent(string(raw))
	var out []Match
	var labels map[string]string
	for _, r := range e.rules {
		if !r.pattern.MatchEvent(ev) {
			continue
		}
		if labels == nil {
			labels = alert.FromCloudTrail(rec).Labels
		}
		if e.suppressed(r.ID, labels) {
			continue
		}
		out = append(out, Match{Rule: r.ID, Title: r.Title, Severity: r.Severity, Description: r.Description})
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
