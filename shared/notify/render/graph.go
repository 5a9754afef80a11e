package render

import (
	"github.com/slack-go/slack"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// SlackMaxImageURL is the longest image_url an image block accepts; a longer
// presigned link is only linked, not shown.
// https://docs.slack.dev/reference/block-kit/blocks/image-block
const SlackMaxImageURL = 3000

// SlackMaxImageAltText caps an image block's alt_text.
// https://docs.slack.dev/reference/block-kit/blocks/image-block
const SlackMaxImageAltText = 2000

// GraphLinkTitle titles the link to the metric graph image.
const GraphLinkTitle = "Metric graph"

// addGraphLink records a checked link to a.GraphURL (a presigned S3 URL the
// notifier made) and lists it with the other links, so every format that
// cannot carry the image itself points at it.
func (v *view) addGraphLink(a alert.Alert) {
	u, ok := safeURL(a.GraphURL)
	if !ok {
		return
	}
	v.graphURL = u
	v.links = append(v.links, alert.Link{Title: GraphLinkTitle, URL: u})
}

// slackGraphBlocks shows the metric graph as an image block when its link
// fits one.
func slackGraphBlocks(v view) []slack.Block {
	if v.graphURL == "" || textLen(v.graphURL) > SlackMaxImageURL {
		return nil
	}
	alt := fit("Metric graph of "+v.title, SlackMaxImageAltText, slackEntityEscaper)
	return []slack.Block{slack.NewImageBlock(v.graphURL, alt, "", nil)}
}
