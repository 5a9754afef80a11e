package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// repoRoot is the checkout holding this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// errorList extracts the *Errors from err, failing the test otherwise.
func errorList(t *testing.T, err error) []Error {
	t.Helper()
	if err == nil {
		t.Fatal("expected errors, got none")
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not *Errors: %v", err, err)
	}
	return errs.List
}

// wantError asserts that err holds an error at line:col ("L:C") whose
// formatted text contains want.
func wantError(t *testing.T, err error, at, want string) {
	t.Helper()
	list := errorList(t, err)
	for _, e := range list {
		if fmt.Sprintf("%d:%d", e.Line, e.Col) == at && strings.Contains(e.Error(), want) {
			return
		}
	}
	t.Errorf("no error at %s containing %q; got:\n%v", at, want, err)
}
