package notify

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

// DefaultHTTPTimeout bounds one HTTP attempt of a channel when the caller does
// not supply its own client; the context deadline still applies.
const DefaultHTTPTimeout = 10 * time.Second

// Settings are the knobs every channel constructor accepts. Channels read the
// fields they use and ignore the rest, so one option list can be passed to
// every constructor (see notify/channels).
type Settings struct {
	// HTTPClient sends the requests of HTTP channels.
	HTTPClient *http.Client
	// Endpoint overrides the vendor API URL of channels that have a fixed one
	// (Slack's https://slack.com/api base, PagerDuty's enqueue URL); tests
	// point it at an httptest server.
	Endpoint string
	// Render configures the message renderers.
	Render render.Options
	// AWS is the SDK configuration of the sns and email channels; when nil
	// they load the default configuration on first use.
	AWS *aws.Config
	// Now is the clock (signature timestamps, Date headers).
	Now func() time.Time
	// Retrier, when set, wraps every notifier built by notify/channels.
	Retrier *Retrier
	// Threads is the store of message threads for channels that keep them;
	// each asserts its own interface (slack.ThreadStore) and rejects a store
	// that does not implement it. nil: no threads.
	Threads any
}

// Option changes Settings.
type Option func(*Settings)

// WithHTTPClient makes HTTP channels send through c.
func WithHTTPClient(c *http.Client) Option { return func(s *Settings) { s.HTTPClient = c } }

// WithEndpoint overrides the vendor API URL (see Settings.Endpoint).
func WithEndpoint(u string) Option { return func(s *Settings) { s.Endpoint = u } }

// WithRender sets the renderer options.
func WithRender(o render.Options) Option { return func(s *Settings) { s.Render = o } }

// WithAWSConfig sets the SDK configuration of AWS-backed channels.
func WithAWSConfig(cfg aws.Config) Option { return func(s *Settings) { s.AWS = &cfg } }

// WithClock sets the clock.
func WithClock(now func() time.Time) Option { return func(s *Settings) { s.Now = now } }

// WithRetrier makes notify/channels wrap each notifier in r.
func WithRetrier(r *Retrier) Option { return func(s *Settings) { s.Retrier = r } }

// Apply returns the settings opts produce, with defaults for what they leave
// unset.
func Apply(opts ...Option) Settings {
	var s Settings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Render.Now == nil {
		s.Render.Now = s.Now
	}
	return s
}

// WithThreads gives channels that thread or edit their messages a store
// (*state.Store over the state table); see Settings.Threads.
func WithThreads(store any) Option { return func(s *Settings) { s.Threads = store } }
