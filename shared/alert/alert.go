// Package alert turns every input a Watchkeeper function receives (SNS
// notifications, direct alarm actions, EventBridge events, CloudWatch Logs
// subscription batches, scheduler invocations) into one shape, the Alert, and
// defines the suite's own events on its EventBridge bus (see contract.go).
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// State is where the alerting thing stands.
type State string

// States. Alarm states are CloudWatch's; FINDING and REMEDIATED belong to
// security findings; EVENT marks a notification about something that happened
// without being good or bad (an instance launched, a build started).
const (
	StateAlarm            State = "ALARM"
	StateOK               State = "OK"
	StateInsufficientData State = "INSUFFICIENT_DATA"
	StateFinding          State = "FINDING"
	StateRemediated       State = "REMEDIATED"
	StateEvent            State = "EVENT"
)

// Resolved reports whether s means the problem is over (OK or REMEDIATED).
func (s State) Resolved() bool { return s == StateOK || s == StateRemediated }

// Severities, most severe first.
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
	SeverityLow      = "low"
	SeverityInfo     = "info"
)

// Severities lists the valid severities, most severe first.
func Severities() []string {
	return []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInfo}
}

// DefaultAlarmSeverity applies to CloudWatch alarms whose description does not
// name a severity (see SeverityFromText).
const DefaultAlarmSeverity = SeverityMedium

// Alert sources (Alert.Source and the "source" label).
const (
	SourceAlarm       = "cloudwatch.alarm"
	SourceEventBridge = "eventbridge"
	SourceCloudTrail  = "cloudtrail"
	SourceSNS         = "sns"
)

// Label names set by the parsers. Dimensions add one label per dimension,
// named LabelDimensionPrefix + dimension name.
const (
	LabelAccount     = "account"
	LabelRegion      = "region"
	LabelSource      = "source"
	LabelAlarm       = "alarm"
	LabelAlarmARN    = "alarm_arn"
	LabelAlarmType   = "alarm_type"
	LabelRule        = "rule"
	LabelJob         = "job"
	LabelNamespace   = "namespace"
	LabelMetric      = "metric"
	LabelResource    = "resource"
	LabelResourceTyp = "resource_type"
	LabelSeverity    = "severity"
	LabelDetailType  = "detail_type"
	LabelEventSource = "event_source"
	LabelEventName   = "event_name"
	LabelActor       = "actor"
	LabelActorType   = "actor_type"
	LabelSourceIP    = "source_ip"
	LabelErrorCode   = "error_code"
	LabelFindingType = "finding_type"
	LabelControl     = "control"
	LabelProject     = "project"
	LabelStatus      = "status"
	LabelTopic       = "topic"
	LabelAction      = "action"
	LabelMode        = "mode"
	LabelOutcome     = "outcome"
	LabelGuardrail   = "guardrail"
	// LabelTechnique is a finding's MITRE ATT&CK technique id.
	LabelTechnique = "technique"

	LabelDimensionPrefix = "dim_"
)

// Alert is the one normalized shape every trigger becomes.
type Alert struct {
	// ID is the stable identity of the alerting thing (an alarm, a finding, a
	// rule on a resource): the same across state changes, so it keys threads,
	// dedup and reminders.
	ID string `json:"id"`
	// Key is the idempotency key of the delivery that carried the alert.
	Key string `json:"key"`
	// Source says where the alert came from (Source* constants or the
	// watchkeeper.* event source).
	Source        string `json:"source"`
	State         State  `json:"state"`
	PreviousState State  `json:"previous_state,omitempty"`
	// Severity is one of the Severity* constants.
	Severity string `json:"severity"`
	Title    string `json:"title"`
	// Reason says in plain words why the state is what it is.
	Reason      string `json:"reason,omitempty"`
	Description string `json:"description,omitempty"`
	// Labels are what routes, silences and remediation rules match on.
	Labels map[string]string `json:"labels"`
	// Time of the state change, UTC.
	Time      time.Time          `json:"time"`
	Metric    *Metric            `json:"metric,omitempty"`
	Resources []Resource         `json:"resources,omitempty"`
	Record    *cloudtrail.Record `json:"record,omitempty"`
	Links     []Link             `json:"links,omitempty"`
	// Raw is the source message or event detail, kept for later needs.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Logs are the log lines behind a log metric filter alarm, added by the
	// notifier before it renders the alert.
	Logs *LogEvidence `json:"logs,omitempty"`
	// Graph is a PNG of the alarm's metric around the state change, added by
	// the notifier; it is not part of the alert's JSON.
	Graph []byte `json:"-"`
	// GraphURL is a short-lived link to Graph for channels that cannot carry
	// the image itself (webhooks, the Slack incoming webhook), when a graph
	// bucket is configured.
	GraphURL string `json:"graph_url,omitempty"`
	// Group is set when the alert stands for a group of alerts sent as one
	// message (a storm under one route's group_by).
	Group *Group `json:"group,omitempty"`
	// Reminder is set when the alert is a repeat reminder of an alert still
	// firing (a Watchkeeper Reminder event).
	Reminder *Reminder `json:"reminder,omitempty"`
	// Digest is set when the alert is a weekly digest (a Watchkeeper Digest
	// event) for the receivers it names.
	Digest *DigestSummary `json:"digest,omitempty"`
}

// Group summarizes the alerts of one routing group sent as one message. The
// notifier builds it; a channel that can edit what it sent (the Slack bot)
// updates the group's first message in place instead of posting again.
type Group struct {
	// Key identifies the group: the route path and its group_by label values.
	Key string `json:"key"`
	// Labels are the group_by labels and their values.
	Labels map[string]string `json:"labels,omitempty"`
	// Count is how many alerts the group holds, listed or not.
	Count int `json:"count"`
	// Members are the alerts the message lists, most recent first, bounded.
	Members []GroupMember `json:"members,omitempty"`
	// Since is when the group's first alert arrived.
	Since time.Time `json:"since"`
}

// GroupMember is one alert listed in a group message.
type GroupMember struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Severity string    `json:"severity"`
	State    State     `json:"state"`
	Time     time.Time `json:"time"`
}

// LogEvidence is what a log alarm's filter matched over the alarm window.
type LogEvidence struct {
	LogGroup string    `json:"log_group"`
	Pattern  string    `json:"pattern"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	Lines    []LogLine `json:"lines"`
	// More is true when there were more matching lines than Lines holds.
	More bool `json:"more,omitempty"`
}

// LogLine is one matching log event.
type LogLine struct {
	Time    time.Time `json:"time"`
	Stream  string    `json:"stream,omitempty"`
	Message string    `json:"message"`
}

// Metric describes what a CloudWatch alarm watches.
type Metric struct {
	Namespace  string      `json:"namespace,omitempty"`
	Name       string      `json:"name,omitempty"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	// Statistic is normalized to CloudWatch's API spelling (Sum, Average,
	// SampleCount, Minimum, Maximum) or an extended statistic such as p99.
	Statistic         string `json:"statistic,omitempty"`
	Period            int    `json:"period,omitempty"`
	EvaluationPeriods int    `json:"evaluation_periods,omitempty"`
	DatapointsToAlarm int    `json:"datapoints_to_alarm,omitempty"`
	Comparison        string `json:"comparison,omitempty"`
	// Threshold is nil for anomaly-detection alarms and when the trigger
	// does not say.
	Threshold         *float64 `json:"threshold,omitempty"`
	ThresholdMetricID string   `json:"threshold_metric_id,omitempty"`
	// Unit is "" when the alarm has none (SNS messages carry null).
	Unit string `json:"unit,omitempty"`
	// TreatMissingData is missing, notBreaching, breaching or ignore.
	TreatMissingData string `json:"treat_missing_data,omitempty"`
	// Metrics are the queries of a metric-math alarm.
	Metrics []MetricQuery `json:"metrics,omitempty"`
	// AlarmRule is the rule of a composite alarm.
	AlarmRule string `json:"alarm_rule,omitempty"`
	// TriggeringAlarms are the children that moved a composite alarm.
	TriggeringAlarms []string `json:"triggering_alarms,omitempty"`
	// RecentDatapoints are the values the alarm evaluated, when the trigger
	// carries them (alarm actions and EventBridge alarm events).
	RecentDatapoints []float64 `json:"recent_datapoints,omitempty"`
}

// Dimension is a metric dimension.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MetricQuery is one query of a metric-math alarm: an expression or a metric stat.
type MetricQuery struct {
	ID         string      `json:"id"`
	Expression string      `json:"expression,omitempty"`
	Label      string      `json:"label,omitempty"`
	ReturnData bool        `json:"return_data"`
	Namespace  string      `json:"namespace,omitempty"`
	Name       string      `json:"name,omitempty"`
	Dimensions []Dimension `json:"dimensions,omitempty"`
	Stat       string      `json:"stat,omitempty"`
	Period     int         `json:"period,omitempty"`
	Unit       string      `json:"unit,omitempty"`
}

// Resource is an AWS resource an alert is about.
type Resource struct {
	ARN     string `json:"arn,omitempty"`
	Type    string `json:"type,omitempty"`
	ID      string `json:"id,omitempty"`
	Region  string `json:"region,omitempty"`
	Account string `json:"account,omitempty"`
}

// Name is the best short name of the resource: its id, or else its ARN.
func (r Resource) Name() string {
	if r.ID != "" {
		return r.ID
	}
	return r.ARN
}

// Link is a titled URL (console pages, runbooks).
type Link struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// Label returns the label value or "".
func (a *Alert) Label(name string) string {
	if a == nil || a.Labels == nil {
		return ""
	}
	return a.Labels[name]
}

// setLabel sets a label when the value is not empty.
func (a *Alert) setLabel(name, value string) {
	if value == "" {
		return
	}
	if a.Labels == nil {
		a.Labels = make(map[string]string, 8)
	}
	a.Labels[name] = value
}

// addLink appends a link when the URL is known.
func (a *Alert) addLink(title, u string) {
	if u != "" {
		a.Links = append(a.Links, Link{Title: title, URL: u})
	}
}

// finish fills what every parser sets the same way: labels that mirror fields,
// the resource label, UTC time.
func (a *Alert) finish() {
	if a.Severity == "" {
		a.Severity = SeverityInfo
	}
	a.setLabel(LabelSource, a.Source)
	a.setLabel(LabelSeverity, a.Severity)
	if len(a.Resources) > 0 {
		if a.Label(LabelResource) == "" {
			a.setLabel(LabelResource, a.Resources[0].Name())
		}
		if a.Label(LabelResourceTyp) == "" {
			a.setLabel(LabelResourceTyp, a.Resources[0].Type)
		}
	}
	if a.Labels == nil {
		a.Labels = map[string]string{}
	}
	a.Time = a.Time.UTC()
}

// MakeID derives a stable alert id from the parts that identify the alerting
// thing. Parts are length-prefixed so ("ab","c") and ("a","bc") differ.
func MakeID(parts ...string) string {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		l := len(p)
		for i := range n {
			n[i] = byte(l >> (8 * i))
		}
		h.Write(n[:])
		h.Write([]byte(p))
	}
	sum := h.Sum(nil)
	return hex.EncodeToString(sum[:16])
}

// NormalizeSeverity maps the spellings found in AWS payloads and configs
// (CRITICAL, Informational, sev names) to a Severity* constant, or "" when s
// is not a severity.
func NormalizeSeverity(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical", "crit", "fatal":
		return SeverityCritical
	case "high", "error":
		return SeverityHigh
	case "medium", "moderate", "warning", "warn":
		return SeverityMedium
	case "low":
		return SeverityLow
	case "info", "informational", "information", "none":
		return SeverityInfo
	}
	return ""
}

// runbookRE finds a "runbook: <url>" marker on a line of its own, the form
// infra writes into the descriptions of the alarms it creates.
var runbookRE = regexp.MustCompile(`(?im)^[ \t]*runbook[ \t]*[:=][ \t]*(https?://[^\s<>"]+)`)

// RunbookFromText returns the http(s) URL of the first "runbook: <url>"
// line in s, or "".
func RunbookFromText(s string) string {
	if m := runbookRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// SeverityFromText finds a "severity: <level>" or "severity=<level>" marker
// (case-insensitive) in free text such as an alarm description and returns the
// normalized level, or "".
func SeverityFromText(s string) string {
	lower := strings.ToLower(s)
	for from := 0; from < len(lower); {
		i := strings.Index(lower[from:], "severity")
		if i < 0 {
			return ""
		}
		rest := lower[from+i+len("severity"):]
		from += i + len("severity")
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" || (rest[0] != ':' && rest[0] != '=') {
			continue
		}
		rest = strings.TrimLeft(rest[1:], " \t")
		end := 0
		for end < len(rest) && rest[end] >= 'a' && rest[end] <= 'z' {
			end++
		}
		if sev := NormalizeSeverity(rest[:end]); sev != "" {
			return sev
		}
	}
	return ""
}

// SeverityRank orders severities: critical 0 … info 4, unknown 5.
func SeverityRank(s string) int {
	switch s {
	case SeverityCritical:
		return 0
	case SeverityHigh:
		return 1
	case SeverityMedium:
		return 2
	case SeverityLow:
		return 3
	case SeverityInfo:
		return 4
	}
	return 5
}
