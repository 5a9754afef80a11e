package sweep

import (
	"slices"
	"strings"
	"testing"
)

func TestCatalog(t *testing.T) {
	cat := Catalog()
	if !slices.IsSortedFunc(cat, func(a, b JobSpec) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("catalog not sorted by name")
	}
	for _, j := range cat {
		if j.Description == "" {
			t.Errorf("%s: no description", j.Name)
		}
		for _, p := range j.Permissions {
			if svc, action, ok := strings.Cut(p, ":"); !ok || svc == "" || action == "" {
				t.Errorf("%s: permission %q is not service:Action", j.Name, p)
			}
		}
	}
	if _, err := LookupJob(JobPosture); err != nil {
		t.Error(err)
	}
	_, err := LookupJob("defragment")
	if err == nil || !strings.Contains(err.Error(), "heartbeat, posture") {
		t.Errorf("unknown job: %v", err)
	}
}
