package config

import (
	"encoding/json"
	"fmt"
	"net/mail"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones must load in a Lambda without zoneinfo
	"unicode/utf8"

	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

// Vendor limits checked by Validate.
const (
	// MaxFilterPatternLength is the longest CloudWatch Logs filter pattern.
	// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
	MaxFilterPatternLength = 1024
	// MaxLogGroupNameLength is the longest log group name.
	// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
	MaxLogGroupNameLength = 512
	// MaxAlarmNameLength is the longest CloudWatch alarm name.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxAlarmNameLength = 255
	// MaxAlarmDescriptionLength is the longest alarm description.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxAlarmDescriptionLength = 1024
	// MaxAlarmDimensions is the most dimensions a metric alarm may name.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxAlarmDimensions = 30
	// MaxEvaluationSeconds bounds period × evaluation_periods; for periods
	// under an hour the bound is MaxEvaluationSecondsShort.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxEvaluationSeconds = 7 * 24 * 3600
	// MaxEvaluationSecondsShort bounds period × evaluation_periods for periods under 3600 s.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxEvaluationSecondsShort = 24 * 3600
	// MaxScheduleNameLength is the longest EventBridge Scheduler schedule name.
	// https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
	MaxScheduleNameLength = 64
	// MaxRuleNameLength is the longest EventBridge rule name.
	// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
	MaxRuleNameLength = 64
	// MaxEventPatternLength is the default quota on an event pattern's size in characters.
	// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
	MaxEventPatternLength = 2048
	// MaxStackNameLength is the longest CloudFormation stack name.
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html
	MaxStackNameLength = 128
	// MaxTagKeyLength and MaxTagValueLength bound resource tags.
	// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
	MaxTagKeyLength = 128
	// MaxTagValueLength is the longest tag value.
	// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
	MaxTagValueLength = 256
	// MaxTags is the most user tags a resource may carry.
	// https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html
	MaxTags = 50
	// MinMemoryMB and MaxMemoryMB bound a Lambda function's memory.
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
	MinMemoryMB = 128
	// MaxMemoryMB is the most memory a Lambda function may have.
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html
	MaxMemoryMB = 10240
	// MaxTimeoutSeconds is the longest Lambda timeout.
	// https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html
	MaxTimeoutSeconds = 900
	// MaxBootstrapQualifierLength is the longest cdk bootstrap qualifier.
	// https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-customizing.html
	MaxBootstrapQualifierLength = 10
)

// LogRetentionDays lists the retention values CloudWatch Logs accepts.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
func LogRetentionDays() []int {
	return []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
}

var (
	accountRE      = regexp.MustCompile(`^\d{12}$`)
	regionRE       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	stackNameRE    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)
	qualifierRE    = regexp.MustCompile(`^[a-z0-9]+$`)
	policyARNRE    = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::(\d{12}|aws):policy/([\x21-\x7e]+/)*[\w+=,.@-]{1,128}$`)
	policyNameRE   = regexp.MustCompile(`^[\w+=,.@-]{1,128}$`)
	snsTopicARNRE  = regexp.MustCompile(`^arn:aws(-[a-z]+)*:sns:[a-z]{2}(-[a-z]+)+-\d{1,2}:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	slackChannelRE = regexp.MustCompile(`^[CGD][A-Z0-9]{6,}$`)
	schedNameRE    = regexp.MustCompile(`^[0-9A-Za-z._-]+$`)
	logGroupRE     = regexp.MustCompile(`^[A-Za-z0-9._/#-]+$`)
	bucketRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	ssmParamRE     = regexp.MustCompile(`^/[A-Za-z0-9_.\-/]+$`)
	presetRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	ruleIDRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	statPctRE      = regexp.MustCompile(`^(p|tm|tc|ts|wm)(\d{1,3})(\.\d{1,10})?$`)
	statRangeRE    = regexp.MustCompile(`^(TM|TC|TS|WM|PR|tm|tc|ts|wm|pr)\(([^:()]*):([^:()]*)\)$`)
	rateRE         = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronFieldRE    = regexp.MustCompile(`^[0-9A-Za-z*?,/#L W-]+$`)
)

// validator collects Validate's errors.
type validator struct {
	c    *Config
	errs *errList
}

func (v *validator) errf(path, format string, args ...any) {
	v.errs.addf(path, format, args...)
}

// oneOf checks that val is among valid.
func (v *validator) oneOf(path, what, val string, valid []string) {
	if !slices.Contains(valid, val) {
		v.errf(path, "unknown %s %q (valid: %s)", what, val, strings.Join(valid, ", "))
	}
}

func (v *validator) required(path, val string) bool {
	if strings.TrimSpace(val) == "" {
		v.errf(path, "is required")
		return false
	}
	return true
}

// uniq reports a name seen before among things of one kind.
type uniq struct {
	what string
	seen map[string]string
}

func newUniq(what string) *uniq { return &uniq{what: what, seen: map[string]string{}} }

func (u *uniq) check(v *validator, path, name string) {
	if name == "" {
		return
	}
	if first, ok := u.seen[name]; ok {
		where := first
		if at := v.errs.src.locate(first); at.line > 0 {
			where = fmt.Sprintf("line %d", at.line)
		}
		v.errf(path, "duplicate %s name %q (first used at %s)", u.what, name, where)
		return
	}
	u.seen[name] = path
}

// Validate checks every cross-field rule and returns all violations as
// *Errors (with positions when the Config came from Parse or Load), or nil.
// It expects defaults to have been applied, as Parse does.
func (c *Config) Validate() error {
	v := &validator{c: c, errs: &errList{src: c.src}}
	if c.Version != SchemaVersion {
		if c.unset("version", c.Version == 0) {
			v.errf("version", "is required (set version: %d)", SchemaVersion)
		} else {
			v.errf("version", "unsupported version %d (this build reads version %d)", c.Version, SchemaVersion)
		}
	}
	v.deployment()
	v.notifications()
	v.alarms()
	v.watch()
	v.schedules()
	v.digestReceivers()
	v.events()
	v.trail()
	v.detection()
	v.remediation()
	v.trailStorage()
	v.crossAccount()
	return v.errs.err()
}

func (v *validator) deployment() {
	d := &v.c.Deployment
	const p = "deployment"
	if v.required(p+".stack_name", d.StackName) {
		if len(d.StackName) > MaxStackNameLength || !stackNameRE.MatchString(d.StackName) {
			v.errf(p+".stack_name", "%q is not a valid stack name (a letter, then letters, digits and hyphens; at most %d)", d.StackName, MaxStackNameLength)
		}
	}
	if d.Account != "" && !accountRE.MatchString(d.Account) {
		v.errf(p+".account", "%q is not a 12-digit AWS account id", d.Account)
	}
	if d.Region != "" && !regionRE.MatchString(d.Region) {
		v.errf(p+".region", "%q does not look like a region code such as eu-west-2", d.Region)
	}
	if v.required(p+".bootstrap_qualifier", d.BootstrapQualifier) {
		if len(d.BootstrapQualifier) > MaxBootstrapQualifierLength || !qualifierRE.MatchString(d.BootstrapQualifier) {
			v.errf(p+".bootstrap_qualifier", "%q is not a bootstrap qualifier (lowercase letters and digits, at most %d)", d.BootstrapQualifier, MaxBootstrapQualifierLength)
		}
	}
	if b := d.PermissionsBoundary; b != "" {
		if strings.HasPrefix(b, "arn:") {
			if !policyARNRE.MatchString(b) {
				v.errf(p+".permissions_boundary", "%q is not an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)", b)
			}
		} else if !policyNameRE.MatchString(b) {
			v.errf(p+".permissions_boundary", "%q is neither an IAM policy ARN nor a policy name", b)
		}
	}
	v.tags(p+".tags", d.Tags)
	v.oneOf(p+".removal_policy", "removal policy", d.RemovalPolicy, []string{RemovalRetain, RemovalDestroy})
	v.retention(p+".log_retention_days", d.LogRetentionDays)
	v.timeZone(p+".time_zone", d.TimeZone)
	for _, name := range FunctionNames() {
		f := d.Functions.byName(name)
		fp := p + ".functions." + name
		if f.MemoryMB < MinMemoryMB || f.MemoryMB > MaxMemoryMB {
			v.errf(fp+".memory_mb", "%d is outside %d–%d MB", f.MemoryMB, MinMemoryMB, MaxMemoryMB)
		}
		if f.TimeoutSeconds < 1 || f.TimeoutSeconds > MaxTimeoutSeconds {
			v.errf(fp+".timeout_seconds", "%d is outside 1–%d seconds", f.TimeoutSeconds, MaxTimeoutSeconds)
		}
		if f.ReservedConcurrency < 0 {
			v.errf(fp+".reserved_concurrency", "must not be negative (0 means unreserved)")
		}
	}
}

func (v *validator) tags(p string, tags map[string]string) {
	if len(tags) > MaxTags {
		v.errf(p, "%d tags; at most %d are allowed", len(tags), MaxTags)
	}
	for _, k := range sortedKeys(tags) {
		kp := joinPath(p, k)
		switch {
		case utf8.RuneCountInString(k) > MaxTagKeyLength:
			v.errf(kp, "tag key longer than %d characters", MaxTagKeyLength)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.errf(kp, "tag keys starting with \"aws:\" are reserved")
		}
		if utf8.RuneCountInString(tags[k]) > MaxTagValueLength {
			v.errf(kp, "tag value longer than %d characters", MaxTagValueLength)
		}
	}
}

func (v *validator) retention(p string, days int) {
	if !slices.Contains(LogRetentionDays(), days) {
		v.errf(p, "%d is not a retention CloudWatch Logs accepts (one of %s)", days, joinInts(LogRetentionDays()))
	}
}

func (v *validator) timeZone(p, tz string) {
	if !v.required(p, tz) {
		return
	}
	if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
		v.errf(p, "unknown time zone %q (use an IANA name such as Europe/London)", tz)
	}
}

func (v *validator) duration(p, s string, allowZero bool) {
	if s == "" {
		return
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		v.errf(p, "%q is not a duration (e.g. 90s, 15m, 1h30m)", s)
	case d < 0 || (d == 0 && !allowZero):
		v.errf(p, "%q must be positive", s)
	}
}

func (v *validator) severity(p, s string) {
	v.oneOf(p, "severity", s, Severities())
}

func (v *validator) matchers(p string, ms []string) {
	for i, m := range ms {
		if _, err := ParseMatcher(m); err != nil {
			v.errf(indexPath(p, i), "%v", err)
		}
	}
}

func (v *validator) secret(p string, r SecretRef) {
	if err := r.Check(); err != nil {
		v.errf(p, "%v", err)
	}
}

func (v *validator) runbook(p, s string) {
	if s == "" {
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.errf(p, "%q is not an http(s) URL", s)
	}
}

func (v *validator) notifications() {
	n := &v.c.Notifications
	const p = "notifications"
	channels := newUniq("channel")
	for i := range n.Channels {
		v.channel(indexPath(p+".channels", i), &n.Channels[i], channels)
	}
	receivers := newUniq("receiver")
	for i, r := range n.Receivers {
		rp := indexPath(p+".receivers", i)
		if v.required(rp+".name", r.Name) {
			receivers.check(v, rp+".name", r.Name)
		}
		seen := map[string]bool{}
		for j, ch := range r.Channels {
			cp := indexPath(rp+".channels", j)
			if _, ok := channels.seen[ch]; !ok {
				v.errf(cp, "unknown channel %q (%s)", ch, defined(channels))
			}
			if seen[ch] {
				v.errf(cp, "channel %q listed twice", ch)
			}
			seen[ch] = true
		}
	}
	if len(n.Channels) > 0 && n.Route.Receiver == "" {
		v.errf(p+".route.receiver", "the root route needs a receiver (the default for unmatched alerts)")
	}
	v.route(p+".route", &n.Route, receivers)
	v.duration(p+".dedup_window", n.DedupWindow, true)
	if n.GraphBucket != "" && (!bucketRE.MatchString(n.GraphBucket) || strings.Contains(n.GraphBucket, "..")) {
		v.errf(p+".graph_bucket", "%q is not a valid S3 bucket name", n.GraphBucket)
	}
	v.maintenanceWindows(p+".maintenance_windows", n.MaintenanceWindows)
	v.emailSubscriptions(p+".email_subscriptions", n.EmailSubscriptions)
	v.inhibitRules(p+".inhibit_rules", n.InhibitRules)
}

// channelFields says which type-specific fields each channel type uses.
func channelFields(typ string) []string {
	switch typ {
	case ChannelSlack:
		return []string{"webhook_url", "token", "slack_channel", "api_url"}
	case ChannelTeams:
		return []string{"webhook_url"}
	case ChannelWebhook:
		return []string{"webhook_url", "signing_secret"}
	case ChannelPagerDuty:
		return []string{"routing_key"}
	case ChannelEmail:
		return []string{"from", "to"}
	case ChannelSNS:
		return []string{"topic_arn"}
	case ChannelFile:
		return []string{"dir", "format"}
	}
	return nil
}

func (v *validator) channel(p string, ch *Channel, names *uniq) {
	if v.required(p+".name", ch.Name) {
		names.check(v, p+".name", ch.Name)
	}
	if !v.required(p+".type", ch.Type) {
		return
	}
	if !slices.Contains(ChannelTypes(), ch.Type) {
		v.errf(p+".type", "unknown channel type %q (valid: %s)", ch.Type, strings.Join(ChannelTypes(), ", "))
		return
	}
	set := map[string]bool{
		"webhook_url":    ch.WebhookURL != "",
		"token":          ch.Token != "",
		"slack_channel":  ch.SlackChannel != "",
		"routing_key":    ch.RoutingKey != "",
		"signing_secret": ch.SigningSecret != "",
		"from":           ch.From != "",
		"to":             len(ch.To) > 0,
		"topic_arn":      ch.TopicARN != "",
		"dir":            ch.Dir != "",
		"format":         ch.Format != "",
		"api_url":        ch.APIURL != "",
	}
	allowed := channelFields(ch.Type)
	for _, f := range sortedKeys(set) {
		if set[f] && !slices.Contains(allowed, f) {
			v.errf(p+"."+f, "does not apply to %s channels (they use: %s)", ch.Type, strings.Join(allowed, ", "))
		}
	}
	for _, f := range ch.secretFields() {
		if *f.ref != "" {
			v.secret(p+"."+f.key, *f.ref)
		}
	}
	switch ch.Type {
	case ChannelSlack:
		hasHook, hasBot := ch.WebhookURL != "", ch.Token != "" || ch.SlackChannel != ""
		switch {
		case hasHook && hasBot:
			v.errf(p, "a slack channel uses either webhook_url or token + slack_channel, not both")
		case !hasHook && !hasBot:
			v.errf(p+".webhook_url", "a slack channel needs webhook_url, or token and slack_channel")
		case hasBot && ch.Token == "":
			v.errf(p+".token", "slack_channel needs a bot token")
		case hasBot && ch.SlackChannel == "":
			v.errf(p+".slack_channel", "a bot token needs slack_channel (the channel id, e.g. C0123456789)")
		}
		if ch.SlackChannel != "" && !slackChannelRE.MatchString(ch.SlackChannel) {
			v.errf(p+".slack_channel", "%q is not a Slack channel id (e.g. C0123456789)", ch.SlackChannel)
		}
		v.slackAPIURL(p+".api_url", ch)
	case ChannelTeams, ChannelWebhook:
		v.required(p+".webhook_url", string(ch.WebhookURL))
	case ChannelPagerDuty:
		v.required(p+".routing_key", string(ch.RoutingKey))
	case ChannelEmail:
		if v.required(p+".from", ch.From) {
			if _, err := mail.ParseAddress(ch.From); err != nil {
				v.errf(p+".from", "%q is not an email address", ch.From)
			}
		}
		if len(ch.To) == 0 {
			v.errf(p+".to", "an email channel needs at least one recipient")
		}
		for i, to := range ch.To {
			if _, err := mail.ParseAddress(to); err != nil {
				v.errf(indexPath(p+".to", i), "%q is not an email address", to)
			}
		}
	case ChannelSNS:
		if v.required(p+".topic_arn", ch.TopicARN) && !snsTopicARNRE.MatchString(ch.TopicARN) {
			v.errf(p+".topic_arn", "%q is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)", ch.TopicARN)
		}
	case ChannelFile:
		v.oneOf(p+".format", "file format", ch.Format, FileFormats())
		if ch.Dir != "" && (path.IsAbs(ch.Dir) || strings.HasPrefix(path.Clean(ch.Dir), "..")) {
			v.errf(p+".dir", "%q must be a relative path inside the working directory", ch.Dir)
		}
	}
}

func (v *validator) route(p string, r *Route, receivers *uniq) {
	if r.Receiver != "" {
		if _, ok := receivers.seen[r.Receiver]; !ok {
			v.errf(p+".receiver", "unknown receiver %q (%s)", r.Receiver, defined(receivers))
		}
	}
	v.matchers(p+".matchers", r.Matchers)
	v.duration(p+".group_wait", r.GroupWait, true)
	v.duration(p+".group_interval", r.GroupInterval, false)
	v.duration(p+".repeat_interval", r.RepeatInterval, false)
	for i, g := range r.GroupBy {
		if !labelNameRE.MatchString(g) && g != "..." {
			v.errf(indexPath(p+".group_by", i), "%q is not a label name", g)
		}
	}
	for i := range r.Routes {
		v.route(indexPath(p+".routes", i), &r.Routes[i], receivers)
	}
}

func (v *validator) alarms() {
	names := newUniq("alarm")
	for i := range v.c.Alarms.Metric {
		v.metricAlarm(indexPath("alarms.metric", i), &v.c.Alarms.Metric[i], names)
	}
	for i := range v.c.Alarms.Log {
		v.logAlarm(indexPath("alarms.log", i), &v.c.Alarms.Log[i], names)
	}
}

func (v *validator) alarmName(p, name string, names *uniq) {
	if !v.required(p, name) {
		return
	}
	names.check(v, p, name)
	if utf8.RuneCountInString(name) > MaxAlarmNameLength {
		v.errf(p, "longer than %d characters", MaxAlarmNameLength)
	}
}

func (v *validator) evaluation(p string, period, periods int, subMinute bool) {
	switch {
	case period <= 0:
		v.errf(p+".period_seconds", "must be positive")
	case period%60 == 0:
	case subMinute && (period == 10 || period == 20 || period == 30):
	case subMinute:
		v.errf(p+".period_seconds", "%d is not 10, 20, 30 or a multiple of 60", period)
	default:
		v.errf(p+".period_seconds", "%d is not a multiple of 60 (metric filters publish one-minute data)", period)
	}
	if periods < 1 {
		v.errf(p+".evaluation_periods", "must be at least 1")
		return
	}
	limit := MaxEvaluationSeconds
	if period < 3600 {
		limit = MaxEvaluationSecondsShort
	}
	if period > 0 && period*periods > limit {
		v.errf(p+".evaluation_periods", "%d periods of %d s exceed the %d s CloudWatch evaluates", periods, period, limit)
	}
}

func (v *validator) metricAlarm(p string, a *MetricAlarm, names *uniq) {
	v.alarmName(p+".name", a.Name, names)
	if len(a.Metrics) == 0 { // metric math alarms are checked by metricMath
		v.required(p+".namespace", a.Namespace)
		v.required(p+".metric", a.Metric)
	}
	if len(a.Dimensions) > MaxAlarmDimensions {
		v.errf(p+".dimensions", "%d dimensions; at most %d", len(a.Dimensions), MaxAlarmDimensions)
	}
	if !validStatistic(a.Statistic) {
		v.errf(p+".statistic", "unknown statistic %q (Average, Sum, Minimum, Maximum, SampleCount, or a percentile/trimmed statistic such as p99, tm90, IQM)", a.Statistic)
	}
	v.evaluation(p, a.PeriodSeconds, a.EvaluationPeriods, true)
	if a.DatapointsToAlarm < 0 || a.DatapointsToAlarm > a.EvaluationPeriods {
		v.errf(p+".datapoints_to_alarm", "%d must be between 1 and evaluation_periods (%d)", a.DatapointsToAlarm, a.EvaluationPeriods)
	}
	if v.required(p+".comparison", a.Comparison) {
		valid := []string{"GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold"}
		if !slices.Contains(valid, a.Comparison) {
			v.errf(p+".comparison", "unknown comparison %q (valid: %s, or >, >=, <, <=)", a.Comparison, strings.Join(valid, ", "))
		}
	}
	v.oneOf(p+".treat_missing_data", "treat_missing_data", a.TreatMissingData, []string{"missing", "notBreaching", "breaching", "ignore"})
	if utf8.RuneCountInString(a.Description) > MaxAlarmDescriptionLength {
		v.errf(p+".description", "longer than %d characters", MaxAlarmDescriptionLength)
	}
	v.runbook(p+".runbook", a.Runbook)
	v.severity(p+".severity", a.Severity)
}

// validStatistic accepts the simple statistics and the extended ones.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html
func validStatistic(s string) bool {
	switch s {
	case "Average", "Sum", "Minimum", "Maximum", "SampleCount", "IQM":
		return true
	}
	if m := statPctRE.FindStringSubmatch(s); m != nil {
		f, err := strconv.ParseFloat(m[2]+m[3], 64)
		return err == nil && f >= 0 && f <= 100
	}
	if m := statRangeRE.FindStringSubmatch(s); m != nil {
		if m[2] == "" && m[3] == "" {
			return false
		}
		for _, bound := range m[2:4] {
			if bound == "" {
				continue
			}
			num := strings.TrimSuffix(bound, "%")
			if _, err := strconv.ParseFloat(num, 64); err != nil {
				return false
			}
		}
		return true
	}
	return false
}

func (v *validator) filterPattern(p, pattern string, required bool) {
	if required && strings.TrimSpace(pattern) == "" {
		v.errf(p, "is required (a CloudWatch Logs filter pattern)")
		return
	}
	if n := utf8.RuneCountInString(pattern); n > MaxFilterPatternLength {
		v.errf(p, "filter pattern is %d characters; CloudWatch Logs allows %d", n, MaxFilterPatternLength)
		return
	}
	// The same engine the detector runs: a pattern it cannot compile would be
	// refused by CloudWatch Logs at deploy time, or match nothing.
	if _, err := filterpattern.Compile(pattern); err != nil {
		v.errf(p, "%v", err)
	}
}

func (v *validator) logGroup(p, name string) {
	if len(name) > MaxLogGroupNameLength || !logGroupRE.MatchString(name) {
		v.errf(p, "%q is not a valid log group name", name)
	}
}

func (v *validator) logAlarm(p string, a *LogAlarm, names *uniq) {
	v.alarmName(p+".name", a.Name, names)
	if v.required(p+".log_group", a.LogGroup) {
		v.logGroup(p+".log_group", a.LogGroup)
	}
	v.filterPattern(p+".pattern", a.Pattern, true)
	if a.Threshold <= 0 {
		v.errf(p+".threshold", "must be positive (it counts matching lines)")
	}
	v.evaluation(p, a.PeriodSeconds, a.EvaluationPeriods, false)
	if utf8.RuneCountInString(a.Description) > MaxAlarmDescriptionLength {
		v.errf(p+".description", "longer than %d characters", MaxAlarmDescriptionLength)
	}
	v.runbook(p+".runbook", a.Runbook)
	v.severity(p+".severity", a.Severity)
}

func (v *validator) schedules() {
	names := newUniq("schedule")
	for i := range v.c.Schedules {
		s := &v.c.Schedules[i]
		p := indexPath("schedules", i)
		if v.required(p+".name", s.Name) {
			names.check(v, p+".name", s.Name)
			if len(s.Name) > MaxScheduleNameLength || !schedNameRE.MatchString(s.Name) {
				v.errf(p+".name", "%q is not a schedule name (letters, digits, . _ -; at most %d)", s.Name, MaxScheduleNameLength)
			}
		}
		if v.required(p+".job", s.Job) {
			v.oneOf(p+".job", "job", s.Job, Jobs())
		}
		if v.required(p+".expression", s.Expression) {
			if err := CheckScheduleExpression(s.Expression); err != nil {
				v.errf(p+".expression", "%v", err)
			}
		}
		v.timeZone(p+".time_zone", s.TimeZone)
	}
}

// CheckScheduleExpression accepts "rate(N unit)" and six-field "cron(…)"
// expressions as EventBridge Scheduler takes them.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
func CheckScheduleExpression(expr string) error {
	switch {
	case strings.HasPrefix(expr, "rate("):
		m := rateRE.FindStringSubmatch(expr)
		if m == nil {
			return fmt.Errorf("%q is not rate(<n> <minute(s)|hour(s)|day(s)>)", expr)
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 {
			return fmt.Errorf("%q: the rate must be a positive whole number", expr)
		}
		plural := strings.HasSuffix(m[2], "s")
		if n == 1 && plural {
			return fmt.Errorf("%q: use the singular unit with 1 (e.g. rate(1 %s))", expr, strings.TrimSuffix(m[2], "s"))
		}
		if n > 1 && !plural {
			return fmt.Errorf("%q: use the plural unit with %d (e.g. rate(%d %ss))", expr, n, n, m[2])
		}
		return nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		fields := strings.Fields(expr[len("cron(") : len(expr)-1])
		if len(fields) != 6 {
			return fmt.Errorf("%q has %d fields; cron takes 6 (minutes hours day-of-month month day-of-week year)", expr, len(fields))
		}
		for _, f := range fields {
			if !cronFieldRE.MatchString(f) {
				return fmt.Errorf("%q: field %q has characters cron does not accept", expr, f)
			}
		}
		dom, dow := fields[2], fields[4]
		if (dom == "?") == (dow == "?") {
			return fmt.Errorf("%q: exactly one of day-of-month (%s) and day-of-week (%s) must be ?", expr, dom, dow)
		}
		return nil
	}
	return fmt.Errorf("%q is neither rate(…) nor cron(…)", expr)
}

func (v *validator) events() {
	names := newUniq("event rule")
	for i := range v.c.Events {
		e := &v.c.Events[i]
		p := indexPath("events", i)
		if v.required(p+".name", e.Name) {
			names.check(v, p+".name", e.Name)
			if len(e.Name) > MaxRuleNameLength || !schedNameRE.MatchString(e.Name) {
				v.errf(p+".name", "%q is not a rule name (letters, digits, . _ -; at most %d)", e.Name, MaxRuleNameLength)
			}
		}
		switch {
		case e.Preset == "" && len(e.Pattern) == 0:
			v.errf(p, "needs a preset or a pattern")
		case e.Preset != "" && len(e.Pattern) > 0:
			v.errf(p+".pattern", "give either preset or pattern, not both")
		case e.Preset != "" && !presetRE.MatchString(e.Preset):
			v.errf(p+".preset", "%q is not a preset name (lowercase words joined by -)", e.Preset)
		case len(e.Pattern) > 0:
			if b, err := json.Marshal(e.Pattern); err != nil {
				v.errf(p+".pattern", "cannot be encoded as JSON: %v", err)
			} else if len(b) > MaxEventPatternLength {
				v.errf(p+".pattern", "is %d characters as JSON; EventBridge allows %d", len(b), MaxEventPatternLength)
			}
		}
		if e.MinSeverity != "" {
			if e.Preset != PresetGuardDuty && e.Preset != PresetSecurityHub {
				v.errf(p+".min_severity", "applies only to the %s and %s presets", PresetGuardDuty, PresetSecurityHub)
			} else {
				v.oneOf(p+".min_severity", "severity", e.MinSeverity, EventSeverities())
			}
		}
		if len(e.Targets) == 0 {
			v.errf(p+".targets", "needs at least one target (%s)", strings.Join(EventTargets(), ", "))
		}
		seen := map[string]bool{}
		for j, t := range e.Targets {
			tp := indexPath(p+".targets", j)
			v.oneOf(tp, "target", t, EventTargets())
			if seen[t] {
				v.errf(tp, "target %q listed twice", t)
			}
			seen[t] = true
		}
	}
}

func (v *validator) trail() {
	t := &v.c.Trail
	if t.Create != nil && *t.Create && t.LogGroupName != "" {
		v.errf("trail.log_group_name", "give log_group_name only with create: false (it names an existing trail's log group)")
	}
	if t.LogGroupName != "" {
		v.logGroup("trail.log_group_name", t.LogGroupName)
	}
	v.retention("trail.retention_days", t.RetentionDays)
	v.filterPattern("trail.filter_pattern", t.FilterPattern, false)
	if t.CISAlarms != nil && *t.CISAlarms && (t.Create == nil || !*t.Create) && t.LogGroupName == "" {
		v.errf("trail.cis_alarms", "the CIS metric filters need a log group: create a trail or name an existing one in log_group_name")
	}
}

func (v *validator) detection() {
	det := &v.c.Detection
	seenPack := map[string]bool{}
	for i, pk := range det.Packs {
		pp := indexPath("detection.packs", i)
		v.oneOf(pp, "pack", pk, Packs())
		if seenPack[pk] {
			v.errf(pp, "pack %q listed twice", pk)
		}
		seenPack[pk] = true
	}
	for i, f := range det.SigmaFiles {
		p := indexPath("detection.sigma_files", i)
		// Relative and inside the config's directory: the CDK app bundles each
		// path beside watchkeeper.json under the same name.
		if v.required(p, f) && !filepath.IsLocal(f) {
			v.errf(p, "%q must be a relative path inside the config file's directory", f)
		}
	}
	ids := newUniq("rule")
	for i := range det.Rules {
		r := &det.Rules[i]
		p := indexPath("detection.rules", i)
		if v.required(p+".id", r.ID) {
			ids.check(v, p+".id", r.ID)
			if !ruleIDRE.MatchString(r.ID) {
				v.errf(p+".id", "%q is not a rule id (letters, digits, . _ : -)", r.ID)
			}
		}
		v.required(p+".title", r.Title)
		v.severity(p+".severity", r.Severity)
		v.filterPattern(p+".pattern", r.Pattern, true)
	}
	for i := range det.Suppressions {
		s := &det.Suppressions[i]
		p := indexPath("detection.suppressions", i)
		v.required(p+".reason", s.Reason)
		v.matchers(p+".matchers", s.Matchers)
		if s.Until != "" {
			if _, err := time.Parse(time.RFC3339, s.Until); err != nil {
				v.errf(p+".until", "%q is not an RFC 3339 time (e.g. 2026-03-31T00:00:00Z)", s.Until)
			}
		}
	}
	v.thresholds(ids)
}

func (v *validator) remediation() {
	r := &v.c.Remediation
	const p = "remediation"
	modes := []string{ModeDryRun, ModeEnforce}
	v.oneOf(p+".mode", "mode", r.Mode, modes)
	if !ssmParamRE.MatchString(r.KillSwitchParameter) || len(r.KillSwitchParameter) > MaxSSMParameterNameLength {
		v.errf(p+".kill_switch_parameter", "%q is not an SSM parameter name starting with /", r.KillSwitchParameter)
	}
	names := newUniq("remediation rule")
	for i := range r.Rules {
		rule := &r.Rules[i]
		rp := indexPath(p+".rules", i)
		if v.required(rp+".name", rule.Name) {
			names.check(v, rp+".name", rule.Name)
		}
		if len(rule.Matchers) == 0 {
			v.errf(rp+".matchers", "needs at least one matcher (a rule without one would act on every alert)")
		}
		v.matchers(rp+".matchers", rule.Matchers)
		v.required(rp+".action", rule.Action)
		if rule.Mode != "" {
			v.oneOf(rp+".mode", "mode", rule.Mode, modes)
		}
	}
	g := &r.Guardrails
	gp := p + ".guardrails"
	if key, _, _ := strings.Cut(g.OptOutTag, "="); strings.TrimSpace(key) == "" {
		v.errf(gp+".opt_out_tag", "%q needs a tag key (key or key=value)", g.OptOutTag)
	}
	if g.OptInTag != "" {
		key, _, _ := strings.Cut(g.OptInTag, "=")
		switch {
		case strings.TrimSpace(key) == "":
			v.errf(gp+".opt_in_tag", "%q needs a tag key (key or key=value)", g.OptInTag)
		case strings.TrimSpace(g.OptInTag) == strings.TrimSpace(g.OptOutTag):
			v.errf(gp+".opt_in_tag", "%q is also opt_out_tag: a resource could not both opt in and out", g.OptInTag)
		}
	}
	v.duration(gp+".cooldown", g.Cooldown, true)
	if g.MaxActionsPerHour < 1 {
		v.errf(gp+".max_actions_per_hour", "must be at least 1")
	}
	for i, a := range g.ProtectedARNs {
		// Only * and ? are wildcards: ARNs hold none of the other glob
		// metacharacters, and the remediator matches with exactly these two.
		if a == "" || strings.ContainsAny(a, `[]{}\`) {
			v.errf(indexPath(gp+".protected_arns", i), "%q is not a valid pattern (only * and ? are wildcards)", a)
		}
	}
	for _, list := range []struct {
		key  string
		vals []string
		re   *regexp.Regexp
		what string
	}{
		{"allow_accounts", g.AllowAccounts, accountRE, "a 12-digit account id"},
		{"deny_accounts", g.DenyAccounts, accountRE, "a 12-digit account id"},
		{"allow_regions", g.AllowRegions, regionRE, "a region code"},
		{"deny_regions", g.DenyRegions, regionRE, "a region code"},
	} {
		for i, val := range list.vals {
			if !list.re.MatchString(val) {
				v.errf(indexPath(gp+"."+list.key, i), "%q is not %s", val, list.what)
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// defined lists the names of a kind for "unknown name" errors.
func defined(u *uniq) string {
	if len(u.seen) == 0 {
		return "no " + u.what + "s are defined"
	}
	return "defined: " + strings.Join(sortedKeys(u.seen), ", ")
}
