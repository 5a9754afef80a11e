package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestInvokeEchoesEvent(t *testing.T) {
	needEmulator(t)
	opts := echoOptions(t)
	opts.Event = []byte(`{"hello":"world","n":[1,2,3]}`)
	res, err := Invoke(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError {
		t.Fatalf("unexpected function error %s: %s", res.ErrorType, res.ErrorMessage)
	}
	if !bytes.Equal(res.Body, opts.Event) {
		t.Errorf("body = %s, want %s", res.Body, opts.Event)
	}
	if res.StatusCode != 200 {
		t.Errorf("status = %d, want 200", res.StatusCode)
	}
	if !bytes.Contains(res.Logs, []byte(`"msg":"echofn invoked"`)) {
		t.Errorf("logs lack the function's own line:\n%s", res.Logs)
	}
	if !bytes.Contains(res.Logs, []byte("REPORT RequestId: "+res.RequestID)) {
		t.Errorf("logs lack the REPORT line of %s:\n%s", res.RequestID, res.Logs)
	}
}

func TestInvokeDetectsFunctionFailures(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), func() InvokeOptions {
		o := echoOptions(t)
		o.FunctionTimeout = time.Second
		return o
	}())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	tests := []struct {
		name      string
		event     string
		wantType  string
		wantMsg   string
		wantError bool
	}{
		{name: "handler error", event: `{"fail":true}`, wantError: true, wantType: "errorString", wantMsg: "echofn: failing as asked"},
		{name: "recovers after an error", event: `{"ok":1}`},
		{name: "runtime crash", event: `{"crash":true}`, wantError: true, wantType: "Runtime.ExitError", wantMsg: "exit status 3"},
		{name: "recovers after a crash", event: `{"ok":2}`},
		{name: "timeout", event: `{"sleep":"3s"}`, wantError: true, wantType: "Sandbox.Timedout", wantMsg: "Task timed out after 1.00 seconds"},
		{name: "recovers after a timeout", event: `{"ok":3}`},
		{name: "JSON that is not an object", event: `["a",1]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := s.Invoke(t.Context(), []byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			if res.FunctionError != tt.wantError {
				t.Fatalf("FunctionError = %v, want %v (body %s)", res.FunctionError, tt.wantError, res.Body)
			}
			if !tt.wantError {
				if string(res.Body) != tt.event {
					t.Errorf("body = %s, want %s", res.Body, tt.event)
				}
				return
			}
			if res.ErrorType != tt.wantType || !strings.Contains(res.ErrorMessage, tt.wantMsg) {
				t.Errorf("error = %s %q, want %s containing %q", res.ErrorType, res.ErrorMessage, tt.wantType, tt.wantMsg)
			}
		})
	}
}

func TestInvokeRejectsMalformedEvents(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), echoOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	for _, event := range []string{`{bad`, ``, `{"a":1}}`, `{"a":1} {"b":2}`, "\xff"} {
		t.Run(strconv.Quote(event), func(t *testing.T) {
			res, err := s.Invoke(t.Context(), []byte(event))
			var inv *InvalidEventError
			if !errors.As(err, &inv) {
				t.Fatalf("Invoke = %+v, %v; want *InvalidEventError", res, err)
			}
			if !strings.Contains(err.Error(), "InvalidRequestContentException") {
				t.Errorf("error %q does not say what Lambda would answer", err)
			}
		})
	}
	// The session is untouched by refused events.
	res, err := s.Invoke(t.Context(), []byte(`{"after":"malformed"}`))
	if err != nil || res.FunctionError || string(res.Body) != `{"after":"malformed"}` {
		t.Fatalf("invoke after malformed events = %+v, %v", res, err)
	}
	if bytes.Contains(res.Logs, []byte("Init Duration")) == false {
		t.Errorf("first real invocation should init the function; logs:\n%s", res.Logs)
	}
}

func TestSessionServesSequentialInvokes(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), echoOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	pid := s.PID()
	var ids []string
	for i := range 3 {
		event := []byte(`{"seq":` + strconv.Itoa(i) + `}`)
		res, err := s.Invoke(t.Context(), event)
		if err != nil {
			t.Fatalf("invoke %d: %v", i, err)
		}
		if !bytes.Equal(res.Body, event) {
			t.Errorf("invoke %d body = %s, want %s", i, res.Body, event)
		}
		// One warm environment: only the first invocation initializes.
		if inits := bytes.Contains(res.Logs, []byte("Init Duration")); inits != (i == 0) {
			t.Errorf("invoke %d: Init Duration in logs = %v, want %v", i, inits, i == 0)
		}
		ids = append(ids, res.RequestID)
	}
	if s.PID() != pid {
		t.Errorf("emulator pid changed from %d to %d", pid, s.PID())
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != 3 {
		t.Errorf("request ids not distinct: %v", ids)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), echoOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Invoke(t.Context(), []byte(`{}`)); err != nil {
		_ = s.Close()
		t.Fatal(err)
	}
	pid := s.PID()
	children := Descendants(pid)
	if len(children) == 0 {
		t.Logf("no child processes visible (non-Linux?); checking the emulator only")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range append([]int{pid}, children...) {
		if ProcessRunning(p) {
			t.Errorf("pid %d still running after Close", p)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := s.Invoke(t.Context(), []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
}

func TestContextCancelStopsEmulator(t *testing.T) {
	needEmulator(t)
	ctx, cancel := context.WithCancel(t.Context())
	s, err := Start(ctx, echoOptions(t))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Invoke(ctx, []byte(`{}`)); err != nil {
		cancel()
		t.Fatal(err)
	}
	pid, children := s.PID(), Descendants(s.PID())
	cancel()
	select {
	case <-s.exited:
	case <-time.After(2 * DefaultStopTimeout):
		t.Fatalf("emulator pid %d still running after cancel", pid)
	}
	// Close (run by the canceller) also sweeps the function process.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range children {
		if ProcessRunning(p) {
			t.Errorf("function pid %d still running after cancel", p)
		}
	}
}

// A cancelled invocation (Ctrl-C during `make invoke`) returns the cancellation and leaves nothing behind.
func TestInvokeCancelledMidway(t *testing.T) {
	needEmulator(t)
	ctx, cancel := context.WithCancel(t.Context())
	opts := echoOptions(t)
	opts.Event = []byte(`{"sleep":"4s"}`)
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := Invoke(ctx, opts)
	if err == nil {
		t.Fatal("cancelled Invoke returned no error")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	// Nothing running our echo binary may be left.
	out, _ := exec.Command("pgrep", "-f", "^"+echoBin).Output()
	if pids := strings.Fields(string(out)); len(pids) > 0 {
		t.Errorf("echo function still running: %v", pids)
	}
}

func TestEmulatorListensOnLoopbackOnly(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), echoOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	args := s.Args()
	flagValue := func(name string) string {
		i := slices.Index(args, name)
		if i < 0 || i+1 >= len(args) {
			t.Fatalf("flag %s missing from %v", name, args)
		}
		return args[i+1]
	}
	defaults := map[string]string{
		"--runtime-interface-emulator-address": "8080",
		"--runtime-api-address":                "9001",
	}
	for flagName, defPort := range defaults {
		host, port, err := net.SplitHostPort(flagValue(flagName))
		if err != nil {
			t.Fatalf("%s: %v", flagName, err)
		}
		if host != "127.0.0.1" {
			t.Errorf("%s host = %s, want 127.0.0.1", flagName, host)
		}
		if port == defPort || port == "0" {
			t.Errorf("%s port = %s: a fixed default, not a free port", flagName, port)
		}
	}
	if got := flagValue("--log-level"); got != DefaultRIELogLevel {
		t.Errorf("--log-level = %s, want %s", got, DefaultRIELogLevel)
	}
	if args[0] != rieBin || args[len(args)-1] != echoBin {
		t.Errorf("command line = %v: want the emulator first and the bootstrap last", args)
	}
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("endpoint = %s", s.Endpoint())
	}
}

func TestFunctionSeesOnlyAllowedEnvironment(t *testing.T) {
	needEmulator(t)
	opts := echoOptions(t)
	opts.HostEnv = []string{
		"PATH=/usr/bin:/bin",
		"HOME=/home/dev",
		"SECRET_TOKEN=do-not-leak",
		"AWS_PROFILE=prod",
		"AWS_ENDPOINT_URL=http://127.0.0.1:4566",
		"AWS_ENDPOINT_URL_SNS=http://127.0.0.1:4567",
		"AWS_REGION=eu-west-1",
		"WATCHKEEPER_TABLE=host-table",
		"WATCHKEEPER_BUS=host-bus",
	}
	opts.Env = map[string]string{"WATCHKEEPER_BUS": "extra-bus", "WATCHKEEPER_CONFIG": "/abs/watchkeeper.local.yaml"}
	opts.FunctionName = "notifier"
	opts.MemoryMB = 512
	opts.FunctionTimeout = 1500 * time.Millisecond
	names := []string{
		"PATH", "HOME", "SECRET_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SNS",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
		"WATCHKEEPER_TABLE", "WATCHKEEPER_BUS", "WATCHKEEPER_CONFIG",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_TIMEOUT", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"LAMBDA_TASK_ROOT", "AWS_LAMBDA_RUNTIME_API",
	}
	q, _ := json.Marshal(map[string]any{"env": names})
	opts.Event = q
	res, err := Invoke(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Env map[string]*string `json:"env"`
	}
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatalf("decode %s: %v", res.Body, err)
	}
	want := map[string]string{
		"PATH":                            "/usr/bin:/bin",
		"HOME":                            "/home/dev",
		"AWS_ENDPOINT_URL":                "http://127.0.0.1:4566",
		"AWS_ENDPOINT_URL_SNS":            "http://127.0.0.1:4567",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_ACCESS_KEY_ID":               DummyCredential,
		"AWS_SECRET_ACCESS_KEY":           DummyCredential,
		"WATCHKEEPER_TABLE":               "host-table",
		"WATCHKEEPER_BUS":                 "extra-bus",
		"WATCHKEEPER_CONFIG":              "/abs/watchkeeper.local.yaml",
		"AWS_LAMBDA_FUNCTION_NAME":        "notifier",
		"AWS_LAMBDA_FUNCTION_TIMEOUT":     "2",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echoBin),
	}
	for k, w := range want {
		if v := got.Env[k]; v == nil || *v != w {
			t.Errorf("%s = %v, want %q", k, deref(v), w)
		}
	}
	for _, k := range []string{"SECRET_TOKEN", "AWS_PROFILE"} {
		if v := got.Env[k]; v != nil {
			t.Errorf("%s leaked into the function: %q", k, *v)
		}
	}
	if v := got.Env["AWS_LAMBDA_RUNTIME_API"]; v == nil || !strings.HasPrefix(*v, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %v, want a 127.0.0.1 address", deref(v))
	}
}

func deref(p *string) string {
	if p == nil {
		return "<unset>"
	}
	return strconv.Quote(*p)
}

// The request limit is Lambda's: exactly MaxRequestBytes goes through (and
// comes back, under the response limit), one byte more is refused.
func TestEventSizeLimit(t *testing.T) {
	needEmulator(t)
	s, err := Start(t.Context(), echoOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	atLimit := jsonStringOfSize(MaxRequestBytes)
	res, err := s.Invoke(t.Context(), atLimit)
	if err != nil {
		t.Fatalf("event at the limit: %v", err)
	}
	if res.FunctionError || len(res.Body) != MaxRequestBytes {
		t.Fatalf("event at the limit: function error %v, body %d bytes", res.FunctionError, len(res.Body))
	}
	_, err = s.Invoke(t.Context(), jsonStringOfSize(MaxRequestBytes+1))
	var inv *InvalidEventError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "RequestTooLargeException") {
		t.Fatalf("event over the limit: err = %v, want RequestTooLargeException", err)
	}
}

// jsonStringOfSize returns a JSON string literal of exactly n bytes.
func jsonStringOfSize(n int) []byte {
	b := bytes.Repeat([]byte("a"), n)
	b[0], b[n-1] = '"', '"'
	return b
}

func TestStartValidatesOptions(t *testing.T) {
	needEmulator(t)
	notExec := filepath.Join(t.TempDir(), "plain")
	if err := writeFile(notExec, "x", 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts InvokeOptions
		want string
	}{
		{name: "no bootstrap", opts: InvokeOptions{RIE: rieBin}, want: "no bootstrap"},
		{name: "no emulator", opts: InvokeOptions{Bootstrap: echoBin}, want: "no emulator"},
		{name: "missing bootstrap", opts: InvokeOptions{Bootstrap: "/nonexistent/bootstrap", RIE: rieBin}, want: "bootstrap binary"},
		{name: "bootstrap not executable", opts: InvokeOptions{Bootstrap: notExec, RIE: rieBin}, want: "not an executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Start(t.Context(), tt.opts)
			if err == nil {
				_ = s.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

// An emulator that dies at start is reported with its output, not waited on.
func TestStartReportsEmulatorThatExits(t *testing.T) {
	needEmulator(t)
	fake := filepath.Join(t.TempDir(), "fake-rie")
	if err := writeFile(fake, "#!/bin/sh\necho 'fake emulator: refusing to start' >&2\nexit 7\n", 0o755); err != nil {
		t.Fatal(err)
	}
	opts := echoOptions(t)
	opts.RIE = fake
	_, err := Start(t.Context(), opts)
	if err == nil || !strings.Contains(err.Error(), "refusing to start") {
		t.Fatalf("err = %v, want the emulator's own message", err)
	}
}
