package sigma

import (
	"os"
	"path/filepath"
	"testing"
)

// benchRecord is a realistic CloudTrail record that most corpus rules
// reject only after comparing eventSource/eventName.
const benchRecord = `{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLEROLEID0001:s",
"arn":"arn:aws:sts::111122223333:assumed-role/DeployRole/s","accountId":"111122223333","accessKeyId":"ASIAEXAMPLEKEY000001",
"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLEROLEID0001","arn":"arn:aws:iam::111122223333:role/DeployRole",
"accountId":"111122223333","userName":"DeployRole"},"attributes":{"creationDate":"2026-11-20T09:58:02Z","mfaAuthenticated":"false"}}},
"eventTime":"2026-11-20T10:15:30Z","eventSource":"iam.amazonaws.com","eventName":"PutUserPolicy","awsRegion":"us-east-1",
"sourceIPAddress":"203.0.113.10","userAgent":"S3 Browser 9.5.5 https://s3browser.com",
"requestParameters":{"userName":"svc","policyName":"p","policyDocument":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::<YOUR-BUCKET-NAME>/*\"}]}"},
"responseElements":null,"requestID":"609ae390-853f-b250-29c2-d4f736b8d1dd","eventID":"853fb250-29c2-d4f7-36b8-d1dd088e80db",
"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}`

func loadCorpusRules(b *testing.B) []*Rule {
	dir := corpusDir(b)
	if dir == "" {
		b.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	var rules []*Rule
	for _, p := range ruleFiles(b, filepath.Join(dir, "rules")) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		r, err := Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	return rules
}

// BenchmarkMatch evaluates every corpus rule against one decoded record,
// the detector's per-record work.
func BenchmarkMatch(b *testing.B) {
	rules := loadCorpusRules(b)
	rec := decodeRecord(b, benchRecord)
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for b.Loop() {
		for _, r := range rules {
			if r.Match(rec) {
				hits++
			}
		}
	}
	b.ReportMetric(float64(len(rules)), "rules")
	if hits == 0 {
		b.Fatal("the record should match at least the S3 Browser policy rule")
	}
}

// BenchmarkParse compiles the whole corpus once per iteration.
func BenchmarkParse(b *testing.B) {
	dir := corpusDir(b)
	if dir == "" {
		b.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	var datas [][]byte
	for _, p := range ruleFiles(b, filepath.Join(dir, "rules")) {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		datas = append(datas, data)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range datas {
			if _, err := Parse(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}
