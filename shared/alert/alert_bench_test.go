package alert

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func BenchmarkParseSNSAlarm(b *testing.B) {
	payload := readFile(b, filepath.Join(eventsDir(b), "notifier", "sns-alarm-cpu.json"))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(payload); err != nil {
			b.Fatal(err)
		}
	}
}

// cloudTrailBatch builds a DATA_MESSAGE of about size bytes of CloudTrail-like records.
func cloudTrailBatch(b *testing.B, size int) []byte {
	b.Helper()
	type event struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	batch := struct {
		MessageType         string   `json:"messageType"`
		Owner               string   `json:"owner"`
		LogGroup            string   `json:"logGroup"`
		LogStream           string   `json:"logStream"`
		SubscriptionFilters []string `json:"subscriptionFilters"`
		LogEvents           []event  `json:"logEvents"`
	}{MessageType: LogsDataMessage, Owner: "123456789012", LogGroup: "aws-cloudtrail-logs-123456789012",
		LogStream: "123456789012_CloudTrail_eu-west-1", SubscriptionFilters: []string{"detector"}}
	n := 0
	for i := 0; n < size; i++ {
		msg := fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE%07d","arn":"arn:aws:iam::123456789012:user/u%d","accountId":"123456789012","accessKeyId":"AKIAEXAMPLE%09d","userName":"u%d"},"eventTime":"2026-11-25T09:%02d:%02dZ","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.%d","userAgent":"aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.8","requestParameters":{"instancesSet":{},"filterSet":{"items":[{"name":"tag:team","valueSet":{"items":[{"value":"web"}]}}]}},"responseElements":null,"requestID":"%08x-0000-4000-8000-000000000000","eventID":"%08x-1111-4111-8111-111111111111","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management"}`,
			i, i%50, i, i%50, (i/60)%60, i%60, i%250, i, i)
		batch.LogEvents = append(batch.LogEvents, event{ID: fmt.Sprintf("%056d", i), Timestamp: 1764061200000 + int64(i), Message: msg})
		n += len(msg) + 100
	}
	plain, err := json.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	return plain
}

// BenchmarkDecodeLogs decodes a 1 MB (decompressed) CloudTrail batch from its
// base64 gzip form; bytes/s is decompressed JSON throughput.
func BenchmarkDecodeLogs(b *testing.B) {
	plain := cloudTrailBatch(b, 1<<20)
	ev, err := EncodeLogs(plain)
	if err != nil {
		b.Fatal(err)
	}
	var wrapper struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}
	if err := json.Unmarshal(ev, &wrapper); err != nil {
		b.Fatal(err)
	}
	data := []byte(wrapper.AWSLogs.Data)
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	b.ReportMetric(float64(len(data)), "base64-bytes")
	for b.Loop() {
		batch, err := DecodeLogs(data)
		if err != nil {
			b.Fatal(err)
		}
		if len(batch.Events) == 0 || !strings.HasPrefix(batch.Events[0].Message, "{") {
			b.Fatal("empty batch")
		}
	}
}

// BenchmarkParseLogsEvent is the detector's whole entry path: Parse of the
// {"awslogs":…} payload of the same 1 MB batch.
func BenchmarkParseLogsEvent(b *testing.B) {
	ev, err := EncodeLogs(cloudTrailBatch(b, 1<<20))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLogsData compares the fast batch parser with encoding/json on
// the same decompressed 1 MB batch.
func BenchmarkParseLogsData(b *testing.B) {
	plain := cloudTrailBatch(b, 1<<20)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseLogsData(plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		b.ReportAllocs()
		for b.Loop() {
			var batch LogsBatch
			if err := json.Unmarshal(plain, &batch); err != nil {
				b.Fatal(err)
			}
		}
	})
}
