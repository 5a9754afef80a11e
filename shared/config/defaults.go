package config

import (
	"fmt"
	"slices"
)

// Defaults, documented in docs/config.md.
const (
	DefaultStackName           = "Watchkeeper"
	DefaultBootstrapQualifier  = "hnb659fds"
	DefaultRemovalPolicy       = RemovalRetain
	DefaultLogRetentionDays    = 30
	DefaultTimeZone            = "UTC"
	DefaultMemoryMB            = 256
	DefaultTimeoutSeconds      = 60
	DefaultSweeperTimeout      = 300
	DefaultDedupWindow         = "1h"
	DefaultFileDir             = "out"
	DefaultFileFormat          = FormatJSON
	DefaultTrailRetentionDays  = 90
	DefaultRemediationMode     = ModeDryRun
	DefaultKillSwitchParameter = "/watchkeeper/remediation/enabled"
	DefaultOptOutTag           = "watchkeeper:remediate=off"
	DefaultCooldown            = "15m"
	DefaultMaxActionsPerHour   = 10
	DefaultStatistic           = "Average"
	DefaultPeriodSeconds       = 300
	DefaultEvaluationPeriods   = 1
	DefaultTreatMissingData    = "missing"
	DefaultSeverity            = SeverityMedium
	DefaultLogAlarmThreshold   = 1
	DefaultGlacierAfterDays    = 90
	DefaultExpireAfterDays     = 365
	DefaultCrossAccountRole    = "WatchkeeperRemediation"
)

// DefaultNeverQuarantine are the principals the IAM actions leave alone
// unless remediation.guardrails.never_quarantine says otherwise: break-glass
// users and roles (by the usual spellings) and the roles AWS Organizations
// and Control Tower use to administer member accounts. Locking these out
// would lock out the people who fix the account.
func DefaultNeverQuarantine() []string {
	return []string{
		"arn:*:iam::*:user/*break-glass*",
		"arn:*:iam::*:user/*breakglass*",
		"arn:*:iam::*:user/*BreakGlass*",
		"arn:*:iam::*:role/*break-glass*",
		"arn:*:iam::*:role/*breakglass*",
		"arn:*:iam::*:role/*BreakGlass*",
		"arn:*:iam::*:role/OrganizationAccountAccessRole",
		"arn:*:iam::*:role/AWSControlTowerExecution",
	}
}

// Removal policies (Deployment.RemovalPolicy).
const (
	RemovalRetain  = "retain"
	RemovalDestroy = "destroy"
)

// comparisonShort maps the accepted short comparison forms to CloudWatch's names.
var comparisonShort = map[string]string{
	">":  "GreaterThanThreshold",
	">=": "GreaterThanOrEqualToThreshold",
	"<":  "LessThanThreshold",
	"<=": "LessThanOrEqualToThreshold",
}

// unset reports whether the value at path was not given in the source. A
// Config built in code has no source; then a zero value counts as unset.
func (c *Config) unset(path string, zero bool) bool {
	if c.src == nil {
		return zero
	}
	return !c.src.set[path]
}

func (c *Config) defaultInt(path string, v *int, def int) {
	if c.unset(path, *v == 0) {
		*v = def
	}
}

func (c *Config) defaultFloat(path string, v *float64, def float64) {
	if c.unset(path, *v == 0) {
		*v = def
	}
}

func defaultString(v *string, def string) {
	if *v == "" {
		*v = def
	}
}

func boolPtr(b bool) *bool { return &b }

// applyDefaults fills every unset setting with its default and normalizes
// accepted shorthands. Parse calls it exactly once, before Validate; an
// explicitly given number (even 0) is kept so that Validate can reject it.
func (c *Config) applyDefaults() {
	d := &c.Deployment
	defaultString(&d.StackName, DefaultStackName)
	defaultString(&d.BootstrapQualifier, DefaultBootstrapQualifier)
	defaultString(&d.RemovalPolicy, DefaultRemovalPolicy)
	defaultString(&d.TimeZone, DefaultTimeZone)
	c.defaultInt("deployment.log_retention_days", &d.LogRetentionDays, DefaultLogRetentionDays)
	for _, name := range FunctionNames() {
		f := d.Functions.byName(name)
		base := "deployment.functions." + name
		timeout := DefaultTimeoutSeconds
		if name == FunctionSweeper {
			timeout = DefaultSweeperTimeout
		}
		c.defaultInt(base+".memory_mb", &f.MemoryMB, DefaultMemoryMB)
		c.defaultInt(base+".timeout_seconds", &f.TimeoutSeconds, timeout)
	}

	n := &c.Notifications
	defaultString(&n.DedupWindow, DefaultDedupWindow)
	if n.Route.SendResolved == nil {
		n.Route.SendResolved = boolPtr(true)
	}
	for i := range n.Channels {
		ch := &n.Channels[i]
		if ch.Type == ChannelFile {
			defaultString(&ch.Dir, DefaultFileDir)
			defaultString(&ch.Format, DefaultFileFormat)
		}
	}

	for i := range c.Alarms.Metric {
		a := &c.Alarms.Metric[i]
		base := fmt.Sprintf("alarms.metric[%d]", i)
		defaultString(&a.Statistic, DefaultStatistic)
		defaultString(&a.TreatMissingData, DefaultTreatMissingData)
		defaultString(&a.Severity, DefaultSeverity)
		c.defaultInt(base+".period_seconds", &a.PeriodSeconds, DefaultPeriodSeconds)
		c.defaultInt(base+".evaluation_periods", &a.EvaluationPeriods, DefaultEvaluationPeriods)
		if long, ok := comparisonShort[a.Comparison]; ok {
			a.Comparison = long
		}
	}
	for i := range c.Alarms.Log {
		a := &c.Alarms.Log[i]
		base := fmt.Sprintf("alarms.log[%d]", i)
		defaultString(&a.Severity, DefaultSeverity)
		c.defaultInt(base+".period_seconds", &a.PeriodSeconds, DefaultPeriodSeconds)
		c.defaultInt(base+".evaluation_periods", &a.EvaluationPeriods, DefaultEvaluationPeriods)
		c.defaultFloat(base+".threshold", &a.Threshold, DefaultLogAlarmThreshold)
	}

	c.watchDefaults()

	for i := range c.Schedules {
		s := &c.Schedules[i]
		defaultString(&s.TimeZone, DefaultTimeZone)
		if s.Enabled == nil {
			s.Enabled = boolPtr(true)
		}
	}

	t := &c.Trail
	if t.Create == nil {
		// Naming an existing log group means "don't create a trail".
		t.Create = boolPtr(t.LogGroupName == "")
	}
	c.defaultInt("trail.retention_days", &t.RetentionDays, DefaultTrailRetentionDays)
	c.defaultInt("trail.glacier_after_days", &t.GlacierAfterDays, DefaultGlacierAfterDays)
	c.defaultInt("trail.expire_after_days", &t.ExpireAfterDays, DefaultExpireAfterDays)
	if t.CISAlarms == nil {
		t.CISAlarms = boolPtr(slices.Contains(c.Detection.Packs, PackCIS) && (*t.Create || t.LogGroupName != ""))
	}

	for i := range c.Detection.Rules {
		defaultString(&c.Detection.Rules[i].Severity, DefaultSeverity)
	}
	for i := range c.Detection.Thresholds {
		defaultString(&c.Detection.Thresholds[i].Severity, DefaultSeverity)
	}
	defaultString(&c.Detection.DedupWindow, DefaultDetectionDedupWindow)

	r := &c.Remediation
	defaultString(&r.Mode, DefaultRemediationMode)
	defaultString(&r.KillSwitchParameter, DefaultKillSwitchParameter)
	g := &r.Guardrails
	defaultString(&g.OptOutTag, DefaultOptOutTag)
	defaultString(&g.Cooldown, DefaultCooldown)
	c.defaultInt("remediation.guardrails.max_actions_per_hour", &g.MaxActionsPerHour, DefaultMaxActionsPerHour)
	if c.unset("remediation.guardrails.never_quarantine", g.NeverQuarantine == nil) {
		g.NeverQuarantine = DefaultNeverQuarantine()
	}
	defaultString(&r.CrossAccount.RoleName, DefaultCrossAccountRole)
}
