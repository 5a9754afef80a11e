package evidence

import (
	"fmt"
	"testing"
)

// BenchmarkRunbookTagsCached measures an alert of an alarm whose tags are
// already cached: what every alert of a storm after the first costs.
func BenchmarkRunbookTagsCached(b *testing.B) {
	r := NewRunbookTags(nil, "eu-west-1", nil)
	r.cache[webARN] = runbookEntry{url: "https://wiki.example.com/rb", expires: r.now().Add(RunbookCacheTTL)}
	b.ReportAllocs()
	for b.Loop() {
		a := alarmAlert(webARN)
		if err := r.Enrich(b.Context(), a); err != nil || runbookOf(a) == "" {
			b.Fatal(fmt.Sprint(err, a.Links))
		}
	}
}
