// Package email sends alerts through Amazon SES (API v2) as a raw MIME
// message built by render.EML: a multipart/alternative text and HTML body.
//
// https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
package email

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// Type is the channel type name in configuration.
const Type = "email"

// SES limits.
const (
	// MaxRawMessageBytes is the largest raw message SES accepts (after MIME
	// encoding).
	// https://docs.aws.amazon.com/ses/latest/dg/quotas.html
	MaxRawMessageBytes = 10 << 20
	// MaxRecipients is the most destinations one SendEmail may name.
	// https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_Destination.html
	MaxRecipients = 50
)

// sender is the part of the SES v2 client the channel uses.
type sender interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ sender = (*sesv2.Client)(nil)

// Notifier sends one e-mail per alert from cfg.From to cfg.To.
type Notifier struct {
	name   string
	from   string
	to     []string
	client *notify.LazyAWS[sender]
	render render.Options
	logger *slog.Logger
}

var _ notify.Notifier = (*Notifier)(nil)

// New builds an e-mail notifier. From and every To must be valid addresses
// (From an SES-verified identity). The SDK client comes from
// notify.WithAWSConfig, or the default configuration on first use.
func New(cfg config.Channel, _ notify.SecretFunc, logger *slog.Logger, opts ...notify.Option) (*Notifier, error) {
	if cfg.Type != "" && cfg.Type != Type {
		return nil, fmt.Errorf("email channel %q: wrong type %q", cfg.Name, cfg.Type)
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, fmt.Errorf("email channel %q: from %q: %w", cfg.Name, cfg.From, err)
	}
	if len(cfg.To) == 0 || len(cfg.To) > MaxRecipients {
		return nil, fmt.Errorf("email channel %q: needs 1 to %d recipients, has %d", cfg.Name, MaxRecipients, len(cfg.To))
	}
	for _, to := range cfg.To {
		if _, err := mail.ParseAddress(to); err != nil {
			return nil, fmt.Errorf("email channel %q: to %q: %w", cfg.Name, to, err)
		}
	}
	s := notify.Apply(opts...)
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		name: cfg.Name,
		from: cfg.From,
		to:   append([]string(nil), cfg.To...),
		client: notify.NewLazyAWS(s.AWS, func(c aws.Config) sender {
			return sesv2.NewFromConfig(c)
		}),
		render: s.Render,
		logger: logger.With("channel", cfg.Name, "type", Type),
	}, nil
}

// Input builds the SendEmail request carrying render.EML as raw content.
func Input(from string, to []string, a alert.Alert, opts render.Options) (*sesv2.SendEmailInput, error) {
	raw := render.EML(from, to, a, opts)
	if len(raw) > MaxRawMessageBytes {
		return nil, fmt.Errorf("message is %d bytes, SES takes %d", len(raw), MaxRawMessageBytes)
	}
	return &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: to},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}, nil
}

// Notify sends a once (the SDK retries throttling itself).
func (n *Notifier) Notify(ctx context.Context, a alert.Alert) (bool, error) {
	opts := n.render
	if len(a.Graph) > 0 {
		opts.GraphPNG = a.Graph // inline, referenced from the HTML part
	}
	in, err := Input(n.from, n.to, a, opts)
	if err != nil {
		return false, fmt.Errorf("email channel %q: %w", n.name, err)
	}
	c, err := n.client.Client(ctx)
	if err != nil {
		return true, fmt.Errorf("email channel %q: %w", n.name, err)
	}
	out, err := c.SendEmail(ctx, in)
	if err != nil {
		return notify.AWSRetryable(err), fmt.Errorf("email channel %q: send: %w", n.name, err)
	}
	n.logger.DebugContext(ctx, "delivered", "alert", a.ID, "message_id", aws.ToString(out.MessageId))
	return false, nil
}
