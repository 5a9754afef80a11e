package remediate

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3ctypes "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	smithyendpoints "github.com/aws/smithy-go/endpoints"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// s3Call is the CloudTrail record of an S3 API call on bucket in testRegion.
func s3Call(t testing.TB, name, bucket string) alert.Alert {
	t.Helper()
	return trailAlert(t, `{"eventSource":"s3.amazonaws.com","eventName":"`+name+`","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"bucketName":"`+bucket+`","Host":"`+bucket+`.s3.eu-west-1.amazonaws.com"}}`)
}

func (e motoEnv) putPolicy(t testing.TB, bucket, policy string) {
	t.Helper()
	if _, err := s3.NewFromConfig(e.cfg).PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String(bucket),
		Policy: aws.String(policy)}); err != nil {
		t.Fatalf("put bucket policy: %v", err)
	}
}

const (
	stmtPublicRead = `{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
	stmtPublicList = `{"Sid":"PublicList","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","*"]},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}`
	stmtFromVPCE   = `{"Sid":"FromVPCE","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}`
	stmtDenyHTTP   = `{"Sid":"DenyHTTP","Effect":"Deny","Principal":{"AWS":"*"},"Action":"s3:*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
	stmtPartner    = `{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`
)

func policyOf(stmts ...string) string {
	return `{"Version":"2012-10-17","Id":"p1","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// sids lists the Sids of a policy's statements.
func sids(t testing.TB, policy string) []string {
	t.Helper()
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("policy %s: %v", policy, err)
	}
	var out []string
	for _, s := range doc.Statement {
		out = append(out, s.Sid)
	}
	return out
}

func TestPublicStatements(t *testing.T) {
	cases := []struct {
		name         string
		policy       string
		public, kept int
		wantErr      bool
	}{
		{"mixed", policyOf(stmtPublicRead, stmtPublicList, stmtFromVPCE, stmtDenyHTTP, stmtPartner), 2, 3, false},
		{"single statement object", `{"Statement":` + stmtPublicRead + `}`, 1, 0, false},
		{"no statement", `{"Version":"2012-10-17"}`, 0, 0, false},
		{"principal AWS star string", policyOf(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}`), 1, 0, false},
		{"empty condition does not restrict", policyOf(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{}}`), 1, 0, false},
		{"service principal is not the world", policyOf(`{"Effect":"Allow","Principal":{"Service":"logging.s3.amazonaws.com"},"Action":"s3:PutObject"}`), 0, 1, false},
		{"not json", `Statement: all`, 0, 0, true},
		{"statement not an object", `{"Statement":["x"]}`, 0, 0, true},
		{"too large", `{"Statement":[],"Pad":"` + strings.Repeat("x", maxBucketPolicy) + `"}`, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, public, kept, err := publicStatements(tc.policy)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %t", err, tc.wantErr)
			}
			if len(public) != tc.public || len(kept) != tc.kept {
				t.Errorf("public %d, kept %d; want %d, %d", len(public), len(kept), tc.public, tc.kept)
			}
		})
	}
}

// FuzzPublicStatements feeds arbitrary policies to the parser: it must not
// panic, and a policy rebuilt from the kept statements must parse again
// with no public statement left and the same kept count.
func FuzzPublicStatements(f *testing.F) {
	f.Add(policyOf(stmtPublicRead, stmtPublicList, stmtFromVPCE, stmtDenyHTTP, stmtPartner))
	f.Add(`{"Statement":` + stmtPublicRead + `}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":[1,"*"]}}]}`)
	f.Add(`{"Statement":null}`)
	f.Add(`[]`)
	f.Add(`{"Statement":[{"Principal":"*","Effect":"Allow","Condition":null}]}`)
	f.Fuzz(func(t *testing.T, policy string) {
		doc, public, kept, err := publicStatements(policy)
		if err != nil {
			return
		}
		rebuilt, err := rebuildPolicy(doc, kept)
		if err != nil {
			t.Fatalf("rebuild: %v", err)
		}
		_, public2, kept2, err := publicStatements(rebuilt)
		if err != nil && len(rebuilt) <= maxBucketPolicy {
			t.Fatalf("rebuilt policy %s does not parse: %v", rebuilt, err)
		}
		if err == nil && (len(public2) != 0 || len(kept2) != len(kept)) {
			t.Fatalf("rebuilt policy has %d public and %d kept statements, want 0 and %d (first pass: %d public)",
				len(public2), len(kept2), len(kept), len(public))
		}
	})
}

func TestS3RemovePublicPolicyStatementsMoto(t *testing.T) {
	a := s3RemovePublicPolicyStatements{}
	t.Run("public statements go, the rest stay", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-assets", map[string]string{"team": "web"})
		old := policyOf(stmtPublicRead, stmtPublicList, stmtFromVPCE, stmtDenyHTTP, stmtPartner)
		env.putPolicy(t, "wk-assets", old)
		p := params(t, a, nil)
		tg := target(t, a, s3Call(t, "PutBucketPolicy", "wk-assets"), p)
		plan := enforce(t, env.clients(), a, tg, p)
		if plan.Tags["team"] != "web" {
			t.Errorf("tags = %v", plan.Tags)
		}
		now, err := bucketPolicy(context.Background(), s3.NewFromConfig(env.cfg), "wk-assets")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(sids(t, now), ","); got != "FromVPCE,DenyHTTP,Partner" {
			t.Errorf("statements left = %s, want FromVPCE,DenyHTTP,Partner", got)
		}
		if !strings.Contains(now, `"Id":"p1"`) {
			t.Errorf("policy lost its Id: %s", now)
		}
		undo := a.Undo(plan)
		if !strings.HasPrefix(undo, "aws s3api put-bucket-policy --bucket wk-assets --policy '") || !strings.Contains(undo, "PublicRead") {
			t.Errorf("undo = %s", undo)
		}
	})
	t.Run("a policy of public statements only is deleted", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-open", nil)
		env.putPolicy(t, "wk-open", policyOf(stmtPublicRead))
		p := params(t, a, nil)
		plan := enforce(t, env.clients(), a, Target{ID: "wk-open"}, p)
		if now, err := bucketPolicy(context.Background(), s3.NewFromConfig(env.cfg), "wk-open"); err != nil || now != "" {
			t.Errorf("policy after apply = %q (%v), want none", now, err)
		}
		if !strings.Contains(plan.Detail(), "delete the policy") {
			t.Errorf("plan = %s", plan.Detail())
		}
	})
	t.Run("a policy changed since the plan is not overwritten", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-race", nil)
		env.putPolicy(t, "wk-race", policyOf(stmtPublicRead, stmtPartner))
		plan, err := a.Plan(context.Background(), env.clients(), Target{ID: "wk-race"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		env.putPolicy(t, "wk-race", policyOf(stmtPublicList, stmtPartner, stmtDenyHTTP))
		if err := a.Apply(context.Background(), env.clients(), plan); err == nil || !strings.Contains(err.Error(), ErrChanged.Error()) {
			t.Fatalf("apply over a changed policy: err = %v, want ErrChanged", err)
		}
	})
	t.Run("no policy", func(t *testing.T) {
		env := startMoto(t)
		env.seedBucket(t, "wk-none", nil)
		plan, err := a.Plan(context.Background(), env.clients(), Target{ID: "wk-none"}, nil)
		if err != nil || !plan.Empty() || a.Undo(plan) != "" {
			t.Fatalf("plan = %+v, %v", plan, err)
		}
	})
}

func TestS3DefaultEncryptionMoto(t *testing.T) {
	const key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	a := s3DefaultEncryption{}
	env := startMoto(t)
	env.seedBucket(t, "wk-data", nil)
	ctx := context.Background()
	c := s3.NewFromConfig(env.cfg)
	if _, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("wk-data"),
		ServerSideEncryptionConfiguration: encryptionConfig(encryption{Algorithm: sseS3})}); err != nil {
		t.Fatal(err)
	}
	p := params(t, a, map[string]any{"algorithm": "aws:kms", "kms_key_id": key})
	tg := target(t, a, s3Call(t, "PutBucketEncryption", "wk-data"), p)
	plan := enforce(t, env.clients(), a, tg, p)
	now, existed, err := readEncryption(ctx, c, "wk-data")
	if err != nil || !existed || now.Algorithm != sseKMS || now.KeyID != key || !now.BucketKey {
		t.Fatalf("encryption after apply = %+v (existed %t, %v)", now, existed, err)
	}
	want := `aws s3api put-bucket-encryption --bucket wk-data --server-side-encryption-configuration ` +
		`'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'`
	if got := a.Undo(plan); got != want {
		t.Errorf("undo = %s\nwant   %s", got, want)
	}
	// Back to SSE-S3 is a change too, and then settled.
	enforce(t, env.clients(), a, tg, params(t, a, nil))
	if now, _, _ := readEncryption(ctx, c, "wk-data"); now.Algorithm != sseS3 {
		t.Errorf("algorithm = %s, want AES256", now.Algorithm)
	}
}

func TestS3DefaultEncryptionSchema(t *testing.T) {
	for _, raw := range []map[string]any{
		{"algorithm": "aws:kms"},
		{"algorithm": "AES256", "kms_key_id": "k"},
		{"algorithm": "DES"},
	} {
		if _, err := (s3DefaultEncryption{}).Schema().Validate(raw); err == nil {
			t.Errorf("params %v accepted", raw)
		}
	}
}

func TestS3EnableVersioningMoto(t *testing.T) {
	a := s3EnableVersioning{}
	for _, suspended := range []bool{false, true} {
		env := startMoto(t)
		env.seedBucket(t, "wk-backups", map[string]string{"team": "dba"})
		ctx := context.Background()
		c := s3.NewFromConfig(env.cfg)
		if suspended {
			for _, st := range []s3types.BucketVersioningStatus{s3types.BucketVersioningStatusEnabled, s3types.BucketVersioningStatusSuspended} {
				if _, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("wk-backups"),
					VersioningConfiguration: &s3types.VersioningConfiguration{Status: st}}); err != nil {
					t.Fatal(err)
				}
			}
		}
		p := params(t, a, nil)
		plan := enforce(t, env.clients(), a, target(t, a, s3Call(t, "PutBucketVersioning", "wk-backups"), p), p)
		if st, err := versioningStatus(ctx, c, "wk-backups"); err != nil || st != "Enabled" {
			t.Errorf("suspended %t: versioning = %q (%v)", suspended, st, err)
		}
		if plan.Tags["team"] != "dba" {
			t.Errorf("tags = %v", plan.Tags)
		}
		if u := a.Undo(plan); u != "aws s3api put-bucket-versioning --bucket wk-backups --versioning-configuration Status=Suspended" {
			t.Errorf("undo = %s", u)
		}
	}
}

// staticS3ControlEndpoint resolves every S3 Control request to one URL as
// is. The S3 Control endpoint rules put the account id in front of the host
// ({account}.127.0.0.1:port), which a local server cannot answer; the
// account id still reaches moto in the x-amz-account-id header.
type staticS3ControlEndpoint struct{ url string }

func (e staticS3ControlEndpoint) ResolveEndpoint(_ context.Context, _ s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	u, err := url.Parse(e.url)
	if err != nil {
		return smithyendpoints.Endpoint{}, err
	}
	return smithyendpoints.Endpoint{URI: *u}, nil
}

func (e motoEnv) s3control() *s3control.Client {
	return s3control.NewFromConfig(e.cfg, func(o *s3control.Options) {
		o.EndpointResolverV2 = staticS3ControlEndpoint{url: e.m.Endpoint()}
	})
}

func TestS3AccountPublicAccessBlockMoto(t *testing.T) {
	const acct = "123456789012"
	a := s3AccountPublicAccessBlock{}
	for _, before := range []*publicAccess{nil, {BlockPublicAcls: true, IgnorePublicAcls: true}} {
		env := startMoto(t)
		ctx := context.Background()
		sc := env.s3control()
		if before != nil {
			if _, err := sc.PutPublicAccessBlock(ctx, &s3control.PutPublicAccessBlockInput{AccountId: aws.String(acct),
				PublicAccessBlockConfiguration: &s3ctypes.PublicAccessBlockConfiguration{
					BlockPublicAcls: aws.Bool(before.BlockPublicAcls), IgnorePublicAcls: aws.Bool(before.IgnorePublicAcls),
					BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(false)}}); err != nil {
				t.Fatalf("seed account public access block: %v", err)
			}
		}
		c := env.clients()
		c.S3Control = sc
		p := params(t, a, nil)
		tg := target(t, a, trailAlert(t, `{"eventSource":"s3.amazonaws.com","eventName":"DeleteAccountPublicAccessBlock",
"awsRegion":"eu-west-1","recipientAccountId":"`+acct+`","requestParameters":{"accountId":"`+acct+`"}}`), p)
		if tg.ID != acct || tg.From != "requestParameters.accountId" {
			t.Fatalf("target = %+v", tg)
		}
		plan := enforce(t, c, a, tg, p)
		now, existed, err := readAccountPAB(ctx, sc, acct)
		if err != nil || !existed || !now.all() {
			t.Errorf("account block after apply = %+v (existed %t, %v)", now, existed, err)
		}
		want := "aws s3control delete-public-access-block --account-id " + acct
		if before != nil {
			want = "aws s3control put-public-access-block --account-id " + acct + " --public-access-block-configuration " +
				"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false"
		}
		if u := a.Undo(plan); u != want {
			t.Errorf("undo = %s\nwant   %s", u, want)
		}
	}
}

func TestS3AccountTargetFallsBackToParams(t *testing.T) {
	a := s3AccountPublicAccessBlock{}
	p := params(t, a, map[string]any{"account_id": "210987654321"})
	tg, err := a.Target(alert.Alert{}, p)
	if err != nil || tg.ID != "210987654321" || tg.From != "params" {
		t.Fatalf("target = %+v, %v", tg, err)
	}
	if _, err := a.Schema().Validate(map[string]any{"account_id": "12345"}); err == nil {
		t.Error("a 5-digit account id was accepted")
	}
}

func TestCloudTrailRestoreConfigMoto(t *testing.T) {
	a := cloudTrailRestoreConfig{}
	env := startMoto(t)
	env.seedTrail(t, "org-trail", true)
	p := params(t, a, nil)
	al := trailAlert(t, `{"eventSource":"cloudtrail.amazonaws.com","eventName":"UpdateTrail","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"name":"org-trail","isMultiRegionTrail":false,"enableLogFileValidation":false}}`)
	tg := target(t, a, al, p)
	plan := enforce(t, env.clients(), a, tg, p)
	if len(plan.Changes) != 2 {
		t.Errorf("changes = %v, want multi-region and validation", plan.Changes)
	}
	tr, err := getTrail(context.Background(), cloudtrail.NewFromConfig(env.cfg), "org-trail")
	if err != nil || !aws.ToBool(tr.IsMultiRegionTrail) || !aws.ToBool(tr.LogFileValidationEnabled) {
		t.Fatalf("trail after apply = multi %t, validation %t (%v)", aws.ToBool(tr.IsMultiRegionTrail), aws.ToBool(tr.LogFileValidationEnabled), err)
	}
	if !env.trailLogging(t, "org-trail") {
		t.Error("restoring the config stopped logging")
	}
	want := "aws cloudtrail update-trail --name org-trail --no-is-multi-region-trail --no-enable-log-file-validation --region " + testRegion
	if u := a.Undo(plan); u != want {
		t.Errorf("undo = %s", u)
	}
}

func TestCloudTrailRestoreConfigOnlyValidation(t *testing.T) {
	a := cloudTrailRestoreConfig{}
	env := startMoto(t)
	env.seedTrail(t, "wk-trail", false)
	p := params(t, a, map[string]any{"multi_region": false})
	plan := enforce(t, env.clients(), a, Target{ID: "wk-trail", Region: testRegion}, p)
	tr, err := getTrail(context.Background(), cloudtrail.NewFromConfig(env.cfg), "wk-trail")
	if err != nil || aws.ToBool(tr.IsMultiRegionTrail) || !aws.ToBool(tr.LogFileValidationEnabled) {
		t.Fatalf("trail = multi %t, validation %t (%v); want only validation on", aws.ToBool(tr.IsMultiRegionTrail),
			aws.ToBool(tr.LogFileValidationEnabled), err)
	}
	if u := a.Undo(plan); strings.Contains(u, "multi-region") {
		t.Errorf("undo %s touches multi-region, which the plan left alone", u)
	}
	if _, err := a.Schema().Validate(map[string]any{"multi_region": false, "log_file_validation": false}); err == nil {
		t.Error("both settings off was accepted")
	}
}
