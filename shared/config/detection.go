package config

import (
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// DefaultDetectionDedupWindow is detection.dedup_window's default: the same
// rule on the same resource or principal is published at most once an hour.
const DefaultDetectionDedupWindow = "1h"

// MaxThresholdWindow bounds detection.thresholds[].window: counters are kept
// in time buckets of the window's length, and a longer window would keep
// items (and a crossing) alive for days.
const MaxThresholdWindow = 24 * time.Hour

// Threshold keys that name a record field rather than a label.
const (
	ThresholdKeyPrincipal = "principal"
	ThresholdKeySourceIP  = "source_ip"
	ThresholdKeyAccessKey = "access_key"
	ThresholdKeyAccount   = "account"
)

var techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)

// thresholds checks detection.thresholds, whose ids share ids with
// detection.rules, and the suppressions' record conditions.
func (v *validator) thresholds(ids *uniq) {
	det := &v.c.Detection
	v.duration("detection.dedup_window", det.DedupWindow, false)
	for i := range det.Thresholds {
		t := &det.Thresholds[i]
		p := indexPath("detection.thresholds", i)
		if v.required(p+".id", t.ID) {
			ids.check(v, p+".id", t.ID)
			if !ruleIDRE.MatchString(t.ID) {
				v.errf(p+".id", "%q is not a rule id (letters, digits, . _ : -)", t.ID)
			}
		}
		v.required(p+".title", t.Title)
		v.severity(p+".severity", t.Severity)
		switch {
		case t.Rule == "" && t.Pattern == "":
			v.errf(p, "needs rule (the id of a rule whose matches are counted) or pattern (a filter pattern)")
		case t.Rule != "" && t.Pattern != "":
			v.errf(p+".pattern", "give rule or pattern, not both")
		case t.Rule != "":
			if !ruleIDRE.MatchString(t.Rule) {
				v.errf(p+".rule", "%q is not a rule id (letters, digits, . _ : -)", t.Rule)
			} else if t.Rule == t.ID {
				v.errf(p+".rule", "a threshold cannot count its own findings")
			}
		default:
			v.filterPattern(p+".pattern", t.Pattern, true)
		}
		if t.Count < 1 {
			v.errf(p+".count", "must be at least 1")
		}
		if v.required(p+".window", t.Window) {
			v.duration(p+".window", t.Window, false)
			if d, err := time.ParseDuration(t.Window); err == nil && (d < time.Second || d > MaxThresholdWindow) {
				v.errf(p+".window", "%q must be between 1s and %s", t.Window, MaxThresholdWindow)
			}
		}
		if v.required(p+".key", t.Key) && !labelNameRE.MatchString(t.Key) {
			v.errf(p+".key", "%q is not %s, %s, %s, %s or a label name", t.Key,
				ThresholdKeyPrincipal, ThresholdKeySourceIP, ThresholdKeyAccessKey, ThresholdKeyAccount)
		}
		if t.Technique != "" && !techniqueRE.MatchString(t.Technique) {
			v.errf(p+".technique", "%q is not an ATT&CK technique id (T1234 or T1234.001)", t.Technique)
		}
	}
	for i := range det.Suppressions {
		s := &det.Suppressions[i]
		p := indexPath("detection.suppressions", i)
		if s.Rule == "" && len(s.Matchers) == 0 && s.Principal == "" && s.SourceCIDR == "" && s.UserAgent == "" && s.Account == "" && s.Region == "" {
			v.errf(p, "names no rule and no condition: it would drop every finding (give rule, matchers, principal, source_cidr, user_agent, account or region)")
		}
		if s.Until == "" {
			v.errf(p+".until", "is required (an RFC 3339 expiry, so that no suppression outlives its reason)")
		}
		if s.Rule != "" && !ruleIDRE.MatchString(s.Rule) {
			v.errf(p+".rule", "%q is not a rule id (letters, digits, . _ : -)", s.Rule)
		}
		for _, g := range []struct{ key, val string }{{"principal", s.Principal}, {"user_agent", s.UserAgent}} {
			if g.val != "" && strings.TrimSpace(g.val) == "" {
				v.errf(p+"."+g.key, "is blank")
			}
		}
		if s.SourceCIDR != "" {
			if _, err := netip.ParsePrefix(s.SourceCIDR); err != nil {
				v.errf(p+".source_cidr", "%q is not a CIDR (e.g. 203.0.113.0/24 or 2001:db8::/32)", s.SourceCIDR)
			}
		}
		if s.Account != "" && !accountRE.MatchString(s.Account) {
			v.errf(p+".account", "%q is not a 12-digit account id", s.Account)
		}
		if s.Region != "" && !regionRE.MatchString(s.Region) {
			v.errf(p+".region", "%q is not a region (e.g. eu-west-1)", s.Region)
		}
	}
}
