package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
)

func TestLiterals(t *testing.T) {
	tests := []struct {
		name, detection, field string
		want                   []string
		ok                     bool
	}{
		{"one value", "  sel:\n    eventName: StopLogging\n  condition: sel\n", "eventName", []string{"stoplogging"}, true},
		{"value list", "  sel:\n    eventSource: cloudtrail.amazonaws.com\n    eventName:\n      - StopLogging\n      - DeleteTrail\n  condition: sel\n", "eventName", []string{"stoplogging", "deletetrail"}, true},
		{"other field of the map", "  sel:\n    eventSource: cloudtrail.amazonaws.com\n    eventName: StopLogging\n  condition: sel\n", "eventSource", []string{"cloudtrail.amazonaws.com"}, true},
		{"cased", "  sel:\n    eventName|cased: StopLogging\n  condition: sel\n", "eventName", []string{"stoplogging"}, true},
		{"and not filter", "  sel:\n    eventName: PutBucketPolicy\n  filter:\n    userIdentity.type: Root\n  condition: sel and not filter\n", "eventName", []string{"putbucketpolicy"}, true},
		{"1 of both pinned", "  sel_a:\n    eventName: A\n  sel_b:\n    eventName: B\n  condition: 1 of sel_*\n", "eventName", []string{"a", "b"}, true},
		{"1 of one unpinned", "  sel_a:\n    eventName: A\n  sel_b:\n    errorCode: AccessDenied\n  condition: 1 of sel_*\n", "eventName", nil, false},
		{"list of maps", "  sel:\n    - eventName: A\n    - eventName: B\n  condition: sel\n", "eventName", []string{"a", "b"}, true},
		{"wildcard", "  sel:\n    eventName: Delete*\n  condition: sel\n", "eventName", nil, false},
		{"startswith", "  sel:\n    eventName|startswith: Delete\n  condition: sel\n", "eventName", nil, false},
		{"null allowed", "  sel:\n    eventName:\n      - A\n      - null\n  condition: sel\n", "eventName", nil, false},
		{"negated", "  sel:\n    eventName: A\n  condition: not sel\n", "eventName", nil, false},
		{"Kelvin sign folds to ASCII", "  sel:\n    eventName: \"\u212a\"\n  condition: sel\n", "eventName", []string{"k"}, true},
		{"non-ASCII literal", "  sel:\n    eventName: \"caf\u00e9\"\n  condition: sel\n", "eventName", nil, false},
		{"nested field", "  sel:\n    requestParameters.eventName: A\n  condition: sel\n", "eventName", nil, false},
		{"keyword search", "  sel:\n    - StopLogging\n  condition: sel\n", "eventName", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(ruleYAML(tt.detection)))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := r.Literals(tt.field)
			if ok != tt.ok || !slices.Equal(got, tt.want) {
				t.Errorf("Literals = %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if _, ok := (*Rule)(nil).Literals("eventName"); ok {
		t.Error("nil rule is indexed")
	}
}

// TestCorpusLiteralsSound checks the index on the SigmaHQ rules: every
// positive record's eventName and eventSource are among the rule's literals
// when it has any, most rules are indexed, and every record decoded through a
// projection of the rule's Paths gets the same verdict.
func TestCorpusLiteralsSound(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	indexed := 0
	files := ruleFiles(t, filepath.Join(dir, "rules"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		names, nameOK := r.Literals("eventName")
		sources, sourceOK := r.Literals("eventSource")
		if nameOK || sourceOK {
			indexed++
		}
		base := strings.TrimSuffix(filepath.Base(f), ".yml")
		cf, err := os.ReadFile(filepath.Join("testdata", "corpus", base+".yaml"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		var c corpusFile
		if err := yaml.Unmarshal(cf, &c); err != nil {
			t.Fatal(err)
		}
		paths, all := r.Paths()
		proj := filterpattern.NewProjection()
		for _, p := range paths {
			proj.Add(p)
		}
		for _, tc := range c.Cases {
			rec, _ := decodeRecord(t, tc.Record).(map[string]any)
			matched := r.Match(rec)
			if !all {
				cut, ok := proj.Decode(tc.Record)
				if !ok || r.Match(cut) != matched {
					t.Errorf("%s/%s: the record cut to paths %q gives another verdict", base, tc.Name, paths)
				}
			}
			if !matched {
				continue
			}
			name, _ := rec["eventName"].(string)
			source, _ := rec["eventSource"].(string)
			if nameOK && !slices.Contains(names, strings.ToLower(name)) {
				t.Errorf("%s/%s: matches eventName %q, not among %q", base, tc.Name, name, names)
			}
			if sourceOK && !slices.Contains(sources, strings.ToLower(source)) {
				t.Errorf("%s/%s: matches eventSource %q, not among %q", base, tc.Name, source, sources)
			}
		}
	}
	t.Logf("%d of %d rules indexed by eventName or eventSource", indexed, len(files))
	if indexed < len(files)/2 {
		t.Errorf("only %d of %d rules are indexed", indexed, len(files))
	}
}

func TestPaths(t *testing.T) {
	tests := []struct {
		name, detection string
		want            [][]string
		all             bool
	}{
		{"fields", "  sel:\n    eventName: A\n    userIdentity.type: Root\n  filter:\n    userIdentity.invokedBy|exists: true\n  condition: sel and not filter\n",
			[][]string{{"eventName"}, {"userIdentity", "type"}, {"userIdentity.type"}, {"userIdentity", "invokedBy"}, {"userIdentity.invokedBy"}}, false},
		{"three parts", "  sel:\n    a.b.c: x\n  condition: sel\n",
			[][]string{{"a", "b", "c"}, {"a", "b.c"}, {"a.b", "c"}, {"a.b.c"}}, false},
		{"fieldref", "  sel:\n    userIdentity.arn|fieldref: requestParameters.roleArn\n  condition: sel\n",
			[][]string{{"userIdentity", "arn"}, {"userIdentity.arn"}, {"requestParameters", "roleArn"}, {"requestParameters.roleArn"}}, false},
		{"keyword", "  sel:\n    - StopLogging\n  condition: sel\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Parse([]byte(ruleYAML(tt.detection)))
			if err != nil {
				t.Fatal(err)
			}
			got, all := r.Paths()
			if all != tt.all || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Paths = %q, %v; want %q, %v", got, all, tt.want, tt.all)
			}
		})
	}
}
