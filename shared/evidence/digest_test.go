package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

func digestAlert(widget string) *alert.Alert {
	return &alert.Alert{ID: "digest-1", State: alert.StateEvent, Severity: alert.SeverityInfo, Title: "digest",
		Time: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
		Digest: &alert.DigestSummary{From: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC),
			Receivers: []string{"ops"}, Widget: widget}}
}

// The digest's chart is the widget the sweeper built, drawn by CloudWatch
// (a CBOR stand-in), then stored in the graph bucket (moto) so chat
// channels that cannot carry the image get a presigned link.
func TestDigestChartAndLink(t *testing.T) {
	var got map[string]any
	srv := widgetServer(t, &got)
	defer srv.Close()
	const widget = `{"title":"Watchkeeper 2026-11-23 to 2026-11-29","region":"eu-west-1","start":"2026-11-23T00:00:00Z","end":"2026-11-30T00:00:00Z","period":3600,"metrics":[["Watchkeeper","Heartbeat","Stack","Watchkeeper",{"stat":"SampleCount"}]]}`
	a := digestAlert(widget)
	if err := NewGraph(cwClient(srv.URL)).Enrich(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(a.Graph, pngMagic) {
		t.Fatalf("graph = %q", a.Graph)
	}
	var want map[string]any
	_ = json.Unmarshal([]byte(widget), &want)
	if gb, _ := json.Marshal(got); string(gb) != mustJSON(t, want) {
		t.Errorf("CloudWatch was asked for %s, want the event's widget", gb)
	}

	m := awstest.Start(t)
	ctx := t.Context()
	client := s3.NewFromConfig(m.Config(ctx), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("wk-graphs")}); err != nil {
		t.Fatal(err)
	}
	if err := NewGraphLinks(client, "wk-graphs", 0).Enrich(ctx, a); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.GraphURL, "X-Amz-Signature=") {
		t.Fatalf("GraphURL = %q", a.GraphURL)
	}
	for name, body := range map[string]string{
		"slack": mustJSON(t, render.Slack(*a, render.Options{})),
		"teams": mustJSON(t, render.Teams(*a, render.Options{})),
	} {
		if !strings.Contains(body, "wk-graphs") {
			t.Errorf("%s message has no chart link: %s", name, body)
		}
	}
}

func TestDigestChartSkippedOrRefused(t *testing.T) {
	var got map[string]any
	srv := widgetServer(t, &got)
	defer srv.Close()
	g := NewGraph(cwClient(srv.URL))
	a := digestAlert("")
	if err := g.Enrich(context.Background(), a); err != nil || a.Graph != nil || got != nil {
		t.Errorf("a digest without a widget was drawn: %v %q", err, a.Graph)
	}
	a = digestAlert(`{"metrics":`)
	if err := g.Enrich(context.Background(), a); err == nil || !strings.Contains(err.Error(), "not JSON") || got != nil {
		t.Errorf("a broken widget: err %v, request %v", err, got)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
