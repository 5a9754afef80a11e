package localrun

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

const demoFn = "./shared/localrun/testdata/demofn"

// demoOptions replays testdata/demo/events through demofn standing in for
// the notifier and the remediator.
func demoOptions(t *testing.T, events string) DemoOptions {
	t.Helper()
	abs, err := filepath.Abs(events)
	if err != nil {
		t.Fatal(err)
	}
	return DemoOptions{
		RepoRoot:   repoRoot,
		ConfigFile: "testdata/demo/watchkeeper.test.yaml",
		EventsDir:  abs,
		OutDir:     t.TempDir(),
		Functions:  []string{"notifier", "remediator", "no-such-function"},
		Packages:   map[string]string{"notifier": demoFn, "remediator": demoFn},
		BuildDir:   t.TempDir(),
		RIE:        rieBin,
		// The host's endpoint must not reach the functions: they talk to the demo's moto.
		HostEnv: []string{"PATH=" + os.Getenv("PATH"), "AWS_ENDPOINT_URL=http://127.0.0.1:1", "AWS_PROFILE=prod"},
		Logs:    testWriter{t},
	}
}

// needMoto skips (or, on CI, fails) a test that runs RunDemo without moto_server.
func needMoto(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, awstest.ErrNotInstalled) {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

func TestRunDemoEndToEnd(t *testing.T) {
	needEmulator(t)
	o := demoOptions(t, "testdata/demo/events")
	rep, err := RunDemo(t.Context(), o)
	needMoto(t, err)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Functions) != 3 {
		t.Fatalf("functions = %d, want 3", len(rep.Functions))
	}
	notifier, remediator, missing := rep.Functions[0], rep.Functions[1], rep.Functions[2]

	if len(notifier.Invocations) != 2 || notifier.Invocations[0].Event != "a-cpu-alarm.json" || notifier.Invocations[1].Event != "b-control.json" {
		t.Fatalf("notifier invocations = %+v, want the two .json samples in order", notifier.Invocations)
	}
	cpu := notifier.Invocations[0].Response
	if cpu == nil || len(cpu.Deliveries) != 1 || cpu.Function != "notifier" {
		t.Fatalf("cpu alarm response = %+v (error %q)", cpu, notifier.Invocations[0].Error)
	}
	written := cpu.Deliveries[0].Location
	if written != filepath.Join(o.OutDir, "ops-cpu.json") {
		t.Errorf("delivery written to %s, want it in the out dir %s", written, o.OutDir)
	}
	if _, err := os.Stat(written); err != nil {
		t.Errorf("message file: %v", err)
	}

	if len(remediator.Invocations) != 2 {
		t.Fatalf("remediator invocations = %+v", remediator.Invocations)
	}
	rem := remediator.Invocations[0].Response
	if rem == nil || len(rem.Remediations) != 1 || !strings.HasPrefix(rem.Remediations[0].Resource, "sg-") {
		t.Fatalf("remediation = %+v (error %q): want the seeded group id substituted", rem, remediator.Invocations[0].Error)
	}
	sg := rep.SecurityGroup
	if sg == nil || sg.Error != "" || !sg.OpenBefore || sg.OpenAfter || sg.ID != rem.Remediations[0].Resource {
		t.Errorf("security group check = %+v, want open before and closed after on %s", sg, rem.Remediations[0].Resource)
	}

	if missing.Note == "" || len(missing.Invocations) != 0 {
		t.Errorf("function without code = %+v, want a note and no invocations", missing)
	}

	m := rep.Malformed
	if m == nil || m.Event != "malformed/notifier-truncated.json" || m.Function != "notifier" || !m.Rejected ||
		!strings.Contains(m.Message, "InvalidRequestContentException") {
		t.Errorf("malformed check = %+v", m)
	}

	tot := rep.Totals()
	if tot.Events != 4 || tot.Alerts != 1 || tot.Messages != 1 || tot.Planned != 1 || tot.Applied != 1 || tot.Skipped != 1 || tot.Failed != 0 {
		t.Errorf("totals = %+v", tot)
	}
	var buf bytes.Buffer
	if err := RenderSummary(&buf, rep, Style{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 alert routed, 1 message rendered in", "1 remediation planned, 1 applied", "tcp/22 removed by the remediator", "rejected"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestRunDemoReportsFailedEvents(t *testing.T) {
	needEmulator(t)
	events := t.TempDir()
	if err := os.MkdirAll(filepath.Join(events, "notifier"), 0o755); err != nil {
		t.Fatal(err)
	}
	samples := map[string]string{
		"ok.json":   `{"response":{"trigger":"sns","skipped":"nothing to do"}}`,
		"fail.json": `{"fail":"cannot parse the SNS message"}`,
	}
	for name, body := range samples {
		if err := os.WriteFile(filepath.Join(events, "notifier", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	o := demoOptions(t, events)
	o.Functions = []string{"notifier"}
	rep, err := RunDemo(t.Context(), o)
	needMoto(t, err)
	if err == nil || !strings.Contains(err.Error(), "notifier/fail.json") {
		t.Fatalf("err = %v, want the failed event named", err)
	}
	if rep == nil || len(rep.Functions) != 1 || len(rep.Functions[0].Invocations) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	failed := rep.Functions[0].Invocations[0] // fail.json sorts first
	if failed.Response != nil || !strings.Contains(failed.Error, "cannot parse the SNS message") {
		t.Errorf("failed invocation = %+v", failed)
	}
	if rep.Malformed != nil || rep.SecurityGroup != nil {
		t.Errorf("no malformed samples and no remediator, yet %+v %+v", rep.Malformed, rep.SecurityGroup)
	}
}

func TestRunDemoNeedsConfig(t *testing.T) {
	o := DemoOptions{RepoRoot: t.TempDir(), ConfigFile: filepath.Join(t.TempDir(), "missing.yaml")}
	if _, err := RunDemo(t.Context(), o); err == nil || !strings.Contains(err.Error(), "config file") {
		t.Fatalf("err = %v, want a config file error", err)
	}
}

func TestPickMalformed(t *testing.T) {
	dir := t.TempDir()
	mal := filepath.Join(dir, MalformedDir)
	if err := os.MkdirAll(mal, 0o755); err != nil {
		t.Fatal(err)
	}
	fns := []string{"notifier", "remediator", "detector"}
	built := func(f string) bool { return f != "notifier" }
	if f, fn := pickMalformed(dir, fns, built); f != "" || fn != "" {
		t.Errorf("empty dir: got %q %q", f, fn)
	}
	tests := []struct {
		files  []string
		wantF  string
		wantFn string
	}{
		{[]string{"detector-bad-gzip.json"}, "detector-bad-gzip.json", "detector"},
		{[]string{"garbage.json"}, "garbage.json", "remediator"},
		{[]string{"notifier-x.json"}, "notifier-x.json", "remediator"}, // notifier not built: first built takes it
	}
	for _, tt := range tests {
		for _, e := range must(os.ReadDir(mal)) {
			_ = os.Remove(filepath.Join(mal, e.Name()))
		}
		for _, f := range tt.files {
			if err := os.WriteFile(filepath.Join(mal, f), []byte("{"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if f, fn := pickMalformed(dir, fns, built); f != tt.wantF || fn != tt.wantFn {
			t.Errorf("%v: got %q → %q, want %q → %q", tt.files, f, fn, tt.wantF, tt.wantFn)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestOutDirShown(t *testing.T) {
	root := "/repo"
	report := func(locs ...string) *DemoReport {
		var ds []outcome.Delivery
		for _, l := range locs {
			ds = append(ds, outcome.Delivery{Channel: "c", Status: "written", Location: l})
		}
		return &DemoReport{Functions: []DemoFunction{{Name: "notifier", Invocations: []DemoInvocation{
			{Event: "e.json", Response: &outcome.Response{Deliveries: ds}},
			{Event: "f.json", Error: "boom"},
		}}}}
	}
	tests := []struct {
		name    string
		r       *DemoReport
		want    string
		wantLoc string
	}{
		{"nothing written", report(), "out/", ""},
		{"relative locations", report("out/slack-file/1.json", "out/email-file/1.eml"), "out/", "out/slack-file/1.json"},
		{"absolute inside the repo", report("/repo/out/x/1.json", "/repo/out/x/2.json"), "out/x/", "out/x/1.json"},
		{"outside the repo", report("/tmp/demo/out/a/1.json", "/tmp/demo/out/b/1.json"), "/tmp/demo/out/", "/tmp/demo/out/a/1.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := outDirShown(root, "/repo/out", tt.r); got != tt.want {
				t.Errorf("out dir = %q, want %q", got, tt.want)
			}
			if ds := tt.r.Functions[0].Invocations[0].Response.Deliveries; len(ds) > 0 && ds[0].Location != tt.wantLoc {
				t.Errorf("location = %q, want %q", ds[0].Location, tt.wantLoc)
			}
		})
	}
}

func TestListEventsSkipsDecodedTwinsAndOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.json", "a.JSON", "logs.json", "logs.decoded.json", "README.md", "not-json.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := listEvents(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.JSON", "b.json", "logs.json"}; !slices.Equal(got, want) {
		t.Errorf("listEvents = %v, want %v", got, want)
	}
	if got, err := listEvents(filepath.Join(dir, "missing")); err != nil || got != nil {
		t.Errorf("missing dir: %v, %v", got, err)
	}
}
