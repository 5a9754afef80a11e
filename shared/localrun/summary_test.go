package localrun

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// fixtureReport covers every row kind the summary renders.
func fixtureReport() *DemoReport {
	return &DemoReport{
		OutDir: "out/",
		LogDir: "build/demo/",
		Functions: []DemoFunction{
			{Name: "notifier", Invocations: []DemoInvocation{
				{Event: "sns-alarm-cpu.json", Response: &outcome.Response{
					Function: "notifier", Trigger: "sns",
					Alerts: []outcome.Alert{{ID: "a1", State: "ALARM", Severity: "high", Title: "web-1 CPU above 80% for 5 minutes"}},
					Deliveries: []outcome.Delivery{
						{AlertID: "a1", Receiver: "ops", Channel: "ops-slack", Status: "written", Location: "out/ops-slack/a1.json"},
						{AlertID: "a1", Receiver: "ops", Channel: "ops-email", Status: "written", Location: "out/ops-email/a1.eml"},
					},
				}},
				{Event: "sns-alarm-cpu-again.json", Response: &outcome.Response{Function: "notifier", Trigger: "sns", Duplicates: 1}},
				{Event: "alarm-action-composite.json", Response: &outcome.Response{
					Function: "notifier", Trigger: "alarm-action",
					Alerts: []outcome.Alert{{ID: "a2", State: "OK", Severity: "critical", Title: "checkout-composite back to OK"}},
					Deliveries: []outcome.Delivery{
						{AlertID: "a2", Receiver: "oncall", Channel: "pager", Status: "suppressed"},
						{AlertID: "a2", Receiver: "ops", Channel: "ops-webhook", Status: "failed", Error: "webhook answered 500"},
					},
				}},
				{Event: "broken.json", Error: "Runtime.ExitError: RequestId: 1 Error: Runtime exited with error: exit status 2"},
			}},
			{Name: "remediator", Invocations: []DemoInvocation{
				{Event: "ct-authorize-ssh-world.json", Response: &outcome.Response{
					Function: "remediator", Trigger: "eventbridge",
					Remediations: []outcome.Remediation{{Rule: "close-world-ssh", Action: "ec2.revoke-ingress", Resource: "sg-0abc", Mode: "enforce", Outcome: "applied", Detail: "revoked 0.0.0.0/0 tcp/22"}},
				}},
				{Event: "ct-authorize-rdp-world.json", Response: &outcome.Response{
					Function: "remediator", Trigger: "eventbridge",
					Remediations: []outcome.Remediation{
						{Rule: "close-world-rdp", Action: "ec2.revoke-ingress", Resource: "sg-0def", Mode: "dry-run", Outcome: "planned", Detail: "would revoke 0.0.0.0/0 tcp/3389"},
						{Rule: "stop-instance", Action: "ec2.stop", Resource: "i-0123", Mode: "enforce", Outcome: "skipped", Detail: "opt-out tag watchkeeper:remediate=off"},
					},
				}},
			}},
			{Name: "detector", Invocations: []DemoInvocation{
				{Event: "cwlogs-cloudtrail.json", Response: &outcome.Response{
					Function: "detector", Trigger: "logs",
					Records: &outcome.Records{Received: 5, Parsed: 4, Invalid: 1},
					Findings: []outcome.Finding{
						{Rule: "cis-3.1-unauthorized-api", Severity: "medium", Title: "Unauthorized API calls", Resource: "arn:aws:iam::123456789012:user/mallory", Published: true},
						{Rule: "attack-t1562-stop-logging", Severity: "high", Title: "CloudTrail logging stopped on a trail that records every management event across all regions of the account", Published: true},
						{Rule: "cis-3.1-unauthorized-api", Severity: "medium", Title: "Unauthorized API calls", Resource: "arn:aws:iam::123456789012:user/mallory", Deduplicated: true},
					},
				}},
				{Event: "cwlogs-control.json", Response: &outcome.Response{Function: "detector", Trigger: "logs", Skipped: "CloudWatch Logs control message"}},
			}},
			{Name: "sweeper", Note: "not built yet (no functions/sweeper)"},
			{Name: "auditor", Invocations: []DemoInvocation{
				{Event: "noop.json", Response: &outcome.Response{Function: "auditor", Trigger: "schedule"}},
			}},
		},
		SecurityGroup: &SecurityGroupCheck{Name: "legacy-ssh", ID: "sg-0abc", Port: 22, OpenBefore: true, OpenAfter: false},
		Malformed: &MalformedCheck{
			Event: "malformed/sns-truncated.json", Function: "notifier", Rejected: true,
			Message: "invalid event: not JSON (InvalidRequestContentException): unexpected end of JSON input",
		},
	}
}

func TestRenderSummaryGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := RenderSummary(&buf, fixtureReport(), Style{}); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "summary.golden.txt")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("summary differs from %s (go test -update to accept):\n%s", golden, buf.String())
	}
	if bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Error("plain summary contains colour codes")
	}
}

func TestRenderSummaryColourKeepsAlignment(t *testing.T) {
	var plain, colour bytes.Buffer
	rep := fixtureReport()
	if err := RenderSummary(&plain, rep, Style{}); err != nil {
		t.Fatal(err)
	}
	if err := RenderSummary(&colour, rep, Style{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(colour.Bytes(), []byte("\x1b[1m")) {
		t.Fatal("colour summary has no escape codes")
	}
	stripped := ansi.ReplaceAllString(colour.String(), "")
	if stripped != plain.String() {
		t.Errorf("colour summary, once stripped, differs from the plain one:\n%s\n---\n%s", stripped, plain.String())
	}
}

func TestTotals(t *testing.T) {
	got := fixtureReport().Totals()
	want := Totals{Events: 9, Failed: 1, Alerts: 2, Messages: 2, Findings: 2, Planned: 1, Applied: 1, RemediationsMore: 1, Duplicates: 1, Skipped: 1}
	if got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
}

func TestSecurityGroupStates(t *testing.T) {
	tests := []struct {
		sg   SecurityGroupCheck
		want string
	}{
		{SecurityGroupCheck{OpenBefore: true, OpenAfter: false}, "removed by the remediator"},
		{SecurityGroupCheck{OpenBefore: true, OpenAfter: true}, "still open"},
		{SecurityGroupCheck{}, "was never open"},
		{SecurityGroupCheck{OpenAfter: true}, "opened during the run"},
		{SecurityGroupCheck{Error: "throttled"}, "could not be read: throttled"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		p := &printer{w: &buf}
		tt.sg.Name, tt.sg.ID, tt.sg.Port = "legacy-ssh", "sg-1", 22
		renderSecurityGroup(p, &tt.sg, Style{})
		if !strings.Contains(buf.String(), tt.want) || !strings.Contains(buf.String(), "0.0.0.0/0 → tcp/22") {
			t.Errorf("%+v: %q lacks %q", tt.sg, buf.String(), tt.want)
		}
	}
}

func TestPluralAndClip(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{plural(0, "alert"), "0 alerts"},
		{plural(1, "alert"), "1 alert"},
		{plural(2, "delivery"), "2 deliveries"},
		{clip("a  b\nc", 10), "a b c"},
		{clip("abcdefghij", 5), "abcd…"},
		{clip("héllo wörld", 11), "héllo wörld"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Failing writers surface as the render's error.
func TestRenderSummaryWriteError(t *testing.T) {
	if err := RenderSummary(failWriter{}, fixtureReport(), Style{}); err == nil {
		t.Fatal("no error from a failing writer")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")
