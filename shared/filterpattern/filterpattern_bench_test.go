package filterpattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// cloudTrailRecord returns the largest CloudTrail record (about 1.7 KB) of
// the sample subscription-filter event in events/detector.
func cloudTrailRecord(b *testing.B) string {
	b.Helper()
	root, err := repo.Root(".")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "detector", "logs-cloudtrail.decoded.json"))
	if err != nil {
		b.Skipf("sample event absent: %v", err)
	}
	var doc struct {
		LogEvents []struct {
			Message string `json:"message"`
		} `json:"logEvents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.LogEvents) == 0 {
		b.Fatalf("decode sample: %v", err)
	}
	best := doc.LogEvents[0].Message
	for _, e := range doc.LogEvents {
		if len(e.Message) > len(best) {
			best = e.Message
		}
	}
	return best
}

var benchSink bool

func BenchmarkMatchTerm(b *testing.B) {
	p := mustCompile(b, `"[ERROR]" Exception -DEBUG`)
	msg := "02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException while executing the nightly report job"
	b.ReportAllocs()
	for b.Loop() {
		benchSink = p.Match(msg)
	}
}

func BenchmarkMatchRegex(b *testing.B) {
	p := mustCompile(b, `%^\d{2} [A-Z][a-z]{2} \d{4}.*\[ERROR\]%`)
	msg := "02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException"
	b.ReportAllocs()
	for b.Loop() {
		benchSink = p.Match(msg)
	}
}

const cisRootUsage = `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }`

const cisUnauthorized = `{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") && ($.sourceIPAddress != "delivery.logs.amazonaws.com") && ($.eventName != "HeadBucket") }`

const cisCloudTrailChanges = `{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }`

// BenchmarkMatchJSON evaluates one JSON pattern on an already decoded
// CloudTrail record: the detector's steady state.
func BenchmarkMatchJSON(b *testing.B) {
	rec := cloudTrailRecord(b)
	b.Logf("record is %d bytes", len(rec))
	e := NewEvent(rec)
	if _, ok := e.JSON(); !ok {
		b.Fatal("record is not JSON")
	}
	p := mustCompile(b, cisCloudTrailChanges) // five lookups, none matching
	if p.MatchEvent(e) {
		b.Fatal("the largest sample record is not a CloudTrail change")
	}
	b.ReportAllocs()
	for b.Loop() {
		benchSink = p.MatchEvent(e)
	}
}

// BenchmarkMatchJSONDecode includes decoding the record, as Match(string)
// does for a one-off evaluation.
func BenchmarkMatchJSONDecode(b *testing.B) {
	rec := cloudTrailRecord(b)
	p := mustCompile(b, cisCloudTrailChanges)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = p.Match(rec)
	}
}

// BenchmarkMatchJSONThreePatterns decodes once and evaluates three CIS
// patterns, the pattern the Event type exists for.
func BenchmarkMatchJSONThreePatterns(b *testing.B) {
	rec := cloudTrailRecord(b)
	ps := []*Pattern{mustCompile(b, cisRootUsage), mustCompile(b, cisUnauthorized), mustCompile(b, cisCloudTrailChanges)}
	b.ReportAllocs()
	for b.Loop() {
		e := NewEvent(rec)
		for _, p := range ps {
			benchSink = p.MatchEvent(e)
		}
	}
}

func BenchmarkMatchDelimited(b *testing.B) {
	p := mustCompile(b, `[ip, id, user, ts, request=*.html*, status=4*, bytes>1000]`)
	msg := `127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534`
	b.ReportAllocs()
	for b.Loop() {
		benchSink = p.Match(msg)
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(cisUnauthorized); err != nil {
			b.Fatal(err)
		}
	}
}
