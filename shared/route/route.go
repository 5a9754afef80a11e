// Package route decides which receivers get an alert: an Alertmanager-style
// tree of routes with label matchers, nested children, `continue` and
// per-route send_resolved, built once from config.
package route

import (
	"fmt"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Route is a compiled node of the routing tree.
type Route struct {
	Receiver     string
	Matchers     []config.Matcher
	Continue     bool
	SendResolved bool
	GroupBy      []string
	Routes       []*Route
	// Timing, inherited from the parent when unset (see Default*).
	GroupWait, GroupInterval, RepeatInterval time.Duration

	// path names the node ("root/0/1"), computed once at Build.
	path string
}

// Match is one receiver chosen for an alert, with the route settings that apply.
type Match struct {
	Receiver     string
	SendResolved bool
	// Path names the route that matched, e.g. "root/0/1", for logs and audit.
	Path string
	// GroupBy, GroupWait and GroupInterval group storms (see package
	// dispatch); RepeatInterval spaces reminders of a firing alert.
	GroupBy                                  []string
	GroupWait, GroupInterval, RepeatInterval time.Duration
}

// Build compiles the tree from config. Children inherit receiver, send_resolved
// and group_by from their parent when they leave them unset.
func Build(r config.Route) (*Route, error) {
	return build(r, nil, "root")
}

func build(r config.Route, parent *Route, path string) (*Route, error) {
	n := &Route{Receiver: r.Receiver, Continue: r.Continue, SendResolved: true, GroupBy: r.GroupBy,
		GroupWait: DefaultGroupWait, GroupInterval: DefaultGroupInterval, RepeatInterval: DefaultRepeatInterval, path: path}
	if parent != nil {
		n.GroupWait, n.GroupInterval, n.RepeatInterval = parent.GroupWait, parent.GroupInterval, parent.RepeatInterval
		if n.Receiver == "" {
			n.Receiver = parent.Receiver
		}
		n.SendResolved = parent.SendResolved
		if n.GroupBy == nil {
			n.GroupBy = parent.GroupBy
		}
	}
	if r.SendResolved != nil {
		n.SendResolved = *r.SendResolved
	}
	if err := n.timing(r, path); err != nil {
		return nil, err
	}
	for i, s := range r.Matchers {
		m, err := config.ParseMatcher(s)
		if err != nil {
			return nil, fmt.Errorf("route %s matcher %d: %w", path, i, err)
		}
		n.Matchers = append(n.Matchers, m)
	}
	for i, c := range r.Routes {
		child, err := build(c, n, fmt.Sprintf("%s/%d", path, i))
		if err != nil {
			return nil, err
		}
		n.Routes = append(n.Routes, child)
	}
	return n, nil
}

// Receivers returns the receivers for labels, walking the tree depth-first:
// the deepest matching routes win; siblings after a match are tried only when
// it has `continue`; a node whose children all miss handles the alert itself.
// The result holds each receiver once (first match wins).
func (r *Route) Receivers(labels map[string]string) []Match {
	var out []Match
	r.walk(labels, &out)
	seen := make(map[string]bool, len(out))
	uniq := out[:0]
	for _, m := range out {
		if m.Receiver == "" || seen[m.Receiver] {
			continue
		}
		seen[m.Receiver] = true
		uniq = append(uniq, m)
	}
	return uniq
}

func (r *Route) matches(labels map[string]string) bool {
	for _, m := range r.Matchers {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

// walk appends the matches below r (r itself already matched) and reports
// whether anything was appended.
func (r *Route) walk(labels map[string]string, out *[]Match) bool {
	if !r.matches(labels) {
		return false
	}
	matched := false
	for _, c := range r.Routes {
		if c.walk(labels, out) {
			matched = true
			if !c.Continue {
				break
			}
		}
	}
	if !matched {
		*out = append(*out, Match{Receiver: r.Receiver, SendResolved: r.SendResolved, Path: r.path,
			GroupBy: r.GroupBy, GroupWait: r.GroupWait, GroupInterval: r.GroupInterval, RepeatInterval: r.RepeatInterval})
	}
	return true
}

// String renders the tree for logs and the demo.
func (r *Route) String() string {
	var b strings.Builder
	r.format(&b, 0)
	return b.String()
}

func (r *Route) format(b *strings.Builder, depth int) {
	ms := make([]string, len(r.Matchers))
	for i, m := range r.Matchers {
		ms[i] = m.String()
	}
	fmt.Fprintf(b, "%s- receiver=%s matchers=[%s] continue=%t send_resolved=%t\n",
		strings.Repeat("  ", depth), r.Receiver, strings.Join(ms, ", "), r.Continue, r.SendResolved)
	for _, c := range r.Routes {
		c.format(b, depth+1)
	}
}
