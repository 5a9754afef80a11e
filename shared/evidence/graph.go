package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// Graph window around the state change, and the image size.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Metric-Widget-Structure.html
const (
	graphBefore = 3 * time.Hour
	graphAfter  = 15 * time.Minute
	graphWidth  = 600
	graphHeight = 300
)

type widgetImager interface {
	GetMetricWidgetImage(ctx context.Context, in *cloudwatch.GetMetricWidgetImageInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricWidgetImageOutput, error)
}

var _ widgetImager = (*cloudwatch.Client)(nil)

// Graph draws an alarm's metric (or metric-math queries) with its threshold
// line, three hours before the state change to a quarter hour after.
type Graph struct {
	cw widgetImager
}

// NewGraph returns a graph enricher over a CloudWatch client.
func NewGraph(cw widgetImager) *Graph { return &Graph{cw: cw} }

// Enrich sets a.Graph for metric alarms and digests; other alerts are left alone.
func (g *Graph) Enrich(ctx context.Context, a *alert.Alert) error {
	if a.Digest != nil {
		return g.digestChart(ctx, a)
	}
	if a.Metric == nil || a.Time.IsZero() || (a.Metric.Name == "" && len(a.Metric.Metrics) == 0) {
		return nil
	}
	widget, err := Widget(a)
	if err != nil {
		return err
	}
	out, err := g.cw.GetMetricWidgetImage(ctx, &cloudwatch.GetMetricWidgetImageInput{
		MetricWidget: aws.String(string(widget)),
		OutputFormat: aws.String("png"),
	})
	if err != nil {
		return fmt.Errorf("metric graph of %s: %w", a.Title, err)
	}
	a.Graph = out.MetricWidgetImage
	return nil
}

// Widget is the metric widget JSON GetMetricWidgetImage draws for a.
func Widget(a *alert.Alert) ([]byte, error) {
	m := a.Metric
	w := map[string]any{
		"view":   "timeSeries",
		"title":  a.Title,
		"start":  a.Time.Add(-graphBefore).UTC().Format(time.RFC3339),
		"end":    a.Time.Add(graphAfter).UTC().Format(time.RFC3339),
		"width":  graphWidth,
		"height": graphHeight,
	}
	if r := a.Labels[alert.LabelRegion]; r != "" {
		w["region"] = r
	}
	var metrics []any
	if len(m.Metrics) > 0 {
		for _, q := range m.Metrics {
			opts := map[string]any{"id": q.ID, "visible": q.ReturnData}
			if q.Label != "" {
				opts["label"] = q.Label
			}
			if q.Expression != "" {
				opts["expression"] = q.Expression
				metrics = append(metrics, []any{opts})
				continue
			}
			if q.Stat != "" {
				opts["stat"] = q.Stat
			}
			if q.Period > 0 {
				opts["period"] = q.Period
			}
			metrics = append(metrics, metricRow(q.Namespace, q.Name, q.Dimensions, opts))
		}
	} else {
		opts := map[string]any{}
		if m.Statistic != "" {
			opts["stat"] = m.Statistic
		}
		if m.Period > 0 {
			opts["period"] = m.Period
		}
		metrics = append(metrics, metricRow(m.Namespace, m.Name, m.Dimensions, opts))
	}
	w["metrics"] = metrics
	if m.Threshold != nil {
		w["annotations"] = map[string]any{"horizontal": []any{
			map[string]any{"label": "threshold", "value": *m.Threshold, "color": "#d62728"},
		}}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("metric widget: %w", err)
	}
	return b, nil
}

// metricRow is one metrics array entry: namespace, name, dimension name/value
// pairs, then the rendering options.
func metricRow(ns, name string, dims []alert.Dimension, opts map[string]any) []any {
	row := []any{ns, name}
	for _, d := range dims {
		row = append(row, d.Name, d.Value)
	}
	if len(opts) > 0 {
		row = append(row, opts)
	}
	return row
}

// GraphsShown reports whether a channel shows metric graphs (email inlines
// them), so the notifier draws them only when someone will see them.
func GraphsShown(chs []config.Channel) bool {
	for _, c := range chs {
		if c.Type == config.ChannelEmail || c.Type == config.ChannelFile && c.Format == config.FormatEmail {
			return true
		}
	}
	return false
}
