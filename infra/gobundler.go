package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// bootstrapName is the executable the provided.al2023 runtime starts.
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-provided.html
const bootstrapName = "bootstrap"

// goBuildFlags are the flags of every function build. The Makefile's
// `make build` uses exactly these, so a binary it left in build/<name> is
// byte-identical to one built here and can be reused.
var goBuildFlags = []string{"-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-buildvcs=false"}

// goBuildEnv is the cross-compilation environment for Lambda on Graviton.
var goBuildEnv = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}

// goBundler builds one function's bootstrap on the host, without Docker, and
// puts the normalized config next to it. It implements awscdk.ILocalBundling.
type goBundler struct {
	// RepoRoot is the module root (the directory holding go.mod).
	RepoRoot string
	// Function is the directory name under functions/.
	Function string
	// ConfigJSON is the normalized config written as watchkeeper.json.
	ConfigJSON []byte
	// DataDir and DataPaths name files the function reads relative to its
	// config (Sigma rules): each path under DataDir is copied beside
	// watchkeeper.json under the same relative name.
	DataDir   string
	DataPaths []string
}

var _ awscdk.ILocalBundling = (*goBundler)(nil)

// TryBundle is called by the CDK while staging the asset. jsii callbacks
// cannot return an error, and returning false would make the CDK fall back to
// Docker with a placeholder image, hiding the real cause; so a failure panics
// and the jsii runtime turns the panic into a synth error carrying the message.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	if err := b.bundle(*outputDir); err != nil {
		panic(fmt.Errorf("bundle function %s: %w", b.Function, err))
	}
	return jsii.Bool(true)
}

// bundle writes bootstrap and watchkeeper.json into outputDir.
func (b *goBundler) bundle(outputDir string) error {
	dst := filepath.Join(outputDir, bootstrapName)
	prebuilt := filepath.Join(b.RepoRoot, "build", b.Function, bootstrapName)
	fresh, err := prebuiltIsFresh(b.RepoRoot, prebuilt)
	if err != nil {
		return err
	}
	if fresh {
		if err := copyExecutable(prebuilt, dst); err != nil {
			return err
		}
	} else if err := goBuild(b.RepoRoot, "./functions/"+b.Function, dst); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(outputDir, funcenv.ConfigFileName), b.ConfigJSON, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", funcenv.ConfigFileName, err)
	}
	for _, p := range b.DataPaths {
		if !filepath.IsLocal(p) {
			return fmt.Errorf("data path %q is not relative to the config", p)
		}
		if err := copyTree(filepath.Join(b.DataDir, p), filepath.Join(outputDir, p)); err != nil {
			return err
		}
	}
	return nil
}

// copyTree copies a file, or a directory's regular files, from src to dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("copy %s: %w", src, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, 0o644)
	})
}

// goBuild cross-compiles pkg (relative to root) into out.
func goBuild(root, pkg, out string) error {
	args := append([]string{"build"}, goBuildFlags...)
	args = append(args, "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), goBuildEnv...)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, strings.TrimSpace(output.String()))
	}
	return nil
}

// prebuiltIsFresh reports whether binary exists and is newer than every
// non-test file under functions/ and shared/ (Go code and embedded data) and
// than go.mod and go.sum.
func prebuiltIsFresh(root, binary string) (bool, error) {
	info, err := os.Stat(binary)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat %s: %w", binary, err)
	}
	newest, err := newestSource(root)
	if err != nil {
		return false, err
	}
	return info.ModTime().After(newest), nil
}

// newestSource is the latest modification time of the inputs of a function build.
func newestSource(root string) (time.Time, error) {
	var newest time.Time
	consider := func(path string) error {
		info, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("stat %s: %w", path, err)
		}
		if info.ModTime().After(newest) {
			newest = info.ModTime()
		}
		return nil
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if err := consider(filepath.Join(root, f)); err != nil {
			return time.Time{}, err
		}
	}
	for _, dir := range []string{"functions", "shared"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// Every file but tests counts: packages embed data (the detection
			// packs' YAML) that changes the binary as much as Go code does.
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			return consider(path)
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("scan %s: %w", dir, err)
		}
	}
	return newest, nil
}

// copyExecutable copies src to dst with mode 0755.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("open %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("create %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("close %s: %w", dst, err)
	}
	return nil
}
