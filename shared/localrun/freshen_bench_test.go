package localrun

import (
	"testing"
	"time"
)

// BenchmarkFreshenAlarmTimes re-times the log-alarm sample, as the demo
// does for every SNS alarm it replays.
func BenchmarkFreshenAlarmTimes(b *testing.B) {
	in := readSample(b, "notifier/sns-alarm-log-filter.json")
	now := time.Now()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, n, err := FreshenAlarmTimes(in, now); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
}
