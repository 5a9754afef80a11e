package detect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/detect/packs"
	"github.com/watchkeeper/watchkeeper/shared/filterpattern"
	"github.com/watchkeeper/watchkeeper/shared/repo"
	"github.com/watchkeeper/watchkeeper/shared/sigma"
)

// straightforward is the reference evaluation the index must agree with:
// every rule, in order, on the whole decoded message.
func (e *PatternEngine) straightforward(raw []byte) []int {
	ev := filterpattern.NewEvent(string(raw))
	var out []int
	for i := range e.rules {
		if e.rules[i].match(ev) {
			out = append(out, i)
		}
	}
	return out
}

// diffEngine has every kind of rule: both packs, custom rules the index
// cannot use (terms, space-delimited, $.*, globs), Sigma rules including a
// keyword search, and the SigmaHQ rules when the reference material is there.
func diffEngine(t testing.TB) *PatternEngine {
	t.Helper()
	e, err := NewPatternEngine(config.Detection{
		Packs: []string{config.PackCIS, config.PackAttack},
		Rules: []config.DetectionRule{
			{ID: "t.term", Title: "t", Severity: "low", Pattern: `"AccessDenied" ?ConsoleLogin ?DeleteBucket`},
			{ID: "t.delimited", Title: "t", Severity: "low", Pattern: `[first=*Root*, ...]`},
			{ID: "t.any", Title: "t", Severity: "low", Pattern: `{ $.* = "StopLogging" }`},
			{ID: "t.glob", Title: "t", Severity: "low", Pattern: `{ $.eventName = "Describe*" && $.readOnly IS TRUE }`},
			{ID: "t.source", Title: "t", Severity: "low", Pattern: `{ $.eventSource = "sts.amazonaws.com" && $.userIdentity.sessionContext.attributes.mfaAuthenticated = "false" }`},
			{ID: "t.name-or-source", Title: "t", Severity: "low", Pattern: `{ $.eventName = "GetCallerIdentity" || $.eventSource = "kms.amazonaws.com" }`},
			{ID: "t.name-case", Title: "t", Severity: "low", Pattern: `{ $.eventName = "stoplogging" }`},
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rules []*sigma.Rule
	for _, y := range []string{
		"  sel:\n    eventName: StopLogging\n  condition: sel\n",
		"  sel:\n    - AccessDenied\n  condition: sel\n",
		"  sel:\n    userIdentity.type: Root\n  filter:\n    userIdentity.invokedBy|exists: true\n  condition: sel and not filter\n",
		"  sel:\n    eventSource: ec2.amazonaws.com\n    eventName|startswith: Describe\n  condition: sel\n",
		"  sel:\n    eventName: \"\u212a\"\n  condition: sel\n",
	} {
		r, err := sigma.Parse([]byte("title: Differential\nid: " + strings.Repeat("0", 8) + "-0000-4000-8000-" + strings.Repeat("0", 11) + string(rune('a'+len(rules))) +
			"\nauthor: Watchkeeper tests\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n" + y))
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	local, err := LoadSigma("testdata", []string{"sigma"})
	if err != nil {
		t.Fatal(err)
	}
	rules = append(rules, local.Rules...)
	if root, err := repo.Root("."); err == nil {
		if ref, err := LoadSigma(repo.Reference(root, "sigma-aws"), []string{"rules"}); err == nil {
			rules = append(rules, ref.Rules...)
		}
	}
	if err := e.AddSigma(rules); err != nil {
		t.Fatal(err)
	}
	return e
}

// diffCorpus is every CloudTrail record the repo has: the packs' test
// records, the sample batches, the Sigma corpus, part of the benchmark
// batch, and the reference payloads when present.
func diffCorpus(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range packs.Names() {
		p, err := packs.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rules {
			for _, rec := range slices.Concat(r.Tests.Match, r.Tests.NoMatch) {
				b, err := rec.JSON()
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, b)
			}
		}
	}
	out = append(out, logsRecords(t)...)
	root, err := repo.Root(".")
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(root, "shared", "sigma", "testdata", "corpus", "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Cases []struct {
				Record string `yaml:"record"`
			} `yaml:"cases"`
		}
		if err := yaml.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range c.Cases {
			out = append(out, []byte(tc.Record))
		}
	}
	ref := repo.Reference(root, "payloads")
	for _, f := range []string{"c2_cwlogs_decoded_cloudtrail_loggroup.awsdocs.json", "c5_CONSTRUCTED_cwlogs_decoded_with_stratus_cloudtrail.json"} {
		data, err := os.ReadFile(filepath.Join(ref, f))
		if err != nil {
			continue
		}
		var batch struct {
			LogEvents []struct {
				Message string `json:"message"`
			} `json:"logEvents"`
		}
		if err := json.Unmarshal(data, &batch); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range batch.LogEvents {
			out = append(out, []byte(e.Message))
		}
	}
	return out
}

// variants are near copies of a record that probe the index's edges: other
// letter case, a Unicode letter that folds to ASCII, escaped keys and
// values, a repeated key (the last wins), a name that is not a string, and a
// record cut short.
func variants(raw []byte) [][]byte {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	name, _ := m["eventName"].(string)
	out := [][]byte{raw}
	with := func(k string, v any) []byte {
		c := make(map[string]any, len(m))
		for kk, vv := range m {
			c[kk] = vv
		}
		c[k] = v
		b, _ := json.Marshal(c)
		return b
	}
	out = append(out, with("eventName", strings.ToUpper(name)), with("eventName", strings.ToLower(name)),
		with("eventName", strings.ReplaceAll(strings.ReplaceAll(name, "k", "\u212a"), "K", "\u212a")),
		with("eventName", 7), with("errorCode", "AccessDenied"),
		with("userIdentity", map[string]any{"type": "Root"}))
	if name != "" {
		esc := bytes.Replace(raw, []byte(`"eventName"`), []byte(`"event\u004eame"`), 1)
		out = append(out, esc, bytes.Replace(raw, []byte(`"`+name+`"`), []byte(`"\u0053`+name[1:]+`"`), 1))
		dup := bytes.TrimRight(raw, " \n\t}")
		out = append(out, append(slices.Clone(dup), []byte(`,"eventName":"StopLogging"}`)...),
			append(slices.Clone(dup), []byte(`,"eventName":"GetCallerIdentity","eventSource":"cloudtrail.amazonaws.com"}`)...))
	}
	out = append(out, raw[:len(raw)/2])
	return out
}

// TestIndexAgreesWithStraightforwardEvaluation is the differential test:
// over every record and its variants, the indexed, cut-down evaluation
// fires exactly the rules that running every rule on the whole record does.
func TestIndexAgreesWithStraightforwardEvaluation(t *testing.T) {
	e := diffEngine(t)
	if len(e.index.always.own) == len(e.rules) {
		t.Fatal("no rule is indexed")
	}
	corpus := diffCorpus(t)
	checked, fired := 0, 0
	for _, rec := range corpus {
		for _, raw := range variants(rec) {
			want := e.straightforward(raw)
			got, err := e.fired(raw, nil)
			_, scanErr := cloudtrail.Scan(raw)
			if (err == nil) != (scanErr == nil) {
				t.Fatalf("fired error %v, Scan error %v on %s", err, scanErr, raw)
			}
			hit, serr := e.Screen(raw)
			if (serr == nil) != (scanErr == nil) {
				t.Fatalf("Screen error %v, Scan error %v on %s", serr, scanErr, raw)
			}
			if err != nil {
				continue
			}
			checked++
			if len(want) > 0 {
				fired++
			}
			if !slices.Equal(got, want) || hit != (len(want) > 0) {
				t.Errorf("indexed %v (screen %v), straightforward %v on %s", e.ruleIDs(got), hit, e.ruleIDs(want), raw)
			}
		}
	}
	if checked < 500 || fired < 100 {
		t.Errorf("checked %d records, %d fired: corpus too small", checked, fired)
	}
	t.Logf("%d records agree (%d with findings); %d of %d rules indexed", checked, fired, len(e.rules)-len(e.index.always.own), len(e.rules))
}

// TestEvaluateAgreesWithStraightforwardEvaluation covers Evaluate, the path
// of parsed records, suppressions included, and raw bodies the index cannot
// read.
func TestEvaluateAgreesWithStraightforwardEvaluation(t *testing.T) {
	e := diffEngine(t)
	e.suppressions = append(e.suppressions, suppression{rule: "cis.4.3"})
	for _, raw := range diffCorpus(t) {
		for _, body := range [][]byte{raw, append([]byte(" [ "), append(slices.Clone(raw), " ]"...)...)} {
			rec, err := cloudtrail.Parse(raw)
			if err != nil {
				continue
			}
			var want []string
			for _, i := range e.straightforward(body) {
				if e.rules[i].id != "cis.4.3" {
					want = append(want, e.rules[i].id)
				}
			}
			var got []string
			for _, m := range e.Evaluate(rec, body) {
				got = append(got, m.Rule)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Evaluate %v, straightforward %v on %s", got, want, body)
			}
		}
	}
}

func (e *PatternEngine) ruleIDs(rules []int) []string {
	var out []string
	for _, i := range rules {
		out = append(out, e.rules[i].id)
	}
	return out
}

// FuzzIndex holds the index to the straightforward evaluation on arbitrary
// records.
func FuzzIndex(f *testing.F) {
	f.Add([]byte(`{"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}`))
	f.Add([]byte(`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","userIdentity":{"type":"Root"},"responseElements":{"ConsoleLogin":"Success"}}`))
	f.Add([]byte(`{"eventSource":"ec2.amazonaws.com","eventName":"\u212aill","errorCode":"AccessDenied","eventName":"DescribeInstances","readOnly":true}`))
	e := diffEngine(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := e.fired(raw, nil)
		if err != nil {
			return
		}
		if want := e.straightforward(raw); !slices.Equal(got, want) {
			t.Fatalf("indexed %v, straightforward %v on %q", e.ruleIDs(got), e.ruleIDs(want), raw)
		}
	})
}
