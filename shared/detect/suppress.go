package detect

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Suppressor decides which matches the config's suppressions cover. A
// suppression applies to one rule (or every rule when it names none) until
// its expiry, and covers a record when every condition it gives holds.
type Suppressor struct {
	rules []suppressRule
	now   func() time.Time
}

type suppressRule struct {
	index     int
	rule      string
	reason    string
	until     time.Time
	matchers  []config.Matcher
	principal *regexp.Regexp
	userAgent *regexp.Regexp
	cidr      netip.Prefix
	account   string
	region    string
}

// NewSuppressor compiles the suppressions, reporting every bad matcher,
// CIDR, glob or expiry at once.
func NewSuppressor(ss []config.Suppression, now func() time.Time) (*Suppressor, error) {
	if now == nil {
		now = time.Now
	}
	s := &Suppressor{now: now}
	var errs []error
	for i, c := range ss {
		r := suppressRule{index: i, rule: c.Rule, reason: c.Reason, account: c.Account, region: c.Region}
		var err error
		if r.matchers, err = config.ParseMatchers(c.Matchers); err != nil {
			errs = append(errs, fmt.Errorf("detection.suppressions[%d]: %w", i, err))
			continue
		}
		if c.Until != "" {
			if r.until, err = time.Parse(time.RFC3339, c.Until); err != nil {
				errs = append(errs, fmt.Errorf("detection.suppressions[%d].until: %w", i, err))
				continue
			}
		}
		if c.SourceCIDR != "" {
			if r.cidr, err = netip.ParsePrefix(c.SourceCIDR); err != nil {
				errs = append(errs, fmt.Errorf("detection.suppressions[%d].source_cidr: %w", i, err))
				continue
			}
			r.cidr = r.cidr.Masked()
		}
		if r.principal, err = globRE(c.Principal); err != nil {
			errs = append(errs, fmt.Errorf("detection.suppressions[%d].principal: %w", i, err))
			continue
		}
		if r.userAgent, err = globRE(c.UserAgent); err != nil {
			errs = append(errs, fmt.Errorf("detection.suppressions[%d].user_agent: %w", i, err))
			continue
		}
		s.rules = append(s.rules, r)
	}
	return s, errors.Join(errs...)
}

// globRE compiles a glob where * is any run of characters and ? one
// character; "" is no glob (nil).
func globRE(g string) (*regexp.Regexp, error) {
	if g == "" {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(`^`)
	for _, r := range g {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

// Len is the number of suppressions.
func (s *Suppressor) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Suppressed reports whether a live suppression covers rule's match on
// rec, and which one (its index in the config and its reason). labels
// builds the record's finding labels and is called only when a suppression
// has matchers.
func (s *Suppressor) Suppressed(rule string, rec *cloudtrail.Record, labels func() map[string]string) (index int, reason string, ok bool) {
	if s == nil || len(s.rules) == 0 {
		return 0, "", false
	}
	now := s.now()
	for _, r := range s.rules {
		if (r.rule != "" && r.rule != rule) || (!r.until.IsZero() && now.After(r.until)) {
			continue
		}
		if r.covers(rule, rec, labels) {
			return r.index, r.reason, true
		}
	}
	return 0, "", false
}

func (r *suppressRule) covers(rule string, rec *cloudtrail.Record, labels func() map[string]string) bool {
	if rec == nil {
		return false
	}
	if r.account != "" && rec.Account() != r.account {
		return false
	}
	if r.region != "" && rec.AWSRegion != r.region {
		return false
	}
	if r.principal != nil && !r.principal.MatchString(rec.UserIdentity.ARN) {
		return false
	}
	if r.userAgent != nil && !r.userAgent.MatchString(rec.UserAgent) {
		return false
	}
	if r.cidr.IsValid() {
		// sourceIPAddress is a service name ("ec2.amazonaws.com") for calls
		// AWS makes on a caller's behalf; such records are never in a CIDR.
		ip, err := netip.ParseAddr(rec.SourceIPAddress)
		if err != nil || !r.cidr.Contains(ip.Unmap()) {
			return false
		}
	}
	if len(r.matchers) > 0 {
		ls := labels()
		with := make(map[string]string, len(ls)+1)
		for k, v := range ls {
			with[k] = v
		}
		with[alert.LabelRule] = rule
		if !config.MatchAll(r.matchers, with) {
			return false
		}
	}
	return true
}
