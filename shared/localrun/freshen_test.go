package localrun

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

func readSample(t testing.TB, rel string) []byte {
	t.Helper()
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "events", rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFreshenAlarmTimes(t *testing.T) {
	now := time.Date(2027, 3, 4, 5, 6, 7, 891_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		sample string
		n      int
	}{
		{"notifier/sns-alarm-cpu.json", 1},
		{"notifier/sns-alarm-log-filter.json", 1},
		{"notifier/sns-alarm-lambda-errors.json", 1},
		{"notifier/sns-alarm-metric-math.json", 1},
		{"notifier/sns-alarm-ok.json", 1},
		// SNS carrying a GuardDuty event, not an alarm.
		{"notifier/sns-guardduty-finding.json", 0},
		{"notifier/alarm-action-metric.json", 0},
		{"notifier/eventbridge-alarm-state-change.json", 0},
		{"detector/logs-cloudtrail.json", 0},
		{"sweeper/scheduler-posture.json", 0},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			in := readSample(t, tc.sample)
			out, n, err := FreshenAlarmTimes(in, now)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.n {
				t.Fatalf("re-timed %d alarms, want %d", n, tc.n)
			}
			if n == 0 {
				if !bytes.Equal(out, in) {
					t.Error("an event without an SNS alarm was changed")
				}
				return
			}
			before, err := alert.Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			after, err := alert.Parse(out)
			if err != nil {
				t.Fatalf("the freshened event no longer parses: %v\n%s", err, out)
			}
			if len(after.Alerts) != len(before.Alerts) {
				t.Fatalf("%d alerts after, %d before", len(after.Alerts), len(before.Alerts))
			}
			for i := range after.Alerts {
				a, b := after.Alerts[i], before.Alerts[i]
				if !a.Time.Equal(now) {
					t.Errorf("alert time = %v, want %v", a.Time, now.UTC())
				}
				// Besides the time, only what derives from it may differ:
				// the raw payload and the console links' time range.
				a.Time, a.Raw, a.Links = b.Time, nil, nil
				b.Raw, b.Links = nil, nil
				if !reflect.DeepEqual(a, b) {
					t.Errorf("freshening changed more than the time:\n got %+v\nwant %+v", a, b)
				}
			}
			var ev struct {
				Records []struct {
					Sns struct {
						Timestamp string
						Message   string
					}
				}
			}
			if err := json.Unmarshal(out, &ev); err != nil {
				t.Fatal(err)
			}
			sns := ev.Records[0].Sns
			if sns.Timestamp != "2027-03-04T04:06:07.891Z" || !strings.Contains(sns.Message, `"StateChangeTime":"2027-03-04T04:06:07.891+0000"`) {
				t.Errorf("Timestamp %q, message %s", sns.Timestamp, sns.Message)
			}
			if strings.Contains(string(out), `\u003e`) {
				t.Error("the alarm reason's characters were HTML-escaped")
			}
			again, n2, err := FreshenAlarmTimes(out, now)
			if err != nil || n2 != n || !bytes.Equal(again, out) {
				t.Errorf("freshening twice at the same time is not stable (%d, %v)", n2, err)
			}
		})
	}
}

func TestFreshenAlarmTimesRejectsInvalidJSON(t *testing.T) {
	for _, in := range []string{"", "not json", `{"Records":[`, `[1,2]`} {
		if _, _, err := FreshenAlarmTimes([]byte(in), time.Now()); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func FuzzFreshenAlarmTimes(f *testing.F) {
	for _, s := range []string{"notifier/sns-alarm-cpu.json", "notifier/sns-alarm-log-filter.json", "notifier/sns-guardduty-finding.json"} {
		f.Add(readSample(f, s))
	}
	f.Add([]byte(`{"Records":[{"Sns":{"Message":"{\"AlarmName\":\"a\",\"StateChangeTime\":\"x\"}"}}]}`))
	f.Add([]byte(`{"Records":[{"Sns":{"Message":"{\"AlarmName\":1,\"StateChangeTime\":null}","Timestamp":3}},7,null]}`))
	f.Add([]byte(`{"Records":"x"}`))
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in []byte) {
		out, n, err := FreshenAlarmTimes(in, now)
		if err != nil {
			return
		}
		if n == 0 {
			if !bytes.Equal(out, in) {
				t.Fatal("unchanged event rewritten")
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON out: %s", out)
		}
		again, n2, err := FreshenAlarmTimes(out, now)
		if err != nil || n2 != n || !bytes.Equal(again, out) {
			t.Fatalf("not stable: %d→%d, %v", n, n2, err)
		}
	})
}
