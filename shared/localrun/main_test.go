package localrun

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/awstest"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Built once for the package: the echo function and the emulator.
var (
	repoRoot string
	echoBin  string
	rieBin   string
	setupErr error
)

// moto is this package's one moto server, started by the first test that needs it.
var moto awstest.Shared

func TestMain(m *testing.M) {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "localrun-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	setupErr = setup(tmp)
	code := m.Run()
	_ = moto.Close()
	_ = os.RemoveAll(tmp)
	os.Exit(code)
}

func setup(tmp string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var err error
	if repoRoot, err = repo.Root("."); err != nil {
		return err
	}
	if echoBin, err = BuildHost(ctx, repoRoot, "./shared/localrun/testdata/echofn", filepath.Join(tmp, "echo")); err != nil {
		return err
	}
	// The same place `make` keeps it, so it is built once per checkout.
	rieBin, err = EnsureRIE(ctx, filepath.Join(repoRoot, "build", "tools"))
	return err
}

// needEmulator fails the test when the shared setup could not build its binaries.
func needEmulator(t testing.TB) {
	t.Helper()
	if setupErr != nil {
		t.Fatalf("setup: %v", setupErr)
	}
}

// echoOptions are options for running echofn, with its logs in the test log.
func echoOptions(t testing.TB) InvokeOptions {
	return InvokeOptions{
		Bootstrap:       echoBin,
		RIE:             rieBin,
		FunctionName:    "echofn",
		FunctionTimeout: 5 * time.Second,
		HostEnv:         []string{"PATH=" + os.Getenv("PATH")},
		Logs:            testWriter{t},
	}
}

// testWriter sends lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(trimNL(p)))
	return len(p), nil
}

func trimNL(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
