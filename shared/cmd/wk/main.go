// Command wk is the Watchkeeper developer CLI:
//
//	wk invoke -fn <name> -event <file> [-config <file>]   run one function on one event under the Lambda emulator
//	wk demo [-config <file>] [-events <dir>]             replay every sample event against a local moto account
//	wk rie [-dir <dir>]                                    build the pinned emulator, print its path
//	wk redrive -fn <name> [-stack <name>] [-limit N]       replay a deployed function's on-failure queue
//	wk test-pattern -pattern <p> [-file <log>]             print the lines a filter pattern matches
//	wk silence add|list|expire …                           manage the dynamic silences of a deployed stack
//	wk audit [-since 24h] [-kind <kind>] [-json]            list a deployed stack's audit records
//
// The logic lives in shared/localrun; this file parses flags and maps results
// to exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/localrun"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// Exit codes of wk invoke (and the other commands).
const (
	exitOK            = 0
	exitFunctionError = 1
	exitHarness       = 2
)

// defaultConfig is the local profile, relative to the repo root.
const defaultConfig = "watchkeeper.local.yaml"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr, isTerminal(os.Stdout))
	stop()
	os.Exit(code)
}

const usage = `usage:
  wk invoke -fn <name> -event <file> [-config <file>]   run one function on one event (exit 1: function error, 2: harness error)
  wk demo [-config <file>] [-events <dir>]             replay the sample events against a local moto account
  wk rie [-dir <dir>]                                    build the pinned Lambda Runtime Interface Emulator
  wk redrive -fn <name> [-stack <name>] [-limit N]       replay a deployed function's on-failure queue (your AWS credentials)
  wk test-pattern -pattern <p> [-file <log>]             print the lines of a log file a filter pattern matches
  wk silence add|list|expire …                           add, list and expire silences in a deployed stack's table
  wk member-role -home-account <id> [-config <file>]     print the CloudFormation template of the cross-account member role
  wk audit [-since 24h] [-kind <kind>] [-json]            list a deployed stack's audit records (notifications, findings, remediations)
Run "wk <command> -h" for a command's flags.
`

// run is main without the process: testable, and the only place exit codes are decided.
func run(ctx context.Context, args, env []string, stdout, stderr io.Writer, tty bool) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitHarness
	}
	switch args[0] {
	case "invoke":
		return runInvoke(ctx, args[1:], env, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], env, stdout, stderr, tty)
	case "rie":
		return runRIE(ctx, args[1:], stdout, stderr)
	case "redrive":
		return runRedrive(ctx, args[1:], stdout, stderr)
	case "silence":
		return runSilence(ctx, args[1:], env, stdout, stderr)
	case "test-pattern":
		return runTestPattern(args[1:], os.Stdin, stdout, stderr)
	case "member-role":
		return runMemberRole(args[1:], stdout, stderr)
	case "audit":
		return runAudit(ctx, args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "wk: unknown command %q\n%s", args[0], usage)
		return exitHarness
	}
}

// repoRoot is the module root above the working directory.
func repoRoot(stderr io.Writer) (string, bool) {
	root, err := repo.Root(".")
	if err != nil {
		fmt.Fprintf(stderr, "wk: %v (run it inside the repository)\n", err)
		return "", false
	}
	return root, true
}

// resolve makes p absolute against the working directory, or root when p is
// the default and the working directory is elsewhere in the repo.
func resolve(root, p, def string) string {
	if p == def && !filepath.IsAbs(p) {
		if _, err := os.Stat(p); err != nil {
			return filepath.Join(root, p)
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

func runInvoke(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk invoke", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fn := fs.String("fn", "", "function to run: a directory under functions/ (required)")
	event := fs.String("event", "", "event JSON file to post (required)")
	cfg := fs.String("config", defaultConfig, "config file, passed to the function as WATCHKEEPER_CONFIG")
	pkg := fs.String("pkg", "", "Go package to build instead of ./functions/<fn>")
	buildDir := fs.String("build-dir", "", "where host builds and tools go (default <repo>/build)")
	rie := fs.String("rie", "", "emulator binary to use (default: build it into <build-dir>/tools)")
	timeout := fs.Duration("timeout", localrun.DefaultFunctionTimeout, "function timeout the emulator enforces")
	memory := fs.Int("memory", localrun.DefaultMemoryMB, "function memory size (MB) reported to the function")
	logLevel := fs.String("log-level", localrun.DefaultRIELogLevel, "emulator log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if *fn == "" || *event == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wk invoke: -fn and -event are required, and nothing else")
		fs.Usage()
		return exitHarness
	}
	root, ok := repoRoot(stderr)
	if !ok {
		return exitHarness
	}
	if !hasEnv(env, "AWS_ENDPOINT_URL") {
		fmt.Fprintln(stderr, "wk: note: AWS_ENDPOINT_URL is not set, so the function's AWS calls go to real AWS endpoints"+
			" (with dummy credentials unless yours are in the environment); point it at moto to stay local")
	}
	res, err := localrun.RunFunction(ctx, localrun.FunctionRun{
		RepoRoot:        root,
		Function:        *fn,
		Package:         *pkg,
		EventFile:       *event,
		ConfigFile:      resolve(root, *cfg, defaultConfig),
		BuildDir:        *buildDir,
		RIE:             *rie,
		HostEnv:         env,
		Logs:            stderr,
		FunctionTimeout: *timeout,
		MemoryMB:        *memory,
		LogLevel:        *logLevel,
	})
	if err != nil {
		fmt.Fprintf(stderr, "wk: %v\n", err)
		return exitHarness
	}
	fmt.Fprintf(stdout, "%s\n", localrun.ResponseLine(res))
	if res.FunctionError {
		fmt.Fprintf(stderr, "wk: %s failed: %s: %s\n", *fn, res.ErrorType, res.ErrorMessage)
		return exitFunctionError
	}
	return exitOK
}

func runDemo(ctx context.Context, args, env []string, stdout, stderr io.Writer, tty bool) int {
	fs := flag.NewFlagSet("wk demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", defaultConfig, "local profile, passed to every function as WATCHKEEPER_CONFIG")
	events := fs.String("events", "events", "sample events directory (<function>/*.json, malformed/)")
	verbose := fs.Bool("v", false, "stream the functions' and moto's logs to stderr instead of build/demo/*.log")
	color := fs.String("color", "auto", "colour the summary: auto (when stdout is a terminal and NO_COLOR is unset), always, never")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "wk demo: unexpected arguments %v\n", fs.Args())
		return exitHarness
	}
	root, ok := repoRoot(stderr)
	if !ok {
		return exitHarness
	}
	opts := localrun.DemoOptions{
		RepoRoot:   root,
		ConfigFile: resolve(root, *cfg, defaultConfig),
		EventsDir:  resolve(root, *events, "events"),
		// File channels write where the config's `dir` says, relative to the repo root.
		OutDir:   filepath.Join(root, "out"),
		HostEnv:  env,
		Progress: stderr,
	}
	if *verbose {
		opts.Logs, opts.MotoLogs = stderr, stderr
	}
	start := time.Now()
	report, err := localrun.RunDemo(ctx, opts)
	if report != nil {
		style := localrun.Style{Color: wantColor(*color, tty, env)}
		fmt.Fprintln(stdout)
		if rerr := localrun.RenderSummary(stdout, report, style); rerr != nil {
			fmt.Fprintf(stderr, "wk: write summary: %v\n", rerr)
			return exitHarness
		}
		fmt.Fprintf(stderr, "demo: done in %s\n", time.Since(start).Round(100*time.Millisecond))
	}
	if err != nil {
		fmt.Fprintf(stderr, "wk: %v\n", err)
		if report != nil && !errors.Is(err, context.Canceled) {
			return exitFunctionError
		}
		return exitHarness
	}
	return exitOK
}

func runRIE(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk rie", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory to build it into (default <repo>/build/tools)")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if *dir == "" {
		root, ok := repoRoot(stderr)
		if !ok {
			return exitHarness
		}
		*dir = filepath.Join(root, "build", "tools")
	}
	path, err := localrun.EnsureRIE(ctx, *dir)
	if err != nil {
		fmt.Fprintf(stderr, "wk: %v\n", err)
		return exitHarness
	}
	fmt.Fprintln(stdout, path)
	return exitOK
}

// hasEnv reports whether env sets name to a non-empty value.
func hasEnv(env []string, name string) bool {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name && v != "" {
			return true
		}
	}
	return false
}

// wantColor decides the summary's colour from the -color flag.
func wantColor(mode string, tty bool, env []string) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if hasEnv(env, "NO_COLOR") {
		return false
	}
	return tty
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
