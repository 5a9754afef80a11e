// Package sigma parses Sigma detection rules for AWS CloudTrail and compiles
// their detection into an evaluator over decoded CloudTrail JSON records.
//
// Spec: https://github.com/SigmaHQ/sigma-specification. Rules from SigmaHQ
// are under the Detection Rule License 1.1, so every finding must carry the
// rule's author; [Rule.Attribution] renders that line.
package sigma

import (
	"errors"
	"fmt"
	"strings"
)

// SigmaHQURL is the rule set a finding links to when the rule does not name
// another [Rule.Source] (DRL 1.1 §2 asks for a URI to the rule or rule set).
const SigmaHQURL = "https://github.com/SigmaHQ/sigma"

// License is the licence statement that attribution carries.
const License = "Detection Rule License 1.1"

var (
	// ErrAggregation marks a rule whose condition aggregates or correlates
	// records (count(), near, timeframe); it needs a threshold engine, not
	// per-record matching.
	ErrAggregation = errors.New("sigma: aggregation or correlation is not supported by per-record matching")
	// ErrLogsource marks a rule that is not for AWS CloudTrail.
	ErrLogsource = errors.New("sigma: logsource is not product aws, service cloudtrail")
	// ErrPlaceholder marks an |expand placeholder without values.
	ErrPlaceholder = errors.New("sigma: placeholder has no value")
)

// Logsource says which log a rule reads.
type Logsource struct {
	Product    string
	Service    string
	Category   string
	Definition string
}

// Rule is one parsed Sigma rule with its compiled detection.
type Rule struct {
	Title          string
	ID             string
	Status         string
	Description    string
	References     []string
	Author         string
	Date           string
	Modified       string
	Tags           []string
	Logsource      Logsource
	FalsePositives []string
	Level          string
	// Condition is the detection condition as written.
	Condition string
	// Aggregation is the part of the condition after '|' (for example
	// "count() > 10" or "near selection2"); empty for plain rules.
	Aggregation string
	// Timeframe is detection.timeframe (for example "10m"); empty if unset.
	Timeframe string
	// Source overrides SigmaHQURL in Attribution for rules from elsewhere.
	Source string
	// Name is the stem of the file the rule was loaded from (set by the
	// loader; empty for rules parsed from bytes).
	Name string

	match matcher
	// selections are the compiled search identifiers, for correlations
	// that need each on its own.
	selections map[string]matcher
}

// Parse parses and compiles one rule. A rule that aggregates comes back
// with its metadata, Aggregation/Timeframe set and its per-record part
// compiled, together with an error wrapping ErrAggregation.
func Parse(data []byte) (*Rule, error) {
	return ParseWithPlaceholders(data, nil)
}

// ParseWithPlaceholders is Parse with values for |expand placeholders:
// placeholders["Legitimate_Countries"] fills %Legitimate_Countries%.
func ParseWithPlaceholders(data []byte, placeholders map[string][]string) (*Rule, error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, err
	}
	r, det, err := metadata(root)
	if err != nil {
		return nil, err
	}
	c := compiler{placeholders: placeholders}
	aggErr, err := c.compileDetection(r, det)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", r.Title, err)
	}
	if aggErr != nil {
		return r, fmt.Errorf("rule %q: %w", r.Title, aggErr)
	}
	return r, nil
}

// ParseMetadata reads a rule's metadata without compiling its detection,
// for listing rules that Parse rejects (aggregations, missing placeholders).
func ParseMetadata(data []byte) (*Rule, error) {
	root, err := parseYAML(data)
	if err != nil {
		return nil, err
	}
	r, _, err := metadata(root)
	return r, err
}

// Match reports whether the decoded JSON record (as from
// filterpattern.DecodeJSON or encoding/json) satisfies the rule. A Rule is
// immutable after Parse, so Match is safe for concurrent use.
func (r *Rule) Match(record any) bool {
	if r == nil || r.match == nil {
		return false
	}
	return r.match.match(record)
}

// Attribution is the line a finding from this rule must carry (DRL 1.1):
// title, author, id, licence and a link to the rule set.
func (r *Rule) Attribution() string {
	author := r.Author
	if author == "" {
		author = "unknown author"
	}
	src := r.Source
	if src == "" {
		src = SigmaHQURL
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Sigma rule %s by %s", r.Title, author)
	if r.ID != "" {
		fmt.Fprintf(&b, " (%s)", r.ID)
	}
	fmt.Fprintf(&b, ", %s, %s", License, src)
	return b.String()
}

func metadata(root *node) (*Rule, *node, error) {
	if root.kind != kindMap {
		return nil, nil, errAt(root, "rule must be a YAML mapping")
	}
	r := &Rule{}
	var det *node
	var haveLogsource bool
	for i, k := range root.keys {
		v := root.vals[i]
		var err error
		switch k {
		case "title":
			r.Title, err = scalar(k, v)
		case "id":
			r.ID, err = scalar(k, v)
		case "status":
			r.Status, err = scalar(k, v)
		case "description":
			r.Description, err = scalar(k, v)
		case "author":
			r.Author, err = scalar(k, v)
		case "date":
			r.Date, err = scalar(k, v)
		case "modified":
			r.Modified, err = scalar(k, v)
		case "level":
			r.Level, err = scalar(k, v)
		case "references":
			r.References, err = strList(k, v)
		case "tags":
			r.Tags, err = strList(k, v)
		case "falsepositives":
			r.FalsePositives, err = strList(k, v)
		case "logsource":
			haveLogsource = true
			err = logsource(&r.Logsource, v)
		case "detection":
			det = v
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if strings.TrimSpace(r.Title) == "" {
		return nil, nil, errAt(root, "rule has no title")
	}
	if !haveLogsource {
		return nil, nil, wrapAt(root, fmt.Errorf("rule %q has no logsource: %w", r.Title, ErrLogsource))
	}
	if !strings.EqualFold(r.Logsource.Product, "aws") || !strings.EqualFold(r.Logsource.Service, "cloudtrail") {
		return nil, nil, wrapAt(root.get("logsource"), fmt.Errorf("rule %q has product %q service %q: %w",
			r.Title, r.Logsource.Product, r.Logsource.Service, ErrLogsource))
	}
	if det == nil {
		return nil, nil, errAt(root, "rule %q has no detection", r.Title)
	}
	return r, det, nil
}

func scalar(key string, v *node) (string, error) {
	switch v.kind {
	case kindScalar:
		return v.str, nil
	case kindNull:
		return "", nil
	}
	return "", errAt(v, "%s must be a scalar", key)
}

func strList(key string, v *node) ([]string, error) {
	switch v.kind {
	case kindNull:
		return nil, nil
	case kindScalar:
		return []string{v.str}, nil
	case kindSeq:
		out := make([]string, 0, len(v.items))
		for _, it := range v.items {
			if it.kind != kindScalar {
				return nil, errAt(it, "%s entries must be scalars", key)
			}
			out = append(out, it.str)
		}
		return out, nil
	}
	return nil, errAt(v, "%s must be a list", key)
}

func logsource(ls *Logsource, v *node) error {
	if v.kind != kindMap {
		return errAt(v, "logsource must be a mapping")
	}
	for i, k := range v.keys {
		s, err := scalar("logsource."+k, v.vals[i])
		if err != nil {
			return err
		}
		switch k {
		case "product":
			ls.Product = s
		case "service":
			ls.Service = s
		case "category":
			ls.Category = s
		case "definition":
			ls.Definition = s
		}
	}
	return nil
}
