package alert

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func gzipBase64(t testing.TB, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return []byte(base64.StdEncoding.EncodeToString(buf.Bytes()))
}

// batchOfSize builds a one-event DATA_MESSAGE batch of exactly n bytes.
func batchOfSize(t testing.TB, n int) []byte {
	t.Helper()
	prefix := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1764064800000,"message":"`
	suffix := `"}]}`
	pad := n - len(prefix) - len(suffix)
	if pad < 0 {
		t.Fatalf("size %d too small", n)
	}
	return []byte(prefix + strings.Repeat("a", pad) + suffix)
}

func TestDecodeLogsSizeLimit(t *testing.T) {
	atLimit := batchOfSize(t, MaxDecompressedLogsBytes)
	b, err := DecodeLogs(gzipBase64(t, atLimit))
	if err != nil {
		t.Fatalf("batch of exactly the limit: %v", err)
	}
	if len(b.Events) != 1 || len(b.Events[0].Message) < MaxDecompressedLogsBytes-200 {
		t.Errorf("batch at the limit decoded to %d events", len(b.Events))
	}
	_, err = DecodeLogs(gzipBase64(t, batchOfSize(t, MaxDecompressedLogsBytes+1)))
	if !errors.Is(err, ErrLogsTooLarge) {
		t.Errorf("batch one byte over the limit: %v, want ErrLogsTooLarge", err)
	}
	// A gzip bomb: 64 MiB of zeros compress to ~64 KiB.
	_, err = DecodeLogs(gzipBase64(t, make([]byte, 64<<20)))
	if !errors.Is(err, ErrLogsTooLarge) {
		t.Errorf("gzip bomb: %v, want ErrLogsTooLarge", err)
	}
}

func TestDecodeLogs(t *testing.T) {
	data := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"/app/web","logStream":"i-1","subscriptionFilters":["warn"],` +
		`"policyLevel":"ACCOUNT_LEVEL_POLICY","logEvents":[{"id":"e1","timestamp":1764064800123,"message":"WARN disk \"/\" 91%"}]}`
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte(data))
	zw.Close()
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(data))
	gw.Close()
	corrupt := append([]byte(nil), gz.Bytes()...)
	corrupt[len(corrupt)-6] ^= 0xff // CRC mismatch

	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"gzip", []byte(base64.StdEncoding.EncodeToString(gz.Bytes())), ""},
		{"zlib", []byte(base64.StdEncoding.EncodeToString(z.Bytes())), ""},
		{"surrounding space", []byte("\n " + base64.StdEncoding.EncodeToString(gz.Bytes()) + " \n"), ""},
		{"empty", nil, "empty data"},
		{"bad base64", []byte("H4sI***"), "base64"},
		{"not compressed", []byte(base64.StdEncoding.EncodeToString([]byte(data))), "neither gzip nor zlib"},
		{"one byte", []byte(base64.StdEncoding.EncodeToString([]byte{0x1f})), "too short"},
		{"corrupt gzip", []byte(base64.StdEncoding.EncodeToString(corrupt)), "inflate"},
		{"truncated gzip", []byte(base64.StdEncoding.EncodeToString(gz.Bytes()[:len(gz.Bytes())/2])), "inflate"},
		{"not json", gzipBase64(t, []byte("hello")), "logs batch JSON"},
		{"no message type", gzipBase64(t, []byte(`{"owner":"1"}`)), "missing messageType"},
		{"unknown message type", gzipBase64(t, []byte(`{"messageType":"PING"}`)), `unknown messageType "PING"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := DecodeLogs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b.LogGroup != "/app/web" || b.PolicyLevel != "ACCOUNT_LEVEL_POLICY" || len(b.Events) != 1 ||
				b.Events[0].Message != `WARN disk "/" 91%` || !b.Events[0].Time().Equal(time.UnixMilli(1764064800123)) {
				t.Errorf("batch %+v", b)
			}
		})
	}
}

func TestControlMessageHasNoEvents(t *testing.T) {
	ev, err := EncodeLogs([]byte(`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"",
		"subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Lambda function."}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Parse(ev)
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Logs.Control || tr.Logs.Events != nil || tr.Keys != nil {
		t.Errorf("control batch %+v keys %v", tr.Logs, tr.Keys)
	}
}

func TestLogsEventErrors(t *testing.T) {
	for payload, want := range map[string]string{
		`{"awslogs":{"data":42}}`:            "awslogs.data: want a string",
		`{"awslogs":"x"}`:                    "awslogs: json: cannot unmarshal string",
		`{"awslogs":{"data":"AA=="}}`:        "too short",
		`{"awslogs":{"data":"H4sI\u0041"}}`:  "base64",
		`{"awslogs":{"data":"not base64!"}}`: "base64",
	} {
		_, err := Parse([]byte(payload))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) error %v, want one containing %q", payload, err, want)
		}
	}
}

// Escaped data (\/ is legal JSON for /) still decodes.
func TestLogsDataWithJSONEscapes(t *testing.T) {
	var escaped string
	for i := 0; !strings.Contains(escaped, `\/`); i++ {
		if i > 1000 {
			t.Fatal("no base64 with a slash found")
		}
		data := gzipBase64(t, []byte(fmt.Sprintf(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"m%d"}]}`, i)))
		escaped = strings.ReplaceAll(string(data), "/", `\/`)
	}
	tr, err := Parse([]byte(`{"awslogs":{"data":"` + escaped + `"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Logs.Events) != 1 {
		t.Errorf("events %+v", tr.Logs.Events)
	}
}
