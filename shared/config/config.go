// Package config is the typed, strictly loaded Watchkeeper configuration: the
// single source of truth for what the CDK app deploys and how the functions
// behave. The same file is read at synth time and, normalized to JSON, by every
// function at init.
package config

// SchemaVersion is the config schema version this build understands.
const SchemaVersion = 1

// Config is the whole watchkeeper.yaml.
type Config struct {
	// Version of the config schema; must equal SchemaVersion.
	Version int `yaml:"version" json:"version"`
	// Deployment holds stack-level settings: names, sizing, tags, retention.
	Deployment Deployment `yaml:"deployment" json:"deployment"`
	// Notifications: channels, receivers and the routing tree.
	Notifications Notifications `yaml:"notifications" json:"notifications"`
	// Alarms: metric alarms and log metric filters with alarms.
	Alarms Alarms `yaml:"alarms" json:"alarms"`
	// Schedules are the sweeper's scheduled jobs (EventBridge Scheduler).
	Schedules []Schedule `yaml:"schedules" json:"schedules"`
	// Events are EventBridge rules on resource events and their targets.
	Events []EventRule `yaml:"events" json:"events"`
	// Trail is the CloudTrail → CloudWatch Logs → detector wiring.
	Trail Trail `yaml:"trail" json:"trail"`
	// Detection: rule packs, custom rules and suppressions.
	Detection Detection `yaml:"detection" json:"detection"`
	// Remediation: mode, rules and guardrails.
	Remediation Remediation `yaml:"remediation" json:"remediation"`

	// src remembers where each key came from, for Validate and DeployCheck
	// errors; nil for a Config built in code.
	src *source
}

// Deployment is stack-wide settings.
type Deployment struct {
	// StackName of the CloudFormation stack (default "Watchkeeper").
	StackName string `yaml:"stack_name" json:"stack_name"`
	// Account (12 digits) pins the stack's account; empty means the CLI's.
	Account string `yaml:"account" json:"account,omitempty"`
	// Region (e.g. eu-west-2) pins the stack's region; empty means the CLI's.
	Region string `yaml:"region" json:"region,omitempty"`
	// BootstrapQualifier is the cdk bootstrap qualifier (default "hnb659fds").
	BootstrapQualifier string `yaml:"bootstrap_qualifier" json:"bootstrap_qualifier"`
	// PermissionsBoundary is an optional managed policy ARN or name applied to every role.
	PermissionsBoundary string `yaml:"permissions_boundary" json:"permissions_boundary,omitempty"`
	// Tags are applied to every taggable resource.
	Tags map[string]string `yaml:"tags" json:"tags,omitempty"`
	// RemovalPolicy of stateful resources (table, trail bucket, log groups): "retain" (default) or "destroy".
	RemovalPolicy string `yaml:"removal_policy" json:"removal_policy"`
	// LogRetentionDays of the functions' log groups (default 30); a value CloudWatch Logs accepts.
	LogRetentionDays int `yaml:"log_retention_days" json:"log_retention_days"`
	// Tracing turns on AWS X-Ray active tracing for the functions.
	Tracing bool `yaml:"tracing" json:"tracing"`
	// TimeZone (IANA) in which messages show times besides UTC (default "UTC").
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// AccountAlias is shown in messages instead of the bare account id when set.
	AccountAlias string `yaml:"account_alias" json:"account_alias,omitempty"`
	// Functions sizes each function; missing entries take the defaults.
	Functions Functions `yaml:"functions" json:"functions"`
}

// Functions holds per-function settings.
type Functions struct {
	// Notifier renders and sends alerts.
	Notifier FunctionSettings `yaml:"notifier" json:"notifier"`
	// Remediator runs remediation actions.
	Remediator FunctionSettings `yaml:"remediator" json:"remediator"`
	// Detector evaluates CloudTrail records against detection rules.
	Detector FunctionSettings `yaml:"detector" json:"detector"`
	// Sweeper runs scheduled jobs (default timeout 300 s).
	Sweeper FunctionSettings `yaml:"sweeper" json:"sweeper"`
}

// FunctionSettings sizes one Lambda function.
type FunctionSettings struct {
	// MemoryMB between 128 and 10240 (default 256).
	MemoryMB int `yaml:"memory_mb" json:"memory_mb"`
	// TimeoutSeconds between 1 and 900 (default 60).
	TimeoutSeconds int `yaml:"timeout_seconds" json:"timeout_seconds"`
	// ReservedConcurrency; 0 means unreserved.
	ReservedConcurrency int `yaml:"reserved_concurrency" json:"reserved_concurrency"`
}

// SecretRef names where a secret lives. Deployable forms: a Secrets Manager
// ARN ("arn:aws:secretsmanager:…", optionally "#jsonKey"), or "ssm:/name" for an
// SSM SecureString parameter. A local profile may also use "env:NAME" or a
// literal value; synth rejects both.
type SecretRef string

// Notifications configures where alerts go.
type Notifications struct {
	// Channels are the concrete destinations, referenced by name from receivers.
	Channels []Channel `yaml:"channels" json:"channels"`
	// Receivers group channels under a name that routes point at.
	Receivers []Receiver `yaml:"receivers" json:"receivers"`
	// Route is the root of the Alertmanager-style routing tree.
	Route Route `yaml:"route" json:"route"`
	// DedupWindow during which the same alert in the same state is sent once (Go duration, default "1h").
	DedupWindow string `yaml:"dedup_window" json:"dedup_window"`
	// GraphBucket is an optional S3 bucket for metric graph images linked from webhooks.
	GraphBucket string `yaml:"graph_bucket" json:"graph_bucket,omitempty"`
	// MaintenanceWindows silence matching alerts during weekly time ranges.
	MaintenanceWindows []MaintenanceWindow `yaml:"maintenance_windows" json:"maintenance_windows,omitempty"`
	// EmailSubscriptions are addresses subscribed by email to the alarm topic
	// (raw alarm notifications, for people who just want mail).
	EmailSubscriptions []string `yaml:"email_subscriptions" json:"email_subscriptions,omitempty"`
	// InhibitRules mute target alerts while a matching source alert fires.
	InhibitRules []InhibitRule `yaml:"inhibit_rules" json:"inhibit_rules,omitempty"`
}

// Channel is one destination. Type selects which of the type-specific fields apply.
type Channel struct {
	// Name is how receivers refer to the channel; unique.
	Name string `yaml:"name" json:"name"`
	// Type is one of: slack, teams, email, pagerduty, webhook, sns, file (file: local profile only).
	Type string `yaml:"type" json:"type"`
	// WebhookURL for slack (incoming webhook), teams (Workflows) and webhook channels.
	WebhookURL SecretRef `yaml:"webhook_url" json:"webhook_url,omitempty"`
	// Token is the Slack bot token (chat.postMessage) when no webhook is used.
	Token SecretRef `yaml:"token" json:"token,omitempty"`
	// SlackChannel is the Slack channel id for the bot token.
	SlackChannel string `yaml:"slack_channel" json:"slack_channel,omitempty"`
	// RoutingKey is the PagerDuty Events API v2 integration key.
	RoutingKey SecretRef `yaml:"routing_key" json:"routing_key,omitempty"`
	// SigningSecret signs webhook bodies (HMAC-SHA256) when set.
	SigningSecret SecretRef `yaml:"signing_secret" json:"signing_secret,omitempty"`
	// From and To are the SES sender and recipients of an email channel.
	From string   `yaml:"from" json:"from,omitempty"`
	To   []string `yaml:"to" json:"to,omitempty"`
	// TopicARN is the SNS topic of an sns channel.
	TopicARN string `yaml:"topic_arn" json:"topic_arn,omitempty"`
	// Dir is the output directory of a file channel (default "out").
	Dir string `yaml:"dir" json:"dir,omitempty"`
	// Format of a file channel: slack, teams, email, text or json (default json).
	Format string `yaml:"format" json:"format,omitempty"`
	// APIURL replaces the Slack Web API base URL of a bot-token slack channel
	// with a local stand-in; local profile only (synth rejects it).
	APIURL string `yaml:"api_url" json:"api_url,omitempty"`
}

// Receiver is a named set of channels.
type Receiver struct {
	// Name is how routes refer to the receiver; unique.
	Name string `yaml:"name" json:"name"`
	// Channels are names of channels that all get the alert.
	Channels []string `yaml:"channels" json:"channels"`
}

// Route is a node of the routing tree.
type Route struct {
	// Receiver gets alerts that match this node (inherited by children when empty).
	Receiver string `yaml:"receiver" json:"receiver,omitempty"`
	// Matchers on alert labels: `label=value`, `label!=value`, `label=~regex`, `label!~regex`.
	Matchers []string `yaml:"matchers" json:"matchers,omitempty"`
	// Continue evaluating sibling routes after this one matched.
	Continue bool `yaml:"continue" json:"continue,omitempty"`
	// SendResolved sends OK/REMEDIATED states too (default true at the root).
	SendResolved *bool `yaml:"send_resolved" json:"send_resolved,omitempty"`
	// GroupBy label names; GroupWait, GroupInterval, RepeatInterval are Go durations.
	GroupBy []string `yaml:"group_by" json:"group_by,omitempty"`
	// GroupWait is how long to wait to batch the first alerts of a group.
	GroupWait string `yaml:"group_wait" json:"group_wait,omitempty"`
	// GroupInterval is how long to wait before sending new alerts of a group.
	GroupInterval string `yaml:"group_interval" json:"group_interval,omitempty"`
	// RepeatInterval is how long before an unchanged firing alert is re-sent.
	RepeatInterval string `yaml:"repeat_interval" json:"repeat_interval,omitempty"`
	// Routes are the children, tried in order.
	Routes []Route `yaml:"routes" json:"routes,omitempty"`
}

// Alarms declares CloudWatch alarms.
type Alarms struct {
	// Metric alarms watch an existing CloudWatch metric.
	Metric []MetricAlarm `yaml:"metric" json:"metric,omitempty"`
	// Log alarms count log lines matching a filter pattern.
	Log []LogAlarm `yaml:"log" json:"log,omitempty"`
	// Composite alarms combine the metric and log alarms by a rule.
	Composite []CompositeAlarm `yaml:"composite" json:"composite,omitempty"`
	// Profiles are alarm sets the sweeper creates for tagged instances and functions.
	Profiles []AlarmProfile `yaml:"profiles" json:"profiles,omitempty"`
}

// MetricAlarm is one CloudWatch metric alarm.
type MetricAlarm struct {
	// Name of the CloudWatch alarm; unique among all alarms.
	Name string `yaml:"name" json:"name"`
	// Namespace of the metric, e.g. AWS/EC2.
	Namespace string `yaml:"namespace" json:"namespace"`
	// Metric is the metric name, e.g. CPUUtilization.
	Metric string `yaml:"metric" json:"metric"`
	// Dimensions select the metric's time series.
	Dimensions map[string]string `yaml:"dimensions" json:"dimensions,omitempty"`
	// Statistic: Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p99.
	Statistic string `yaml:"statistic" json:"statistic"`
	// PeriodSeconds is 10, 20, 30 or a multiple of 60 (default 300).
	PeriodSeconds int `yaml:"period_seconds" json:"period_seconds"`
	// EvaluationPeriods is how many recent periods are evaluated (default 1).
	EvaluationPeriods int `yaml:"evaluation_periods" json:"evaluation_periods"`
	// DatapointsToAlarm of those periods must breach ("M of N"); 0 means all of them.
	DatapointsToAlarm int `yaml:"datapoints_to_alarm" json:"datapoints_to_alarm,omitempty"`
	// Comparison is a CloudWatch ComparisonOperator; ">", ">=", "<", "<=" are accepted and normalized.
	Comparison string `yaml:"comparison" json:"comparison"`
	// Threshold the statistic is compared with.
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// TreatMissingData: missing, notBreaching, breaching, ignore.
	TreatMissingData string `yaml:"treat_missing_data" json:"treat_missing_data"`
	// Description is the alarm description shown in messages.
	Description string `yaml:"description" json:"description,omitempty"`
	// Runbook is an http(s) URL linked from messages.
	Runbook string `yaml:"runbook" json:"runbook,omitempty"`
	// Severity: critical, high, medium (default), low or info.
	Severity string `yaml:"severity" json:"severity"`
	// Metrics make a metric math alarm; exclusive with Namespace/Metric.
	Metrics []MetricQuery `yaml:"metrics" json:"metrics,omitempty"`
	// OKActions notifies the alarm topic when the alarm returns to OK (default true).
	OKActions *bool `yaml:"ok_actions" json:"ok_actions,omitempty"`
	// InsufficientDataActions notifies the alarm topic on INSUFFICIENT_DATA.
	InsufficientDataActions bool `yaml:"insufficient_data_actions" json:"insufficient_data_actions,omitempty"`
	// EC2Action (recover, reboot, stop, terminate) acts on the InstanceId dimension's instance in ALARM.
	EC2Action string `yaml:"ec2_action" json:"ec2_action,omitempty"`
	// Tags are put on the alarm.
	Tags map[string]string `yaml:"tags" json:"tags,omitempty"`
}

// LogAlarm is a metric filter on a log group plus an alarm on its metric.
type LogAlarm struct {
	// Name of the metric filter and alarm; unique among all alarms.
	Name string `yaml:"name" json:"name"`
	// LogGroup is the log group the filter watches.
	LogGroup string `yaml:"log_group" json:"log_group"`
	// Pattern is a CloudWatch Logs filter pattern (max 1024 characters).
	Pattern string `yaml:"pattern" json:"pattern"`
	// Threshold of matching lines per period that raises the alarm (default 1).
	Threshold float64 `yaml:"threshold" json:"threshold"`
	// PeriodSeconds is a multiple of 60 (default 300).
	PeriodSeconds int `yaml:"period_seconds" json:"period_seconds"`
	// EvaluationPeriods is how many recent periods are evaluated (default 1).
	EvaluationPeriods int `yaml:"evaluation_periods" json:"evaluation_periods"`
	// Description is the alarm description shown in messages.
	Description string `yaml:"description" json:"description,omitempty"`
	// Runbook is an http(s) URL linked from messages.
	Runbook string `yaml:"runbook" json:"runbook,omitempty"`
	// Severity: critical, high, medium (default), low or info.
	Severity string `yaml:"severity" json:"severity"`
}

// Schedule is a sweeper job run on a schedule.
type Schedule struct {
	// Name of the EventBridge Scheduler schedule; unique.
	Name string `yaml:"name" json:"name"`
	// Job is the sweeper job id: posture, reminders, digest, heartbeat, reconcile.
	Job string `yaml:"job" json:"job"`
	// Expression is "rate(…)" or "cron(…)" as EventBridge Scheduler takes it.
	Expression string `yaml:"expression" json:"expression"`
	// TimeZone (IANA) the cron expression is evaluated in (default "UTC").
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// Input is extra job parameters passed in the target input.
	Input map[string]any `yaml:"input" json:"input,omitempty"`
	// Enabled defaults to true (set by defaults, so normalized JSON always has it).
	Enabled *bool `yaml:"enabled" json:"enabled,omitempty"`
}

// EventRule is an EventBridge rule on resource events.
type EventRule struct {
	// Name of the EventBridge rule; unique.
	Name string `yaml:"name" json:"name"`
	// Preset names a ready-made pattern (e.g. codebuild-failed); exclusive with Pattern.
	Preset string `yaml:"preset" json:"preset,omitempty"`
	// Pattern is a raw EventBridge event pattern.
	Pattern map[string]any `yaml:"pattern" json:"pattern,omitempty"`
	// Targets among notifier, remediator, sweeper.
	Targets []string `yaml:"targets" json:"targets"`
	// Delivery overrides the retry policy of a target, by target name.
	Delivery map[string]TargetDelivery `yaml:"delivery" json:"delivery,omitempty"`
	// MinSeverity (low, medium, high, critical) sets the lowest finding
	// severity the guardduty and securityhub presets catch (defaults:
	// medium for guardduty, high for securityhub).
	MinSeverity string `yaml:"min_severity" json:"min_severity,omitempty"`
}

// Presets whose findings carry a severity that min_severity can bound.
const (
	PresetGuardDuty   = "guardduty"
	PresetSecurityHub = "securityhub"
)

// EventSeverities are the values min_severity takes, lowest first.
func EventSeverities() []string { return []string{"low", "medium", "high", "critical"} }

// Trail wires CloudTrail into the detector.
type Trail struct {
	// Create a multi-region trail with its bucket and log group (default true,
	// or false when LogGroupName names an existing group).
	Create *bool `yaml:"create" json:"create,omitempty"`
	// LogGroupName of an existing CloudTrail log group to subscribe to instead.
	LogGroupName string `yaml:"log_group_name" json:"log_group_name,omitempty"`
	// RetentionDays of the trail's log group (default 90).
	RetentionDays int `yaml:"retention_days" json:"retention_days"`
	// FilterPattern of the subscription filter ("" forwards every record).
	FilterPattern string `yaml:"filter_pattern" json:"filter_pattern,omitempty"`
	// GlacierAfterDays moves the created trail's log files to S3 Glacier
	// Flexible Retrieval after this many days (default 90; 0 = never).
	GlacierAfterDays int `yaml:"glacier_after_days" json:"glacier_after_days"`
	// ExpireAfterDays deletes the created trail's log files after this many
	// days (default 365; 0 = keep them).
	ExpireAfterDays int `yaml:"expire_after_days" json:"expire_after_days"`
	// DataEvents the created trail also records (object-level S3, Lambda invokes).
	DataEvents TrailDataEvents `yaml:"data_events" json:"data_events"`
	// CISAlarms deploys the cis pack's rules as metric filters, one alarm
	// each, on the trail's log group (default true when the cis pack is
	// enabled and there is a log group).
	CISAlarms *bool `yaml:"cis_alarms" json:"cis_alarms,omitempty"`
}

// TrailDataEvents selects the data events of the created trail; data events
// are billed per event, so none are recorded by default.
type TrailDataEvents struct {
	// S3Buckets whose object-level API calls are recorded.
	S3Buckets []string `yaml:"s3_buckets" json:"s3_buckets,omitempty"`
	// Lambda records every function's Invoke calls.
	Lambda bool `yaml:"lambda" json:"lambda,omitempty"`
}

// Detection configures the detector's rules.
type Detection struct {
	// Packs are built-in rule packs to enable (cis, attack).
	Packs []string `yaml:"packs" json:"packs,omitempty"`
	// SigmaFiles are paths (relative to the config file) of Sigma rule files or directories.
	SigmaFiles []string `yaml:"sigma_files" json:"sigma_files,omitempty"`
	// Rules are custom filter-pattern rules.
	Rules []DetectionRule `yaml:"rules" json:"rules,omitempty"`
	// Suppressions silence findings that match.
	Suppressions []Suppression `yaml:"suppressions" json:"suppressions,omitempty"`
	// Thresholds fire when N matching records from one key arrive within a window.
	Thresholds []Threshold `yaml:"thresholds" json:"thresholds,omitempty"`
	// DedupWindow is how long the same rule on the same resource or
	// principal gives one published finding (default 1h).
	DedupWindow string `yaml:"dedup_window" json:"dedup_window"`
}

// Threshold is a stateful rule: it counts the records a rule or a filter
// pattern matches, per key, and fires once when the count reaches Count
// within Window.
type Threshold struct {
	// ID names the threshold in findings and suppressions; unique among rule ids.
	ID string `yaml:"id" json:"id"`
	// Title is the one-line summary shown in messages.
	Title string `yaml:"title" json:"title"`
	// Severity of findings: critical, high, medium (default), low or info.
	Severity string `yaml:"severity" json:"severity"`
	// Rule is the id of a rule whose matches are counted (one of Rule and Pattern).
	Rule string `yaml:"rule" json:"rule,omitempty"`
	// Pattern is a filter pattern selecting the records counted (one of Rule and Pattern).
	Pattern string `yaml:"pattern" json:"pattern,omitempty"`
	// Count is how many records within Window fire the threshold (at least 1).
	Count int `yaml:"count" json:"count"`
	// Window is the sliding window, a Go duration such as 5m.
	Window string `yaml:"window" json:"window"`
	// Key groups the count: principal, source_ip, access_key, account or a label name.
	Key string `yaml:"key" json:"key"`
	// Description explains the finding and what to do.
	Description string `yaml:"description" json:"description,omitempty"`
	// Technique is the MITRE ATT&CK technique id, e.g. T1110.
	Technique string `yaml:"technique" json:"technique,omitempty"`
}

// DetectionRule is a custom rule written as a CloudWatch Logs filter pattern over a CloudTrail record.
type DetectionRule struct {
	// ID names the rule in findings and suppressions; unique.
	ID string `yaml:"id" json:"id"`
	// Title is the one-line summary shown in messages.
	Title string `yaml:"title" json:"title"`
	// Severity of findings: critical, high, medium (default), low or info.
	Severity string `yaml:"severity" json:"severity"`
	// Pattern is a CloudWatch Logs filter pattern over the CloudTrail record.
	Pattern string `yaml:"pattern" json:"pattern"`
	// Description explains the finding and what to do.
	Description string `yaml:"description" json:"description,omitempty"`
}

// Suppression drops findings of a rule (or of every rule) whose record
// matches all the given conditions; suppressed matches are counted, not lost.
type Suppression struct {
	// Rule is the id of the rule whose findings are dropped; empty means every rule.
	Rule string `yaml:"rule" json:"rule,omitempty"`
	// Matchers on finding labels narrow the suppression; none means every finding of the rule.
	Matchers []string `yaml:"matchers" json:"matchers,omitempty"`
	// Reason is required so that a suppression explains itself.
	Reason string `yaml:"reason" json:"reason"`
	// Until is the RFC 3339 expiry (required).
	Until string `yaml:"until" json:"until,omitempty"`
	// Principal is a glob (* and ?) over the caller's ARN.
	Principal string `yaml:"principal" json:"principal,omitempty"`
	// SourceCIDR is an IPv4 or IPv6 CIDR the caller's source address must be in.
	SourceCIDR string `yaml:"source_cidr" json:"source_cidr,omitempty"`
	// UserAgent is a glob (* and ?) over the record's user agent.
	UserAgent string `yaml:"user_agent" json:"user_agent,omitempty"`
	// Account is the 12-digit account the record belongs to.
	Account string `yaml:"account" json:"account,omitempty"`
	// Region is the record's AWS region.
	Region string `yaml:"region" json:"region,omitempty"`
}

// Remediation configures automatic responses.
type Remediation struct {
	// Mode is dry-run (default) or enforce.
	Mode string `yaml:"mode" json:"mode"`
	// KillSwitchParameter is the SSM parameter that, set to "off", stops every action.
	KillSwitchParameter string `yaml:"kill_switch_parameter" json:"kill_switch_parameter"`
	// Rules map triggers to actions; evaluated in order.
	Rules []RemediationRule `yaml:"rules" json:"rules,omitempty"`
	// Guardrails bound what any rule may do.
	Guardrails Guardrails `yaml:"guardrails" json:"guardrails"`
	// CrossAccount lets actions act in member accounts through a role there.
	CrossAccount CrossAccount `yaml:"cross_account" json:"cross_account"`
}

// CrossAccount is the member role the remediator assumes to act on a
// resource of another account.
type CrossAccount struct {
	// RoleName of the member role, the same in every account (default
	// "WatchkeeperRemediation").
	RoleName string `yaml:"role_name" json:"role_name"`
	// ExternalID the member role's trust policy requires, if any.
	ExternalID string `yaml:"external_id" json:"external_id,omitempty"`
	// Accounts (12 digits) the remediator may act in besides its own; a
	// target in an account not listed is skipped.
	Accounts []string `yaml:"accounts" json:"accounts,omitempty"`
}

// RemediationRule maps a trigger to an action.
type RemediationRule struct {
	// Name of the rule in logs, state and messages; unique.
	Name string `yaml:"name" json:"name"`
	// Matchers on alert labels select the triggers (same syntax as routes).
	Matchers []string `yaml:"matchers" json:"matchers"`
	// Action is a registered remediation action name.
	Action string `yaml:"action" json:"action"`
	// Params are the action's parameters, checked against its schema by the remediator.
	Params map[string]any `yaml:"params" json:"params,omitempty"`
	// Mode overrides the global mode for this rule.
	Mode string `yaml:"mode" json:"mode,omitempty"`
	// OptInExempt lets the rule act, in opt-in tag mode, on resources whose
	// tags its action does not read (account-level settings, trails, access
	// keys, runbooks); a resource whose tags are read still needs the tag.
	OptInExempt bool `yaml:"opt_in_exempt" json:"opt_in_exempt,omitempty"`
}

// Guardrails bound what remediation may do.
type Guardrails struct {
	// OptOutTag on a resource (key=value) skips it (default "watchkeeper:remediate=off").
	OptOutTag string `yaml:"opt_out_tag" json:"opt_out_tag"`
	// Cooldown per resource and action (Go duration, default "15m").
	Cooldown string `yaml:"cooldown" json:"cooldown"`
	// MaxActionsPerHour per rule before its circuit opens (default 10).
	MaxActionsPerHour int `yaml:"max_actions_per_hour" json:"max_actions_per_hour"`
	// ProtectedARNs are glob patterns of resources never touched.
	ProtectedARNs []string `yaml:"protected_arns" json:"protected_arns,omitempty"`
	// AllowAccounts, when set, are the only accounts actions run in.
	AllowAccounts []string `yaml:"allow_accounts" json:"allow_accounts,omitempty"`
	// DenyAccounts are accounts actions never run in.
	DenyAccounts []string `yaml:"deny_accounts" json:"deny_accounts,omitempty"`
	// AllowRegions, when set, are the only regions actions run in.
	AllowRegions []string `yaml:"allow_regions" json:"allow_regions,omitempty"`
	// DenyRegions are regions actions never run in.
	DenyRegions []string `yaml:"deny_regions" json:"deny_regions,omitempty"`
	// NeverQuarantine are ARN globs of IAM users and roles the IAM actions
	// never quarantine, deactivate or strip (default: DefaultNeverQuarantine,
	// the usual break-glass and organization access roles).
	NeverQuarantine []string `yaml:"never_quarantine" json:"never_quarantine"`
	// OptInTag (key=value or key), when set, turns on opt-in mode: actions
	// only touch resources carrying it. Unset (default): every resource not
	// opted out is in scope.
	OptInTag string `yaml:"opt_in_tag" json:"opt_in_tag,omitempty"`
}

// MaintenanceWindow is a static silence: alerts matching every matcher are
// recorded but not sent while one of its weekly time ranges is open.
type MaintenanceWindow struct {
	// Name identifies the window in messages and audit records; unique.
	Name string `yaml:"name" json:"name"`
	// Matchers on alert labels (route syntax); at least one, so that a window
	// never silences everything.
	Matchers []string `yaml:"matchers" json:"matchers"`
	// TimeZone (IANA) the times are written in, e.g. Europe/London.
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// Times are the weekly ranges during which the window is open.
	Times []WeeklyTime `yaml:"times" json:"times"`
	// Comment says why alerts are silenced; shown on every silenced delivery.
	Comment string `yaml:"comment" json:"comment,omitempty"`
}

// WeeklyTime is one weekly range of a maintenance window.
type WeeklyTime struct {
	// Days are day names (mon … sun) or day ranges (mon-fri) on which the range starts.
	Days []string `yaml:"days" json:"days"`
	// Start is "HH:MM" local time.
	Start string `yaml:"start" json:"start"`
	// End is "HH:MM" local time ("24:00" for midnight); an end before the start runs past midnight.
	End string `yaml:"end" json:"end"`
}
