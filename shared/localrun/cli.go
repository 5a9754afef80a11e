package localrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// Local defaults of the suite's own resources: the names Seed creates, so a
// function run by `make invoke` against the demo account finds them.
const (
	DefaultTable = DemoTable
	DefaultBus   = DemoBus
)

// FunctionRun is one `make invoke`: a function of the repo, one event file.
type FunctionRun struct {
	// RepoRoot is the module root (holding go.mod and functions/). Required.
	RepoRoot string
	// Function is the function's name: a directory under functions/. Required.
	Function string
	// Package overrides the Go package built (default ./functions/<Function>).
	Package string
	// EventFile is the JSON event to post. Required.
	EventFile string
	// ConfigFile is passed as WATCHKEEPER_CONFIG, made absolute. Required.
	ConfigFile string
	// BuildDir holds host/<fn>/bootstrap and tools/ (default <RepoRoot>/build).
	BuildDir string
	// RIE is the emulator binary (default: EnsureRIE(<BuildDir>/tools)).
	RIE string
	// HostEnv is the caller's environment, filtered as InvokeOptions.HostEnv says.
	HostEnv []string
	// Logs receives the function's and the emulator's output.
	Logs io.Writer
	// FunctionTimeout and MemoryMB configure the emulated function (defaults 60 s, 256 MB).
	FunctionTimeout time.Duration
	MemoryMB        int
	// LogLevel is the emulator's log level (default "error").
	LogLevel string
}

// RunFunction builds the function for the host, makes sure the emulator is
// there, and invokes the function once with the event file. An error means
// the harness failed (no such function or file, an event Lambda would
// refuse, a build or emulator failure); a function failure is a Result with
// FunctionError set.
func RunFunction(ctx context.Context, r FunctionRun) (*Result, error) {
	if r.RepoRoot == "" || r.Function == "" || r.EventFile == "" || r.ConfigFile == "" {
		return nil, errors.New("invoke: repo root, function, event file and config file are all required")
	}
	pkg := r.Package
	if pkg == "" {
		if err := checkFunctionDir(r.RepoRoot, r.Function); err != nil {
			return nil, err
		}
		pkg = "./functions/" + r.Function
	}
	event, err := os.ReadFile(r.EventFile)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: read event: %w", r.Function, err)
	}
	if err := checkEvent(event); err != nil {
		return nil, fmt.Errorf("invoke %s: event file %s: %w", r.Function, r.EventFile, err)
	}
	cfgPath, err := filepath.Abs(r.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: config path: %w", r.Function, err)
	}
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, fmt.Errorf("invoke %s: config file: %w", r.Function, err)
	}
	buildDir := r.BuildDir
	if buildDir == "" {
		buildDir = filepath.Join(r.RepoRoot, "build")
	}
	bin, err := BuildHost(ctx, r.RepoRoot, pkg, filepath.Join(buildDir, "host", r.Function))
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", r.Function, err)
	}
	rie := r.RIE
	if rie == "" {
		if rie, err = EnsureRIE(ctx, filepath.Join(buildDir, "tools")); err != nil {
			return nil, fmt.Errorf("invoke %s: %w", r.Function, err)
		}
	}
	env := map[string]string{funcenv.Config: cfgPath}
	// The demo table and bus exist only in a local emulator: without one, the
	// function runs without them (no dedup, nothing published) rather than
	// failing on resources that are not there.
	if hostHas(r.HostEnv, "AWS_ENDPOINT_URL") {
		setUnlessHost(env, r.HostEnv, funcenv.Table, DefaultTable)
		setUnlessHost(env, r.HostEnv, funcenv.Bus, DefaultBus)
	}
	setUnlessHost(env, r.HostEnv, funcenv.Function, r.Function)
	return Invoke(ctx, InvokeOptions{
		Bootstrap:       bin,
		RIE:             rie,
		Event:           event,
		FunctionName:    r.Function,
		FunctionTimeout: r.FunctionTimeout,
		MemoryMB:        r.MemoryMB,
		HostEnv:         r.HostEnv,
		Env:             env,
		WorkDir:         r.RepoRoot,
		Logs:            r.Logs,
		LogLevel:        r.LogLevel,
	})
}

// setUnlessHost sets env[key] = value unless the host environment sets key.
func setUnlessHost(env map[string]string, host []string, key, value string) {
	if !hostHas(host, key) {
		env[key] = value
	}
}

// hostHas reports whether the host environment sets key to a non-empty value.
func hostHas(host []string, key string) bool {
	for _, kv := range host {
		if k, v, _ := strings.Cut(kv, "="); k == key && v != "" {
			return true
		}
	}
	return false
}

// checkFunctionDir fails, listing the valid names, when functions/<name> is not there.
func checkFunctionDir(root, name string) error {
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("invoke: %q is not a function name", name)
	}
	if fi, err := os.Stat(filepath.Join(root, "functions", name)); err == nil && fi.IsDir() {
		return nil
	}
	have := Functions(root)
	if len(have) == 0 {
		return fmt.Errorf("invoke: no function %q: %s has no functions yet", name, filepath.Join(root, "functions"))
	}
	return fmt.Errorf("invoke: no function %q (have: %s)", name, strings.Join(have, ", "))
}

// Functions lists the function directories under <root>/functions.
func Functions(root string) []string {
	entries, err := os.ReadDir(filepath.Join(root, "functions"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// ResponseLine is the one line `wk invoke` prints last: the response JSON,
// compacted; a body that is not JSON (the emulator's timeout text) becomes
// an error document so the line is always JSON.
func ResponseLine(res *Result) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, res.Body); err == nil && buf.Len() > 0 {
		return buf.Bytes()
	}
	doc := map[string]string{"errorType": res.ErrorType, "errorMessage": res.ErrorMessage}
	if !res.FunctionError {
		doc = map[string]string{"errorType": "Harness.InvalidResponse", "errorMessage": "function returned non-JSON: " + truncate(string(res.Body), 512)}
	}
	b, _ := json.Marshal(doc) // a map of strings always marshals
	return b
}
