package email

import (
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/render"
)

const from = "alerts@example.com"

var to = []string{"oncall@example.com", "Ops <ops@example.com>"}

func testAlert() alert.Alert {
	return alert.Alert{
		ID: "a1", Source: alert.SourceAlarm, State: alert.StateAlarm, Severity: alert.SeverityCritical,
		Title: "Datenbank überlastet", Reason: "CPU > 90% <script>", Time: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

// sentRaw reads the raw messages moto recorded through its model dump.
func sentRaw(t *testing.T, endpoint string) []string {
	t.Helper()
	resp, err := http.Get(endpoint + "/moto-api/data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var dump map[string]map[string][]map[string]any
	if err := json.Unmarshal(b, &dump); err != nil {
		t.Fatalf("data.json: %v", err)
	}
	var out []string
	for _, m := range dump["ses"]["RawMessage"] {
		if s, ok := m["raw_data"].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func TestSendThroughSES(t *testing.T) {
	m := awstest.Start(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	if _, err := sesv2.NewFromConfig(cfg).CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(from)}); err != nil {
		t.Fatal(err)
	}
	n, err := New(config.Channel{Name: "mail", Type: Type, From: from, To: to}, nil, nil, notify.WithAWSConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if retry, err := n.Notify(ctx, testAlert()); err != nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
	raws := sentRaw(t, m.Endpoint())
	if len(raws) != 1 {
		t.Fatalf("moto recorded %d raw messages, want 1", len(raws))
	}
	msg, err := mail.ReadMessage(strings.NewReader(raws[0]))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "[ALARM] critical: Datenbank überlastet" {
		t.Errorf("subject %q, %v", subject, err)
	}
	if got, _ := msg.Header.AddressList("To"); len(got) != 2 || got[1].Address != "ops@example.com" {
		t.Errorf("To %v", got)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q, %v", mt, err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	bodies := map[string]string{}
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies[p.Header.Get("Content-Type")] = string(b)
	}
	html, text := bodies["text/html; charset=utf-8"], bodies["text/plain; charset=utf-8"]
	if !strings.Contains(html, "CPU &gt; 90% &lt;script&gt;") || strings.Contains(html, "<script>") {
		t.Errorf("html part not escaped:\n%s", html)
	}
	if !strings.Contains(text, "Datenbank überlastet") {
		t.Errorf("text part:\n%s", text)
	}
}

func TestUnverifiedSenderIsPermanent(t *testing.T) {
	m := awstest.Start(t)
	n, err := New(config.Channel{Name: "mail", Type: Type, From: "nobody@example.org", To: to}, nil, nil, notify.WithAWSConfig(m.Config(t.Context())))
	if err != nil {
		t.Fatal(err)
	}
	retry, err := n.Notify(t.Context(), testAlert())
	if err == nil || retry {
		t.Fatalf("Notify = %v, %v", retry, err)
	}
}

func TestInput(t *testing.T) {
	in, err := Input(from, to, testAlert(), render.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.FromEmailAddress) != from || len(in.Destination.ToAddresses) != 2 || len(in.Content.Raw.Data) == 0 || in.Content.Simple != nil {
		t.Errorf("input %+v", in)
	}
}

func TestNewValidates(t *testing.T) {
	tests := []config.Channel{
		{Name: "m", Type: Type, From: "not an address", To: to},
		{Name: "m", Type: Type, From: from},
		{Name: "m", Type: Type, From: from, To: []string{"x@y", "bad\r\n"}},
		{Name: "m", Type: Type, From: from, To: make([]string, MaxRecipients+1)},
	}
	for i, cfg := range tests {
		if _, err := New(cfg, nil, nil); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
}
