package filterpattern

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// TestCISPatterns compiles every CIS filter pattern from the reference
// table and runs each over the sample CloudTrail records in
// events/detector, checking which events each one flags.
func TestCISPatterns(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	tsv, err := os.ReadFile(repo.Reference(root, "cis", "cis_filters.tsv"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("reference CIS table absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "events", "detector", "logs-cloudtrail.decoded.json"))
	if err != nil {
		t.Skipf("sample event absent: %v", err)
	}
	var doc struct {
		LogEvents []struct {
			Message string `json:"message"`
		} `json:"logEvents"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	events := make([]*Event, len(doc.LogEvents))
	names := make([]string, len(doc.LogEvents))
	for i, e := range doc.LogEvents {
		events[i] = NewEvent(e.Message)
		v, ok := events[i].JSON()
		if !ok {
			t.Fatalf("record %d is not JSON", i)
		}
		names[i], _ = v.(map[string]any)["eventName"].(string)
	}
	all := slices.Clone(names)
	slices.Sort(all)
	// Expected eventNames per CIS id; ids absent here flag none of the samples.
	want := map[string][]string{
		"4.1":                        all, // v1.4-v3.0 text ORs the != terms, so nearly everything matches
		"4.2 (v1.2: 3.2)":            {"ConsoleLogin"},
		"4.2 (v6.0: 5.2)":            {"ConsoleLogin"},
		"4.5 (v1.2: 3.5; v6.0: 5.5)": {"StopLogging"},
		"4.10 (v1.2: 3.10)":          {"AuthorizeSecurityGroupIngress"},
		"4.10 (v6.0: 5.10)":          {"AuthorizeSecurityGroupIngress"},
	}
	rows := strings.Split(strings.TrimSpace(string(tsv)), "\n")
	if len(rows) < 2 {
		t.Fatal("CIS table has no rows")
	}
	for _, row := range rows[1:] {
		cols := strings.Split(row, "\t")
		if len(cols) < 5 {
			t.Fatalf("short row %q", row)
		}
		id, src := cols[0], cols[4]
		p, err := Compile(src)
		if err != nil {
			t.Errorf("CIS %s: %v", id, err)
			continue
		}
		got := []string{}
		for i, e := range events {
			if p.MatchEvent(e) {
				got = append(got, names[i])
			}
		}
		slices.Sort(got)
		exp := want[id]
		if exp == nil {
			exp = []string{}
		}
		if !slices.Equal(got, exp) {
			t.Errorf("CIS %s flags %v, want %v", id, got, exp)
		}
	}
}
