package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/funcenv"
)

// fakeRepo lays out a minimal module tree whose sources are dated at src.
func fakeRepo(t *testing.T, src time.Time) string {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"go.mod":                  "module example.com/fake\n\ngo 1.26\n",
		"go.sum":                  "",
		"functions/demo/main.go":  "package main\n\nfunc main() {}\n",
		"shared/lib/lib.go":       "package lib\n",
		"shared/lib/README.md":    "not a Go file\n",
		"functions/demo/notes.md": "not a Go file\n",
		"shared/lib/rules.yaml":   "embedded data\n",
		"shared/lib/lib_test.go":  "package lib\n",
		"shared/lib/testdata/x":   "test input\n",
	}
	for name, body := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, src, src); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// writePrebuilt puts a fake build/demo/bootstrap dated at mod.
func writePrebuilt(t *testing.T, root, body string, mod time.Time) string {
	t.Helper()
	path := filepath.Join(root, "build", "demo", bootstrapName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mod, mod); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrebuiltIsFresh(t *testing.T) {
	src := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// binary is the prebuilt's age relative to the sources; nil means absent.
		binary *time.Duration
		// touch makes one input newer than the binary.
		touch string
		want  bool
	}{
		{name: "absent", want: false},
		{name: "newer than every source", binary: ptr(time.Hour), want: true},
		{name: "older than the sources", binary: ptr(-time.Hour), want: false},
		{name: "a shared package changed since", binary: ptr(time.Hour), touch: "shared/lib/lib.go", want: false},
		{name: "go.sum changed since", binary: ptr(time.Hour), touch: "go.sum", want: false},
		{name: "embedded data changed since", binary: ptr(time.Hour), touch: "shared/lib/rules.yaml", want: false},
		{name: "only a test changed", binary: ptr(time.Hour), touch: "shared/lib/lib_test.go", want: true},
		{name: "only test data changed", binary: ptr(time.Hour), touch: "shared/lib/testdata/x", want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := fakeRepo(t, src)
			bin := filepath.Join(root, "build", "demo", bootstrapName)
			if tc.binary != nil {
				bin = writePrebuilt(t, root, "prebuilt", src.Add(*tc.binary))
			}
			if tc.touch != "" {
				later := src.Add(2 * time.Hour)
				if err := os.Chtimes(filepath.Join(root, tc.touch), later, later); err != nil {
					t.Fatal(err)
				}
			}
			got, err := prebuiltIsFresh(root, bin)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("prebuiltIsFresh = %v, want %v", got, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestBundleReusesFreshPrebuilt shows the bundler copies a fresh build/
// binary instead of compiling (the fake module could not be built for real).
func TestBundleReusesFreshPrebuilt(t *testing.T) {
	src := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	root := fakeRepo(t, src)
	writePrebuilt(t, root, "prebuilt bootstrap", src.Add(time.Hour))
	out := t.TempDir()
	b := &goBundler{RepoRoot: root, Function: "demo", ConfigJSON: []byte(`{"version":1}`)}
	if err := b.bundle(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, bootstrapName))
	if err != nil || string(got) != "prebuilt bootstrap" {
		t.Errorf("bootstrap = %q, %v; want the prebuilt copy", got, err)
	}
	if info, err := os.Stat(filepath.Join(out, bootstrapName)); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("bootstrap mode = %v, %v; want 0755", info.Mode(), err)
	}
	cfg, err := os.ReadFile(filepath.Join(out, funcenv.ConfigFileName))
	if err != nil || string(cfg) != `{"version":1}` {
		t.Errorf("%s = %q, %v", funcenv.ConfigFileName, cfg, err)
	}
}

// TestBundleBuildsWhenStale compiles the fake function when the prebuilt is
// older than its sources, and reports a compile error with the compiler's output.
func TestBundleBuildsWhenStale(t *testing.T) {
	src := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	root := fakeRepo(t, src)
	writePrebuilt(t, root, "stale", src.Add(-time.Hour))
	out := t.TempDir()
	b := &goBundler{RepoRoot: root, Function: "demo", ConfigJSON: []byte("{}")}
	if err := b.bundle(out); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, bootstrapName))
	if err != nil || len(got) < 4 || string(got[:4]) != "\x7fELF" {
		t.Fatalf("bootstrap is not a fresh ELF build (%d bytes, %v)", len(got), err)
	}

	if err := os.WriteFile(filepath.Join(root, "functions", "demo", "main.go"), []byte("package main\n\nfunc main() { undefined() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = b.bundle(t.TempDir())
	if err == nil {
		t.Fatal("bundle of a broken function succeeded")
	}
	if want := "undefined"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not carry the compiler output (%q)", err, want)
	}
}
