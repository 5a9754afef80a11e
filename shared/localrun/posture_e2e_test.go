package localrun

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/guardduty"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// rootMFAServer stands in for IAM where moto cannot help: moto's root user
// never has MFA. It answers GetAccountSummary (root MFA on, no root keys)
// and ListUsers (none), the two IAM calls of the posture sweep.
func rootMFAServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		w.Header().Set("Content-Type", "text/xml")
		switch form.Get("Action") {
		case "GetAccountSummary":
			fmt.Fprint(w, `<GetAccountSummaryResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountSummaryResult><SummaryMap>`+
				`<entry><key>AccountMFAEnabled</key><value>1</value></entry><entry><key>AccountAccessKeysPresent</key><value>0</value></entry>`+
				`</SummaryMap></GetAccountSummaryResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetAccountSummaryResponse>`)
		case "ListUsers":
			fmt.Fprint(w, `<ListUsersResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListUsersResult><Users/><IsTruncated>false</IsTruncated>`+
				`</ListUsersResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListUsersResponse>`)
		default:
			t.Errorf("unexpected IAM call %q", form.Get("Action"))
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// runPosture runs the real sweeper binary under the emulator against moto
// (and extra endpoints) with the suite's trigger names set, and returns the
// rules of its findings.
func runPosture(t *testing.T, bin string, m *awstest.Moto, extra map[string]string) []string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "watchkeeper.yaml")
	if err := os.WriteFile(cfg, []byte("version: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		funcenv.Config:        cfg,
		"AWS_ENDPOINT_URL":    m.Endpoint(),
		"AWS_REGION":          awstest.Region,
		funcenv.TrailLogGroup: "trail-logs",
		funcenv.DetectorARN:   "arn:aws:lambda:us-east-1:" + awstest.AccountID + ":function:wk-detector",
		funcenv.RulePrefix:    "Watchkeeper-",
	}
	for k, v := range extra {
		env[k] = v
	}
	res, err := Invoke(t.Context(), InvokeOptions{Bootstrap: bin, RIE: rieBin, FunctionName: "sweeper", Event: []byte(`{"job":"posture"}`),
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
	var rules []string
	for _, f := range resp.Findings {
		rules = append(rules, f.Rule)
	}
	slices.Sort(rules)
	return rules
}

// TestPostureUnderTheEmulator is the seed's "schedule → posture findings":
// the real sweeper, under the Runtime Interface Emulator, sweeps a moto
// account seeded with each problem it can hold, then a clean account.
func TestPostureUnderTheEmulator(t *testing.T) {
	needEmulator(t)
	m := moto.Get(t)
	bin, err := BuildHost(t.Context(), repoRoot, "./functions/sweeper", filepath.Join(t.TempDir(), "sweeper"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	t.Run("each problem", func(t *testing.T) {
		m.Reset()
		cfg := m.Config(ctx)
		e, s, ct := ec2.NewFromConfig(cfg), s3.NewFromConfig(cfg), cloudtrail.NewFromConfig(cfg)
		g, err := e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("legacy-ssh"), Description: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: []ec2types.IpPermission{{
			IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("public-stuff")}); err != nil {
			t.Fatal(err)
		}
		if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("stopped"), S3BucketName: aws.String("public-stuff")}); err != nil {
			t.Fatal(err)
		}
		if _, err := cloudwatchlogs.NewFromConfig(cfg).CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("trail-logs")}); err != nil {
			t.Fatal(err)
		}
		got := runPosture(t, bin, m, nil)
		want := []string{sweep.RuleBucketNoPAB, sweep.RuleSubscriptionMissing, sweep.RuleEBSDefaultEncryption, sweep.RuleGuardDutyOff,
			sweep.RuleRootNoMFA, sweep.RuleOpenAdminPort, sweep.RuleSuiteRulesMissing, sweep.RuleTrailNotLogging, sweep.RuleTrailNoValidation, sweep.RuleTrailSingleRegion}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("findings:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("clean account", func(t *testing.T) {
		m.Reset()
		cfg := m.Config(ctx)
		s, ct := s3.NewFromConfig(cfg), cloudtrail.NewFromConfig(cfg)
		if _, err := s.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("trail-bucket")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("trail-bucket"),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
				BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ct.CreateTrail(ctx, &cloudtrail.CreateTrailInput{Name: aws.String("org"), S3BucketName: aws.String("trail-bucket"), IsMultiRegionTrail: aws.Bool(true),
			EnableLogFileValidation: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if _, err := ct.StartLogging(ctx, &cloudtrail.StartLoggingInput{Name: aws.String("org")}); err != nil {
			t.Fatal(err)
		}
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
		if _, err := eventbridge.NewFromConfig(cfg).PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("Watchkeeper-EventRulesGuardduty-X1"),
			EventPattern: aws.String(`{"source":["aws.guardduty"]}`)}); err != nil {
			t.Fatal(err)
		}
		if got := runPosture(t, bin, m, map[string]string{"AWS_ENDPOINT_URL_IAM": rootMFAServer(t)}); len(got) != 0 {
			t.Errorf("clean account: %q", got)
		}
	})
}

// detectorFunction creates the function the trail subscription delivers to.
func detectorFunction(t *testing.T, cfg aws.Config) string {
	t.Helper()
	role, err := iam.NewFromConfig(cfg).CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("wk-detector"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("bootstrap")
	_, _ = w.Write([]byte("#!/bin/sh\n"))
	_ = zw.Close()
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(t.Context(), &lambda.CreateFunctionInput{FunctionName: aws.String("wk-detector"), Role: role.Role.Arn,
		Runtime: lambdatypes.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(fn.FunctionArn)
}
