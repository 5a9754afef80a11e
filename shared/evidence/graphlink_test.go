package evidence

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestGraphLinksStoreAndPresignOnMoto(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	client := s3.NewFromConfig(m.Config(ctx), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("wk-graphs")}); err != nil {
		t.Fatal(err)
	}
	png := append(append([]byte{}, pngMagic...), bytes.Repeat([]byte("px"), 500)...)
	a := alert.Alert{ID: "5f2c0d", State: alert.StateAlarm, Title: "cpu", Time: time.Date(2026, 11, 25, 21, 4, 5, 0, time.UTC), Graph: png}

	g := NewGraphLinks(client, "wk-graphs", 0)
	if err := g.Enrich(ctx, &a); err != nil {
		t.Fatal(err)
	}
	const key = "graphs/2026/11/25/5f2c0d-alarm-1795640645.png"
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("wk-graphs"), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("object %s not stored: %v", key, err)
	}
	if aws.ToString(head.ContentType) != "image/png" || head.ServerSideEncryption != types.ServerSideEncryptionAes256 || aws.ToInt64(head.ContentLength) != int64(len(png)) {
		t.Errorf("object = type %q, sse %q, %d bytes", aws.ToString(head.ContentType), head.ServerSideEncryption, aws.ToInt64(head.ContentLength))
	}

	u, err := url.Parse(a.GraphURL)
	if err != nil || !strings.Contains(u.Path, key) {
		t.Fatalf("GraphURL %q does not name the object", a.GraphURL)
	}
	q := u.Query()
	if q.Get("X-Amz-Signature") == "" || q.Get("X-Amz-Expires") != "3600" || q.Get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256" {
		t.Errorf("GraphURL is not a one-hour SigV4 presigned GET: %v", q)
	}
	resp, err := http.Get(a.GraphURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
		t.Errorf("fetching the presigned URL: %d, %d bytes", resp.StatusCode, len(body))
	}
}

func TestGraphLinksSkipsAlertsWithoutGraph(t *testing.T) {
	// No client call may happen: a nil client would panic if used.
	g := &GraphLinks{bucket: "b", ttl: time.Hour}
	a := alert.Alert{ID: "x", State: alert.StateOK}
	if err := g.Enrich(t.Context(), &a); err != nil || a.GraphURL != "" {
		t.Errorf("Enrich = %v, url %q", err, a.GraphURL)
	}
}

func TestGraphLinksErrorNamesTheObject(t *testing.T) {
	m := awstest.Start(t)
	client := s3.NewFromConfig(m.Config(t.Context()), func(o *s3.Options) { o.UsePathStyle = true })
	a := alert.Alert{ID: "a1", State: alert.StateAlarm, Time: time.Unix(1700000000, 0), Graph: pngMagic}
	err := NewGraphLinks(client, "no-such-bucket", 0).Enrich(t.Context(), &a)
	if err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/graphs/2023/11/14/a1-alarm-1700000000.png") || a.GraphURL != "" {
		t.Errorf("Enrich = %v, url %q", err, a.GraphURL)
	}
}

func TestGraphKey(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		a    alert.Alert
		want string
	}{
		{alert.Alert{ID: "abc", State: alert.StateOK, Time: time.Date(2025, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 3600))}, "graphs/2025/12/31/abc-ok-1767221999.png"},
		{alert.Alert{ID: "../etc/passwd", State: alert.StateInsufficientData}, "graphs/2026/01/02/---etc-passwd-insufficient_data-1767323045.png"},
		{alert.Alert{State: alert.StateAlarm, Time: now}, "graphs/2026/01/02/alert-alarm-1767323045.png"},
	}
	for _, tt := range tests {
		if got := GraphKey(tt.a, now); got != tt.want {
			t.Errorf("GraphKey(%q) = %q; want %q", tt.a.ID, got, tt.want)
		}
	}
}

func TestGraphsWanted(t *testing.T) {
	hook := config.Channel{Name: "h", Type: config.ChannelSlack, WebhookURL: "ssm:/h"}
	bot := config.Channel{Name: "b", Type: config.ChannelSlack, Token: "ssm:/t", SlackChannel: "C1"}
	mail := config.Channel{Name: "m", Type: config.ChannelEmail, From: "a@b.c", To: []string{"d@e.f"}}
	tests := []struct {
		name string
		n    config.Notifications
		want bool
	}{
		{"webhook only", config.Notifications{Channels: []config.Channel{hook}}, false},
		{"slack bot uploads", config.Notifications{Channels: []config.Channel{hook, bot}}, true},
		{"email inlines", config.Notifications{Channels: []config.Channel{mail}}, true},
		{"bucket links", config.Notifications{Channels: []config.Channel{hook}, GraphBucket: "g"}, true},
		{"nothing", config.Notifications{}, false},
	}
	for _, tt := range tests {
		if got := GraphsWanted(tt.n); got != tt.want {
			t.Errorf("%s: GraphsWanted = %v", tt.name, got)
		}
	}
}
