package detect

import (
	"fmt"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
)

// packThresholds compiles the burst rules (rules with a threshold) of the
// packs d enables into thresholds over their patterns, so that they count
// in the same state as the config's thresholds. The packs' other rules are
// the PatternEngine's.
func packThresholds(d config.Detection) ([]*threshold, []error) {
	var out []*threshold
	var errs []error
	loaded := map[string]bool{}
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
			if r.Threshold == nil {
				continue
			}
			p, err := r.Compile()
			if err != nil {
				errs = append(errs, fmt.Errorf("detection.packs[%d] (%s): %w", i, name, err))
				continue
			}
			w, err := r.Threshold.Duration()
			if err != nil {
				errs = append(errs, fmt.Errorf("detection.packs[%d] (%s): rule %s: %w", i, name, r.ID, err))
				continue
			}
			out = append(out, &threshold{
				id: r.ID, title: r.Title, severity: r.Severity, description: packDescription(r),
				info: RuleInfo{Technique: techniqueID(r.Technique)}, window: w, count: r.Threshold.Count,
				key: r.Threshold.Key, pattern: p,
			})
		}
	}
	return out, errs
}
