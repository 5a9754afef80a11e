package remediate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Where a target was found, for Target.From.
const (
	fromRequest  = "requestParameters."
	fromResponse = "responseElements."
	fromDim      = "dimension "
	fromResource = "resource "
	fromParams   = "params"
)

// maxIDLen bounds identifiers taken from payloads; AWS names are far shorter
// (bucket names 63, ASG names 255, trail ARNs a few hundred).
const maxIDLen = 1600

// jsonString returns the string at path inside raw JSON, or "" when raw is
// not an object, the path is absent, or the value is not a string.
func jsonString(raw json.RawMessage, path ...string) string {
	if len(raw) == 0 || raw[0] != '{' {
		return ""
	}
	var cur any
	if json.Unmarshal(raw, &cur) != nil {
		return ""
	}
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[k]
	}
	s, _ := cur.(string)
	if len(s) > maxIDLen {
		return ""
	}
	return strings.TrimSpace(s)
}

// requestParam reads requestParameters.<path> of the alert's CloudTrail record.
func requestParam(a alert.Alert, path ...string) string {
	if a.Record == nil {
		return ""
	}
	return jsonString(a.Record.RequestParameters, path...)
}

// responseElement reads responseElements.<path> of the alert's CloudTrail record.
func responseElement(a alert.Alert, path ...string) string {
	if a.Record == nil {
		return ""
	}
	return jsonString(a.Record.ResponseElements, path...)
}

// resourceOfType returns the first resource of the alert with one of types.
func resourceOfType(a alert.Alert, types ...string) (alert.Resource, bool) {
	for _, r := range a.Resources {
		if slices.Contains(types, r.Type) && r.Name() != "" && len(r.Name()) <= maxIDLen {
			return r, true
		}
	}
	return alert.Resource{}, false
}

// dimension returns the value of an alarm dimension: of the alarm's metric,
// or of any metric of a metric-math alarm.
func dimension(a alert.Alert, name string) string {
	if m := a.Metric; m != nil {
		for _, d := range m.Dimensions {
			if d.Name == name && d.Value != "" {
				return d.Value
			}
		}
		for _, q := range m.Metrics {
			for _, d := range q.Dimensions {
				if d.Name == name && d.Value != "" {
					return d.Value
				}
			}
		}
	}
	return a.Label(alert.LabelDimensionPrefix + name)
}

// regionOf is the region the alert happened in.
func regionOf(a alert.Alert) string {
	if a.Record != nil && a.Record.AWSRegion != "" {
		return a.Record.AWSRegion
	}
	return a.Label(alert.LabelRegion)
}

// accountOf is the account the alert happened in.
func accountOf(a alert.Alert) string {
	if a.Record != nil {
		if acct := a.Record.Account(); acct != "" {
			return acct
		}
	}
	return a.Label(alert.LabelAccount)
}

// noTarget is the error of an alert that names no resource of the kind an
// action acts on; what says what was looked for and where.
func noTarget(what string, where ...string) error {
	return fmt.Errorf("%w: cannot find the %s in this trigger (looked at %s)", ErrNoTarget, what, strings.Join(where, ", "))
}

// fromEvent reports whether the alert's CloudTrail record is one of names
// from source (e.g. "ec2.amazonaws.com").
func fromEvent(a alert.Alert, source string, names ...string) bool {
	return a.Record != nil && a.Record.EventSource == source && (len(names) == 0 || slices.Contains(names, a.Record.EventName))
}
