package config

import (
	"slices"
	"strings"
)

// DigestInputReceivers is the digest job input naming the receivers that
// get the digest through the notifier (see shared/sweep).
const DigestInputReceivers = "receivers"

// digestReceivers checks, at synth, that a digest schedule's receivers
// input names receivers of this config; the sweeper checks again at run time.
func (v *validator) digestReceivers() {
	var valid []string
	for _, r := range v.c.Notifications.Receivers {
		valid = append(valid, r.Name)
	}
	for i, s := range v.c.Schedules {
		raw, ok := s.Input[DigestInputReceivers]
		if s.Job != JobDigest || !ok {
			continue
		}
		p := indexPath("schedules", i) + ".input." + DigestInputReceivers
		list, isList := raw.([]any)
		if !isList {
			v.errf(p, "must be a list of receiver names")
			continue
		}
		for _, n := range list {
			name, isStr := n.(string)
			if !isStr {
				v.errf(p, "must be a list of receiver names")
				break
			}
			if !slices.Contains(valid, name) {
				v.errf(p, "unknown receiver %q (valid: %s)", name, strings.Join(valid, ", "))
			}
		}
	}
}
