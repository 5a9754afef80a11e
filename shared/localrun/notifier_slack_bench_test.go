package localrun

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkNotifierWarmInvokeToSlack measures one warm invocation of the real
// notifier under the emulator, from posting the SNS alarm to the Slack
// stand-in having received chat.postMessage (the graph is drawn by a local
// CloudWatch stand-in and uploaded too, as a bot channel does).
func BenchmarkNotifierWarmInvokeToSlack(b *testing.B) {
	slack := newSlackStandIn(b)
	s := startSlackNotifier(b, slack, graphStandIn(b))
	event, err := os.ReadFile(filepath.Join(repoRoot, "events", "notifier", "sns-alarm-cpu.json"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Invoke(b.Context(), event); err != nil { // the cold start
		b.Fatal(err)
	}
	for b.Loop() {
		slack.reset()
		res, err := s.Invoke(b.Context(), event)
		if err != nil || res.FunctionError {
			b.Fatalf("invoke: %v %+v", err, res)
		}
		posted := false
		for _, c := range slack.recorded() {
			posted = posted || c.path == "/api/chat.postMessage"
		}
		if !posted {
			b.Fatal("no chat.postMessage received")
		}
	}
}
