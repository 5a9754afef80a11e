package route

import (
	"fmt"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Defaults of the root route's timing, Alertmanager's: children inherit
// their parent's values.
// https://prometheus.io/docs/alerting/latest/configuration/#route
const (
	DefaultGroupWait      = 30 * time.Second
	DefaultGroupInterval  = 5 * time.Minute
	DefaultRepeatInterval = 4 * time.Hour
)

// GroupAll is the group_by value that groups by every label, which in
// effect sends every alert on its own.
const GroupAll = "..."

// timing sets the node's durations that r gives.
func (n *Route) timing(r config.Route, path string) error {
	for _, d := range []struct {
		name string
		val  string
		dst  *time.Duration
	}{
		{"group_wait", r.GroupWait, &n.GroupWait},
		{"group_interval", r.GroupInterval, &n.GroupInterval},
		{"repeat_interval", r.RepeatInterval, &n.RepeatInterval},
	} {
		if d.val == "" {
			continue
		}
		v, err := time.ParseDuration(d.val)
		if err != nil {
			return fmt.Errorf("route %s %s: %w", path, d.name, err)
		}
		*d.dst = v
	}
	return nil
}

// Grouped reports whether alerts of this match are grouped: a group_by that
// is neither empty nor "..." (every label).
func (m Match) Grouped() bool {
	if len(m.GroupBy) == 0 {
		return false
	}
	for _, l := range m.GroupBy {
		if l == GroupAll {
			return false
		}
	}
	return true
}
