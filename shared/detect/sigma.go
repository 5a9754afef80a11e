package detect

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// SigmaRules are the Sigma rules loaded from the config's sigma_files.
type SigmaRules struct {
	// Rules evaluate record by record.
	Rules []*sigma.Rule
	// Aggregating rules (count() … by, timeframe) run in the threshold
	// engine (NewThresholds).
	Aggregating []*sigma.Rule
}

// LoadSigma reads every .yml/.yaml file under each path (relative to dir,
// the directory of the config file) and parses it. All problems are reported
// at once, each naming its file.
func LoadSigma(dir string, paths []string) (SigmaRules, error) {
	var out SigmaRules
	var errs []error
	for _, p := range paths {
		root := filepath.Join(dir, p)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !(strings.HasSuffix(path, ".yml") || strings.HasSuffix(path, ".yaml")) {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			r, err := sigma.Parse(data)
			if r != nil {
				r.Name = strings.TrimSuffix(d.Name(), filepath.Ext(d.Name()))
			}
			switch {
			case errors.Is(err, sigma.ErrAggregation) && r != nil:
				out.Aggregating = append(out.Aggregating, r)
			case err != nil:
				errs = append(errs, fmt.Errorf("sigma rule %s: %w", path, err))
			default:
				out.Rules = append(out.Rules, r)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("sigma_files %s: %w", p, err))
		}
	}
	return out, errors.Join(errs...)
}

// AddSigma adds Sigma rules to the engine. Their findings are named
// "sigma:<file stem>" (SigmaRuleID) and carry the rule's author and link, as
// the Detection Rule License requires.
func (e *PatternEngine) AddSigma(rules []*sigma.Rule) error {
	var errs []error
	for _, r := range rules {
		id := SigmaRuleID(r)
		if from, dup := e.ids[id]; dup {
			errs = append(errs, fmt.Errorf("sigma rule %q: id already used by %s", r.Title, from))
			continue
		}
		e.ids[id] = "sigma rule " + r.Title
		desc := strings.TrimSpace(r.Description)
		if desc != "" {
			desc += "\n"
		}
		e.add(patternRule{
			id: id, title: r.Title, severity: sigmaSeverity(r.Level),
			description: desc + r.Attribution(),
			match: func(ev *filterpattern.Event) bool {
				v, ok := ev.JSON()
				return ok && r.Match(v)
			},
			literals: r.Literals, paths: r.Paths,
		})
	}
	e.index.finish()
	return errors.Join(errs...)
}

// sigmaSeverity maps a Sigma level to a Watchkeeper severity.
// https://sigmahq.io/docs/basics/rules.html#level
func sigmaSeverity(level string) string {
	switch l := strings.ToLower(level); {
	case l == "informational":
		return alert.SeverityInfo
	case slices.Contains(alert.Severities(), l):
		return l
	default:
		return alert.SeverityMedium
	}
}
