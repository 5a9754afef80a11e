package sweep

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/metrics"
	"github.com/watchkeeper/watchkeeper/shared/notify/email"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// JobDigest is the weekly digest job.
const JobDigest = "digest"

// Digest job inputs.
const (
	// JobParamDigestDays is how many days back the digest covers (default 7).
	JobParamDigestDays = "days"
	// JobParamDigestChannels names the email channels that get it (default every email channel).
	JobParamDigestChannels = "channels"
)

// DefaultDigestDays is the span of the weekly digest.
const DefaultDigestDays = 7

// maxDigestDays bounds the span: the time index is read one day at a time.
const maxDigestDays = 31

// digestChartPeriodSeconds is one point per hour on the week's chart.
const digestChartPeriodSeconds = 3600

type auditReader interface {
	AuditBetween(ctx context.Context, from, to time.Time) ([]state.AuditRecord, error)
}

type widgetImager interface {
	GetMetricWidgetImage(ctx context.Context, in *cloudwatch.GetMetricWidgetImageInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricWidgetImageOutput, error)
}

type emailSender interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var (
	_ auditReader  = (*state.Store)(nil)
	_ widgetImager = (*cloudwatch.Client)(nil)
	_ emailSender  = (*sesv2.Client)(nil)
)

// DigestClients are what the digest reads and sends with.
type DigestClients struct {
	Audit      auditReader
	CloudWatch widgetImager
	SES        emailSender
	// Channels are the config's channels; the email ones receive the digest.
	Channels []config.Channel
	// Receivers are the config's receivers, which job input receivers names.
	Receivers []config.Receiver
	// Bus publishes the Watchkeeper Digest event for receivers.
	Bus Publisher
	// Stack is the Stack dimension of the suite's own metrics.
	Stack  string
	Region string
	// Render carries the time zone and account alias messages show.
	Render render.Options
	Now    func() time.Time
	Logger *slog.Logger
}

// DigestCount is how many records of one kind an account had at a severity.
type DigestCount struct {
	Kind, Account, Severity string
	Count                   int
}

// Digest summarizes the audit records of a period.
type Digest struct {
	From, To time.Time
	// Counts by kind, account and severity, sorted.
	Counts []DigestCount
	// Kinds totals records by kind.
	Kinds map[string]int
	// Outcomes totals remediation decisions by outcome (applied, planned, …).
	Outcomes map[string]int
	// Notifications totals the notifier's records by outcome (sent, failed,
	// silenced, duplicate, …). Duplicates (the same alert change through a
	// second trigger) are counted here only, not in Counts or Kinds.
	Notifications map[string]int
	// Rules are the rules with most records, most first (at most ten).
	Rules []DigestCount
	// Chart is a PNG of the suite's own metrics over the period, if drawn.
	Chart []byte
}

// digestMaxLines is how many lines of the digest text messages show: the
// renderers shorten long descriptions, which would cut the tables.
const digestMaxLines = 400

// maxDigestRules is how many rules the digest lists.
const maxDigestRules = 10

// BuildDigest counts records by kind, account and severity.
func BuildDigest(records []state.AuditRecord, from, to time.Time) *Digest {
	d := &Digest{From: from.UTC(), To: to.UTC(), Kinds: map[string]int{}, Outcomes: map[string]int{}, Notifications: map[string]int{}}
	counts := map[DigestCount]int{}
	rules := map[DigestCount]int{}
	for _, r := range records {
		kind := digestKind(r)
		if kind == auditKindNotification {
			// Silence and inhibition records say "status" in older records.
			o := cmp.Or(r.Fields["outcome"], r.Fields["status"], "-")
			d.Notifications[o]++
			if o == notificationDuplicate {
				continue
			}
		}
		key := DigestCount{Kind: kind, Account: recordAccount(r), Severity: cmp.Or(alert.NormalizeSeverity(r.Fields["severity"]), "-")}
		counts[key]++
		d.Kinds[kind]++
		if o := r.Fields["outcome"]; o != "" && kind == "remediation" {
			d.Outcomes[o]++
		}
		if rule := r.Fields["rule"]; rule != "" {
			rules[DigestCount{Kind: kind, Account: rule}]++
		}
	}
	for k, n := range counts {
		k.Count = n
		d.Counts = append(d.Counts, k)
	}
	slices.SortFunc(d.Counts, func(a, b DigestCount) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Account, b.Account), cmp.Compare(severityRank(a.Severity), severityRank(b.Severity)))
	})
	for k, n := range rules {
		k.Count = n
		d.Rules = append(d.Rules, k)
	}
	slices.SortFunc(d.Rules, func(a, b DigestCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Account, b.Account))
	})
	if len(d.Rules) > maxDigestRules {
		d.Rules = d.Rules[:maxDigestRules]
	}
	return d
}

// Audit record kinds and values the digest reads, as the notifier
// (shared/dispatch) and the detector (shared/detect) write them.
const (
	auditKindNotification = "notification"
	notificationDuplicate = "duplicate"
	// Digest kinds of findings by who found them.
	digestKindDetectorFinding = "detector finding"
	digestKindSweeperFinding  = "sweeper finding"
)

// digestKind is what the digest counts a record as: its kind, with
// findings split by source. A finding without a source is the sweeper's,
// the only writer of findings before the detector audited its own.
func digestKind(r state.AuditRecord) string {
	kind := cmp.Or(r.Kind, "unknown")
	if kind != AuditKindFinding {
		return kind
	}
	switch r.Fields["source"] {
	case alert.SourceDetector:
		return digestKindDetectorFinding
	case alert.SourceSweeper, "":
		return digestKindSweeperFinding
	}
	return kind
}

// recordAccount is the account a record is about: its account field, or
// the account of the resource ARN it names.
func recordAccount(r state.AuditRecord) string {
	if a := r.Fields["account"]; a != "" {
		return a
	}
	for _, k := range []string{"resource_arn", "resource"} {
		if parts := strings.SplitN(r.Fields[k], ":", 6); len(parts) == 6 && parts[0] == "arn" && parts[4] != "" {
			return parts[4]
		}
	}
	return "unknown"
}

func severityRank(s string) int {
	if i := slices.Index(config.Severities(), s); i >= 0 {
		return i
	}
	return len(config.Severities())
}

// Text renders the digest as plain text: totals, then per account and
// severity, then the busiest rules. Record fields are data from the
// account; the channel renderers escape them.
func (d *Digest) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Week %s to %s (UTC)\n", d.From.Format(time.DateOnly), d.To.Add(-time.Second).Format(time.DateOnly))
	if len(d.Counts) == 0 {
		b.WriteString("\nNothing happened: no notifications, findings or remediations were recorded.\n")
		return b.String()
	}
	b.WriteString("\nTotals\n")
	for _, k := range slices.Sorted(maps.Keys(d.Kinds)) {
		fmt.Fprintf(&b, "  %-16s %5d\n", k, d.Kinds[k])
	}
	if len(d.Outcomes) > 0 {
		b.WriteString("\nRemediations by outcome\n")
		for _, o := range slices.Sorted(maps.Keys(d.Outcomes)) {
			fmt.Fprintf(&b, "  %-16s %5d\n", o, d.Outcomes[o])
		}
	}
	if len(d.Notifications) > 0 {
		b.WriteString("\nNotifications by outcome\n")
		for _, o := range slices.Sorted(maps.Keys(d.Notifications)) {
			fmt.Fprintf(&b, "  %-16s %5d\n", o, d.Notifications[o])
		}
	}
	b.WriteString("\nBy account and severity\n")
	kind := ""
	for _, c := range d.Counts {
		if c.Kind != kind {
			kind = c.Kind
			fmt.Fprintf(&b, "  %s\n", kind)
		}
		fmt.Fprintf(&b, "    %-14s %-9s %5d\n", c.Account, c.Severity, c.Count)
	}
	if len(d.Rules) > 0 {
		b.WriteString("\nBusiest rules\n")
		for _, r := range d.Rules {
			fmt.Fprintf(&b, "  %5d  %s (%s)\n", r.Count, r.Account, r.Kind)
		}
	}
	return b.String()
}

// Alert is the digest as a message the notifier's renderers turn into
// text and HTML (escaping every value), with the chart inline.
func (d *Digest) Alert(stack string) alert.Alert {
	total := 0
	for _, n := range d.Kinds {
		total += n
	}
	return alert.Alert{
		ID:          alert.MakeID("digest", stack, d.From.Format(time.DateOnly)),
		Source:      alert.SourceSweeper,
		State:       alert.StateEvent,
		Severity:    alert.SeverityInfo,
		Title:       fmt.Sprintf("Watchkeeper weekly digest: %d records, %s to %s", total, d.From.Format(time.DateOnly), d.To.Add(-time.Second).Format(time.DateOnly)),
		Description: d.Text(),
		Labels:      map[string]string{alert.LabelJob: JobDigest, alert.LabelSource: alert.SourceSweeper},
		Time:        d.To,
		Graph:       d.Chart,
	}
}

// DigestWidget is the CloudWatch metric widget of the suite's own metrics
// over the period: the detector's records and findings, and the heartbeat.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Metric-Widget-Structure.html
func DigestWidget(stack, region string, from, to time.Time) ([]byte, error) {
	detector := func(name string) []any {
		return []any{metrics.Namespace, name, "Function", config.FunctionDetector, map[string]any{"stat": "Sum", "label": name}}
	}
	w := map[string]any{
		"title":  "Watchkeeper " + from.UTC().Format(time.DateOnly) + " to " + to.UTC().Add(-time.Second).Format(time.DateOnly),
		"region": region,
		"start":  from.UTC().Format(time.RFC3339),
		"end":    to.UTC().Format(time.RFC3339),
		"period": digestChartPeriodSeconds,
		"width":  800, "height": 300,
		"metrics": []any{
			detector("RecordsReceived"),
			detector("Findings"),
			[]any{metrics.Namespace, HeartbeatMetric, "Stack", stack, map[string]any{"stat": "SampleCount", "label": "Heartbeats", "yAxis": "right"}},
		},
	}
	return json.Marshal(w)
}

// DigestJob returns the digest job: the period's audit records from the
// table, counted per account and severity, with a chart of the suite's
// metrics, sent to the email channels by SES and, for the receivers job
// input names, as one Watchkeeper Digest event the notifier delivers. A
// chart that cannot be drawn is left out, not fatal; a channel that cannot
// be sent to is an error after the others were tried.
func DigestJob(c DigestClients) Job {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, req *alert.JobRequest) ([]Finding, error) {
		days, names, receivers, err := digestParams(req)
		if err != nil {
			return nil, err
		}
		if err := digestReceivers(receivers, c.Receivers); err != nil {
			return nil, err
		}
		if len(receivers) > 0 && names == nil {
			// Receivers only: no e-mail channel is named, so none gets it by SES.
			names = []string{}
		}
		to := c.Now().UTC().Truncate(24 * time.Hour)
		from := to.Add(-time.Duration(days) * 24 * time.Hour)
		records, err := c.Audit.AuditBetween(ctx, from, to)
		if err != nil {
			return nil, fmt.Errorf("digest: %w", err)
		}
		d := BuildDigest(records, from, to)
		widget, werr := DigestWidget(c.Stack, c.Region, from, to)
		var errs []error
		if len(receivers) > 0 {
			if err := c.publishDigest(ctx, d, receivers, widget); err != nil {
				errs = append(errs, err)
			}
		}
		if c.CloudWatch != nil && (names == nil || len(names) > 0) {
			err := werr
			if err == nil {
				var out *cloudwatch.GetMetricWidgetImageOutput
				out, err = c.CloudWatch.GetMetricWidgetImage(ctx, &cloudwatch.GetMetricWidgetImageInput{MetricWidget: aws.String(string(widget)), OutputFormat: aws.String("png")})
				if err == nil {
					d.Chart = out.MetricWidgetImage
				}
			}
			if err != nil {
				c.Logger.Warn("digest sent without its chart", "error", err)
			}
		}
		a := d.Alert(c.Stack)
		opts := c.Render
		opts.Now = c.Now
		opts.GraphPNG = d.Chart
		if opts.MaxLogLines == 0 {
			opts.MaxLogLines = digestMaxLines
		}
		sent := 0
		covered := c.receiverChannels(receivers)
		for _, ch := range c.Channels {
			if ch.Type != config.ChannelEmail || (names != nil && !slices.Contains(names, ch.Name)) {
				continue
			}
			if covered[ch.Name] {
				// The notifier sends it there as part of a named receiver.
				continue
			}
			in, err := email.Input(ch.From, ch.To, a, opts)
			if err == nil {
				_, err = c.SES.SendEmail(ctx, in)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("send digest to channel %s: %w", ch.Name, err))
				continue
			}
			sent++
		}
		c.Logger.Info("digest", "from", from, "to", to, "records", len(records), "chart", len(d.Chart) > 0, "channels", sent, "receivers", receivers)
		return nil, errors.Join(errs...)
	}
}

func digestParams(req *alert.JobRequest) (days int, channels, receivers []string, err error) {
	days = DefaultDigestDays
	if req == nil {
		return days, nil, nil, nil
	}
	if v, ok := req.Params[JobParamDigestDays]; ok {
		f, isNum := v.(float64)
		if !isNum || f < 1 || f > maxDigestDays || f != float64(int(f)) {
			return 0, nil, nil, fmt.Errorf("job input %s must be a whole number of days from 1 to %d, got %v", JobParamDigestDays, maxDigestDays, v)
		}
		days = int(f)
	}
	if v, ok := req.Params[JobParamDigestChannels]; ok {
		if channels, err = stringList(v, JobParamDigestChannels, "channel"); err != nil {
			return 0, nil, nil, err
		}
	}
	if v, ok := req.Params[JobParamDigestReceivers]; ok {
		if receivers, err = stringList(v, JobParamDigestReceivers, "receiver"); err != nil {
			return 0, nil, nil, err
		}
	}
	return days, channels, receivers, nil
}
