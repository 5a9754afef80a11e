package config

import "github.com/watchkeeper/watchkeeper/shared/alert"

// Logical function names, in the fixed order FunctionNames returns them.
const (
	FunctionNotifier   = "notifier"
	FunctionRemediator = "remediator"
	FunctionDetector   = "detector"
	FunctionSweeper    = "sweeper"
)

// FunctionNames lists the suite's functions in a fixed order (notifier,
// remediator, detector, sweeper). It returns a fresh slice each call.
func FunctionNames() []string {
	return []string{FunctionNotifier, FunctionRemediator, FunctionDetector, FunctionSweeper}
}

// Function returns the settings of the named function (see FunctionNames),
// or the zero value for an unknown name.
func (c *Config) Function(name string) FunctionSettings {
	if p := c.Deployment.Functions.byName(name); p != nil {
		return *p
	}
	return FunctionSettings{}
}

func (f *Functions) byName(name string) *FunctionSettings {
	switch name {
	case FunctionNotifier:
		return &f.Notifier
	case FunctionRemediator:
		return &f.Remediator
	case FunctionDetector:
		return &f.Detector
	case FunctionSweeper:
		return &f.Sweeper
	}
	return nil
}

// Channel types (Channel.Type).
const (
	ChannelEmail     = "email"
	ChannelFile      = "file"
	ChannelPagerDuty = "pagerduty"
	ChannelSlack     = "slack"
	ChannelSNS       = "sns"
	ChannelTeams     = "teams"
	ChannelWebhook   = "webhook"
)

// ChannelTypes lists every channel type, sorted.
func ChannelTypes() []string {
	return []string{ChannelEmail, ChannelFile, ChannelPagerDuty, ChannelSlack, ChannelSNS, ChannelTeams, ChannelWebhook}
}

// File channel formats (Channel.Format).
const (
	FormatSlack = "slack"
	FormatTeams = "teams"
	FormatEmail = "email"
	FormatText  = "text"
	FormatJSON  = "json"
)

// FileFormats lists the formats a file channel can write.
func FileFormats() []string {
	return []string{FormatSlack, FormatTeams, FormatEmail, FormatText, FormatJSON}
}

// Severities, most to least severe: the alert model's, so a configured
// severity is one every alert and finding can carry.
const (
	SeverityCritical = alert.SeverityCritical
	SeverityHigh     = alert.SeverityHigh
	SeverityMedium   = alert.SeverityMedium
	SeverityLow      = alert.SeverityLow
	SeverityInfo     = alert.SeverityInfo
)

// Severities lists the severities from most to least severe.
func Severities() []string { return alert.Severities() }

// Remediation modes (Remediation.Mode, RemediationRule.Mode).
const (
	ModeDryRun  = "dry-run"
	ModeEnforce = "enforce"
)

// Sweeper job ids (Schedule.Job).
const (
	JobPosture   = "posture"
	JobReminders = "reminders"
	JobDigest    = "digest"
	JobHeartbeat = "heartbeat"
	JobReconcile = "reconcile"
)

// Jobs lists the sweeper job ids.
func Jobs() []string {
	return []string{JobPosture, JobReminders, JobDigest, JobHeartbeat, JobReconcile}
}

// Detection packs (Detection.Packs).
const (
	PackCIS    = "cis"
	PackAttack = "attack"
)

// Packs lists the built-in detection packs.
func Packs() []string {
	return []string{PackCIS, PackAttack}
}

// EventTargets lists the functions an EventBridge rule may target.
func EventTargets() []string {
	return []string{FunctionNotifier, FunctionRemediator, FunctionSweeper}
}

// LogMetricNamespace is the CloudWatch namespace of the metrics the log
// alarms' metric filters publish (one metric per log alarm, named after it):
// infra creates them there and the notifier recognizes a log alarm by it.
const LogMetricNamespace = "Watchkeeper/Logs"

// CISMetricNamespace is the CloudWatch namespace of the metrics the CIS
// pack's metric filters publish (trail.cis_alarms), one per control.
const CISMetricNamespace = "Watchkeeper/CIS"
