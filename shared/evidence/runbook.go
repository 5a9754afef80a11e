package evidence

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// LinkTitleRunbook is the title of a runbook link, the same the alarm
// parser gives a "runbook: <url>" line of the description.
const LinkTitleRunbook = "Runbook"

// Alarm tag keys naming a runbook, the more specific first. infra tags the
// stack's own alarms with RunbookTag.
const (
	RunbookTagWatchkeeper = "watchkeeper:runbook"
	RunbookTag            = "runbook"
)

// RunbookCacheTTL is how long one container remembers an alarm's runbook
// tag (or its absence): a storm of one alarm makes one call, and an edited
// tag shows within minutes.
const RunbookCacheTTL = 5 * time.Minute

// maxTagValueLen is the longest CloudWatch tag value; a longer "URL" cannot
// come from a tag.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Tag.html
const maxTagValueLen = 256

type alarmTagLister interface {
	ListTagsForResource(ctx context.Context, in *cloudwatch.ListTagsForResourceInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.ListTagsForResourceOutput, error)
}

var _ alarmTagLister = (*cloudwatch.Client)(nil)

// RunbookTags links the runbook an alarm's tags name (RunbookTagWatchkeeper,
// else RunbookTag) when the alert has none from its description. Only
// http(s) URLs are linked; another value is logged and ignored. Tags are
// read once per alarm ARN per RunbookCacheTTL, and only for alarms of the
// notifier's own region, which is where its IAM grant reaches.
type RunbookTags struct {
	cw     alarmTagLister
	region string
	ttl    time.Duration
	logger *slog.Logger
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]runbookEntry
}

type runbookEntry struct {
	url     string
	expires time.Time
}

// NewRunbookTags returns the enricher over a CloudWatch client of region;
// logger may be nil.
func NewRunbookTags(cw alarmTagLister, region string, logger *slog.Logger) *RunbookTags {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &RunbookTags{cw: cw, region: region, ttl: RunbookCacheTTL, logger: logger, now: time.Now, cache: map[string]runbookEntry{}}
}

// Enrich adds the runbook link. A failed tag read is returned (the alert
// goes out without it) and not cached, so the next alert tries again.
func (r *RunbookTags) Enrich(ctx context.Context, a *alert.Alert) error {
	arn := a.Label(alert.LabelAlarmARN)
	if arn == "" || hasLink(a, LinkTitleRunbook) {
		return nil
	}
	region, ok := alarmARNRegion(arn)
	if !ok || (r.region != "" && region != r.region) {
		return nil
	}
	now := r.now()
	r.mu.Lock()
	e, hit := r.cache[arn]
	r.mu.Unlock()
	if !hit || !now.Before(e.expires) {
		u, err := r.read(ctx, arn)
		if err != nil {
			return err
		}
		e = runbookEntry{url: u, expires: now.Add(r.ttl)}
		r.mu.Lock()
		r.cache[arn] = e
		r.mu.Unlock()
	}
	addLink(a, LinkTitleRunbook, e.url)
	return nil
}

// read lists the alarm's tags and returns the runbook URL they name, or "".
func (r *RunbookTags) read(ctx context.Context, arn string) (string, error) {
	out, err := r.cw.ListTagsForResource(ctx, &cloudwatch.ListTagsForResourceInput{ResourceARN: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("list tags of alarm %s: %w", arn, err)
	}
	tags := make(map[string]string, len(out.Tags))
	for _, t := range out.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	for _, k := range []string{RunbookTagWatchkeeper, RunbookTag} {
		v, ok := tags[k]
		if !ok {
			continue
		}
		if u, ok := RunbookURL(v); ok {
			return u, nil
		}
		// The value is not logged: a URL with user:password@ would leak it.
		r.logger.Warn("alarm runbook tag is not an http(s) URL (absolute, no credentials or spaces); ignored",
			"alarm_arn", arn, "tag", k, "value_length", len(v))
	}
	return "", nil
}

// RunbookURL returns v trimmed when it is an absolute http(s) URL with a host
// and without spaces or control characters, the only links a message may
// carry from a tag.
func RunbookURL(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > maxTagValueLen || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", false
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	return v, true
}

// alarmARNRegion is the region of a CloudWatch alarm ARN
// (arn:partition:cloudwatch:region:account:alarm:name).
func alarmARNRegion(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "cloudwatch" || parts[3] == "" || parts[5] != "alarm" || parts[6] == "" {
		return "", false
	}
	return parts[3], true
}

func hasLink(a *alert.Alert, title string) bool {
	for _, l := range a.Links {
		if l.Title == title {
			return true
		}
	}
	return false
}
