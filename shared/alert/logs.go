package alert

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// MaxDecompressedLogsBytes bounds how large a CloudWatch Logs subscription
// batch may grow when decompressed, so a small gzip bomb cannot exhaust the
// function's memory. Lambda caps the (compressed, base64) event itself; see
// https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
const MaxDecompressedLogsBytes = 10 << 20

// Message types of a subscription batch.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
const (
	LogsDataMessage    = "DATA_MESSAGE"
	LogsControlMessage = "CONTROL_MESSAGE"
)

// ErrLogsTooLarge: the batch decompresses beyond MaxDecompressedLogsBytes.
var ErrLogsTooLarge = errors.New("logs batch exceeds the decompressed size limit")

// LogsBatch is a decoded CloudWatch Logs subscription batch.
type LogsBatch struct {
	MessageType string `json:"messageType"`
	// Control is true for CONTROL_MESSAGE batches (destination health checks),
	// which carry no log events: callers skip them.
	Control             bool     `json:"-"`
	Owner               string   `json:"owner"`
	LogGroup            string   `json:"logGroup"`
	LogStream           string   `json:"logStream"`
	SubscriptionFilters []string `json:"subscriptionFilters"`
	// PolicyLevel is set (e.g. ACCOUNT_LEVEL_POLICY) when an account-level
	// subscription policy delivered the batch.
	PolicyLevel string     `json:"policyLevel,omitempty"`
	Events      []LogEvent `json:"logEvents"`
}

// LogEvent is one log event of a batch.
type LogEvent struct {
	ID string `json:"id"`
	// Timestamp in milliseconds since the Unix epoch.
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// Time is the event timestamp, UTC.
func (e LogEvent) Time() time.Time { return time.UnixMilli(e.Timestamp).UTC() }

// parseLogsEvent handles {"awslogs":{"data":"…"}}. Keys are the log event ids.
func parseLogsEvent(raw json.RawMessage) (*Trigger, error) {
	var aw struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &aw); err != nil {
		return nil, fmt.Errorf("logs event: awslogs: %w", err)
	}
	data, err := rawJSONString(aw.Data)
	if err != nil {
		return nil, fmt.Errorf("logs event: awslogs.data: %w", err)
	}
	b, err := DecodeLogs(data)
	if err != nil {
		return nil, fmt.Errorf("logs event: %w", err)
	}
	t := &Trigger{Kind: KindLogs, Logs: b}
	if len(b.Events) > 0 {
		t.Keys = make([]string, 0, len(b.Events))
		for _, e := range b.Events {
			if e.ID != "" {
				t.Keys = append(t.Keys, e.ID)
			}
		}
	}
	return t, nil
}

// rawJSONString returns the bytes of a JSON string without copying when it
// holds no escapes (base64 never needs them), unquoting otherwise.
func rawJSONString(raw json.RawMessage) ([]byte, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, fmt.Errorf("want a string")
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return inner, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

var (
	gzipReaders = sync.Pool{}
	bufferPool  = sync.Pool{New: func() any { return new(bytes.Buffer) }}
)

// DecodeLogs decodes the base64, gzip-compressed awslogs.data of a
// subscription event. zlib input (some tools produce it) is accepted too.
func DecodeLogs(data []byte) (*LogsBatch, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("decode logs: empty data")
	}
	compressed := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(compressed)
	compressed.Reset()
	compressed.Grow(base64.StdEncoding.DecodedLen(len(data)))
	dst := compressed.Bytes()[:base64.StdEncoding.DecodedLen(len(data))]
	n, err := base64.StdEncoding.Decode(dst, data)
	if err != nil {
		return nil, fmt.Errorf("decode logs: base64: %w", err)
	}
	plain := bufferPool.Get().(*bytes.Buffer)
	defer putBuffer(plain)
	plain.Reset()
	if err := decompress(plain, dst[:n]); err != nil {
		return nil, fmt.Errorf("decode logs: %w", err)
	}
	b, err := ParseLogsData(plain.Bytes())
	if err != nil {
		return nil, fmt.Errorf("decode logs: %w", err)
	}
	return b, nil
}

// putBuffer returns a buffer to the pool unless a huge batch grew it.
func putBuffer(b *bytes.Buffer) {
	if b.Cap() <= 2*MaxDecompressedLogsBytes {
		bufferPool.Put(b)
	}
}

// decompress writes the inflated src into dst, stopping at the size limit.
func decompress(dst *bytes.Buffer, src []byte) error {
	if len(src) < 2 {
		return fmt.Errorf("compressed data too short (%d bytes)", len(src))
	}
	var r io.Reader
	switch {
	case src[0] == 0x1f && src[1] == 0x8b:
		zr, _ := gzipReaders.Get().(*gzip.Reader)
		var err error
		if zr == nil {
			zr, err = gzip.NewReader(bytes.NewReader(src))
		} else {
			err = zr.Reset(bytes.NewReader(src))
		}
		if err != nil {
			return fmt.Errorf("gzip: %w", err)
		}
		defer gzipReaders.Put(zr)
		r = zr
	case src[0]&0x0f == 8 && (uint16(src[0])<<8|uint16(src[1]))%31 == 0:
		zr, err := zlib.NewReader(bytes.NewReader(src))
		if err != nil {
			return fmt.Errorf("zlib: %w", err)
		}
		defer zr.Close()
		r = zr
	default:
		return fmt.Errorf("data is neither gzip nor zlib (starts with %#x)", src[:2])
	}
	// Most batches inflate 5–20×; growing once up front saves re-copies.
	dst.Grow(min(len(src)*8, MaxDecompressedLogsBytes))
	n, err := dst.ReadFrom(io.LimitReader(r, MaxDecompressedLogsBytes+1))
	if err != nil {
		return fmt.Errorf("inflate: %w", err)
	}
	if n > MaxDecompressedLogsBytes {
		return fmt.Errorf("%w (%d bytes)", ErrLogsTooLarge, MaxDecompressedLogsBytes)
	}
	return nil
}

// ParseLogsData parses the decompressed JSON of a subscription batch.
func ParseLogsData(b []byte) (*LogsBatch, error) {
	batch, err := parseLogsFast(b)
	if err != nil {
		batch = new(LogsBatch)
		if err := json.Unmarshal(b, batch); err != nil {
			return nil, fmt.Errorf("logs batch JSON: %w", err)
		}
	}
	switch batch.MessageType {
	case LogsDataMessage:
	case LogsControlMessage:
		batch.Control = true
		batch.Events = nil
	case "":
		return nil, fmt.Errorf("logs batch: missing messageType")
	default:
		return nil, fmt.Errorf("logs batch: unknown messageType %q (want %s or %s)", truncate(batch.MessageType, 40), LogsDataMessage, LogsControlMessage)
	}
	return batch, nil
}

// EncodeLogs builds a subscription event {"awslogs":{"data":"…"}} from the
// decompressed batch JSON, the way CloudWatch Logs delivers it (gzip, then
// base64). Sample events and tests use it; output is deterministic.
func EncodeLogs(decoded []byte) ([]byte, error) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, decoded); err != nil {
		return nil, fmt.Errorf("encode logs: %w", err)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("encode logs: %w", err)
	}
	if _, err := zw.Write(compact.Bytes()); err != nil {
		return nil, fmt.Errorf("encode logs: gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode logs: gzip: %w", err)
	}
	ev := struct {
		AWSLogs struct {
			Data string `json:"data"`
		} `json:"awslogs"`
	}{}
	ev.AWSLogs.Data = base64.StdEncoding.EncodeToString(gz.Bytes())
	out, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode logs: %w", err)
	}
	return append(out, '\n'), nil
}
