package cloudtrail

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
		check   func(t *testing.T, r *Record)
	}{
		{name: "full record", in: `{"eventVersion":"1.10","userIdentity":{"type":"AssumedRole","principalId":"AROAX:bob","arn":"arn:aws:sts::123456789012:assumed-role/dev-admin/bob",
			"accountId":"123456789012","accessKeyId":"ASIAX","sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::123456789012:role/dev-admin","userName":"dev-admin"},
			"attributes":{"creationDate":"2026-11-25T09:02:11Z","mfaAuthenticated":"true"}}},"eventTime":"2026-11-25T09:21:44Z","eventSource":"ec2.amazonaws.com",
			"eventName":"AuthorizeSecurityGroupIngress","awsRegion":"eu-west-1","sourceIPAddress":"198.51.100.23","userAgent":"cli","requestParameters":{"groupId":"sg-1"},
			"responseElements":{"_return":true},"requestID":"r","eventID":"e","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,
			"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"ec2.eu-west-1.amazonaws.com"},
			"resources":[{"ARN":"arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1","accountId":"123456789012","type":"AWS::EC2::SecurityGroup"}]}`,
			check: func(t *testing.T, r *Record) {
				if r.EventName != "AuthorizeSecurityGroupIngress" || !r.EventTime.Equal(time.Date(2026, 11, 25, 9, 21, 44, 0, time.UTC)) ||
					string(r.RequestParameters) != `{"groupId":"sg-1"}` || r.TLSDetails.TLSVersion != "TLSv1.3" || len(r.Resources) != 1 ||
					!r.ManagementEvent || !r.MFAUsed() || r.Account() != "123456789012" || r.Actor() != "dev-admin/bob" {
					t.Errorf("record %+v", r)
				}
			}},
		{name: "null request parameters", in: `{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","requestParameters":null,"userIdentity":{"type":"Root"}}`,
			check: func(t *testing.T, r *Record) {
				if string(r.RequestParameters) != "null" || r.Actor() != "root" {
					t.Errorf("record %+v", r)
				}
			}},
		{name: "truncated", in: `{"eventVersion":"1.03","userIdentity":{"type":"Root"}`, wantErr: "unexpected end of JSON input"},
		{name: "not json", in: `CWL CONTROL MESSAGE`, wantErr: "invalid character"},
		{name: "no event name", in: `{"eventSource":"s3.amazonaws.com"}`, wantErr: "missing required field: eventName"},
		{name: "no source or name", in: `{"eventVersion":"1.08"}`, wantErr: "eventName, eventSource"},
		{name: "bad time", in: `{"eventSource":"a","eventName":"b","eventTime":"yesterday"}`, wantErr: "cannot parse"},
		{name: "array", in: `[]`, wantErr: "cannot unmarshal array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if r != nil {
					t.Error("record returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
	if _, err := Parse([]byte(`{"eventName":"x"}`)); !errors.Is(err, ErrMissingField) {
		t.Errorf("missing eventSource: %v is not ErrMissingField", err)
	}
}

func TestActor(t *testing.T) {
	tests := []struct {
		name string
		id   UserIdentity
		want string
	}{
		{"root", UserIdentity{Type: IdentityRoot, ARN: "arn:aws:iam::1:root"}, "root"},
		{"iam user", UserIdentity{Type: IdentityIAMUser, UserName: "alice", ARN: "arn:aws:iam::1:user/alice"}, "alice"},
		{"iam user without name", UserIdentity{Type: IdentityIAMUser, ARN: "arn:aws:iam::1:user/ops/alice"}, "alice"},
		{"assumed role", UserIdentity{Type: IdentityAssumedRole, ARN: "arn:aws:sts::1:assumed-role/Admin/alice@example.com",
			SessionContext: &SessionContext{SessionIssuer: &SessionIssuer{UserName: "Admin"}}}, "Admin/alice@example.com"},
		{"assumed role, session named like role", UserIdentity{Type: IdentityAssumedRole, ARN: "arn:aws:sts::1:assumed-role/Admin/Admin",
			SessionContext: &SessionContext{SessionIssuer: &SessionIssuer{UserName: "Admin"}}}, "Admin"},
		{"assumed role without issuer", UserIdentity{Type: IdentityAssumedRole, ARN: "arn:aws:sts::1:assumed-role/Admin/s"}, "Admin"},
		{"service", UserIdentity{Type: IdentityAWSService, InvokedBy: "ec2.amazonaws.com"}, "ec2.amazonaws.com"},
		{"federated", UserIdentity{Type: IdentityFederatedUser, ARN: "arn:aws:sts::1:federated-user/bob"}, "bob"},
		{"account", UserIdentity{Type: IdentityAWSAccount, PrincipalID: "AIDAX", AccountID: "2"}, "AIDAX"},
		{"identity center", UserIdentity{Type: IdentityCenterUser, ARN: "arn:aws:identitystore::1:user/x"}, "arn:aws:identitystore::1:user/x"},
		{"only type", UserIdentity{Type: "Unknown"}, "Unknown"},
		{"nothing", UserIdentity{}, "unknown"},
	}
	for _, tt := range tests {
		r := Record{UserIdentity: tt.id}
		if got := r.Actor(); got != tt.want {
			t.Errorf("%s: Actor() = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMFAUsed(t *testing.T) {
	for in, want := range map[string]bool{
		`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"No"}}`:          false,
		`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","additionalEventData":{"MFAUsed":"Yes"}}`:         true,
		`{"eventSource":"a","eventName":"b","userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"true"}}}}`:  true,
		`{"eventSource":"a","eventName":"b","userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":"false"}}}}`: false,
		`{"eventSource":"a","eventName":"b","additionalEventData":"odd"}`:                                                   false,
	} {
		r, err := Parse([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.MFAUsed(); got != want {
			t.Errorf("MFAUsed(%s) = %v, want %v", in, got, want)
		}
	}
}

func TestEventHistoryURL(t *testing.T) {
	for _, tt := range []struct{ region, id, want string }{
		{"eu-west-1", "5b2d8e1f-7c3a", "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/5b2d8e1f-7c3a"},
		{"cn-north-1", "e", "https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/e"},
		{"us-gov-east-1", "e", "https://console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-east-1#/events/e"},
		{"evil.com/x?", "e", "https://console.aws.amazon.com/cloudtrailv2/home?region=evil.com%2Fx%3F#/events/e"},
		{"eu-west-1", "a/b c", "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/a%2Fb%20c"},
		{"", "e", ""},
		{"eu-west-1", "", ""},
	} {
		if got := EventHistoryURL(tt.region, tt.id); got != tt.want {
			t.Errorf("EventHistoryURL(%q, %q) = %q, want %q", tt.region, tt.id, got, tt.want)
		}
	}
	r := Record{AWSRegion: "us-east-1", EventID: "x"}
	if r.ConsoleURL() != EventHistoryURL("us-east-1", "x") {
		t.Error("ConsoleURL does not use the record's region and id")
	}
}

// repoRoot is the checkout holding this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// sampleMessages returns the log messages of the decoded batches in
// events/detector and, when present, the reference corpus.
func sampleMessages(t testing.TB) []string {
	t.Helper()
	root := repoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "events", "detector", "*.decoded.json"))
	ref := repo.Reference(root, "payloads")
	for _, f := range []string{"c2_cwlogs_decoded_cloudtrail_loggroup.awsdocs.json", "c5_CONSTRUCTED_cwlogs_decoded_with_stratus_cloudtrail.json"} {
		if _, err := os.Stat(filepath.Join(ref, f)); err == nil {
			files = append(files, filepath.Join(ref, f))
		}
	}
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var batch struct {
			LogEvents []struct {
				Message string `json:"message"`
			} `json:"logEvents"`
		}
		if err := json.Unmarshal(b, &batch); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range batch.LogEvents {
			out = append(out, e.Message)
		}
	}
	return out
}

// The sample batches hold valid records, one truncated record, the control
// message text, and (reference corpus) three truncated records.
func TestSampleMessages(t *testing.T) {
	valid, invalid := 0, 0
	for _, m := range sampleMessages(t) {
		r, err := Parse([]byte(m))
		if err != nil {
			invalid++
			continue
		}
		valid++
		if r.Actor() == "unknown" || r.ConsoleURL() == "" {
			t.Errorf("record %s: actor %q url %q", r.EventID, r.Actor(), r.ConsoleURL())
		}
	}
	if valid < 7 || invalid < 2 {
		t.Errorf("%d valid and %d invalid sample records", valid, invalid)
	}
}

func FuzzCloudTrailParse(f *testing.F) {
	for _, m := range sampleMessages(f) {
		f.Add([]byte(m))
	}
	f.Add([]byte(`{"eventSource":"a","eventName":"b","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		if r.EventName == "" || r.EventSource == "" {
			t.Fatal("parsed a record without eventName or eventSource")
		}
		if r.Actor() == "" {
			t.Fatal("empty actor")
		}
		if u := r.ConsoleURL(); u != "" && !strings.HasPrefix(u, "https://console.") && !strings.Contains(u, ".console.") {
			t.Fatalf("odd console URL %q", u)
		}
		_ = r.MFAUsed()
	})
}
