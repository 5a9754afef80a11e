package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/localrun"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

const echoPkg = "./shared/localrun/testdata/echofn"

var (
	wkBin    string // the wk binary under test, built once
	rieBin   string
	repoDir  string
	setupErr error
)

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "wk-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	setupErr = setup(tmp)
	code := m.Run()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

func setup(tmp string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if repoDir, err = repo.Root("."); err != nil {
		return err
	}
	wkBin = filepath.Join(tmp, "wk")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", wkBin, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("build wk: %v\n%s", err, out)
	}
	rieBin, err = localrun.EnsureRIE(ctx, filepath.Join(repoDir, "build", "tools"))
	return err
}

type runResult struct {
	code           int
	stdout, stderr string
}

// lastLine is the last non-empty line of stdout.
func (r runResult) lastLine() string {
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	return lines[len(lines)-1]
}

// wk runs the binary in the repo root with a minimal environment plus env.
func wk(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, wkBin, args...)
	cmd.Dir = repoDir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "GOCACHE=" + goEnv(t, "GOCACHE"), "GOMODCACHE=" + goEnv(t, "GOMODCACHE"), "GOFLAGS=" + goEnv(t, "GOFLAGS")}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatalf("run wk: %v", err)
	}
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func goEnv(t *testing.T, name string) string {
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// fixture writes a file in a temp dir and returns its path.
func fixture(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// invokeEcho runs `wk invoke` on echofn with event as the event file.
func invokeEcho(t *testing.T, env []string, event string, extra ...string) runResult {
	t.Helper()
	args := []string{"invoke", "-fn", "echo", "-pkg", echoPkg,
		"-event", fixture(t, "event.json", event),
		"-config", fixture(t, "watchkeeper.test.yaml", "version: 1\n"),
		"-build-dir", t.TempDir(), "-rie", rieBin}
	return wk(t, env, append(args, extra...)...)
}

func TestInvokeSuccessPrintsCompactResponseLast(t *testing.T) {
	r := invokeEcho(t, nil, "{\n  \"hello\": \"world\",\n  \"list\": [1, 2]\n}\n")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	if got := r.lastLine(); got != `{"hello":"world","list":[1,2]}` {
		t.Errorf("last line = %s", got)
	}
	if strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("stdout should hold the response line alone:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "echofn invoked") || !strings.Contains(r.stderr, "REPORT RequestId:") {
		t.Errorf("function logs not on stderr:\n%s", r.stderr)
	}
}

func TestInvokeFunctionErrorExitsOne(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		extra    []string
		wantType string
	}{
		{name: "handler error", event: `{"fail":true}`, wantType: "errorString"},
		{name: "crash", event: `{"crash":true}`, wantType: "Runtime.ExitError"},
		{name: "timeout", event: `{"sleep":"5s"}`, extra: []string{"-timeout", "1s"}, wantType: "Sandbox.Timedout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := invokeEcho(t, nil, tt.event, tt.extra...)
			if r.code != exitFunctionError {
				t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			var doc struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			if err := json.Unmarshal([]byte(r.lastLine()), &doc); err != nil {
				t.Fatalf("last line is not JSON: %q", r.lastLine())
			}
			if doc.ErrorType != tt.wantType || doc.ErrorMessage == "" {
				t.Errorf("error doc = %+v, want type %s", doc, tt.wantType)
			}
		})
	}
}

func TestInvokeSetsFunctionEnvironment(t *testing.T) {
	names := []string{"WATCHKEEPER_CONFIG", "WATCHKEEPER_TABLE", "WATCHKEEPER_BUS", "WATCHKEEPER_FUNCTION",
		"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME", "UNRELATED"}
	q, _ := json.Marshal(map[string]any{"env": names})
	cfg := fixture(t, "local.yaml", "version: 1\n")
	r := wk(t, []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "AWS_REGION=eu-central-1", "WATCHKEEPER_BUS=my-bus", "UNRELATED=x"},
		"invoke", "-fn", "echo", "-pkg", echoPkg, "-event", fixture(t, "env.json", string(q)),
		"-config", cfg, "-build-dir", t.TempDir(), "-rie", rieBin)
	if r.code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	var got struct {
		Env map[string]*string `json:"env"`
	}
	if err := json.Unmarshal([]byte(r.lastLine()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"WATCHKEEPER_CONFIG":       cfg,
		"WATCHKEEPER_TABLE":        "watchkeeper-state",
		"WATCHKEEPER_BUS":          "my-bus",
		"WATCHKEEPER_FUNCTION":     "echo",
		"AWS_ENDPOINT_URL":         "http://127.0.0.1:4566",
		"AWS_REGION":               "eu-central-1",
		"AWS_LAMBDA_FUNCTION_NAME": "echo",
	}
	for k, w := range want {
		if v := got.Env[k]; v == nil || *v != w {
			t.Errorf("%s = %v, want %q", k, v, w)
		}
	}
	if got.Env["UNRELATED"] != nil {
		t.Errorf("UNRELATED leaked: %q", *got.Env["UNRELATED"])
	}
}

func TestHarnessFailuresExitTwo(t *testing.T) {
	cfg := fixture(t, "c.yaml", "version: 1\n")
	ok := fixture(t, "ok.json", `{}`)
	bad := fixture(t, "bad.json", `{"Records": [`)
	build := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"deploy"}, `unknown command "deploy"`},
		{"missing -fn", []string{"invoke", "-event", ok}, "-fn and -event are required"},
		{"bad flag", []string{"invoke", "-nope"}, "flag provided but not defined"},
		{"no such function", []string{"invoke", "-fn", "nope", "-event", ok, "-config", cfg}, `no function "nope"`},
		{"function name with a path", []string{"invoke", "-fn", "../shared", "-event", ok, "-config", cfg}, "not a function name"},
		{"no such event file", []string{"invoke", "-fn", "x", "-pkg", echoPkg, "-event", "/nonexistent/e.json", "-config", cfg}, "read event"},
		{"malformed event", []string{"invoke", "-fn", "x", "-pkg", echoPkg, "-event", bad, "-config", cfg, "-rie", rieBin, "-build-dir", build}, "InvalidRequestContentException"},
		{"no config", []string{"invoke", "-fn", "x", "-pkg", echoPkg, "-event", ok, "-config", "/nonexistent/c.yaml"}, "config file"},
		{"build failure", []string{"invoke", "-fn", "x", "-pkg", "./shared/cmd/wk/testdata/broken", "-event", ok, "-config", cfg, "-build-dir", build}, "go build"},
		{"emulator missing", []string{"invoke", "-fn", "x", "-pkg", echoPkg, "-event", ok, "-config", cfg, "-build-dir", build, "-rie", "/nonexistent/rie"}, "emulator binary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wk(t, nil, tt.args...)
			if r.code != exitHarness {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout should be empty on a harness failure, got:\n%s", r.stdout)
			}
		})
	}
}

func TestRIECommandPrintsPath(t *testing.T) {
	r := wk(t, nil, "rie", "-dir", filepath.Dir(rieBin))
	if r.code != exitOK || strings.TrimSpace(r.stdout) != rieBin {
		t.Fatalf("exit %d, stdout %q, want %s\nstderr:\n%s", r.code, r.stdout, rieBin, r.stderr)
	}
}

func TestWantColor(t *testing.T) {
	tests := []struct {
		mode string
		tty  bool
		env  []string
		want bool
	}{
		{"auto", true, nil, true},
		{"auto", false, nil, false},
		{"auto", true, []string{"NO_COLOR=1"}, false},
		{"auto", true, []string{"NO_COLOR="}, true},
		{"always", false, []string{"NO_COLOR=1"}, true},
		{"never", true, nil, false},
	}
	for _, tt := range tests {
		if got := wantColor(tt.mode, tt.tty, tt.env); got != tt.want {
			t.Errorf("wantColor(%s, tty=%v, %v) = %v, want %v", tt.mode, tt.tty, tt.env, got, tt.want)
		}
	}
}
