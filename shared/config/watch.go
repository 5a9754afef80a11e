package config

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of the alarm features configured in this file.
const (
	// MaxMetricQueries is the most metrics (and expressions) a metric math alarm holds.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxMetricQueries = 20
	// MaxAlarmRuleLength is the longest composite alarm rule.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html
	MaxAlarmRuleLength = 10240
	// MaxAlarmTags is the most tags one alarm carries.
	// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
	MaxAlarmTags = 50
)

// Resource kinds an alarm profile watches.
const (
	ProfileEC2    = "ec2"
	ProfileLambda = "lambda"
)

// AutoAlarmPrefix starts the name of every alarm the sweeper manages for an
// alarm profile; configured alarms may not use it, so the sweeper can treat
// every alarm so named as its own.
const AutoAlarmPrefix = "wk-"

// DefaultProfileTagKey is the tag key that attaches a resource to an alarm
// profile when the profile sets no tag; the value is the profile's name.
const DefaultProfileTagKey = "watchkeeper:alarms"

// EC2 alarm actions (MetricAlarm.EC2Action).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/UsingAlarmActions.html
const (
	EC2ActionRecover   = "recover"
	EC2ActionReboot    = "reboot"
	EC2ActionStop      = "stop"
	EC2ActionTerminate = "terminate"
)

// EC2Actions lists the valid MetricAlarm.EC2Action values.
func EC2Actions() []string {
	return []string{EC2ActionRecover, EC2ActionReboot, EC2ActionStop, EC2ActionTerminate}
}

// MetricQuery is one metric or expression of a metric math alarm.
type MetricQuery struct {
	// ID names the query inside the alarm's expressions (lowercase first letter).
	ID string `yaml:"id" json:"id"`
	// Expression is a metric math expression over other ids; exclusive with Namespace/Metric.
	Expression string `yaml:"expression" json:"expression,omitempty"`
	// Namespace, Metric, Dimensions and Statistic select a metric.
	Namespace  string            `yaml:"namespace" json:"namespace,omitempty"`
	Metric     string            `yaml:"metric" json:"metric,omitempty"`
	Dimensions map[string]string `yaml:"dimensions" json:"dimensions,omitempty"`
	// Statistic of a metric query (default the alarm's statistic).
	Statistic string `yaml:"statistic" json:"statistic,omitempty"`
	// Label is shown on graphs.
	Label string `yaml:"label" json:"label,omitempty"`
	// ReturnData marks the one query the alarm compares with its threshold.
	ReturnData bool `yaml:"return_data" json:"return_data,omitempty"`
}

// CompositeAlarm combines other configured alarms by a rule.
type CompositeAlarm struct {
	// Name of the composite alarm; unique among all alarms.
	Name string `yaml:"name" json:"name"`
	// Rule such as `ALARM(web-cpu-high) AND NOT OK(web-5xx)` over configured alarm names.
	Rule string `yaml:"rule" json:"rule"`
	// Description is shown in messages.
	Description string `yaml:"description" json:"description,omitempty"`
	// Runbook is an http(s) URL linked from messages.
	Runbook string `yaml:"runbook" json:"runbook,omitempty"`
	// Severity: critical, high, medium (default), low or info.
	Severity string `yaml:"severity" json:"severity"`
	// Tags are put on the alarm.
	Tags map[string]string `yaml:"tags" json:"tags,omitempty"`
}

// AlarmProfile is a set of alarm templates the sweeper creates for every
// instance or function that carries the profile's tag.
type AlarmProfile struct {
	// Name of the profile; part of the created alarms' names.
	Name string `yaml:"name" json:"name"`
	// Tag is "key=value" (default "watchkeeper:alarms=<name>").
	Tag string `yaml:"tag" json:"tag"`
	// Resource is ec2 or lambda.
	Resource string `yaml:"resource" json:"resource"`
	// Alarms are metric alarm templates without the resource's dimension,
	// which the sweeper fills in (InstanceId or FunctionName).
	Alarms []MetricAlarm `yaml:"alarms" json:"alarms"`
}

// TagPair splits the profile's tag into key and value.
func (p AlarmProfile) TagPair() (key, value string) {
	k, v, ok := strings.Cut(p.Tag, "=")
	if !ok {
		return DefaultProfileTagKey, p.Tag
	}
	return k, v
}

// ProfileDimension is the dimension a profile's alarms are filled in with.
func ProfileDimension(resource string) string {
	if resource == ProfileLambda {
		return "FunctionName"
	}
	return "InstanceId"
}

// TargetDelivery is how EventBridge delivers a rule's events to one target.
type TargetDelivery struct {
	// RetryAttempts is 0–185 (default 185).
	RetryAttempts *int `yaml:"retry_attempts" json:"retry_attempts,omitempty"`
	// MaxEventAgeSeconds is 60–86400 (default 86400).
	MaxEventAgeSeconds int `yaml:"max_event_age_seconds" json:"max_event_age_seconds,omitempty"`
}

// Bounds of a target's retry policy.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_RetryPolicy.html
const (
	MaxTargetRetryAttempts  = 185
	MinTargetEventAgeSecond = 60
	MaxTargetEventAgeSecond = 86400
)

var (
	queryIDRE      = regexp.MustCompile(`^[a-z][A-Za-z0-9_]*$`)
	profileNameRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	alarmRuleAtoms = []string{"ALARM", "OK", "INSUFFICIENT_DATA"}
)

// watchDefaults fills the defaults of the profiles and alarm extras.
func (c *Config) watchDefaults() {
	for i := range c.Alarms.Metric {
		a := &c.Alarms.Metric[i]
		if a.OKActions == nil {
			a.OKActions = boolPtr(true)
		}
	}
	for i := range c.Alarms.Composite {
		defaultString(&c.Alarms.Composite[i].Severity, DefaultSeverity)
	}
	for i := range c.Alarms.Profiles {
		p := &c.Alarms.Profiles[i]
		if p.Tag == "" && p.Name != "" {
			p.Tag = DefaultProfileTagKey + "=" + p.Name
		}
		for j := range p.Alarms {
			a := &p.Alarms[j]
			base := fmt.Sprintf("alarms.profiles[%d].alarms[%d]", i, j)
			defaultString(&a.Statistic, DefaultStatistic)
			defaultString(&a.TreatMissingData, DefaultTreatMissingData)
			defaultString(&a.Severity, DefaultSeverity)
			c.defaultInt(base+".period_seconds", &a.PeriodSeconds, DefaultPeriodSeconds)
			c.defaultInt(base+".evaluation_periods", &a.EvaluationPeriods, DefaultEvaluationPeriods)
			if long, ok := comparisonShort[a.Comparison]; ok {
				a.Comparison = long
			}
			if a.OKActions == nil {
				a.OKActions = boolPtr(true)
			}
		}
	}
}

// watch checks metric math, EC2 actions, tags, composite alarms, profiles
// and per-target delivery settings.
func (v *validator) watch() {
	known := map[string]bool{}
	for i := range v.c.Alarms.Metric {
		a := &v.c.Alarms.Metric[i]
		p := indexPath("alarms.metric", i)
		known[a.Name] = true
		v.metricExtras(p, a)
	}
	for _, l := range v.c.Alarms.Log {
		known[l.Name] = true
	}
	for i, a := range v.c.Alarms.Metric {
		if strings.HasPrefix(a.Name, AutoAlarmPrefix) {
			v.errf(indexPath("alarms.metric", i)+".name", "%q: names starting with %q are reserved for the alarms of profiles", a.Name, AutoAlarmPrefix)
		}
	}
	for i, a := range v.c.Alarms.Log {
		if strings.HasPrefix(a.Name, AutoAlarmPrefix) {
			v.errf(indexPath("alarms.log", i)+".name", "%q: names starting with %q are reserved for the alarms of profiles", a.Name, AutoAlarmPrefix)
		}
	}
	names := newUniq("alarm")
	for n := range known {
		names.seen[n] = "alarms"
	}
	for i := range v.c.Alarms.Composite {
		known[v.c.Alarms.Composite[i].Name] = true
	}
	for i := range v.c.Alarms.Composite {
		c := &v.c.Alarms.Composite[i]
		p := indexPath("alarms.composite", i)
		v.alarmName(p+".name", c.Name, names)
		if strings.HasPrefix(c.Name, AutoAlarmPrefix) {
			v.errf(p+".name", "%q: names starting with %q are reserved for the alarms of profiles", c.Name, AutoAlarmPrefix)
		}
		if v.required(p+".rule", c.Rule) {
			refs, err := ParseAlarmRule(c.Rule)
			switch {
			case err != nil:
				v.errf(p+".rule", "%v", err)
			default:
				for _, r := range refs {
					if r == c.Name {
						v.errf(p+".rule", "refers to itself")
					} else if !known[r] {
						v.errf(p+".rule", "names alarm %q, which is not configured (alarms: %s)", r, strings.Join(slices.Sorted(maps.Keys(known)), ", "))
					}
				}
			}
		}
		if utf8.RuneCountInString(c.Description) > MaxAlarmDescriptionLength {
			v.errf(p+".description", "longer than %d characters", MaxAlarmDescriptionLength)
		}
		v.runbook(p+".runbook", c.Runbook)
		v.severity(p+".severity", c.Severity)
		v.alarmTags(p+".tags", c.Tags)
	}
	profiles := newUniq("profile")
	tags := map[string]string{}
	for i := range v.c.Alarms.Profiles {
		pr := &v.c.Alarms.Profiles[i]
		p := indexPath("alarms.profiles", i)
		if v.required(p+".name", pr.Name) {
			profiles.check(v, p+".name", pr.Name)
			if !profileNameRE.MatchString(pr.Name) {
				v.errf(p+".name", "%q is not a profile name (lowercase letters, digits and -, at most 32)", pr.Name)
			}
		}
		v.oneOf(p+".resource", "resource", pr.Resource, []string{ProfileEC2, ProfileLambda})
		if k, val := pr.TagPair(); k == "" || val == "" {
			v.errf(p+".tag", "%q is not key=value", pr.Tag)
		} else if other, dup := tags[pr.Tag]; dup {
			v.errf(p+".tag", "tag %q already selects profile %s", pr.Tag, other)
		} else {
			tags[pr.Tag] = pr.Name
		}
		if len(pr.Alarms) == 0 {
			v.errf(p+".alarms", "needs at least one alarm")
		}
		own := newUniq("profile alarm")
		for j := range pr.Alarms {
			a := &pr.Alarms[j]
			ap := indexPath(p+".alarms", j)
			v.metricAlarm(ap, a, own)
			if a.Name != "" && !profileNameRE.MatchString(a.Name) {
				v.errf(ap+".name", "%q is not a profile alarm name (lowercase letters, digits and -, at most 32)", a.Name)
			}
			if _, ok := a.Dimensions[ProfileDimension(pr.Resource)]; ok {
				v.errf(ap+".dimensions", "%s is filled in with each resource's id; leave it out", ProfileDimension(pr.Resource))
			}
			if len(a.Metrics) > 0 {
				v.errf(ap+".metrics", "profile alarms watch one metric of the resource; metric math is not supported here")
			}
			if a.EC2Action != "" && pr.Resource != ProfileEC2 {
				v.errf(ap+".ec2_action", "only an ec2 profile's alarms can act on the instance")
			}
			v.metricExtras(ap, a)
		}
	}
	for i := range v.c.Events {
		e := &v.c.Events[i]
		for _, t := range slices.Sorted(maps.Keys(e.Delivery)) {
			p := indexPath("events", i) + ".delivery." + t
			if !slices.Contains(e.Targets, t) {
				v.errf(p, "%q is not one of this rule's targets (%s)", t, strings.Join(e.Targets, ", "))
			}
			d := e.Delivery[t]
			if d.RetryAttempts != nil && (*d.RetryAttempts < 0 || *d.RetryAttempts > MaxTargetRetryAttempts) {
				v.errf(p+".retry_attempts", "%d is not between 0 and %d", *d.RetryAttempts, MaxTargetRetryAttempts)
			}
			if d.MaxEventAgeSeconds != 0 && (d.MaxEventAgeSeconds < MinTargetEventAgeSecond || d.MaxEventAgeSeconds > MaxTargetEventAgeSecond) {
				v.errf(p+".max_event_age_seconds", "%d is not between %d and %d", d.MaxEventAgeSeconds, MinTargetEventAgeSecond, MaxTargetEventAgeSecond)
			}
		}
	}
}

// metricExtras checks what a metric alarm adds to the basics: metric math,
// the EC2 action and tags.
func (v *validator) metricExtras(p string, a *MetricAlarm) {
	if len(a.Metrics) > 0 {
		v.metricMath(p+".metrics", a)
	}
	if a.EC2Action != "" {
		v.oneOf(p+".ec2_action", "ec2_action", a.EC2Action, EC2Actions())
		if len(a.Metrics) > 0 || (a.Namespace != "AWS/EC2" && a.Namespace != "") {
			v.errf(p+".ec2_action", "EC2 actions need an AWS/EC2 metric alarm (a status check such as StatusCheckFailed_System)")
		}
	}
	v.alarmTags(p+".tags", a.Tags)
}

func (v *validator) metricMath(p string, a *MetricAlarm) {
	if a.Namespace != "" || a.Metric != "" || len(a.Dimensions) > 0 {
		v.errf(p, "give either metrics (metric math) or namespace/metric/dimensions, not both")
	}
	if len(a.Metrics) > MaxMetricQueries {
		v.errf(p, "%d queries; CloudWatch allows %d", len(a.Metrics), MaxMetricQueries)
	}
	ids := newUniq("query id")
	returned := 0
	for i := range a.Metrics {
		q := &a.Metrics[i]
		qp := indexPath(p, i)
		if v.required(qp+".id", q.ID) {
			ids.check(v, qp+".id", q.ID)
			if !queryIDRE.MatchString(q.ID) {
				v.errf(qp+".id", "%q is not a query id (a lowercase letter, then letters, digits and _)", q.ID)
			}
		}
		switch hasMetric := q.Namespace != "" || q.Metric != ""; {
		case q.Expression != "" && hasMetric:
			v.errf(qp, "give either expression or namespace/metric, not both")
		case q.Expression == "" && !hasMetric:
			v.errf(qp, "needs an expression or a namespace and metric")
		case hasMetric:
			v.required(qp+".namespace", q.Namespace)
			v.required(qp+".metric", q.Metric)
			if q.Statistic != "" && !validStatistic(q.Statistic) {
				v.errf(qp+".statistic", "unknown statistic %q", q.Statistic)
			}
		}
		if q.ReturnData {
			returned++
		}
	}
	if returned != 1 {
		v.errf(p, "exactly one query must have return_data: true (the one compared with the threshold); %d do", returned)
	}
}

func (v *validator) alarmTags(p string, tags map[string]string) {
	if len(tags) > MaxAlarmTags {
		v.errf(p, "%d tags; an alarm carries at most %d", len(tags), MaxAlarmTags)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if k == "" || utf8.RuneCountInString(k) > MaxTagKeyLength || strings.HasPrefix(strings.ToLower(k), "aws:") {
			v.errf(p+"."+k, "%q is not a tag key (1–%d characters, not starting with aws:)", k, MaxTagKeyLength)
		}
		if utf8.RuneCountInString(tags[k]) > MaxTagValueLength {
			v.errf(p+"."+k, "value longer than %d characters", MaxTagValueLength)
		}
	}
}
