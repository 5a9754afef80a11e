package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// corpusDir is the SigmaHQ CloudTrail reference set, or "" when this
// checkout has no ../shared beside it.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	root, err := repo.Root(".")
	if err != nil {
		tb.Fatal(err)
	}
	dir := repo.Reference(root, "sigma-aws")
	if _, err := os.Stat(filepath.Join(dir, "rules")); err != nil {
		return ""
	}
	return dir
}

func ruleFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// corpusCase is one record and what a rule must say about it.
type corpusCase struct {
	Name   string `yaml:"name"`
	Match  bool   `yaml:"match"`
	Record string `yaml:"record"`
}

// corpusFile holds the cases for one rule in testdata/corpus.
type corpusFile struct {
	Rule  string       `yaml:"rule"`
	Cases []corpusCase `yaml:"cases"`
}

func decodeRecord(tb testing.TB, s string) any {
	tb.Helper()
	v, ok := filterpattern.DecodeJSON(s)
	if !ok {
		tb.Fatalf("record is not a JSON object: %.80s", s)
	}
	return v
}

func TestCorpusRules(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	files := ruleFiles(t, filepath.Join(dir, "rules"))
	if len(files) != 57 {
		t.Errorf("found %d rules, want 57", len(files))
	}
	covered, uncovered := 0, []string{}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(strings.TrimSuffix(base, ".yml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(data)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if r.Author == "" || r.ID == "" || !strings.Contains(r.Attribution(), r.Author) {
				t.Errorf("attribution %q lacks author or id", r.Attribution())
			}
			cf, err := os.ReadFile(filepath.Join("testdata", "corpus", strings.TrimSuffix(base, ".yml")+".yaml"))
			if errors.Is(err, os.ErrNotExist) {
				uncovered = append(uncovered, base)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var c corpusFile
			if err := yaml.Unmarshal(cf, &c); err != nil {
				t.Fatalf("corpus file: %v", err)
			}
			if c.Rule != base {
				t.Errorf("corpus file names rule %q, want %q", c.Rule, base)
			}
			pos, neg := 0, 0
			for _, tc := range c.Cases {
				if tc.Match {
					pos++
				} else {
					neg++
				}
				if got := r.Match(decodeRecord(t, tc.Record)); got != tc.Match {
					t.Errorf("%s: Match = %v, want %v", tc.Name, got, tc.Match)
				}
			}
			if pos == 0 || neg == 0 {
				t.Errorf("corpus has %d positive and %d near-miss records; want at least one of each", pos, neg)
			}
			covered++
		})
	}
	t.Logf("corpus coverage: %d of %d rules have positive and near-miss records", covered, len(files))
	known := map[string]bool{}
	for _, f := range files {
		known[strings.TrimSuffix(filepath.Base(f), ".yml")] = true
	}
	records, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range records {
		if !known[strings.TrimSuffix(filepath.Base(p), ".yaml")] {
			t.Errorf("%s has no rule in %s", p, dir)
		}
	}
	for _, u := range uncovered {
		t.Logf("uncovered: %s", u)
	}
}

func TestCorpusUnsupported(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	files := ruleFiles(t, filepath.Join(dir, "unsupported"))
	if len(files) != 8 {
		t.Errorf("found %d unsupported rules, want 8", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Parse(data)
			if !errors.Is(err, ErrAggregation) {
				t.Fatalf("Parse error = %v, want ErrAggregation", err)
			}
			if r == nil || r.Title == "" || r.Author == "" {
				t.Fatalf("aggregating rule came back without metadata: %+v", r)
			}
			if r.Aggregation == "" && r.Timeframe == "" {
				t.Errorf("neither Aggregation nor Timeframe set")
			}
			m, err := ParseMetadata(data)
			if err != nil || m.Title != r.Title {
				t.Errorf("ParseMetadata = %+v, %v", m, err)
			}
		})
	}
}

func TestCorpusPlaceholderRule(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	files := ruleFiles(t, filepath.Join(dir, "rules-placeholder"))
	if len(files) != 1 {
		t.Fatalf("found %d placeholder rules, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data); !errors.Is(err, ErrPlaceholder) {
		t.Fatalf("Parse without placeholders: %v, want ErrPlaceholder", err)
	}
	r, err := ParseWithPlaceholders(data, map[string][]string{
		"Legitimate_Countries": {"DE", "NL"},
		"Legitimate_IP_Ranges": {"192.0.2.*", "198.51.100.7"},
	})
	if err != nil {
		t.Fatal(err)
	}
	login := func(country, ip string) string {
		return `{"eventName":"ConsoleLogin","eventSource":"signin.amazonaws.com","responseElements":{"ConsoleLogin":"Success"},"src_country":"` +
			country + `","src_ip":"` + ip + `"}`
	}
	for _, tc := range []struct {
		name, rec string
		want      bool
	}{
		{"unexpected country and ip", login("KP", "203.0.113.9"), true},
		{"legitimate country", login("de", "203.0.113.9"), false},
		{"legitimate ip range", login("KP", "192.0.2.44"), false},
		{"failed login", `{"eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"},"src_country":"KP","src_ip":"203.0.113.9"}`, false},
	} {
		if got := r.Match(decodeRecord(t, tc.rec)); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}
