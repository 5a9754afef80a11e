package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"
)

func TestEmitWritesEMF(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	Emit(context.Background(), logger, now, map[string]string{"Function": "detector"},
		Metric{Name: "InvalidRecords", Value: 2}, Metric{Name: "Latency", Value: 12.5, Unit: Milliseconds})

	var got struct {
		Msg            string  `json:"msg"`
		InvalidRecords float64 `json:"InvalidRecords"`
		Latency        float64 `json:"Latency"`
		Function       string  `json:"Function"`
		AWS            struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string              `json:"Namespace"`
				Dimensions [][]string          `json:"Dimensions"`
				Metrics    []map[string]string `json:"Metrics"`
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, buf.String())
	}
	if got.InvalidRecords != 2 || got.Latency != 12.5 || got.Function != "detector" {
		t.Errorf("values: %+v", got)
	}
	if got.AWS.Timestamp != now.UnixMilli() {
		t.Errorf("timestamp = %d", got.AWS.Timestamp)
	}
	if len(got.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("directives: %+v", got.AWS.CloudWatchMetrics)
	}
	d := got.AWS.CloudWatchMetrics[0]
	if d.Namespace != Namespace || len(d.Dimensions) != 1 || d.Dimensions[0][0] != "Function" {
		t.Errorf("directive: %+v", d)
	}
	if len(d.Metrics) != 2 || d.Metrics[0]["Name"] != "InvalidRecords" || d.Metrics[0]["Unit"] != Count || d.Metrics[1]["Unit"] != Milliseconds {
		t.Errorf("metric definitions: %+v", d.Metrics)
	}
}

func TestEmitNothingWithoutMetrics(t *testing.T) {
	var buf bytes.Buffer
	Emit(context.Background(), slog.New(slog.NewJSONHandler(&buf, nil)), time.Now(), nil)
	if buf.Len() != 0 {
		t.Errorf("wrote %q", buf.String())
	}
}
