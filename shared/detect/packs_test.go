package detect

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/repo"
)

// techniqueRE is an ATT&CK technique or sub-technique id followed by its name.
var techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})? [A-Z]\S*( \S+)*$`)

// TestPackRules runs every rule of every built-in pack on its own records:
// it must fire on each match record and on no nomatch record.
func TestPackRules(t *testing.T) {
	seen := map[string]string{}
	for _, name := range packs.Names() {
		p, err := packs.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rules {
			t.Run(r.ID, func(t *testing.T) {
				if other, dup := seen[r.ID]; dup {
					t.Errorf("id also used in pack %s", other)
				}
				seen[r.ID] = name
				if r.Title == "" || r.Description == "" {
					t.Errorf("title %q, description %q", r.Title, r.Description)
				}
				if !slices.Contains(alert.Severities(), r.Severity) {
					t.Errorf("severity %q", r.Severity)
				}
				if !techniqueRE.MatchString(r.Technique) {
					t.Errorf("technique %q is not \"Tnnnn[.nnn] Name\"", r.Technique)
				}
				if name == "cis" && (r.Control == "" || r.ID != "cis."+r.Control) {
					t.Errorf("CIS rule control %q does not match its id", r.Control)
				}
				if name != "cis" && (r.Control != "" || r.SecurityHub != "") {
					t.Errorf("non-CIS rule has control %q / securityhub %q", r.Control, r.SecurityHub)
				}
				pat, err := r.Compile()
				if err != nil {
					t.Fatal(err)
				}
				if pat.Kind() != filterpattern.KindJSON {
					t.Errorf("pattern kind %v, want JSON", pat.Kind())
				}
				if len(r.Tests.Match) == 0 || len(r.Tests.NoMatch) == 0 {
					t.Fatalf("%d match and %d nomatch records; want at least one of each", len(r.Tests.Match), len(r.Tests.NoMatch))
				}
				for i, rec := range r.Tests.Match {
					if raw := packRecord(t, rec); !pat.MatchEvent(filterpattern.NewEvent(raw)) {
						t.Errorf("match[%d] does not fire: %s", i, raw)
					}
				}
				for i, rec := range r.Tests.NoMatch {
					if raw := packRecord(t, rec); pat.MatchEvent(filterpattern.NewEvent(raw)) {
						t.Errorf("nomatch[%d] fires: %s", i, raw)
					}
				}
			})
		}
	}
}

// packRecord is a test record as JSON, checked to be a CloudTrail record of
// the fictitious account.
func packRecord(t *testing.T, rec packs.Record) string {
	t.Helper()
	b, err := rec.JSON()
	if err != nil {
		t.Fatal(err)
	}
	ct, err := cloudtrail.Parse(b)
	if err != nil {
		t.Fatalf("not a CloudTrail record: %v: %s", err, b)
	}
	if ct.RecipientAccountID != "123456789012" || ct.EventID == "" || ct.EventTime.IsZero() {
		t.Errorf("record lacks the fictitious account, an event id or a time: %s", b)
	}
	return string(b)
}

func TestPackSizes(t *testing.T) {
	for _, tt := range []struct {
		pack string
		min  int
	}{{"cis", 15}, {"attack", 15}} {
		p, err := packs.Load(tt.pack)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Rules) < tt.min {
			t.Errorf("pack %s has %d rules, want at least %d", tt.pack, len(p.Rules), tt.min)
		}
	}
}

// TestCISControls checks the CIS pack covers 4.1-4.15 once each.
func TestCISControls(t *testing.T) {
	p, err := packs.Load("cis")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rules {
		got = append(got, r.Control)
	}
	var want []string
	for i := 1; i <= 15; i++ {
		want = append(want, "4."+strconv.Itoa(i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("controls = %v, want %v", got, want)
	}
}

// TestCISPatternsMatchReference checks each CIS pattern is, verbatim, one the
// benchmark publishes for that control (../shared/reference/cis/cis_filters.tsv),
// and that the Security Hub id agrees with the reference where it names one.
func TestCISPatternsMatchReference(t *testing.T) {
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(repo.Reference(root, "cis", "cis_filters.tsv"))
	if err != nil {
		t.Skipf("CIS reference not available: %v", err)
	}
	defer f.Close()
	type ref struct{ patterns, securityhub []string }
	refs := map[string]*ref{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for first := true; sc.Scan(); first = false {
		cols := strings.Split(sc.Text(), "\t")
		if first || len(cols) < 5 {
			continue
		}
		control, _, _ := strings.Cut(cols[0], " ")
		r := refs[control]
		if r == nil {
			r = &ref{}
			refs[control] = r
		}
		r.patterns = append(r.patterns, cols[4])
		if cols[2] != "-" {
			r.securityhub = append(r.securityhub, cols[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	p, err := packs.Load("cis")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Rules {
		t.Run(r.ID, func(t *testing.T) {
			ref := refs[r.Control]
			if ref == nil {
				t.Fatalf("control %s not in the reference", r.Control)
			}
			if !slices.Contains(ref.patterns, r.Pattern) {
				t.Errorf("pattern is not a published one:\n%s\nreference:\n%s", r.Pattern, strings.Join(ref.patterns, "\n"))
			}
			if len(ref.securityhub) > 0 && !slices.Contains(ref.securityhub, r.SecurityHub) {
				t.Errorf("securityhub %q, reference %v", r.SecurityHub, ref.securityhub)
			}
			if len(ref.securityhub) == 0 && r.SecurityHub != "" {
				t.Errorf("securityhub %q, reference has none", r.SecurityHub)
			}
		})
	}
}

// TestPackParseIsStrict feeds the loader's parser a pack with a misspelt key.
func TestPackParseIsStrict(t *testing.T) {
	const broken = `name: custom
rules:
  - id: custom.one
    title: One
    severity: high
    technique: "T1098 Account Manipulation"
    description: A rule.
    pattern: '{ $.eventName = "CreateUser" }'
    tests:
      match: []
      no_match: []
`
	_, err := packs.Parse([]byte(broken))
	if err == nil || !strings.Contains(err.Error(), "no_match") {
		t.Fatalf("Parse error = %v, want one naming the unknown key no_match", err)
	}
	if _, err := packs.Parse([]byte(strings.Replace(broken, "no_match", "nomatch", 1))); err != nil {
		t.Fatalf("the corrected pack fails: %v", err)
	}
}
