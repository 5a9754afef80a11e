package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

func graphAlert(u string) alert.Alert {
	return alert.Alert{ID: "g1", State: alert.StateAlarm, Severity: alert.SeverityHigh, Title: "cpu <!here>", GraphURL: u}
}

// imageBlocks returns the image blocks of a Slack message.
func imageBlocks(m SlackMessage) []*slack.ImageBlock {
	var out []*slack.ImageBlock
	for _, b := range m.Blocks.BlockSet {
		if ib, ok := b.(*slack.ImageBlock); ok {
			out = append(out, ib)
		}
	}
	return out
}

func TestGraphURLInEveryFormat(t *testing.T) {
	const u = "https://wk-graphs.s3.eu-west-1.amazonaws.com/graphs/2026/11/25/g1-alarm-1.png?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
	a := graphAlert(u)

	m := Slack(a, Options{})
	imgs := imageBlocks(m)
	if len(imgs) != 1 || imgs[0].ImageURL != u || imgs[0].AltText != "Metric graph of cpu &lt;!here&gt;" {
		t.Fatalf("Slack image blocks = %+v", imgs)
	}
	b, _ := json.Marshal(m)
	if !strings.Contains(string(b), "|"+GraphLinkTitle+`\u003e`) {
		t.Errorf("Slack message does not link the graph: %s", b)
	}

	card, _ := json.Marshal(Teams(a, Options{}))
	if !strings.Contains(string(card), "["+GraphLinkTitle+"](https://wk-graphs.s3.eu-west-1.amazonaws.com/graphs/2026/11/25/g1-alarm-1.png?X-Amz-Algorithm=AWS4-HMAC-SHA256\\u0026X-Amz-Signature=abc)") {
		t.Errorf("Teams card does not link the graph: %s", card)
	}

	var w Webhook
	if err := json.Unmarshal(JSON(a), &w); err != nil || w.GraphURL != u {
		t.Errorf("webhook graph_url = %q (%v)", w.GraphURL, err)
	}
	if !strings.Contains(Text(a, Options{}), u) {
		t.Errorf("plain text does not carry the link")
	}
}

func TestGraphURLRejectedOrTooLong(t *testing.T) {
	for _, bad := range []string{"javascript:alert(1)", "https://x/a b", "ftp://host/graph.png"} {
		a := graphAlert(bad)
		if imgs := imageBlocks(Slack(a, Options{})); len(imgs) != 0 {
			t.Errorf("%q shown as an image", bad)
		}
		if w := NewWebhook(a); w.GraphURL != "" {
			t.Errorf("%q in the webhook body", bad)
		}
	}
	base := "https://b.s3.amazonaws.com/g.png?sig="
	atLimit := base + strings.Repeat("a", SlackMaxImageURL-len(base))
	if imgs := imageBlocks(Slack(graphAlert(atLimit), Options{})); len(imgs) != 1 {
		t.Errorf("a %d-character URL is not shown", len(atLimit))
	}
	over := atLimit + "a"
	m := Slack(graphAlert(over), Options{})
	if imgs := imageBlocks(m); len(imgs) != 0 {
		t.Errorf("a %d-character URL is shown as an image", len(over))
	}
}
