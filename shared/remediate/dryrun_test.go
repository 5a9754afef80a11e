package remediate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
)

// apiRecorder is a reverse proxy in front of moto that records the API
// action of every request passing through it.
type apiRecorder struct {
	mu      sync.Mutex
	actions []string
	proxy   *httputil.ReverseProxy
}

// newAPIRecorder starts a recording proxy to target, closed at cleanup.
func newAPIRecorder(t *testing.T, target string) (*apiRecorder, string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	r := &apiRecorder{proxy: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// recorded returns the actions seen so far.
func (r *apiRecorder) recorded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.actions)
}

func (r *apiRecorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	action, err := apiAction(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.actions = append(r.actions, action)
	r.mu.Unlock()
	r.proxy.ServeHTTP(w, req)
}

// apiAction names the API a request calls: the Action form field of query
// protocols (EC2, Auto Scaling, IAM), the X-Amz-Target of JSON protocols
// (CloudTrail, SSM), or for S3's REST API the HTTP method and subresource.
func apiAction(req *http.Request) (string, error) {
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		_, op, _ := strings.Cut(target, ".")
		return op, nil
	}
	if req.Method == http.MethodPost && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return "", err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return "", err
		}
		return form.Get("Action"), nil
	}
	verb := map[string]string{http.MethodGet: "Get", http.MethodHead: "Head", http.MethodPut: "Put",
		http.MethodDelete: "Delete", http.MethodPost: "Post"}[req.Method]
	keys := make([]string, 0)
	for k := range req.URL.Query() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Sprintf("%s s3 %s?%s", verb, req.URL.Path, strings.Join(keys, "&")), nil
}

// readOnly reports whether an action name only reads.
func readOnly(action string) bool {
	for _, p := range []string{"Describe", "Get", "List", "Head"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// apiCallEvent wraps a CloudTrail record in an "AWS API Call via CloudTrail" event.
func apiCallEvent(id, source, record string) []byte {
	return []byte(`{"version":"0","id":"` + id + `","detail-type":"AWS API Call via CloudTrail","source":"` + source +
		`","account":"123456789012","time":"2026-11-25T10:00:00Z","region":"eu-west-1","resources":[],"detail":` + record + `}`)
}

// TestDryRunSendsNoMutatingRequest runs every built-in action in dry-run on
// resources that need fixing, through a proxy that records each API call:
// only Describe*/Get*/List* may appear, and moto's state is unchanged.
func TestDryRunSendsNoMutatingRequest(t *testing.T) {
	env := startMoto(t)
	store, _ := env.seedTable(t, "state")
	rec, recURL := newAPIRecorder(t, env.m.Endpoint())

	// Seed through moto directly; only the service goes through the recorder.
	groupID := env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0")}, nil)
	env.seedASG(t, "web-asg", 1, 2, 6, nil)
	env.seedTrail(t, "watchkeeper-trail", false)
	env.seedBucket(t, "wk-public-assets", nil)
	keyID := env.seedKey(t, "ci-bot")

	proxied := env.cfg.Copy()
	proxied.BaseEndpoint = &recURL
	// The loader options in ConfigSources carry moto's endpoint and would win
	// over the BaseEndpoint field (config.LoadOptions.GetServiceBaseEndpoint).
	proxied.ConfigSources = nil
	rules := []config.RemediationRule{
		scaleOnCPU, closeSSH,
		{Name: "restart-trail", Matchers: []string{"event_name=StopLogging"}, Action: "cloudtrail-start-logging"},
		{Name: "block-public", Matchers: []string{"event_name=PutBucketAcl"}, Action: "s3-block-public-access"},
		{Name: "kill-new-keys", Matchers: []string{"event_name=CreateAccessKey"}, Action: "iam-deactivate-access-key"},
	}
	cfg := remediationConfig(config.ModeDryRun, rules...)
	svc, err := New(cfg, Default(), NewClients(proxied), Deps{
		Audit:      store,
		KillSwitch: NewSSMKillSwitch(ssm.NewFromConfig(proxied), cfg.Remediation.KillSwitchParameter, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	payloads := map[string][]byte{
		"asg":   sampleEvent(t, "sns-alarm-cpu.json"),
		"sg":    sgEvent(t, groupID),
		"trail": sampleEvent(t, "eventbridge-stop-logging.json"),
		"s3": apiCallEvent("s3-1", "aws.s3", `{"eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","awsRegion":"eu-west-1",
			"recipientAccountId":"123456789012","requestParameters":{"bucketName":"wk-public-assets"}}`),
		"iam": apiCallEvent("iam-1", "aws.iam", `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","awsRegion":"us-east-1",
			"recipientAccountId":"123456789012","responseElements":{"accessKey":{"userName":"ci-bot","accessKeyId":"`+keyID+`"}}}`),
	}
	for name, p := range payloads {
		resp, err := svc.Handle(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomePlanned {
			t.Fatalf("%s: remediations = %+v, want one planned", name, resp.Remediations)
		}
	}

	calls := rec.recorded()
	for _, want := range []string{"GetParameter", "DescribeAutoScalingGroups", "DescribeSecurityGroups", "GetTrailStatus", "ListAccessKeys"} {
		if !slices.Contains(calls, want) {
			t.Errorf("no %s request recorded (recorded %q)", want, calls)
		}
	}
	s3Reads := 0
	for _, c := range calls {
		if !readOnly(c) {
			t.Errorf("dry-run sent a mutating request: %s", c)
		}
		if strings.HasPrefix(c, "Get s3 /wk-public-assets") {
			s3Reads++
		}
	}
	if s3Reads != 2 {
		t.Errorf("%d S3 reads of the bucket, want 2 (public access block and tags): %q", s3Reads, calls)
	}

	// And nothing changed.
	if got := env.desired(t, "web-asg"); got != 2 {
		t.Errorf("desired = %d, want 2", got)
	}
	if got := flatten(env.ingress(t, groupID)); len(got) != 1 {
		t.Errorf("ingress = %q, want untouched", got)
	}
	if env.trailLogging(t, "watchkeeper-trail") {
		t.Error("trail started logging")
	}
	if _, existed := env.publicAccess(t, "wk-public-assets"); existed {
		t.Error("bucket got a public access block")
	}
	if got := env.keyStatus(t, "ci-bot", keyID); got != "Active" {
		t.Errorf("key status = %s, want Active", got)
	}
}
