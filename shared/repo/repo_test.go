package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRoot(t *testing.T) {
	root, err := Root(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("root %s has no go.mod", root)
	}
	from, err := Root(filepath.Join(root, "shared", "repo"))
	if err != nil || from != root {
		t.Errorf("Root(shared/repo) = %q, %v; want %q", from, err, root)
	}
	if _, err := Root(t.TempDir()); err == nil {
		t.Error("a directory outside any module has no root")
	}
	if got, want := Reference(root, "payloads"), filepath.Join(filepath.Dir(root), "shared", "reference", "payloads"); got != want {
		t.Errorf("Reference = %q, want %q", got, want)
	}
}

func TestRootFromDeepInside(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Root(deep); err == nil {
		t.Error("found a root without go.mod")
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Root(deep); err != nil || got != filepath.Join(dir, "a") {
		t.Errorf("Root = %q, %v; want %s", got, err, filepath.Join(dir, "a"))
	}
}
