package localrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

var (
	sweeperOnce sync.Once
	sweeperBin  string
	sweeperErr  error
)

// sweeperBinary builds the real sweeper for this machine once, under build/.
func sweeperBinary(t testing.TB) string {
	t.Helper()
	sweeperOnce.Do(func() {
		sweeperBin, sweeperErr = BuildHost(context.Background(), repoRoot, "./functions/sweeper",
			filepath.Join(repoRoot, "build", "e2e", "sweeper"))
	})
	if sweeperErr != nil {
		t.Fatal(sweeperErr)
	}
	return sweeperBin
}

// iamKeysStandIn answers the posture sweep's IAM calls where moto cannot
// help (it cannot backdate an access key or give root keys): root has MFA
// and access keys; user ci-deploy has an active key 200 days old last used
// 120 days ago, an active fresh key used an hour ago, and an inactive old
// key. It checks each request names the user or key it asks about.
func iamKeysStandIn(t *testing.T, now time.Time) string {
	ts := func(d time.Duration) string { return now.Add(-d).UTC().Format(time.RFC3339) }
	const day = 24 * time.Hour
	lastUsed := map[string]string{"AKIAOLDUNUSED0000001": ts(120 * day), "AKIAFRESH00000000002": ts(time.Hour)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "text/xml")
		const ns = `xmlns="https://iam.amazonaws.com/doc/2010-05-08/"`
		meta := `<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>`
		switch form.Get("Action") {
		case "GetAccountSummary":
			fmt.Fprint(w, `<GetAccountSummaryResponse `+ns+`><GetAccountSummaryResult><SummaryMap>`+
				`<entry><key>AccountMFAEnabled</key><value>1</value></entry><entry><key>AccountAccessKeysPresent</key><value>1</value></entry>`+
				`</SummaryMap></GetAccountSummaryResult>`+meta+`</GetAccountSummaryResponse>`)
		case "ListUsers":
			fmt.Fprint(w, `<ListUsersResponse `+ns+`><ListUsersResult><Users><member><Path>/</Path><UserName>ci-deploy</UserName>`+
				`<UserId>AIDAEXAMPLE000000001</UserId><Arn>arn:aws:iam::123456789012:user/ci-deploy</Arn><CreateDate>`+ts(500*day)+`</CreateDate>`+
				`</member></Users><IsTruncated>false</IsTruncated></ListUsersResult>`+meta+`</ListUsersResponse>`)
		case "ListAccessKeys":
			if form.Get("UserName") != "ci-deploy" {
				t.Errorf("ListAccessKeys for %q", form.Get("UserName"))
			}
			key := func(id, status string, age time.Duration) string {
				return `<member><UserName>ci-deploy</UserName><AccessKeyId>` + id + `</AccessKeyId><Status>` + status +
					`</Status><CreateDate>` + ts(age) + `</CreateDate></member>`
			}
			fmt.Fprint(w, `<ListAccessKeysResponse `+ns+`><ListAccessKeysResult><AccessKeyMetadata>`+
				key("AKIAOLDUNUSED0000001", "Active", 200*day)+key("AKIAFRESH00000000002", "Active", 10*day)+
				key("AKIAINACTIVE00000003", "Inactive", 400*day)+
				`</AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult>`+meta+`</ListAccessKeysResponse>`)
		case "GetAccessKeyLastUsed":
			used, ok := lastUsed[form.Get("AccessKeyId")]
			if !ok {
				t.Errorf("GetAccessKeyLastUsed for %q", form.Get("AccessKeyId"))
			}
			fmt.Fprint(w, `<GetAccessKeyLastUsedResponse `+ns+`><GetAccessKeyLastUsedResult><UserName>ci-deploy</UserName>`+
				`<AccessKeyLastUsed><LastUsedDate>`+used+`</LastUsedDate><ServiceName>s3</ServiceName><Region>us-east-1</Region></AccessKeyLastUsed>`+
				`</GetAccessKeyLastUsedResult>`+meta+`</GetAccessKeyLastUsedResponse>`)
		default:
			t.Errorf("unexpected IAM call %q", form.Get("Action"))
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// stuckAlarmsStandIn answers CloudWatch's DescribeAlarms (Smithy RPC v2
// CBOR, which moto does not speak) for INSUFFICIENT_DATA alarms: one stuck
// for three days, one for an hour.
func stuckAlarmsStandIn(t *testing.T, now time.Time) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/operation/DescribeAlarms") || r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" {
			t.Errorf("unexpected CloudWatch call %s (protocol %q)", r.URL.Path, r.Header.Get("Smithy-Protocol"))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		raw, _ := io.ReadAll(r.Body)
		v, err := cbor.Decode(raw)
		in, _ := v.(cbor.Map)
		if err != nil || in["StateValue"] != cbor.String("INSUFFICIENT_DATA") {
			t.Errorf("DescribeAlarms request %v (%v): want StateValue INSUFFICIENT_DATA", in, err)
		}
		alarm := func(name string, since time.Duration) cbor.Map {
			return cbor.Map{"AlarmName": cbor.String(name), "AlarmArn": cbor.String("arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name),
				"StateValue":            cbor.String("INSUFFICIENT_DATA"),
				"StateUpdatedTimestamp": &cbor.Tag{ID: 1, Value: cbor.Float64(float64(now.Add(-since).UnixMilli()) / 1000)}}
		}
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("Content-Type", "application/cbor")
		_, _ = w.Write(cbor.Encode(cbor.Map{
			"MetricAlarms":    cbor.List{alarm("orders-queue-age", 72*time.Hour), alarm("new-service-latency", time.Hour)},
			"CompositeAlarms": cbor.List{},
		}))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestPostureOtherProblemsUnderTheEmulator completes
// TestPostureUnderTheEmulator ("each seeded problem → its finding") with
// the problems it does not seed: no trail at all, a disabled suite rule,
// root access keys, an access key both old and unused, and an alarm stuck
// in INSUFFICIENT_DATA past the job's threshold. Everything else in the
// account is clean, so the findings are exactly these; a fresh key, an
// inactive one and a newly stuck alarm raise nothing.
func TestPostureOtherProblemsUnderTheEmulator(t *testing.T) {
	needEmulator(t)
	m := moto.Get(t)
	m.Reset()
	ctx := t.Context()
	cfg := m.Config(ctx)
	now := time.Now()

	if _, err := ec2.NewFromConfig(cfg).EnableEbsEncryptionByDefault(ctx, &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := guardduty.NewFromConfig(cfg).CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	detector := detectorFunction(t, cfg)
	logs := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := logs.PutSubscriptionFilter(ctx, &cloudwatchlogs.PutSubscriptionFilterInput{LogGroupName: aws.String("trail-logs"),
		FilterName: aws.String("detector"), FilterPattern: aws.String(""), DestinationArn: aws.String(detector)}); err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	for _, name := range []string{"Watchkeeper-EventRulesGuardduty-X1", "Watchkeeper-EventRulesCodebuild-X2"} {
		if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(`{"source":["aws.guardduty"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("Watchkeeper-EventRulesCodebuild-X2")}); err != nil {
		t.Fatal(err)
	}

	conf := filepath.Join(t.TempDir(), "watchkeeper.yaml")
	if err := os.WriteFile(conf, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		funcenv.Config:                conf,
		funcenv.TrailLogGroup:         "trail-logs",
		funcenv.DetectorARN:           detector,
		funcenv.RulePrefix:            "Watchkeeper-",
		"AWS_ENDPOINT_URL_IAM":        iamKeysStandIn(t, now),
		"AWS_ENDPOINT_URL_CLOUDWATCH": stuckAlarmsStandIn(t, now),
	}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	event := fmt.Sprintf(`{"job":"posture",%q:24}`, sweep.JobParamInsufficientDataHours)
	res, err := Invoke(ctx, InvokeOptions{Bootstrap: sweeperBinary(t), RIE: rieBin, FunctionName: "sweeper", Event: []byte(event),
		HostEnv: []string{"PATH=" + os.Getenv("PATH")}, Env: env, Logs: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("sweeper failed: %s: %s", res.ErrorType, res.ErrorMessage)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		t.Fatalf("%v: %s", err, res.Body)
	}
	var got []string
	for _, f := range resp.Findings {
		got = append(got, f.Rule+" "+f.Resource)
	}
	slices.Sort(got)
	want := []string{
		sweep.RuleAccessKeyOld + " AKIAOLDUNUSED0000001",
		sweep.RuleAccessKeyUnused + " AKIAOLDUNUSED0000001",
		sweep.RuleAlarmInsufficientData + " orders-queue-age",
		sweep.RuleNoTrail,
		sweep.RuleRootAccessKeys,
		sweep.RuleSuiteRuleDisabled + " Watchkeeper-EventRulesCodebuild-X2",
	}
	// Resources of account-wide findings are whatever the rule names; compare
	// those by rule only.
	for i, g := range got {
		for _, r := range []string{sweep.RuleNoTrail, sweep.RuleRootAccessKeys} {
			if strings.HasPrefix(g, r+" ") || g == r {
				got[i] = r
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
}
