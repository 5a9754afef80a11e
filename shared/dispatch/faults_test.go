package dispatch

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/notify"
	"github.com/watchkeeper/watchkeeper/shared/notify/channels"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// One channel answers 500 or 429 forever, the other succeeds. Across two
// invocations (SNS redelivers the same message after the first fails) the
// good channel delivers exactly once, and the bad one fails both times with
// an error, which is what makes Lambda retry and finally park the event on
// the on-failure queue.
func TestFaultyChannelDoesNotRepeatTheGoodOne(t *testing.T) {
	for _, bad := range []struct {
		name   string
		status int
	}{{"500", http.StatusInternalServerError}, {"429", http.StatusTooManyRequests}} {
		t.Run(bad.name, func(t *testing.T) {
			var badCalls, goodCalls atomic.Int32
			badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				badCalls.Add(1)
				if bad.status == http.StatusTooManyRequests {
					w.Header().Set("Retry-After", "2")
				}
				w.WriteHeader(bad.status)
				io.WriteString(w, "no")
			}))
			defer badSrv.Close()
			goodSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				goodCalls.Add(1)
				io.WriteString(w, "ok")
			}))
			defer goodSrv.Close()

			cfg, err := config.Parse("faults.yaml", fmt.Appendf(nil, `
version: 1
notifications:
  channels:
    - {name: flaky-slack, type: slack, webhook_url: "%s/services/T/B/x"}
    - {name: good-hook, type: webhook, webhook_url: "%s/hook"}
  receivers:
    - {name: ops, channels: [flaky-slack, good-hook]}
  route: {receiver: ops}
`, badSrv.URL, goodSrv.URL))
			if err != nil {
				t.Fatal(err)
			}
			var waits []time.Duration
			r := &notify.Retrier{MaxAttempts: 3, Jitter: func() float64 { return 0 },
				Wait: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
			literal := func(_ context.Context, ref config.SecretRef) (string, error) { return string(ref), nil }
			chans, err := channels.Build(cfg.Notifications.Channels, literal, nil, notify.WithRetrier(r))
			if err != nil {
				t.Fatal(err)
			}
			m := moto.Get(t)
			db := dynamodb.NewFromConfig(m.Config(t.Context()))
			table := "faults-" + strconv.FormatInt(tableSeq.Add(1), 10)
			if err := state.CreateTable(t.Context(), db, table); err != nil {
				t.Fatal(err)
			}
			svc, err := New(cfg, chans, state.NewStore(db, table, nil), nil)
			if err != nil {
				t.Fatal(err)
			}

			ev := readEvent(t, "notifier/sns-alarm-cpu.json")
			for i := range 2 {
				resp, err := svc.Handle(t.Context(), ev)
				if err == nil {
					t.Fatalf("invocation %d: no error; Lambda would not retry the failed channel", i+1)
				}
				for _, d := range resp.Deliveries {
					want := "failed"
					if d.Channel == "good-hook" {
						want = map[int]string{0: "sent", 1: "duplicate"}[i]
					}
					if d.Status != want {
						t.Errorf("invocation %d: %s is %s; want %s", i+1, d.Channel, d.Status, want)
					}
				}
			}
			if goodCalls.Load() != 1 {
				t.Errorf("good channel called %d times across the redelivery; want exactly 1", goodCalls.Load())
			}
			if badCalls.Load() != 6 {
				t.Errorf("bad channel called %d times; want 3 attempts per invocation", badCalls.Load())
			}
			if bad.status == http.StatusTooManyRequests {
				for _, w := range waits {
					if w != 2*time.Second {
						t.Errorf("wait %v; want the 2s Retry-After", w)
					}
				}
			}
			if len(waits) != 4 {
				t.Errorf("%d waits; want 2 per invocation", len(waits))
			}
		})
	}
}
