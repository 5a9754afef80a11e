package alert

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

var update = flag.Bool("update", false, "rewrite golden files and the encoded sample events from their decoded twins")

// repoRoot is the checkout holding this package.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// eventsDir is the repository's sample events directory.
func eventsDir(t testing.TB) string {
	return filepath.Join(repoRoot(t), "events")
}

// referencePayloads is ../shared/reference/payloads beside the repository;
// tests using it skip when it is absent.
func referencePayloads(t testing.TB) string {
	t.Helper()
	dir := repo.Reference(repoRoot(t), "payloads")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference payloads not available: %v", err)
	}
	return dir
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustParse parses a sample event file that must be valid.
func mustParse(t testing.TB, path string) *Trigger {
	t.Helper()
	tr, err := Parse(readFile(t, path))
	if err != nil {
		t.Fatalf("Parse(%s): %v", filepath.Base(path), err)
	}
	return tr
}

// checkAlertInvariants holds for every alert any parser returns.
func checkAlertInvariants(t testing.TB, a *Alert) {
	t.Helper()
	if a.ID == "" || a.Source == "" || a.State == "" || a.Title == "" {
		t.Errorf("alert lacks id, source, state or title: %+v", a)
	}
	if SeverityRank(a.Severity) >= len(Severities()) {
		t.Errorf("alert %q: severity %q is not valid", a.Title, a.Severity)
	}
	if a.Labels == nil || a.Labels[LabelSource] != a.Source || a.Labels[LabelSeverity] != a.Severity {
		t.Errorf("alert %q: labels do not mirror source/severity: %v", a.Title, a.Labels)
	}
	if a.Time.Location().String() != "UTC" {
		t.Errorf("alert %q: time %v is not UTC", a.Title, a.Time)
	}
	if len(a.Raw) > 0 && !json.Valid(a.Raw) {
		t.Errorf("alert %q: Raw is not valid JSON", a.Title)
	}
}
