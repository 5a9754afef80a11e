package localrun

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logstypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// The seed's four examples, end to end. "Schedule → posture findings" (each
// seeded problem → its finding, a clean account → none) is
// TestPostureUnderTheEmulator; the other three are here: the real notifier
// binary under the Runtime Interface Emulator, the local profile (file
// channels), moto for everything AWS.

// seedLogLines are written to /app/web just before the alarms fire: two
// ERROR lines, three WARN lines and INFO lines that neither alarm may show.
var seedLogLines = []string{
	"INFO GET /health 200 2ms",
	"ERROR payment gateway timeout order=2207",
	"WARN upstream slow: GET /api/orders took 2100ms",
	"INFO GET /api/cart 200 35ms",
	"WARN retrying connection to db-primary attempt=2",
	"ERROR unhandled exception in /api/cart: NullReference",
	"WARN queue depth 950 of 1000",
	"INFO GET /api/orders 200 41ms",
}

// linesWith returns the seedLogLines whose first word is level.
func linesWith(level string) []string {
	var out []string
	for _, l := range seedLogLines {
		if strings.HasPrefix(l, level+" ") {
			out = append(out, l)
		}
	}
	return out
}

// localNotifier runs the real notifier under the emulator with the local
// profile against moto; file channels write under the returned directory.
func localNotifier(t *testing.T, m *awstest.Moto) (*Session, string) {
	t.Helper()
	needEmulator(t)
	work := t.TempDir()
	env := map[string]string{
		funcenv.Config:   filepath.Join(repoRoot, "watchkeeper.local.yaml"),
		funcenv.Function: "notifier",
	}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	// moto does not speak CloudWatch's CBOR protocol; the metric graph comes
	// from a stand-in.
	env["AWS_ENDPOINT_URL_CLOUDWATCH"] = graphStandIn(t).URL
	s, err := Start(t.Context(), InvokeOptions{
		Bootstrap:    notifierBinary(t),
		RIE:          rieBin,
		FunctionName: "notifier",
		HostEnv:      []string{"PATH=" + os.Getenv("PATH")},
		Env:          env,
		WorkDir:      work,
		Logs:         testWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, work
}

// slackFileText invokes the notifier with event and returns the text of the
// Slack message its slack-file channel wrote (every block's text, in order).
func slackFileText(t *testing.T, s *Session, work string, event []byte) string {
	t.Helper()
	res, err := s.Invoke(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("notifier failed: %s: %s\n%s", res.ErrorType, res.ErrorMessage, res.Logs)
	}
	var resp outcome.Response
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		t.Fatalf("response %s: %v", res.Body, err)
	}
	for _, d := range resp.Deliveries {
		if d.Channel != "slack-file" {
			continue
		}
		if d.Status != "written" || d.Location == "" {
			t.Fatalf("slack-file delivery = %+v", d)
		}
		loc := d.Location
		if !filepath.IsAbs(loc) {
			loc = filepath.Join(work, loc)
		}
		return slackText(t, loc)
	}
	t.Fatalf("no slack-file delivery in %+v\n%s", resp.Deliveries, res.Logs)
	return ""
}

// slackText reads a Block Kit message file and joins the text of its blocks.
func slackText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(b, &msg); err != nil || len(msg.Blocks) == 0 {
		t.Fatalf("%s is not a Block Kit message (%v):\n%s", path, err, b)
	}
	texts := []string{msg.Text}
	for _, blk := range msg.Blocks {
		var v any
		if err := json.Unmarshal(blk, &v); err != nil {
			t.Fatal(err)
		}
		collectTexts(v, &texts)
	}
	return strings.Join(texts, "\n")
}

// collectTexts appends every "text" string found in v, depth first.
func collectTexts(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		if s, ok := x["text"].(string); ok {
			*out = append(*out, s)
		}
		for k, c := range x {
			if k != "text" {
				collectTexts(c, out)
			}
		}
		if c, ok := x["text"].(map[string]any); ok {
			collectTexts(c, out)
		}
	case []any:
		for _, c := range x {
			collectTexts(c, out)
		}
	}
}

// sampleEvent reads events/notifier/<name>.
func sampleEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "events", "notifier", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// logAlarmEvent is the SNS log-alarm sample (sns-alarm-log-filter.json)
// turned into the alarm name (whose metric infra names after it) with
// threshold, fired at now: the shape AWS delivers, for an alarm of the config.
func logAlarmEvent(t *testing.T, name string, threshold int, now time.Time) []byte {
	t.Helper()
	var ev struct {
		Records []map[string]any `json:"Records"`
	}
	dec := json.NewDecoder(bytes.NewReader(sampleEvent(t, "sns-alarm-log-filter.json")))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil || len(ev.Records) != 1 {
		t.Fatalf("log alarm sample: %v (%d records)", err, len(ev.Records))
	}
	sns := ev.Records[0]["Sns"].(map[string]any)
	var msg map[string]any
	dec = json.NewDecoder(strings.NewReader(sns["Message"].(string)))
	dec.UseNumber()
	if err := dec.Decode(&msg); err != nil {
		t.Fatal(err)
	}
	old := msg["AlarmName"].(string)
	msg["AlarmName"] = name
	msg["AlarmArn"] = strings.TrimSuffix(msg["AlarmArn"].(string), old) + name
	msg["AlarmDescription"] = "severity: high"
	th := strconv.Itoa(threshold) + ".0"
	msg["NewStateReason"] = "Threshold Crossed: 1 datapoint [" + th + "] was greater than or equal to the threshold (" + th + ")."
	trig := msg["Trigger"].(map[string]any)
	trig["MetricName"] = name
	trig["Threshold"] = json.Number(th)
	body, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	sns["Message"] = string(body)
	sns["Subject"] = strings.Replace(sns["Subject"].(string), old, name, 1)
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, n, err := FreshenAlarmTimes(raw, now)
	if err != nil || n != 1 {
		t.Fatalf("freshen: %d alarms, %v", n, err)
	}
	return out
}

// putLines writes lines to group/stream, one a second, the last at last.
func putLines(t *testing.T, cfg aws.Config, group, stream string, lines []string, last time.Time) {
	t.Helper()
	c := cloudwatchlogs.NewFromConfig(cfg)
	if _, err := c.CreateLogGroup(t.Context(), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(t.Context(), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	events := make([]logstypes.InputLogEvent, len(lines))
	for i, l := range lines {
		at := last.Add(-time.Duration(len(lines)-1-i) * time.Second)
		events[i] = logstypes.InputLogEvent{Message: aws.String(l), Timestamp: aws.Int64(at.UnixMilli())}
	}
	if _, err := c.PutLogEvents(t.Context(), &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: events,
	}); err != nil {
		t.Fatal(err)
	}
}

// matchedLines returns the log lines of a Slack message's "matching log
// lines" section, whitespace collapsed.
func matchedLines(t *testing.T, text string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(text, "matching log line")
	if !ok {
		t.Fatalf("the message shows no matching log lines:\n%s", text)
	}
	var out []string
	for _, l := range strings.Split(rest, "\n")[1:] {
		if !strings.HasPrefix(l, "`") {
			break
		}
		out = append(out, strings.Join(strings.Fields(strings.Trim(l, "`")), " "))
	}
	return out
}

// TestSeedExamplesUnderTheEmulator: CPU alarm → notification; Lambda errors
// → notification; ERROR lines (and a burst of WARN lines) → the log alarm's
// message shows exactly the matching lines and the pattern.
func TestSeedExamplesUnderTheEmulator(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	now := time.Now().UTC()
	putLines(t, m.Config(t.Context()), DemoLogGroup, DemoLogStream, seedLogLines, now.Add(-10*time.Second))
	s, work := localNotifier(t, m)

	t.Run("cpu alarm", func(t *testing.T) {
		text := slackFileText(t, s, work, sampleEvent(t, "sns-alarm-cpu.json"))
		for _, want := range []string{"ALARM: web-cpu-high", "CPUUtilization", "&gt; 80, 2 of 2 periods", "AutoScalingGroupName=web-asg",
			"AWS::AutoScaling::AutoScalingGroup web-asg", "91.27"} {
			if !strings.Contains(text, want) {
				t.Errorf("message lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("lambda errors", func(t *testing.T) {
		text := slackFileText(t, s, work, sampleEvent(t, "sns-alarm-lambda-errors.json"))
		for _, want := range []string{"ALARM: scheduled-job-errors", "AWS/Lambda Errors (Sum, 5m)", "≥ 3", "FunctionName=nightly-report", "`nightly-report`", "[3.0 "} {
			if !strings.Contains(text, want) {
				t.Errorf("message lacks %q:\n%s", want, text)
			}
		}
	})

	for _, tc := range []struct {
		alarm, pattern, level string
		threshold             int
	}{
		{alarm: "app-error-lines", pattern: "ERROR", level: "ERROR", threshold: 1},
		{alarm: "app-warn-burst", pattern: "WARN", level: "WARN", threshold: 3},
	} {
		t.Run(tc.alarm, func(t *testing.T) {
			text := slackFileText(t, s, work, logAlarmEvent(t, tc.alarm, tc.threshold, now))
			for _, want := range []string{"ALARM: " + tc.alarm, "*Filter pattern*\n`" + tc.pattern + "`", "*Log group*\n`" + DemoLogGroup + "`"} {
				if !strings.Contains(text, want) {
					t.Errorf("message lacks %q:\n%s", want, text)
				}
			}
			got := matchedLines(t, text)
			want := linesWith(tc.level)
			if len(got) != len(want) {
				t.Fatalf("matching lines = %q; want the %d %s lines %q", got, len(want), tc.level, want)
			}
			for i, w := range want {
				if !strings.HasSuffix(got[i], w) {
					t.Errorf("line %d = %q, want it to show %q", i, got[i], w)
				}
			}
		})
	}
}

// checkDemoLogAlarm checks what the demo wrote for the log-alarm sample
// (app-warn-burst, replayed as firing when the account was seeded): its
// Slack message shows exactly the WARN lines Seed wrote to /app/web.
func checkDemoLogAlarm(t *testing.T, rep *DemoReport) {
	t.Helper()
	var want []string
	for _, l := range DemoLogLines {
		if strings.HasPrefix(l, "WARN ") {
			want = append(want, strings.Join(strings.Fields(l), " "))
		}
	}
	for _, fn := range rep.Functions {
		for _, inv := range fn.Invocations {
			if fn.Name != "notifier" || inv.Event != "sns-alarm-log-filter.json" || inv.Response == nil {
				continue
			}
			for _, d := range inv.Response.Deliveries {
				if d.Channel != "slack-file" {
					continue
				}
				loc := d.Location
				if !filepath.IsAbs(loc) {
					loc = filepath.Join(repoRoot, loc)
				}
				text := slackText(t, loc)
				if !strings.Contains(text, "*Filter pattern*\n`WARN`") {
					t.Errorf("demo log alarm message lacks its pattern:\n%s", text)
				}
				got := matchedLines(t, text)
				if len(got) != len(want) {
					t.Fatalf("demo log alarm shows %q; want the seeded WARN lines %q", got, want)
				}
				for i, w := range want {
					if !strings.HasSuffix(got[i], w) {
						t.Errorf("demo log alarm line %d = %q, want %q", i, got[i], w)
					}
				}
				return
			}
		}
	}
	t.Error("the demo wrote no Slack message for notifier/sns-alarm-log-filter.json")
}
