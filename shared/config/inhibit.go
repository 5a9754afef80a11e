package config

// InhibitRule mutes alerts while another alert fires, with Alertmanager's
// semantics: while an alert matching SourceMatchers fires, alerts matching
// TargetMatchers whose Equal labels have the same values as the source's
// (both absent counts as equal) are not sent. An alert never mutes itself,
// nor does an alert matching both sides mute another that matches both.
type InhibitRule struct {
	// SourceMatchers select the alerts that mute (at least one matcher).
	SourceMatchers []string `yaml:"source_matchers" json:"source_matchers"`
	// TargetMatchers select the alerts that are muted (at least one matcher).
	TargetMatchers []string `yaml:"target_matchers" json:"target_matchers"`
	// Equal are labels that must have the same value in source and target.
	Equal []string `yaml:"equal" json:"equal,omitempty"`
}

// inhibitRules checks notifications.inhibit_rules.
func (v *validator) inhibitRules(p string, rules []InhibitRule) {
	for i, r := range rules {
		rp := indexPath(p, i)
		if len(r.SourceMatchers) == 0 {
			v.errf(rp+".source_matchers", "is required (at least one matcher; an empty list would let every alert mute the targets)")
		}
		if len(r.TargetMatchers) == 0 {
			v.errf(rp+".target_matchers", "is required (at least one matcher; an empty list would mute every alert)")
		}
		v.matchers(rp+".source_matchers", r.SourceMatchers)
		v.matchers(rp+".target_matchers", r.TargetMatchers)
		seen := map[string]bool{}
		for j, l := range r.Equal {
			ep := indexPath(rp+".equal", j)
			switch {
			case !labelNameRE.MatchString(l):
				v.errf(ep, "%q is not a label name", l)
			case seen[l]:
				v.errf(ep, "label %q listed twice", l)
			}
			seen[l] = true
		}
	}
}
