package localrun

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealFunctionsOnEverySample builds the four real functions, runs each
// under the Runtime Interface Emulator against a seeded moto account with the
// local profile, and replays every sample event in events/ — what `make demo`
// does, checked: every sample gets a real response, the remediator really
// closes the seeded open port, messages are rendered to files, and a
// malformed sample is rejected.
func TestRealFunctionsOnEverySample(t *testing.T) {
	needEmulator(t)
	var profile []byte
	// The config wants file channel dirs inside the working directory (the
	// repo root); build/ is ignored by git.
	if err := os.MkdirAll(filepath.Join(repoRoot, "build"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := os.MkdirTemp(filepath.Join(repoRoot, "build"), "e2e-out-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	rel, err := filepath.Rel(repoRoot, out)
	if err != nil {
		t.Fatal(err)
	}
	profile, err = os.ReadFile(filepath.Join(repoRoot, "watchkeeper.local.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(profile), "dir: out\n") {
		t.Fatal("the local profile's file channels no longer write to out/: update this test")
	}
	cfg := filepath.Join(t.TempDir(), "watchkeeper.local.yaml")
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(string(profile), "dir: out\n", "dir: "+rel+"\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := RunDemo(t.Context(), DemoOptions{
		RepoRoot:   repoRoot,
		ConfigFile: cfg,
		OutDir:     out,
		BuildDir:   t.TempDir(),
		RIE:        rieBin,
		HostEnv:    []string{"PATH=" + os.Getenv("PATH")},
		Logs:       testWriter{t},
	})
	needMoto(t, err)
	if err != nil {
		t.Fatal(err)
	}

	for _, fn := range rep.Functions {
		samples, _ := filepath.Glob(filepath.Join(repoRoot, "events", fn.Name, "*.json"))
		want := 0
		for _, s := range samples {
			if !strings.HasSuffix(s, ".decoded.json") {
				want++
			}
		}
		if want == 0 || len(fn.Invocations) != want {
			t.Errorf("%s: %d invocations, want one per sample (%d)", fn.Name, len(fn.Invocations), want)
		}
		for _, inv := range fn.Invocations {
			if inv.Response == nil {
				t.Errorf("%s ← %s failed: %s", fn.Name, inv.Event, inv.Error)
				continue
			}
			if inv.Response.Function != fn.Name || inv.Response.Trigger == "" {
				t.Errorf("%s ← %s: response %+v", fn.Name, inv.Event, inv.Response)
			}
		}
	}
	tot := rep.Totals()
	if tot.Failed != 0 || tot.Alerts == 0 || tot.Messages == 0 || tot.Findings == 0 || tot.Applied == 0 || tot.Planned == 0 {
		t.Errorf("totals = %+v; want no failure and alerts, messages, findings, applied and planned remediations", tot)
	}
	if sg := rep.SecurityGroup; sg == nil || !sg.OpenBefore || sg.OpenAfter {
		t.Errorf("seeded security group = %+v; want its world rule removed by the remediator", sg)
	}
	if m := rep.Malformed; m == nil || !m.Rejected || m.Function != "detector" {
		t.Errorf("malformed sample = %+v; want the detector to reject it", m)
	}
	checkDemoLogAlarm(t, rep)

	// What the file channels wrote is what Slack, Teams and email would get.
	slack, _ := filepath.Glob(filepath.Join(out, "slack-file", "*.json"))
	eml, _ := filepath.Glob(filepath.Join(out, "email-file", "*.eml"))
	if len(slack) == 0 || len(eml) == 0 {
		t.Fatalf("rendered files: %d slack, %d email", len(slack), len(eml))
	}
	var msg struct {
		Blocks []json.RawMessage `json:"blocks"`
	}
	b, err := os.ReadFile(slack[0])
	if err != nil || json.Unmarshal(b, &msg) != nil || len(msg.Blocks) == 0 {
		t.Errorf("%s is not a Block Kit message: %v\n%s", slack[0], err, b)
	}
	b, err = os.ReadFile(eml[0])
	if err != nil || !strings.Contains(string(b), "multipart/alternative") {
		t.Errorf("%s is not a multipart email: %v", eml[0], err)
	}
}
