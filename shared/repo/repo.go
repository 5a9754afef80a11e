// Package repo locates the Watchkeeper checkout: the module root holding
// go.mod, functions/, events/ and the configs, and the read-only reference
// material that may sit beside it.
package repo

import (
	"fmt"
	"os"
	"path/filepath"
)

// Root walks up from dir to the directory holding go.mod.
func Root(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find repo root from %s: %w", dir, err)
	}
	for d := abs; ; d = filepath.Dir(d) {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find repo root: no go.mod in %s or any parent", abs)
		}
	}
}

// Reference is the reference material (payloads, filter-pattern vectors, CIS
// and Sigma rules) in ../shared beside the checkout at root. Developers and CI
// have it; a user's clone does not, so callers skip what needs it when absent.
func Reference(root string, parts ...string) string {
	return filepath.Join(append([]string{filepath.Dir(root), "shared", "reference"}, parts...)...)
}
