package sweep

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// accountSummaryServer answers IAM GetAccountSummary (moto cannot turn on
// root MFA or give root access keys) and checks the query-protocol request.
func accountSummaryServer(t *testing.T, mfa, rootKeys int) *iam.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("Action") != "GetAccountSummary" || form.Get("Version") != "2010-05-08" || r.Method != http.MethodPost {
			t.Errorf("IAM request %s %q", r.Method, body)
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetAccountSummaryResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountSummaryResult><SummaryMap>`+
			`<entry><key>Users</key><value>3</value></entry><entry><key>AccountMFAEnabled</key><value>%d</value></entry>`+
			`<entry><key>AccountAccessKeysPresent</key><value>%d</value></entry></SummaryMap></GetAccountSummaryResult>`+
			`<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetAccountSummaryResponse>`, mfa, rootKeys)
	}))
	t.Cleanup(srv.Close)
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
}

type accountFixture struct {
	m   *awstest.Moto
	cw  *fakeCloudWatch
	c   AccountClients
	iam *iam.Client
	ec2 *ec2.Client
	gd  *guardduty.Client
	lg  *cloudwatchlogs.Client
	eb  *eventbridge.Client
}

const detectorName = "wk-detector"

func newAccountFixture(t *testing.T, now time.Time) *accountFixture {
	m := moto.Get(t)
	m.Reset()
	cfg := m.Config(t.Context())
	f := &accountFixture{m: m, cw: newFakeCloudWatch(t), iam: iam.NewFromConfig(cfg), ec2: ec2.NewFromConfig(cfg),
		gd: guardduty.NewFromConfig(cfg), lg: cloudwatchlogs.NewFromConfig(cfg), eb: eventbridge.NewFromConfig(cfg)}
	f.c = AccountClients{IAM: f.iam, Summary: f.iam, EBS: f.ec2, GuardDuty: f.gd, CloudWatch: f.cw.client(), Logs: f.lg, Events: f.eb,
		Suite:  Suite{TrailLogGroup: "trail-logs", DetectorARN: "arn:aws:lambda:us-east-1:" + awstest.AccountID + ":function:" + detectorName, RulePrefix: "Watchkeeper-", Buses: []string{"default", "watchkeeper"}},
		Region: "us-east-1", Account: awstest.AccountID, Now: func() time.Time { return now }}
	return f
}

// clean makes the moto account pass every account check.
func (f *accountFixture) clean(t *testing.T) {
	ctx := t.Context()
	f.c.Summary = accountSummaryServer(t, 1, 0)
	if _, err := f.ec2.EnableEbsEncryptionByDefault(ctx, &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.gd.CreateDetector(ctx, &guardduty.CreateDetectorInput{Enable: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	createFunction(t, f.m, detectorName, nil)
	if _, err := f.lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lg.PutSubscriptionFilter(ctx, &cloudwatchlogs.PutSubscriptionFilterInput{LogGroupName: aws.String("trail-logs"),
		FilterName: aws.String("to-detector"), FilterPattern: aws.String(""), DestinationArn: aws.String(f.c.Suite.DetectorARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("watchkeeper")}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ name, bus string }{{"Watchkeeper-EventRulesGuardduty-AB12", "default"}, {"Watchkeeper-ToNotifier-CD34", "watchkeeper"}} {
		if _, err := f.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(r.name), EventBusName: aws.String(r.bus),
			EventPattern: aws.String(`{"source":["aws.guardduty"]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("someone-elses"), EventPattern: aws.String(`{"source":["x"]}`), State: "DISABLED"}); err != nil {
		t.Fatal(err)
	}
	// A young key, and an old one made inactive, of a user.
	if _, err := f.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("deploy")}); err != nil {
		t.Fatal(err)
	}
	f.cw.seed("fresh-alarm", "INSUFFICIENT_DATA", f.c.Now().Add(-2*time.Hour), nil)
	f.cw.seed("healthy", "OK", f.c.Now().Add(-100*time.Hour), nil)
}

func TestAccountPostureCleanAccount(t *testing.T) {
	f := newAccountFixture(t, time.Now())
	f.clean(t)
	if _, err := f.iam.CreateAccessKey(t.Context(), &iam.CreateAccessKeyInput{UserName: aws.String("deploy")}); err != nil {
		t.Fatal(err)
	}
	findings, err := AccountPosture(f.c)(t.Context(), &alert.JobRequest{Job: JobPosture, Params: map[string]any{JobParamInsufficientDataHours: 24.0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("clean account: %q", rulesOn(findings))
	}
	// Without the input the stuck-alarm check does not call CloudWatch at all.
	f.cw.calls = nil
	if _, err := AccountPosture(f.c)(t.Context(), &alert.JobRequest{Job: JobPosture}); err != nil || len(f.cw.calls) != 0 {
		t.Errorf("without %s: %v, CloudWatch calls %q", JobParamInsufficientDataHours, err, f.cw.calls)
	}
}

func TestAccountPostureFindsEachProblem(t *testing.T) {
	// Keys are created "now" in moto; the sweep runs 100 days later.
	later := time.Now().Add(100 * 24 * time.Hour)
	f := newAccountFixture(t, later)
	ctx := t.Context()
	f.clean(t)
	f.c.Summary = accountSummaryServer(t, 0, 1)
	key, err := f.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy")})
	if err != nil {
		t.Fatal(err)
	}
	off, err := f.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("deploy")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.iam.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("deploy"), AccessKeyId: off.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ec2.DisableEbsEncryptionByDefault(ctx, &ec2.DisableEbsEncryptionByDefaultInput{}); err != nil {
		t.Fatal(err)
	}
	det, err := f.gd.ListDetectors(ctx, &guardduty.ListDetectorsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.gd.UpdateDetector(ctx, &guardduty.UpdateDetectorInput{DetectorId: aws.String(det.DetectorIds[0]), Enable: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	f.cw.seed("stuck-alarm", "INSUFFICIENT_DATA", later.Add(-30*time.Hour), nil)
	if _, err := f.lg.DeleteSubscriptionFilter(ctx, &cloudwatchlogs.DeleteSubscriptionFilterInput{LogGroupName: aws.String("trail-logs"), FilterName: aws.String("to-detector")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("Watchkeeper-ToNotifier-CD34"), EventBusName: aws.String("watchkeeper")}); err != nil {
		t.Fatal(err)
	}

	findings, err := AccountPosture(f.c)(ctx, &alert.JobRequest{Job: JobPosture, Params: map[string]any{JobParamInsufficientDataHours: 24.0}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(key.AccessKey.AccessKeyId)
	want := []string{
		RuleAccessKeyOld + " " + id, RuleAccessKeyUnused + " " + id,
		RuleAlarmInsufficientData + " stuck-alarm",
		RuleEBSDefaultEncryption + " us-east-1",
		RuleGuardDutyOff + " us-east-1",
		RuleRootAccessKeys + " root", RuleRootNoMFA + " root",
		RuleSubscriptionMissing + " trail-logs",
		RuleSuiteRuleDisabled + " Watchkeeper-ToNotifier-CD34",
	}
	slices.Sort(want)
	if got := rulesOn(findings); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	for _, f := range findings {
		if f.Title == "" || f.Description == "" || f.Severity == "" {
			t.Errorf("incomplete finding %+v", f)
		}
	}

	// A shorter threshold from the job input makes the younger alarm stuck too.
	findings, err = AccountPosture(f.c)(ctx, &alert.JobRequest{Job: JobPosture, Params: map[string]any{JobParamInsufficientDataHours: 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, fd := range findings {
		if fd.Rule == RuleAlarmInsufficientData {
			n++
		}
	}
	if n != 2 {
		t.Errorf("with a 1 h threshold: %d stuck alarms, want 2", n)
	}
	if _, err := AccountPosture(f.c)(ctx, &alert.JobRequest{Job: JobPosture, Params: map[string]any{JobParamInsufficientDataHours: "soon"}}); err == nil {
		t.Error("a threshold that is not a number: want an error")
	}
}

func TestAccountPostureMissingPieces(t *testing.T) {
	f := newAccountFixture(t, time.Now())
	f.c.Summary = accountSummaryServer(t, 1, 0)
	// No GuardDuty at all, no trail log group subscription, no suite rules.
	if _, err := f.ec2.EnableEbsEncryptionByDefault(t.Context(), &ec2.EnableEbsEncryptionByDefaultInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lg.CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail-logs")}); err != nil {
		t.Fatal(err)
	}
	f.c.Suite.Buses = []string{"default"}
	findings, err := AccountPosture(f.c)(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{RuleSubscriptionMissing + " trail-logs", RuleGuardDutyOff + " us-east-1", RuleSuiteRulesMissing + " Watchkeeper-"}
	if got := rulesOn(findings); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	// Moto itself reports root without MFA: the check reads the real summary.
	f.c.Summary = f.iam
	findings, err = AccountPosture(f.c)(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(rulesOn(findings), RuleRootNoMFA+" root") {
		t.Errorf("moto's root without MFA not reported: %q", rulesOn(findings))
	}
}

func TestPostureDedupAcrossRuns(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	cfg := m.Config(t.Context())
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(t.Context(), db, "state"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	store := state.NewStore(db, "state", func() time.Time { return now })
	pc, e, _, _ := postureClients(t, m)
	openGroup(t, e, "legacy-ssh", tcp(22, 22, "0.0.0.0/0"))
	pub := &published{}
	svc := New(map[string]Job{JobPosture: Posture(pc)}, pub, nil, func() time.Time { return now }).DedupFindings(store, 0)
	run := func(input map[string]any) int {
		t.Helper()
		before := len(pub.got)
		ev, _ := json.Marshal(input)
		if _, err := svc.Handle(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
		return len(pub.got) - before
	}
	if n := run(map[string]any{"job": JobPosture}); n != 2 { // the open group, and no trail
		t.Fatalf("first run published %d, want 2", n)
	}
	if n := run(map[string]any{"job": JobPosture}); n != 0 {
		t.Errorf("second run published %d duplicates", n)
	}
	// The response still lists them, as already reported.
	resp, err := svc.Handle(t.Context(), []byte(`{"job":"posture"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Findings) != 2 || !resp.Findings[0].Deduplicated || !resp.Findings[1].Deduplicated || resp.Findings[0].Published {
		t.Errorf("quiet findings in the response: %+v", resp.Findings)
	}
	// A new problem is published at once; the old ones stay quiet.
	openGroup(t, e, "legacy-rdp", tcp(3389, 3389, "0.0.0.0/0"))
	if n := run(map[string]any{"job": JobPosture}); n != 1 {
		t.Errorf("run with one new problem published %d, want 1", n)
	}
	// After the re-notify period every standing problem is published again,
	// here marked for a schedule's own shorter period, from its input…
	now = now.Add(DefaultRenotifyAfter + time.Minute)
	if n := run(map[string]any{"job": JobPosture, JobParamRenotifyAfter: "1h"}); n != 3 {
		t.Errorf("after the period published %d, want 3", n)
	}
	if n := run(map[string]any{"job": JobPosture}); n != 0 {
		t.Errorf("within the 1h period published %d", n)
	}
	// …which has passed two hours later.
	now = now.Add(2 * time.Hour)
	if n := run(map[string]any{"job": JobPosture}); n != 3 {
		t.Errorf("past a 1h period published %d, want 3", n)
	}
	if _, err := svc.Handle(t.Context(), []byte(`{"job":"posture","renotify_after":"often"}`)); err == nil || !strings.Contains(err.Error(), JobParamRenotifyAfter) {
		t.Errorf("bad renotify_after: %v", err)
	}
}

func TestAllJoinsJobs(t *testing.T) {
	boom := func(context.Context, *alert.JobRequest) ([]Finding, error) {
		return []Finding{{Rule: "a"}}, fmt.Errorf("boom")
	}
	ok := func(context.Context, *alert.JobRequest) ([]Finding, error) { return []Finding{{Rule: "b"}}, nil }
	fs, err := All(boom, ok)(t.Context(), nil)
	if len(fs) != 2 || err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("All = %v, %v", fs, err)
	}
}
