// Package packs holds the detector's built-in rule packs as data: one YAML
// file per pack, embedded in the binary, each rule a CloudWatch Logs filter
// pattern over the CloudTrail record with the records it must and must not
// match beside it.
package packs

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

//go:embed cis.yaml attack.yaml
var files embed.FS

// Pack is a named set of detection rules.
type Pack struct {
	// Name is the pack's name in config (detection.packs).
	Name string `yaml:"name"`
	// Description says what the pack covers and where its rules come from.
	Description string `yaml:"description"`
	// Rules are the pack's rules, in file order.
	Rules []Rule `yaml:"rules"`
}

// Rule is one detection rule of a pack.
type Rule struct {
	// ID names the rule in findings and suppressions, e.g. "cis.4.3".
	ID string `yaml:"id"`
	// Title is the one-line summary shown in messages.
	Title string `yaml:"title"`
	// Severity of findings: critical, high, medium, low or info.
	Severity string `yaml:"severity"`
	// Technique is the MITRE ATT&CK technique id and name, e.g.
	// "T1098.001 Account Manipulation: Additional Cloud Credentials".
	Technique string `yaml:"technique"`
	// Control is the CIS AWS Foundations Benchmark control number (cis pack only).
	Control string `yaml:"control"`
	// SecurityHub is the matching AWS Security Hub control id, if any (cis pack only).
	SecurityHub string `yaml:"securityhub"`
	// Description explains the finding and what to do.
	Description string `yaml:"description"`
	// Pattern is the CloudWatch Logs filter pattern over the CloudTrail
	// record: the same text a metric filter would use.
	Pattern string `yaml:"pattern"`
	// Threshold, when set, makes the rule a burst rule: its pattern selects
	// the records the detector's threshold engine counts, and only reaching
	// the count within the window gives a finding.
	Threshold *Threshold `yaml:"threshold"`
	// Tests are CloudTrail records the pattern must and must not match.
	Tests Tests `yaml:"tests"`
}

// Tests are the example records of a rule.
type Tests struct {
	// Match are records the rule must fire on.
	Match []Record `yaml:"match"`
	// NoMatch are near misses the rule must not fire on.
	NoMatch []Record `yaml:"nomatch"`
}

// Record is a CloudTrail record written in the pack file as a YAML mapping.
type Record map[string]any

// JSON is the record as the JSON text CloudTrail delivers.
func (r Record) JSON() ([]byte, error) {
	b, err := json.Marshal(map[string]any(r))
	if err != nil {
		return nil, fmt.Errorf("record as JSON: %w", err)
	}
	return b, nil
}

// Names lists the built-in packs.
func Names() []string {
	return []string{config.PackCIS, config.PackAttack}
}

// Load returns the built-in pack called name.
func Load(name string) (Pack, error) {
	if !slices.Contains(Names(), name) {
		return Pack{}, fmt.Errorf("unknown detection pack %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return Pack{}, fmt.Errorf("read pack %s: %w", name, err)
	}
	p, err := Parse(data)
	if err != nil {
		return Pack{}, fmt.Errorf("pack %s: %w", name, err)
	}
	if p.Name != name {
		return Pack{}, fmt.Errorf("pack %s: file names itself %q", name, p.Name)
	}
	return p, nil
}

// Parse decodes a pack file strictly (unknown keys are errors) and checks
// every rule: required fields, a valid severity, a unique id and a pattern
// that compiles (filterpattern.Compile enforces the metric-filter length
// limit, so every rule can also be deployed as a metric filter). It reports every mistake at once.
func Parse(data []byte) (Pack, error) {
	var p Pack
	if err := yaml.UnmarshalWithOptions(data, &p, yaml.Strict()); err != nil {
		return Pack{}, fmt.Errorf("decode: %w", err)
	}
	if p.Name == "" {
		return Pack{}, errors.New("decode: missing name")
	}
	var errs []error
	seen := map[string]bool{}
	for i, r := range p.Rules {
		where := fmt.Sprintf("rules[%d] (%s)", i, r.ID)
		if err := r.check(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("%s: duplicate id", where))
		}
		seen[r.ID] = true
	}
	return p, errors.Join(errs...)
}

// check validates one rule on its own.
func (r *Rule) check() error {
	var errs []error
	for _, f := range []struct{ name, value string }{
		{"id", r.ID}, {"title", r.Title}, {"severity", r.Severity},
		{"technique", r.Technique}, {"description", r.Description}, {"pattern", r.Pattern},
	} {
		if strings.TrimSpace(f.value) == "" {
			errs = append(errs, fmt.Errorf("missing %s", f.name))
		}
	}
	if r.Severity != "" && !slices.Contains(alert.Severities(), r.Severity) {
		errs = append(errs, fmt.Errorf("severity %q is not one of %s", r.Severity, strings.Join(alert.Severities(), ", ")))
	}
	if r.Pattern != "" {
		if _, err := filterpattern.Compile(r.Pattern); err != nil {
			errs = append(errs, fmt.Errorf("pattern: %w", err))
		}
	}
	if r.Threshold != nil {
		if err := r.Threshold.check(); err != nil {
			errs = append(errs, fmt.Errorf("threshold: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Compile compiles the rule's pattern.
func (r *Rule) Compile() (*filterpattern.Pattern, error) {
	p, err := filterpattern.Compile(r.Pattern)
	if err != nil {
		return nil, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	return p, nil
}
