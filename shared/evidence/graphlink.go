package evidence

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// GraphLinkTTL is how long a presigned graph link works. Short: the link is
// only for opening the message soon after it arrives, and anyone holding it
// can read the image.
const GraphLinkTTL = time.Hour

// GraphKeyPrefix is where graphs go in the bucket; the notifier may write
// and read only under it.
const GraphKeyPrefix = "graphs/"

type objectPutter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

var _ objectPutter = (*s3.Client)(nil)

// GraphLinks stores an alert's metric graph in S3 and gives the alert a
// short-lived presigned link to it (a.GraphURL), for channels that cannot
// carry the image: the Slack incoming webhook, Teams, the JSON webhook. It
// runs after Graph.
type GraphLinks struct {
	s3      objectPutter
	presign *s3.PresignClient
	bucket  string
	ttl     time.Duration
}

// NewGraphLinks returns the enricher for bucket; client both uploads and
// signs. ttl <= 0 means GraphLinkTTL.
func NewGraphLinks(client *s3.Client, bucket string, ttl time.Duration) *GraphLinks {
	if ttl <= 0 {
		ttl = GraphLinkTTL
	}
	return &GraphLinks{s3: client, presign: s3.NewPresignClient(client), bucket: bucket, ttl: ttl}
}

// Enrich uploads a.Graph (when there is one) with server-side encryption and
// sets a.GraphURL to a presigned GET of it.
func (g *GraphLinks) Enrich(ctx context.Context, a *alert.Alert) error {
	if len(a.Graph) == 0 {
		return nil
	}
	key := GraphKey(*a, time.Now())
	if _, err := g.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(g.bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(a.Graph),
		ContentLength:        aws.Int64(int64(len(a.Graph))),
		ContentType:          aws.String("image/png"),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	}); err != nil {
		return fmt.Errorf("store metric graph s3://%s/%s: %w", g.bucket, key, err)
	}
	req, err := g.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(g.bucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(g.ttl))
	if err != nil {
		return fmt.Errorf("presign metric graph s3://%s/%s: %w", g.bucket, key, err)
	}
	a.GraphURL = req.URL
	return nil
}

// GraphKey is the object key of a's graph:
// graphs/<yyyy>/<mm>/<dd>/<alert id>-<state>-<unix>.png, dated by the state
// change (now when the alert has no time), so a redelivery overwrites the
// same object instead of adding one.
func GraphKey(a alert.Alert, now time.Time) string {
	t := a.Time
	if t.IsZero() {
		t = now
	}
	t = t.UTC()
	id := keySafe(a.ID)
	if id == "" {
		id = "alert"
	}
	return GraphKeyPrefix + t.Format("2006/01/02") + "/" + id + "-" + strings.ToLower(keySafe(string(a.State))) + "-" +
		strconv.FormatInt(t.Unix(), 10) + ".png"
}

// keySafe keeps the characters S3 recommends for keys and replaces the rest.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html#object-key-guidelines
func keySafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// GraphsWanted reports whether the notifier should draw metric graphs: a
// channel shows them (GraphsShown), a Slack bot uploads them, or a graph
// bucket is configured to link them from webhooks.
func GraphsWanted(n config.Notifications) bool {
	if n.GraphBucket != "" || GraphsShown(n.Channels) {
		return true
	}
	for _, c := range n.Channels {
		if c.Type == config.ChannelSlack && c.Token != "" {
			return true
		}
	}
	return false
}
