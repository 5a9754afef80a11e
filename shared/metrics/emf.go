// Package metrics emits CloudWatch metrics as Embedded Metric Format log
// lines: no API call, no extra permission, and the same JSON log stream that
// explains the number also carries it.
//
// Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"context"
	"log/slog"
	"slices"
	"time"
)

// Namespace of every Watchkeeper metric.
const Namespace = "Watchkeeper"

// Unit names EMF accepts that Watchkeeper uses.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Metric is one value to emit.
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

// Emit writes one EMF record through logger at info level. Dimensions are
// emitted as one dimension set; metrics with equal names keep the last value.
func Emit(ctx context.Context, logger *slog.Logger, now time.Time, dims map[string]string, ms ...Metric) {
	if len(ms) == 0 {
		return
	}
	names := make([]string, 0, len(dims))
	for k := range dims {
		names = append(names, k)
	}
	slices.Sort(names)
	defs := make([]any, 0, len(ms))
	attrs := make([]slog.Attr, 0, len(ms)+len(dims)+1)
	for _, m := range ms {
		unit := m.Unit
		if unit == "" {
			unit = Count
		}
		defs = append(defs, map[string]string{"Name": m.Name, "Unit": unit})
		attrs = append(attrs, slog.Float64(m.Name, m.Value))
	}
	for _, k := range names {
		attrs = append(attrs, slog.String(k, dims[k]))
	}
	attrs = append(attrs, slog.Any("_aws", map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{names},
			"Metrics":    defs,
		}},
	}))
	logger.LogAttrs(ctx, slog.LevelInfo, "metrics", attrs...)
}
