package sweep

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"
)

// fakeAlarm is an alarm the fake CloudWatch keeps, as the request put it.
type fakeAlarm struct {
	req     cbor.Map
	state   string
	updated time.Time
}

// fakeCloudWatch stands in for CloudWatch, which moto cannot answer (the SDK
// speaks Smithy RPC v2 CBOR to it): it checks each request's protocol,
// decodes it, and keeps the alarms PutMetricAlarm creates so that
// DescribeAlarms and DeleteAlarms act on them.
type fakeCloudWatch struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	alarms map[string]*fakeAlarm
	calls  []string
	// Widgets are the MetricWidget JSON of GetMetricWidgetImage requests.
	widgets []string
}

func newFakeCloudWatch(t *testing.T) *fakeCloudWatch {
	f := &fakeCloudWatch{t: t, alarms: map[string]*fakeAlarm{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeCloudWatch) client() *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
}

// seed adds an alarm as if someone had put it earlier.
func (f *fakeCloudWatch) seed(name, state string, updated time.Time, dims map[string]string) {
	var dl cbor.List
	for k, v := range dims {
		dl = append(dl, cbor.Map{"Name": cbor.String(k), "Value": cbor.String(v)})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alarms[name] = &fakeAlarm{req: cbor.Map{"AlarmName": cbor.String(name), "Namespace": cbor.String("AWS/EC2"),
		"MetricName": cbor.String("CPUUtilization"), "Dimensions": dl}, state: state, updated: updated}
}

func (f *fakeCloudWatch) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.alarms {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (f *fakeCloudWatch) alarm(name string) cbor.Map {
	f.mu.Lock()
	defer f.mu.Unlock()
	if a, ok := f.alarms[name]; ok {
		return a.req
	}
	return nil
}

func (f *fakeCloudWatch) serve(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if !strings.HasSuffix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/"+op) || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Method != http.MethodPost {
		f.t.Errorf("request %s %s protocol %q", r.Method, r.URL.Path, r.Header.Get("Smithy-Protocol"))
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			f.t.Error(err)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	in := cbor.Map{}
	if len(raw) > 0 {
		v, err := cbor.Decode(raw)
		if err != nil {
			f.t.Errorf("%s: request is not CBOR: %v", op, err)
		}
		in, _ = v.(cbor.Map)
	}
	f.mu.Lock()
	f.calls = append(f.calls, op)
	var out cbor.Map
	switch op {
	case "PutMetricAlarm":
		name := str(in["AlarmName"])
		if name == "" || str(in["ComparisonOperator"]) == "" {
			f.t.Errorf("PutMetricAlarm without name or comparison: %v", in)
		}
		f.alarms[name] = &fakeAlarm{req: in, state: "INSUFFICIENT_DATA", updated: time.Now()}
		out = cbor.Map{}
	case "DeleteAlarms":
		names, _ := in["AlarmNames"].(cbor.List)
		for _, n := range names {
			if _, ok := f.alarms[str(n)]; !ok {
				f.mu.Unlock()
				f.fail(w, "ResourceNotFound", "alarm "+str(n)+" does not exist")
				return
			}
		}
		for _, n := range names {
			delete(f.alarms, str(n))
		}
		out = cbor.Map{}
	case "DescribeAlarms":
		out = f.describe(in)
	case "GetMetricWidgetImage":
		f.widgets = append(f.widgets, str(in["MetricWidget"]))
		out = cbor.Map{"MetricWidgetImage": cbor.Slice("\x89PNG\r\n\x1a\nchart")}
	default:
		f.t.Errorf("unexpected operation %s", op)
	}
	f.mu.Unlock()
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(out))
}

func (f *fakeCloudWatch) describe(in cbor.Map) cbor.Map {
	prefix := str(in["AlarmNamePrefix"])
	var only []string
	if l, ok := in["AlarmNames"].(cbor.List); ok {
		for _, n := range l {
			only = append(only, str(n))
		}
	}
	state := str(in["StateValue"])
	var list cbor.List
	names := make([]string, 0, len(f.alarms))
	for n := range f.alarms {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		a := f.alarms[n]
		if !strings.HasPrefix(n, prefix) || (only != nil && !slices.Contains(only, n)) || (state != "" && a.state != state) {
			continue
		}
		m := cbor.Map{"AlarmArn": cbor.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + n),
			"StateValue": cbor.String(a.state), "StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(a.updated.UnixMilli()) / 1000)}}
		for _, k := range []string{"AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Period", "EvaluationPeriods",
			"Threshold", "ComparisonOperator", "Statistic", "ExtendedStatistic", "AlarmActions", "OKActions", "InsufficientDataActions", "TreatMissingData"} {
			if v, ok := a.req[k]; ok {
				m[k] = v
			}
		}
		list = append(list, m)
	}
	return cbor.Map{"MetricAlarms": list, "CompositeAlarms": cbor.List{}}
}

func (f *fakeCloudWatch) fail(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + code), "Message": cbor.String(msg)}))
}

func str(v cbor.Value) string {
	s, _ := v.(cbor.String)
	return string(s)
}

func dimsOf(m cbor.Map) map[string]string {
	out := map[string]string{}
	l, _ := m["Dimensions"].(cbor.List)
	for _, d := range l {
		dm, _ := d.(cbor.Map)
		out[str(dm["Name"])] = str(dm["Value"])
	}
	return out
}

// seedTime is when seeded alarms last changed state.
var seedTime = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
