package alert

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkDigestDetail builds the detail of a busy week that must be
// trimmed (2000 rows of long account names) and of an ordinary one.
func BenchmarkDigestDetail(b *testing.B) {
	busy := sampleDigest()
	busy.Rows = nil
	for i := range 2000 {
		busy.Rows = append(busy.Rows, DigestRow{Kind: "finding", Account: fmt.Sprintf("%012d-%s", i, strings.Repeat("a", 200)), Severity: "high", Count: i})
	}
	for name, s := range map[string]DigestSummary{"busy": busy, "ordinary": sampleDigest()} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := DigestDetail("Watchkeeper", s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
