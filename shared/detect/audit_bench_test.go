package detect

import (
	"fmt"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// BenchmarkFindingAudit measures building the audit records of one batch
// of published findings (what the detector adds to an invocation before
// its BatchWriteItem calls).
func BenchmarkFindingAudit(b *testing.B) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ps := make([]*pendingFinding, 100)
	for i := range ps {
		raw := trailRecord(b, at, map[string]any{"eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
			"requestParameters": map[string]any{"userName": fmt.Sprintf("user-%d", i)}})
		rec, err := cloudtrail.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		d := alert.FindingFromRecord("new-key", "medium", "Access key created", "", rec)
		ps[i] = &pendingFinding{d: d, claimID: rec.EventID}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			_ = findingAudit(p, at)
		}
	}
	b.ReportMetric(float64(b.N*len(ps))/b.Elapsed().Seconds(), "records/s")
}
