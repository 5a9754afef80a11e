package localrun

import (
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// BenchmarkRemediatorInvokeToApplied measures, per action, the warm
// invoke-to-applied latency of the real remediator under the emulator
// against moto: from posting the trigger to the response that reports the
// change applied and verified (plan, apply, describe again, audit record,
// bus event, idempotency mark). Resetting the resource between iterations
// is outside the timer. actions/s is the sequential rate one warm
// execution environment sustains.
func BenchmarkRemediatorInvokeToApplied(b *testing.B) {
	r := startRemediator(b)
	cases := []struct {
		name, event string
		reset       func(testing.TB)
		check       func(testing.TB) bool
	}{
		{"revoke-open-ingress", "eventbridge-authorize-sg-ingress.json", r.reopenSSH, func(tb testing.TB) bool { return !r.sshOpen(tb) }},
		{"asg-adjust-capacity", "sns-alarm-cpu.json", func(tb testing.TB) { r.setDesired(tb, DemoASGDesired) },
			func(tb testing.TB) bool { return r.desired(tb) == DemoASGDesired+2 }},
	}
	n := 0
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			// Warm the execution environment and this action's path.
			c.reset(b)
			n++
			r.invoke(b, r.sample(b, c.event, n))
			var busy time.Duration
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				c.reset(b)
				n++
				ev := r.sample(b, c.event, n)
				b.StartTimer()
				start := time.Now()
				rem := r.invoke(b, ev)
				busy += time.Since(start)
				if rem.Outcome != alert.OutcomeApplied {
					b.Fatalf("%+v, want applied", rem)
				}
			}
			b.StopTimer()
			if !c.check(b) {
				b.Fatal("the last change is not in moto")
			}
			b.ReportMetric(float64(busy.Microseconds())/1000/float64(b.N), "ms/applied")
			b.ReportMetric(float64(b.N)/busy.Seconds(), "actions/s")
		})
	}
}
