// Package localrun runs the Watchkeeper functions on a developer machine the
// way Lambda runs them, for `make invoke` and `make demo`: it builds a
// function's bootstrap for the host, starts it under the AWS Lambda Runtime
// Interface Emulator (RIE) on loopback ports, posts events to it and reads the
// answers back (the `sam local invoke` loop, without Docker). It also seeds a
// small demo account in moto and renders the demo's summary.
package localrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// RIEModule is the Go package of the emulator's command.
const RIEModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// RIEVersion is the emulator version this package is written against; it
// matches the require line in go.mod (a test checks that they agree).
// https://github.com/aws/aws-lambda-runtime-interface-emulator
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// RIEBinary is the file name of the emulator inside its bin directory.
const RIEBinary = "aws-lambda-rie"

// rieStampSuffix names the file beside the binary that records its version.
const rieStampSuffix = ".version"

// BootstrapName is the executable name the provided.al2023 runtime runs.
// https://docs.aws.amazon.com/lambda/latest/dg/golang-package.html
const BootstrapName = "bootstrap"

// BuildHost compiles the Go package pkg (an import path or a ./relative
// directory, resolved in repoRoot) into outDir/bootstrap for the host OS and
// architecture, so it can run under the emulator here. It uses the same tags
// as the Lambda build (lambda.norpc) and returns the absolute binary path.
func BuildHost(ctx context.Context, repoRoot, pkg, outDir string) (string, error) {
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return "", fmt.Errorf("build %s: resolve output dir %s: %w", pkg, outDir, err)
	}
	if err := os.MkdirAll(absOut, 0o755); err != nil {
		return "", fmt.Errorf("build %s: create output dir: %w", pkg, err)
	}
	bin := filepath.Join(absOut, BootstrapName)
	cmd := exec.CommandContext(ctx, goBin, "build", "-tags", "lambda.norpc", "-trimpath", "-o", bin, pkg)
	cmd.Dir = repoRoot
	cmd.Env = hostBuildEnv(os.Environ())
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: go build: %w\n%s", pkg, err, strings.TrimSpace(out.String()))
	}
	return bin, nil
}

// EnsureRIE returns the path of the emulator in binDir, building the pinned
// RIEVersion there first when it is absent (or when a version stamp beside it
// names another version). The build goes through `go install pkg@version`,
// which resolves the emulator's own dependencies without touching go.mod, into
// a private directory and is renamed into place, so concurrent callers (test
// packages running in parallel) never see a half-written binary.
func EnsureRIE(ctx context.Context, binDir string) (string, error) {
	absDir, err := filepath.Abs(binDir)
	if err != nil {
		return "", fmt.Errorf("ensure emulator: resolve %s: %w", binDir, err)
	}
	path := filepath.Join(absDir, RIEBinary)
	if rieCurrent(path) {
		return path, nil
	}
	goBin, err := goTool()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(absDir, 0o755); err != nil {
		return "", fmt.Errorf("ensure emulator: create %s: %w", absDir, err)
	}
	tmp, err := os.MkdirTemp(absDir, ".rie-build-")
	if err != nil {
		return "", fmt.Errorf("ensure emulator: %w", err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.CommandContext(ctx, goBin, "install", "-trimpath", RIEModule+"@"+RIEVersion)
	cmd.Dir = absDir
	cmd.Env = append(hostBuildEnv(os.Environ()), "GOBIN="+tmp)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ensure emulator: go install %s@%s: %w\n%s", RIEModule, RIEVersion, err, strings.TrimSpace(out.String()))
	}
	if err := os.Rename(filepath.Join(tmp, RIEBinary), path); err != nil {
		return "", fmt.Errorf("ensure emulator: move into place: %w", err)
	}
	stamp := filepath.Join(tmp, "stamp")
	if err := os.WriteFile(stamp, []byte(RIEVersion+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("ensure emulator: write version stamp: %w", err)
	}
	if err := os.Rename(stamp, path+rieStampSuffix); err != nil {
		return "", fmt.Errorf("ensure emulator: write version stamp: %w", err)
	}
	return path, nil
}

// rieCurrent reports whether an emulator binary exists at path and no stamp
// says it is another version (a binary put there by hand is trusted).
func rieCurrent(path string) bool {
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return false
	}
	stamp, err := os.ReadFile(path + rieStampSuffix)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	return err == nil && strings.TrimSpace(string(stamp)) == RIEVersion
}

// hostBuildEnv is env with the target forced to the host platform and cgo off
// (a GOOS=linux GOARCH=arm64 left over from a Lambda build must not leak in),
// and without GOFLAGS=-mod=…, which `go install pkg@version` refuses.
func hostBuildEnv(env []string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GOOS", "GOARCH", "CGO_ENABLED":
			continue
		case "GOFLAGS":
			var keep []string
			for f := range strings.FieldsSeq(v) {
				if !strings.HasPrefix(f, "-mod=") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		out = append(out, kv)
	}
	return append(out, "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "CGO_ENABLED=0")
}

// goTool finds the go command: on PATH, else the toolchain this binary was built with.
func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", errors.New("go command not found on PATH")
}
