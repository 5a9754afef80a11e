package evidence

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// digestChart draws a digest's chart from the metric widget the sweeper put
// in the event (sweep.DigestWidget), so every channel of the digest sees
// the same picture the e-mail digest inlines.
func (g *Graph) digestChart(ctx context.Context, a *alert.Alert) error {
	w := a.Digest.Widget
	if w == "" || len(a.Graph) > 0 {
		return nil
	}
	if !json.Valid([]byte(w)) {
		return fmt.Errorf("digest chart: the event's metric widget is not JSON")
	}
	out, err := g.cw.GetMetricWidgetImage(ctx, &cloudwatch.GetMetricWidgetImageInput{
		MetricWidget: aws.String(w),
		OutputFormat: aws.String("png"),
	})
	if err != nil {
		return fmt.Errorf("digest chart %s: %w", a.Digest.Period(), err)
	}
	a.Graph = out.MetricWidgetImage
	return nil
}
