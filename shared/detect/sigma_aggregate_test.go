package detect

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/repo"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// aggregateCase says how to trip one aggregating rule: positive records for
// a key, how many it takes, and how to give a record another key.
type aggregateCase struct {
	// fields of a positive record for each selection (one entry for counts).
	selections []map[string]any
	// n is the count that must not fire; n+1 must (for correlations n is 1:
	// one selection seen, the other not).
	n int
	// otherKey moves a record to another key.
	otherKey map[string]any
}

var otherAccount = map[string]any{"recipientAccountId": "210987654321",
	"userIdentity": map[string]any{"type": "IAMUser", "arn": "arn:aws:iam::210987654321:user/alice", "accountId": "210987654321"}}

// The reference set's aggregating rules (sigma-aws/unsupported) and this
// package's own, each with positive records written for it.
var aggregateCases = map[string]aggregateCase{
	"aws_ec2_download_userdata.yml": {selections: []map[string]any{{"eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstanceAttribute",
		"requestParameters": map[string]any{"attribute": "userData", "instanceId": "i-0123456789abcdef0"}}}, n: 10, otherKey: otherAccount},
	"aws_enum_backup.yml":  {selections: []map[string]any{{"eventSource": "ec2.amazonaws.com", "eventName": "GetPasswordData"}}, n: 5, otherKey: otherAccount},
	"aws_enum_listing.yml": {selections: []map[string]any{{"eventSource": "iam.amazonaws.com", "eventName": "ListUsers"}}, n: 50, otherKey: otherAccount},
	"aws_enum_network.yml": {selections: []map[string]any{{"eventSource": "ec2.amazonaws.com", "eventName": "DescribeDhcpOptions"}}, n: 5, otherKey: otherAccount},
	"aws_enum_storage.yml": {selections: []map[string]any{{"eventSource": "s3.amazonaws.com", "eventName": "GetBucketPolicy"}}, n: 5, otherKey: otherAccount},
	"aws_lambda_function_created_or_invoked.yml": {selections: []map[string]any{
		{"eventSource": "lambda.amazonaws.com", "eventName": "CreateFunction"},
		{"eventSource": "lambda.amazonaws.com", "eventName": "Invoke"}}, n: 1, otherKey: otherAccount},
	"aws_macic_evasion.yml": {selections: []map[string]any{{"eventSource": "macie2.amazonaws.com", "eventName": "ArchiveFindings"}}, n: 5,
		otherKey: map[string]any{"sourceIPAddress": "198.51.100.99"}},
	"aws_ses_messaging_enabled.yml": {selections: []map[string]any{
		{"eventSource": "ses.amazonaws.com", "eventName": "UpdateAccountSendingEnabled"},
		{"eventSource": "ses.amazonaws.com", "eventName": "VerifyEmailIdentity"}}, n: 1, otherKey: otherAccount},
	"many_denied.yml": {selections: []map[string]any{{"eventSource": "sts.amazonaws.com", "eventName": "GetCallerIdentity", "errorCode": "AccessDenied"}}, n: 10,
		otherKey: map[string]any{"sourceIPAddress": "198.51.100.99"}},
}

func loadAggregating(t *testing.T, path string) *sigma.Rule {
	t.Helper()
	rules, err := LoadSigma(filepath.Dir(path), []string{filepath.Base(path)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Aggregating) != 1 {
		t.Fatalf("%s: %d aggregating rules", path, len(rules.Aggregating))
	}
	return rules.Aggregating[0]
}

func TestAggregatingSigmaRules(t *testing.T) {
	files := []string{filepath.Join("testdata", "sigma", "many_denied.yml")}
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	ref := repo.Reference(root, "sigma-aws", "unsupported")
	if _, err := os.Stat(ref); err == nil {
		more, _ := filepath.Glob(filepath.Join(ref, "*.yml"))
		if len(more) != 8 {
			t.Fatalf("%d rules in %s, want 8", len(more), ref)
		}
		files = append(files, more...)
	} else {
		t.Log("no ../shared/reference/sigma-aws: testing this package's aggregating rule only")
	}
	for _, f := range files {
		base := filepath.Base(f)
		tc, ok := aggregateCases[base]
		if !ok {
			t.Errorf("%s: no test case", base)
			continue
		}
		t.Run(base, func(t *testing.T) {
			r := loadAggregating(t, f)
			at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
			// records builds count positive records: for correlations the
			// first count selections, one record each.
			records := func(count int, spread bool) [][]byte {
				var out [][]byte
				for i := range count {
					fields := map[string]any{}
					sel := tc.selections[0]
					if len(tc.selections) > 1 {
						sel = tc.selections[i%len(tc.selections)]
					}
					for k, v := range sel {
						fields[k] = v
					}
					if spread && i%2 == 1 {
						for k, v := range tc.otherKey {
							fields[k] = v
						}
					}
					out = append(out, trailRecord(t, at.Add(time.Duration(i)*time.Second), fields))
				}
				return out
			}
			for _, step := range []struct {
				name   string
				count  int
				spread bool
				fires  bool
			}{
				{"N records", tc.n, false, false},
				{"N+1 records over two keys", tc.n + 1, true, false},
				{"N+1 records", tc.n + 1, false, true},
			} {
				now := at
				pub := &capture{}
				svc, _ := thresholdService(t, config.Detection{}, nil, pub, &now, r)
				resp, err := svc.Handle(t.Context(), logsEvent(t, "g", records(step.count, step.spread)...))
				if err != nil {
					t.Fatal(err)
				}
				if got := len(pub.details); (got == 1) != step.fires || got > 1 {
					t.Errorf("%s: %d findings %+v, want fires=%v", step.name, got, resp.Findings, step.fires)
					continue
				}
				if step.fires {
					d := pub.details[0]
					if d.Rule != SigmaRuleID(r) || d.SigmaID != r.ID || d.Author != r.Author || d.Author == "" || !hasLink(d.Links, "Sigma rule", "https://") {
						t.Errorf("finding = %+v", d)
					}
				}
			}
		})
	}
}
