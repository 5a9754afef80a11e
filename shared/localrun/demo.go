package localrun

import (
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

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/funcenv"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
)

// DemoFunctions are the functions the demo replays, in order.
var DemoFunctions = []string{"notifier", "remediator", "detector", "sweeper"}

// DemoRegion is the region of the demo account: the one the sample events
// name (events/README.md), so that a remediation of a sample resource is in
// the remediator's region.
const DemoRegion = "eu-west-1"

// MalformedDir is the events subdirectory of samples every function must reject.
const MalformedDir = "malformed"

// OutDirEnv tells a function where the demo wants file channels to write
// (absolute); a file channel whose dir is relative may resolve it there.
const OutDirEnv = "WATCHKEEPER_OUT_DIR"

// DemoOptions configures RunDemo.
type DemoOptions struct {
	// RepoRoot is the module root. Required.
	RepoRoot string
	// ConfigFile is the local profile (WATCHKEEPER_CONFIG). Required.
	ConfigFile string
	// EventsDir holds <function>/*.json and malformed/ (default <RepoRoot>/events).
	EventsDir string
	// OutDir is where file channels write (default <RepoRoot>/out).
	OutDir string
	// Functions to replay (default DemoFunctions).
	Functions []string
	// Packages overrides the Go package of a function (default ./functions/<name>).
	Packages map[string]string
	// BuildDir holds host/<fn>/bootstrap and tools/ (default <RepoRoot>/build).
	BuildDir string
	// RIE is the emulator binary (default: EnsureRIE(<BuildDir>/tools)).
	RIE string
	// HostEnv is the caller's environment; its AWS_* variables are dropped
	// so nothing can point the functions anywhere but the local moto.
	HostEnv []string
	// Logs receives the functions' output; nil writes one file per function
	// under <BuildDir>/demo/.
	Logs io.Writer
	// Progress receives one short line per step (nil: none).
	Progress io.Writer
	// MotoLogs receives moto's request log (nil: discarded).
	MotoLogs io.Writer
	// Region of the demo account (default DemoRegion).
	Region string
}

// RunDemo starts moto, seeds the demo account, replays every sample event
// through its function under the emulator (one session per function), sends
// one malformed sample to show it is rejected, watches the seeded SSH group
// around the remediator, and stops everything (also when ctx is cancelled).
// The error is non-nil when the harness failed or any sample event failed;
// the report is returned whenever there is something to show.
func RunDemo(ctx context.Context, o DemoOptions) (*DemoReport, error) {
	if o.RepoRoot == "" || o.ConfigFile == "" {
		return nil, errors.New("demo: repo root and config file are required")
	}
	o = o.withDefaults()
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "demo: "+format+"\n", args...)
		}
	}
	cfgPath, err := filepath.Abs(o.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("demo: config path: %w", err)
	}
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, fmt.Errorf("demo: config file: %w", err)
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: out dir: %w", err)
	}
	rie := o.RIE
	if rie == "" {
		progress("preparing the Lambda Runtime Interface Emulator")
		if rie, err = EnsureRIE(ctx, filepath.Join(o.BuildDir, "tools")); err != nil {
			return nil, fmt.Errorf("demo: %w", err)
		}
	}

	progress("starting moto on loopback")
	srv, err := awstest.StartServer(ctx, o.MotoLogs)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer srv.Close()
	awsCfg, err := srv.Config(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	awsCfg.Region = o.Region
	progress("seeding the demo account (%s) at %s", o.Region, srv.URL())
	acct, err := Seed(ctx, awsCfg)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}

	report := &DemoReport{}
	malformed, malformedFn := pickMalformed(o.EventsDir, o.Functions, o.hasPackage)
	baseEnv := map[string]string{
		funcenv.Config: cfgPath,
		funcenv.Table:  acct.Table,
		funcenv.Bus:    acct.Bus,
		OutDirEnv:      o.OutDir,
	}
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		baseEnv[k] = v
	}
	baseEnv["AWS_REGION"], baseEnv["AWS_DEFAULT_REGION"] = o.Region, o.Region
	hostEnv := withoutAWS(o.HostEnv)
	ec := ec2.NewFromConfig(awsCfg)
	var failures []error

	for _, fn := range o.Functions {
		if err := ctx.Err(); err != nil {
			return report, fmt.Errorf("demo: %w", err)
		}
		df := DemoFunction{Name: fn}
		events, err := listEvents(filepath.Join(o.EventsDir, fn))
		if err != nil {
			failures = append(failures, err)
			df.Note = "cannot read its events: " + err.Error()
		}
		if !o.hasPackage(fn) {
			df.Note = "not built yet (no functions/" + fn + ")"
		} else if df.Note == "" && len(events) == 0 && malformedFn != fn {
			df.Note = "no sample events in " + displayPath(o.RepoRoot, filepath.Join(o.EventsDir, fn))
		}
		if df.Note != "" {
			report.Functions = append(report.Functions, df)
			continue
		}
		var sgBefore bool
		var sgErr error
		if fn == "remediator" {
			sgBefore, sgErr = IngressOpenToWorld(ctx, ec, acct.SSHSecurityGroupID, 22)
		}
		err = runFunctionEvents(ctx, o, fn, rie, hostEnv, baseEnv, acct, events, malformed, malformedFn, &df, report, progress)
		if err != nil {
			failures = append(failures, err)
		}
		for _, inv := range df.Invocations {
			if inv.Response == nil {
				failures = append(failures, fmt.Errorf("%s/%s: %s", fn, inv.Event, inv.Error))
			}
		}
		report.Functions = append(report.Functions, df)
		if fn == "remediator" {
			sg := &SecurityGroupCheck{Name: DemoSSHGroup, ID: acct.SSHSecurityGroupID, Port: 22, OpenBefore: sgBefore}
			var after error
			sg.OpenAfter, after = IngressOpenToWorld(ctx, ec, acct.SSHSecurityGroupID, 22)
			if err := errors.Join(sgErr, after); err != nil {
				sg.Error = err.Error()
			}
			report.SecurityGroup = sg
		}
	}
	report.OutDir = outDirShown(o.RepoRoot, o.OutDir, report)
	if err := ctx.Err(); err != nil {
		return report, fmt.Errorf("demo: %w", err)
	}
	if len(failures) > 0 {
		return report, fmt.Errorf("demo: %d problem(s): %w", len(failures), errors.Join(failures...))
	}
	return report, nil
}

func (o DemoOptions) withDefaults() DemoOptions {
	if o.EventsDir == "" {
		o.EventsDir = filepath.Join(o.RepoRoot, "events")
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.RepoRoot, "out")
	}
	if o.BuildDir == "" {
		o.BuildDir = filepath.Join(o.RepoRoot, "build")
	}
	if len(o.Functions) == 0 {
		o.Functions = DemoFunctions
	}
	if o.Region == "" {
		o.Region = DemoRegion
	}
	for _, p := range []*string{&o.EventsDir, &o.OutDir, &o.BuildDir} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	return o
}

// pkg is the Go package of function fn.
func (o DemoOptions) pkg(fn string) string {
	if p, ok := o.Packages[fn]; ok {
		return p
	}
	return "./functions/" + fn
}

// hasPackage reports whether function fn has code to build.
func (o DemoOptions) hasPackage(fn string) bool {
	if _, ok := o.Packages[fn]; ok {
		return true
	}
	gofiles, _ := filepath.Glob(filepath.Join(o.RepoRoot, "functions", fn, "*.go"))
	return len(gofiles) > 0
}

// runFunctionEvents builds fn, starts one emulator session and replays its
// events (and the malformed sample, when it is fn's) into df.
func runFunctionEvents(ctx context.Context, o DemoOptions, fn, rie string, hostEnv []string, baseEnv map[string]string,
	acct *Account, events []string, malformed, malformedFn string, df *DemoFunction, report *DemoReport,
	progress func(string, ...any)) error {
	progress("building %s", fn)
	bin, err := BuildHost(ctx, o.RepoRoot, o.pkg(fn), filepath.Join(o.BuildDir, "host", fn))
	if err != nil {
		df.Note = "build failed (see the error below)"
		return err
	}
	logs := o.Logs
	if logs == nil {
		dir := filepath.Join(o.BuildDir, "demo")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("demo logs: %w", err)
		}
		f, err := os.Create(filepath.Join(dir, fn+".log"))
		if err != nil {
			return fmt.Errorf("demo logs: %w", err)
		}
		defer f.Close()
		logs = f
		report.LogDir = displayPath(o.RepoRoot, dir) + "/"
	}
	env := map[string]string{funcenv.Function: fn}
	for k, v := range baseEnv {
		env[k] = v
	}
	s, err := Start(ctx, InvokeOptions{
		Bootstrap:    bin,
		RIE:          rie,
		FunctionName: fn,
		HostEnv:      hostEnv,
		Env:          env,
		WorkDir:      o.RepoRoot,
		Logs:         logs,
	})
	if err != nil {
		df.Note = "emulator failed to start (see the error below)"
		return err
	}
	defer s.Close()
	for _, ev := range events {
		progress("%s ← %s", fn, ev)
		df.Invocations = append(df.Invocations, replay(ctx, s, acct, filepath.Join(o.EventsDir, fn, ev), ev))
	}
	if malformedFn == fn && malformed != "" {
		progress("%s ← %s/%s (malformed)", fn, MalformedDir, malformed)
		report.Malformed = rejectMalformed(ctx, s, acct, filepath.Join(o.EventsDir, MalformedDir, malformed), fn)
		report.Malformed.Event = MalformedDir + "/" + malformed
	}
	return nil
}

// replay sends one event file and decodes the answer.
func replay(ctx context.Context, s *Session, acct *Account, path, name string) DemoInvocation {
	inv := DemoInvocation{Event: name}
	raw, err := os.ReadFile(path)
	if err != nil {
		inv.Error = err.Error()
		return inv
	}
	// A sample alarm fired when it was written; re-timed to when the account
	// was seeded, a log alarm's window covers the lines Seed wrote however
	// long the builds took since. The files stay fixed.
	fired := acct.SeededAt
	if fired.IsZero() {
		fired = time.Now()
	}
	if fresh, n, ferr := FreshenAlarmTimes(raw, fired); ferr == nil && n > 0 {
		raw = fresh
	}
	res, err := s.Invoke(ctx, acct.Substitute(raw))
	switch {
	case err != nil:
		inv.Error = err.Error()
	case res.FunctionError:
		inv.Error = res.ErrorType + ": " + res.ErrorMessage
	default:
		var resp outcome.Response
		if err := json.Unmarshal(res.Body, &resp); err != nil {
			inv.Error = fmt.Sprintf("answer is not an outcome.Response (%v): %s", err, truncate(string(res.Body), 200))
			break
		}
		inv.Response = &resp
	}
	return inv
}

// rejectMalformed sends a malformed sample and records how it was refused.
func rejectMalformed(ctx context.Context, s *Session, acct *Account, path, fn string) *MalformedCheck {
	m := &MalformedCheck{Function: fn}
	raw, err := os.ReadFile(path)
	if err != nil {
		m.Message = err.Error()
		return m
	}
	res, err := s.Invoke(ctx, acct.Substitute(raw))
	var inv *InvalidEventError
	switch {
	case errors.As(err, &inv):
		m.Rejected, m.Message = true, "Lambda refuses it before the function runs: "+inv.Error()
	case err != nil:
		m.Message = "harness error: " + err.Error()
	case res.FunctionError:
		m.Rejected, m.Message = true, res.ErrorType+": "+res.ErrorMessage
	default:
		m.Message = "answered without error: " + truncate(string(res.Body), 200)
	}
	return m
}

// pickMalformed chooses the first malformed sample (by name) and the
// function it is meant for: a file named "<function>-…" goes to that
// function if it is built, any other to the first function that is built.
func pickMalformed(eventsDir string, fns []string, built func(string) bool) (file, fn string) {
	files, err := listEvents(filepath.Join(eventsDir, MalformedDir))
	if err != nil || len(files) == 0 {
		return "", ""
	}
	file = files[0]
	for _, f := range fns {
		if built(f) && (strings.HasPrefix(file, f+"-") || strings.HasPrefix(file, f+"_") || strings.HasPrefix(file, f+".")) {
			return file, f
		}
	}
	for _, f := range fns {
		if built(f) {
			return file, f
		}
	}
	return "", ""
}

// DecodedSuffix marks the readable twin of an encoded sample (a CloudWatch
// Logs event's decoded payload): documentation, not an event to replay.
const DecodedSuffix = ".decoded.json"

// listEvents returns the event file names in dir (*.json but not
// *.decoded.json), sorted; a missing dir has none.
func listEvents(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list events in %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.EqualFold(filepath.Ext(name), ".json") || strings.HasSuffix(name, DecodedSuffix) {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// withoutAWS drops every AWS_* variable from a host environment.
func withoutAWS(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// displayPath shows p relative to root when it is inside it.
func displayPath(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return p
}

// outDirShown names where the messages went, for the summary, and rewrites
// each delivery's location relative to the repo. Functions resolve a file
// channel's relative dir against their working directory (the repo root),
// so the directory shown is the one the written files share, falling back
// to the requested out dir when nothing was written.
func outDirShown(root, outDir string, r *DemoReport) string {
	var dirs []string
	for fi := range r.Functions {
		for ii := range r.Functions[fi].Invocations {
			resp := r.Functions[fi].Invocations[ii].Response
			if resp == nil {
				continue
			}
			for di := range resp.Deliveries {
				d := &resp.Deliveries[di]
				if d.Location == "" {
					continue
				}
				loc := d.Location
				if !filepath.IsAbs(loc) {
					loc = filepath.Join(root, loc)
				}
				d.Location = displayPath(root, loc)
				dirs = append(dirs, filepath.Dir(loc))
			}
		}
	}
	if len(dirs) == 0 {
		return displayPath(root, outDir) + "/"
	}
	common := dirs[0]
	for _, d := range dirs[1:] {
		for common != d && !strings.HasPrefix(d, common+string(filepath.Separator)) {
			parent := filepath.Dir(common)
			if parent == common {
				break
			}
			common = parent
		}
	}
	return displayPath(root, common) + "/"
}
