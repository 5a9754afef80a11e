package detect

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

func BenchmarkPatternEngine(b *testing.B) {
	e, err := NewPatternEngine(config.Detection{Rules: []config.DetectionRule{
		{ID: "stop-logging", Pattern: `{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StopLogging) || ($.eventName = DeleteTrail)) }`},
		{ID: "console-no-mfa", Pattern: `{ $.eventName = "ConsoleLogin" && $.additionalEventData.MFAUsed != "Yes" }`},
		{ID: "root", Pattern: `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`},
	}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	svc := New(e, nil, nil, nil)
	ev := readEvent(b, "detector/logs-cloudtrail.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Handle(b.Context(), ev); err != nil {
			b.Fatal(err)
		}
	}
}

// benchBatch is a Logs subscription event (gzip+base64, as delivered) of
// realistic CloudTrail records, mostly read-only calls from workload roles
// with a write now and then, about 1.2 KB each and about 1 MB in all. It
// returns the event, the record count and the decompressed message bytes.
func benchBatch(b *testing.B) (event []byte, records, messageBytes int) {
	b.Helper()
	calls := []struct{ source, name string }{
		{"ec2.amazonaws.com", "DescribeInstances"},
		{"s3.amazonaws.com", "GetBucketLocation"},
		{"sts.amazonaws.com", "GetCallerIdentity"},
		{"kms.amazonaws.com", "Decrypt"},
		{"ssm.amazonaws.com", "GetParameter"},
		{"logs.amazonaws.com", "DescribeLogStreams"},
		{"iam.amazonaws.com", "ListRoles"},
		{"secretsmanager.amazonaws.com", "DescribeSecret"},
		{"lambda.amazonaws.com", "ListFunctions20150331"},
		{"ec2.amazonaws.com", "DescribeSecurityGroups"},
		{"dynamodb.amazonaws.com", "DescribeTable"},
		{"ec2.amazonaws.com", "CreateTags"},
	}
	type logEvent struct {
		ID        string `json:"id"`
		Timestamp int64  `json:"timestamp"`
		Message   string `json:"message"`
	}
	batch := struct {
		MessageType         string     `json:"messageType"`
		Owner               string     `json:"owner"`
		LogGroup            string     `json:"logGroup"`
		LogStream           string     `json:"logStream"`
		SubscriptionFilters []string   `json:"subscriptionFilters"`
		LogEvents           []logEvent `json:"logEvents"`
	}{
		MessageType: "DATA_MESSAGE", Owner: "123456789012",
		LogGroup: "aws-cloudtrail-logs-watchkeeper", LogStream: "123456789012_CloudTrail_eu-west-1",
		SubscriptionFilters: []string{"watchkeeper-detector"},
	}
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	const target = 1 << 20
	for i := 0; messageBytes < target; i++ {
		c := calls[i%len(calls)]
		at := start.Add(time.Duration(i) * 250 * time.Millisecond)
		readOnly := c.name != "CreateTags"
		msg := fmt.Sprintf(`{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEROLE%03d:i-0a1b2c3d4e5f6%04d","arn":"arn:aws:sts::123456789012:assumed-role/web-asg-instance/i-0a1b2c3d4e5f6%04d","accountId":"123456789012","accessKeyId":"ASIAEXAMPLEINST%05d","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEROLE%03d","arn":"arn:aws:iam::123456789012:role/web-asg-instance","accountId":"123456789012","userName":"web-asg-instance"},"attributes":{"creationDate":"2026-11-25T08:02:11Z","mfaAuthenticated":"false"}}},"eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"10.0.%d.%d","userAgent":"aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.26.8","requestParameters":{"filterSet":{"items":[{"name":"tag:aws:autoscaling:groupName","valueSet":{"items":[{"value":"web-asg"}]}}]}},"responseElements":null,"requestID":"e5f6a7b8-c9d0-4e1f-a2b3-%012d","eventID":"f1e2d3c4-b5a6-4978-8a9b-%012d","readOnly":%t,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"%s"}}`,
			i%16, i%10000, i%10000, i%100000, i%16, at.Format(time.RFC3339), c.source, c.name, i%4, 10+i%200, i, i, readOnly,
			strings.Replace(c.source, ".amazonaws.com", ".eu-west-1.amazonaws.com", 1))
		batch.LogEvents = append(batch.LogEvents, logEvent{ID: strconv.Itoa(i), Timestamp: at.UnixMilli(), Message: msg})
		messageBytes += len(msg)
	}
	decoded, err := json.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	event, err = alert.EncodeLogs(decoded)
	if err != nil {
		b.Fatal(err)
	}
	return event, len(batch.LogEvents), messageBytes
}

// benchHandle runs svc on the batch and reports throughput in records and
// CloudTrail megabytes (decompressed) per second, and the heap one batch
// needs.
func benchHandle(b *testing.B, svc *Service) {
	ev, records, size := benchBatch(b)
	heap := batchHeap(b, func() {
		if _, err := svc.Handle(b.Context(), ev); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime(b)
	for b.Loop() {
		resp, err := svc.Handle(b.Context(), ev)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Records.Parsed != records {
			b.Fatalf("parsed %d of %d records", resp.Records.Parsed, records)
		}
	}
	reportRates(b, records, size, cpuTime(b)-cpu)
	b.ReportMetric(float64(heap), "peak-heap-B/batch")
}

// BenchmarkAllPacks is the detector with both built-in packs on a ~1 MB batch.
func BenchmarkAllPacks(b *testing.B) {
	e, err := NewPatternEngine(config.Detection{Packs: []string{config.PackCIS, config.PackAttack}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	benchHandle(b, New(e, nil, nil, nil))
}

// BenchmarkDecodeOnly is the floor under BenchmarkAllPacks: the same batch
// decoded (base64, gunzip, the batch JSON) and each record checked by
// cloudtrail.Scan, with no rules to evaluate.
func BenchmarkDecodeOnly(b *testing.B) {
	benchHandle(b, New(nil, nil, nil, nil))
}
