// Package sns publishes alerts as plain text (render.Text) to an SNS topic,
// for e-mail, SMS and other subscribers that show the message as it is.
//
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "sns"

// MaxSubjectLength caps the Subject of a Publish: ASCII only, no line breaks
// or control characters, at most 100 characters.
// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
const MaxSubjectLength = 100

// subjectMarker ends a cut subject; TruncationMarker is not ASCII.
const subjectMarker = "..."

// publisher is the part of the SNS client the channel uses.
type publisher interface {
	Publish(ctx context.Context, in *awssns.PublishInput, optFns ...func(*awssns.Options)) (*awssns.PublishOutput, error)
}

var _ publisher = (*awssns.Client)(nil)

// Notifier publishes to one topic.
type Notifier struct {
	name   string
	topic  string
	client *notify.LazyAWS[publisher]
	render render.Options
	logger *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds an SNS notifier for cfg.TopicARN. The SDK client comes from
// notify.WithAWSConfig, or the default configuration on first use. secret is
// unused: SNS access is IAM's business.
func New(cfg config.Channel, _ notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("sns channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	if !strings.HasPrefix(cfg.TopicARN, "arn:") {
		return nil, fmt.Errorf("sns channel %q: topic_arn %q is not an ARN", cfg.Name, cfg.TopicARN)
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		name:  cfg.Name,
		topic: cfg.TopicARN,
		client: notify.NewLazyAWS(s.AWS, func(c aws.Config) publisher {
			return awssns.NewFromConfig(c)
		}),
		render: s.Render,
		logger: logger.With("channel", cfg.Name, "type", Type),
	}, nil
}

// Subject is the Publish subject for a: "[STATE] severity: title" reduced to
// printable ASCII (other characters become '?') and MaxSubjectLength.
func Subject(a alert.Alert) string {
	s := "[" + string(a.State) + "] " + a.Severity + ": " + render.PlainText(a.Title)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > MaxSubjectLength {
		s = s[:MaxSubjectLength-len(subjectMarker)] + subjectMarker
	}
	return s
}

// Input builds the Publish request: the text rendering, Subject, message
// attributes for subscription filter policies (state, severity, source), and
// for FIFO topics a group per alert and a deduplication id per delivery.
func Input(topic string, a alert.Alert, opts render.Options) *awssns.PublishInput {
	in := &awssns.PublishInput{
		TopicArn:          aws.String(topic),
		Message:           aws.String(render.Text(a, opts)),
		Subject:           aws.String(Subject(a)),
		MessageAttributes: map[string]types.MessageAttributeValue{},
	}
	for k, v := range map[string]string{"state": string(a.State), "severity": a.Severity, "source": a.Source} {
		if v = render.PlainText(v); v != "" {
			in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	if strings.HasSuffix(topic, ".fifo") {
		group := a.ID
		if group == "" {
			group = "watchkeeper"
		}
		in.MessageGroupId = aws.String(hashIfLong(group))
		in.MessageDeduplicationId = aws.String(hashIfLong(a.Key + "|" + a.ID + "|" + string(a.State)))
	}
	return in
}

// hashIfLong keeps FIFO ids within SNS's 128 characters of
// alphanumerics and punctuation.
func hashIfLong(s string) string {
	if len(s) <= 128 && s != "" && strings.IndexFunc(s, func(r rune) bool { return r <= 0x20 || r > 0x7e }) < 0 {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Notify publishes a once (the SDK retries throttling itself).
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	c, err := n.client.Client(ctx)
	if err != nil {
		return true, fmt.Errorf("sns channel %q: %w", n.name, err)
	}
	out, err := c.Publish(ctx, Input(n.topic, a, n.render))
	if err != nil {
		return notify.AWSRetryable(err), fmt.Errorf("sns channel %q: publish: %w", n.name, err)
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID, "message_id", aws.ToString(out.MessageId))
	return false, nil
}
