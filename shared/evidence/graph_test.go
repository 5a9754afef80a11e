package evidence

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// pngMagic starts every PNG file.
var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// widgetServer stands in for CloudWatch (moto lacks GetMetricWidgetImage):
// it checks the Smithy RPC v2 CBOR request and answers with a PNG.
func widgetServer(t *testing.T, got *map[string]any) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/operation/GetMetricWidgetImage") || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			t.Errorf("request %s %s protocol %q", r.Method, r.URL.Path, r.Header.Get("Smithy-Protocol"))
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Error(err)
				return
			}
			body = zr
		}
		raw, _ := io.ReadAll(body)
		v, err := cbor.Decode(raw)
		if err != nil {
			t.Errorf("request is not CBOR: %v", err)
		}
		m, _ := v.(cbor.Map)
		if f, _ := m["OutputFormat"].(cbor.String); f != "png" {
			t.Errorf("OutputFormat = %#v", m["OutputFormat"])
		}
		widget, _ := m["MetricWidget"].(cbor.String)
		if err := json.Unmarshal([]byte(widget), got); err != nil {
			t.Errorf("MetricWidget is not JSON: %v: %s", err, widget)
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write(cbor.Encode(cbor.Map{"MetricWidgetImage": cbor.Slice(append(pngMagic, "image"...))}))
	}))
}

func cwClient(url string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
}

func TestGraphOfASingleMetricAlarm(t *testing.T) {
	var widget map[string]any
	srv := widgetServer(t, &widget)
	defer srv.Close()
	at := time.Date(2026, 11, 25, 9, 55, 0, 0, time.UTC)
	th := 80.0
	a := &alert.Alert{Title: "web-cpu-high", State: alert.StateAlarm, Time: at, Labels: map[string]string{alert.LabelRegion: "eu-west-1"},
		Metric: &alert.Metric{Namespace: "AWS/EC2", Name: "CPUUtilization", Statistic: "Average", Period: 300, Threshold: &th,
			Dimensions: []alert.Dimension{{Name: "AutoScalingGroupName", Value: "web-asg"}}}}
	if err := NewGraph(cwClient(srv.URL)).Enrich(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(a.Graph, pngMagic) {
		t.Errorf("graph = %q", a.Graph)
	}
	want := `{"annotations":{"horizontal":[{"color":"#d62728","label":"threshold","value":80}]},"end":"2026-11-25T10:10:00Z","height":300,` +
		`"metrics":[["AWS/EC2","CPUUtilization","AutoScalingGroupName","web-asg",{"period":300,"stat":"Average"}]],` +
		`"region":"eu-west-1","start":"2026-11-25T06:55:00Z","title":"web-cpu-high","view":"timeSeries","width":600}`
	if got, _ := json.Marshal(widget); string(got) != want {
		t.Errorf("widget:\n got %s\nwant %s", got, want)
	}
}

func TestGraphOfAMetricMathAlarm(t *testing.T) {
	a := &alert.Alert{Title: "5xx-rate", Time: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), Metric: &alert.Metric{Metrics: []alert.MetricQuery{
		{ID: "e1", Expression: "m1/m2*100", Label: "5xx %", ReturnData: true},
		{ID: "m1", Namespace: "AWS/ApplicationELB", Name: "HTTPCode_Target_5XX_Count", Stat: "Sum", Period: 60},
	}}}
	b, err := Widget(a)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`[{"expression":"m1/m2*100","id":"e1","label":"5xx %","visible":true}]`, `["AWS/ApplicationELB","HTTPCode_Target_5XX_Count",{"id":"m1","period":60,"stat":"Sum","visible":false}]`} {
		if !strings.Contains(s, want) {
			t.Errorf("widget lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, "annotations") {
		t.Error("no threshold, no annotation")
	}
}

func TestGraphSkipsWhatIsNotAMetricAlarm(t *testing.T) {
	g := NewGraph(nil) // any call would panic
	for _, a := range []*alert.Alert{{State: alert.StateFinding}, {Metric: &alert.Metric{Name: "x"}}, {Time: time.Now(), Metric: &alert.Metric{AlarmRule: "ALARM(a)"}}} {
		if err := g.Enrich(t.Context(), a); err != nil || a.Graph != nil {
			t.Errorf("%+v: %v", a, err)
		}
	}
}

func TestGraphsShown(t *testing.T) {
	for _, tt := range []struct {
		chs  []config.Channel
		want bool
	}{
		{nil, false},
		{[]config.Channel{{Type: config.ChannelSlack}, {Type: config.ChannelFile, Format: config.FormatSlack}}, false},
		{[]config.Channel{{Type: config.ChannelSlack}, {Type: config.ChannelEmail}}, true},
		{[]config.Channel{{Type: config.ChannelFile, Format: config.FormatEmail}}, true},
	} {
		if got := GraphsShown(tt.chs); got != tt.want {
			t.Errorf("GraphsShown(%+v) = %v", tt.chs, got)
		}
	}
}
