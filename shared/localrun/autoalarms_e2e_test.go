package localrun

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// alarmStore stands in for CloudWatch, which moto cannot answer (the SDK
// speaks Smithy RPC v2 CBOR to it): it decodes each request, checks the
// protocol, and keeps the alarms put, with their dimensions.
type alarmStore struct {
	t      *testing.T
	mu     sync.Mutex
	alarms map[string]map[string]string
}

func (s *alarmStore) serve(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || !strings.Contains(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/") {
		s.t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			s.t.Error(err)
			return
		}
		body = zr
	}
	raw, _ := io.ReadAll(body)
	in := cbor.Map{}
	if v, err := cbor.Decode(raw); err == nil {
		in, _ = v.(cbor.Map)
	}
	text := func(v cbor.Value) string { x, _ := v.(cbor.String); return string(x) }
	s.mu.Lock()
	defer s.mu.Unlock()
	out := cbor.Map{}
	switch op {
	case "PutMetricAlarm":
		dims := map[string]string{}
		l, _ := in["Dimensions"].(cbor.List)
		for _, d := range l {
			m, _ := d.(cbor.Map)
			dims[text(m["Name"])] = text(m["Value"])
		}
		s.alarms[text(in["AlarmName"])] = dims
	case "DeleteAlarms":
		l, _ := in["AlarmNames"].(cbor.List)
		for _, n := range l {
			delete(s.alarms, text(n))
		}
	case "DescribeAlarms":
		var list cbor.List
		names, _ := in["AlarmNames"].(cbor.List)
		for name := range s.alarms {
			if names == nil && strings.HasPrefix(name, text(in["AlarmNamePrefix"])) || slices.Contains(names, cbor.Value(cbor.String(name))) {
				list = append(list, cbor.Map{"AlarmName": cbor.String(name)})
			}
		}
		out = cbor.Map{"MetricAlarms": list}
	default:
		s.t.Errorf("unexpected CloudWatch operation %s", op)
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(cbor.Encode(out))
}

func (s *alarmStore) names() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for n := range s.alarms {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestAutoAlarmsUnderTheEmulator: the real sweeper, under the emulator,
// creates a tagged instance's profile alarms on its "running" event and
// deletes them on "terminated"; the instance lives in moto.
func TestAutoAlarmsUnderTheEmulator(t *testing.T) {
	needEmulator(t)
	m := moto.Get(t)
	m.Reset()
	ctx := t.Context()
	bin, err := BuildHost(ctx, repoRoot, "./functions/sweeper", filepath.Join(t.TempDir(), "sweeper"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := ec2.NewFromConfig(m.Config(ctx)).RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{{Key: aws.String("watchkeeper:alarms"), Value: aws.String("web")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	cw := &alarmStore{t: t, alarms: map[string]map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(cw.serve))
	defer srv.Close()

	cfg := filepath.Join(t.TempDir(), "watchkeeper.yaml")
	if err := os.WriteFile(cfg, []byte(`version: 1
alarms:
  profiles:
    - name: web
      resource: ec2
      alarms:
        - {name: cpu, namespace: AWS/EC2, metric: CPUUtilization, comparison: '>', threshold: 80}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile(filepath.Join(repoRoot, "events", "sweeper", "ec2-state-running.json"))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := Start(ctx, InvokeOptions{Bootstrap: bin, RIE: rieBin, FunctionName: "sweeper", HostEnv: []string{"PATH=" + os.Getenv("PATH")},
		Env: map[string]string{funcenv.Config: cfg, "AWS_ENDPOINT_URL": m.Endpoint(), "AWS_ENDPOINT_URL_CLOUDWATCH": srv.URL, "AWS_REGION": awstest.Region,
			funcenv.AlarmTopic: "arn:aws:sns:us-east-1:123456789012:alarms"},
		Logs: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	for _, step := range []struct {
		state string
		want  []string
	}{
		{"running", []string{"wk-web-cpu-" + id}},
		{"terminated", nil},
	} {
		var ev map[string]any
		if err := json.Unmarshal(sample, &ev); err != nil {
			t.Fatal(err)
		}
		ev["detail"] = map[string]any{"instance-id": id, "state": step.state}
		b, _ := json.Marshal(ev)
		res, err := sess.Invoke(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		if res.FunctionError {
			t.Fatalf("%s: %s %s", step.state, res.ErrorType, res.ErrorMessage)
		}
		if got := cw.names(); !slices.Equal(got, step.want) {
			t.Errorf("after %s: alarms %q, want %q", step.state, got, step.want)
		}
		if step.state == "running" {
			if d := cw.alarms["wk-web-cpu-"+id]; d["InstanceId"] != id {
				t.Errorf("alarm dimensions = %v", d)
			}
		}
	}
}
