package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func aggRule(t *testing.T, detection string) *Rule {
	t.Helper()
	src := "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n" + detection
	r, err := Parse([]byte(src))
	if r == nil || (err != nil && !errors.Is(err, ErrAggregation)) {
		t.Fatalf("parse: %v", err)
	}
	return r
}

func TestAggregate(t *testing.T) {
	sel := "  sel: {eventName: A}\n  other: {eventName: B}\n"
	cases := []struct {
		name string
		det  string
		want Aggregate
		err  string
	}{
		{"count greater", sel + "  timeframe: 10m\n  condition: sel | count() > 5\n",
			Aggregate{Kind: AggregateCount, Threshold: 6, Window: 10 * time.Minute}, ""},
		{"count at least, by", sel + "  timeframe: 1d\n  condition: sel | count() by sourceIPAddress >= 3\n",
			Aggregate{Kind: AggregateCount, By: "sourceIPAddress", Threshold: 3, Window: 24 * time.Hour}, ""},
		{"count zero", sel + "  timeframe: 30s\n  condition: sel | count() > 0\n",
			Aggregate{Kind: AggregateCount, Threshold: 1, Window: 30 * time.Second}, ""},
		{"near without timeframe", sel + "  condition: sel | near other\n",
			Aggregate{Kind: AggregateAll, Selections: []string{"sel", "other"}, Window: DefaultTimeframe}, ""},
		{"and with timeframe", sel + "  timeframe: 5m\n  condition: sel and other\n",
			Aggregate{Kind: AggregateAll, Selections: []string{"sel", "other"}, Window: 5 * time.Minute}, ""},
		{"count of a field", sel + "  timeframe: 5m\n  condition: sel | count(userName) > 3\n", Aggregate{}, "only count()"},
		{"less than", sel + "  timeframe: 5m\n  condition: sel | count() < 3\n", Aggregate{}, "only count()"},
		{"sum", sel + "  timeframe: 5m\n  condition: sel | sum(x) > 3\n", Aggregate{}, "unsupported aggregation"},
		{"or with timeframe", sel + "  timeframe: 5m\n  condition: sel or other\n", Aggregate{}, "is not a selection"},
		{"one selection with timeframe", sel + "  timeframe: 5m\n  condition: sel\n", Aggregate{}, "two or more selections"},
		{"bad timeframe", sel + "  timeframe: 5w\n  condition: sel | count() > 1\n", Aggregate{}, "unit must be"},
		{"two aggregations", sel + "  timeframe: 5m\n  condition:\n    - sel | count() > 1\n    - other | count() > 2\n", Aggregate{}, "several aggregating conditions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := aggRule(t, tc.det).Aggregate()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tc.want.Kind || got.By != tc.want.By || got.Threshold != tc.want.Threshold ||
				got.Window != tc.want.Window || strings.Join(got.Selections, ",") != strings.Join(tc.want.Selections, ",") {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestMatchSelectionAndFieldValue(t *testing.T) {
	r := aggRule(t, "  sel: {eventName: A}\n  other: {eventName: B}\n  timeframe: 5m\n  condition: sel and other\n")
	rec := decodeRecord(t, `{"eventName":"B","requestParameters":{"n":42,"flag":true},"sourceIPAddress":"198.51.100.7"}`)
	if r.MatchSelection("sel", rec) || !r.MatchSelection("other", rec) || r.MatchSelection("missing", rec) {
		t.Error("MatchSelection disagrees with the selections")
	}
	for _, c := range []struct{ field, want string }{
		{"sourceIPAddress", "198.51.100.7"}, {"requestParameters.n", "42"}, {"requestParameters.flag", "true"},
	} {
		if got, ok := FieldValue(rec, c.field); !ok || got != c.want {
			t.Errorf("FieldValue(%s) = %q, %v", c.field, got, ok)
		}
	}
	if _, ok := FieldValue(rec, "userIdentity.arn"); ok {
		t.Error("FieldValue found an absent field")
	}
}

func TestParseTimeframe(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true}, {"10m", 10 * time.Minute, true}, {"2h", 2 * time.Hour, true},
		{"1d", 24 * time.Hour, true}, {" 5m ", 5 * time.Minute, true},
		{"", 0, false}, {"m", 0, false}, {"0m", 0, false}, {"-1m", 0, false}, {"5w", 0, false}, {"367d", 0, false}, {"1.5h", 0, false},
	} {
		got, err := ParseTimeframe(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseTimeframe(%q) = %v, %v", c.in, got, err)
		}
	}
}

func FuzzParseTimeframe(f *testing.F) {
	for _, s := range []string{"30s", "10m", "1d", "", "99999999999d", "5w", "-3h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeframe(s)
		if err == nil && (d <= 0 || d > 366*24*time.Hour) {
			t.Fatalf("ParseTimeframe(%q) = %v without error", s, d)
		}
	})
}

// Every rule in the reference set's unsupported/ directory has an
// aggregation the threshold engine evaluates.
func TestReferenceAggregatingRules(t *testing.T) {
	dir := corpusDir(t)
	if dir == "" {
		t.Skip("no ../shared/reference/sigma-aws beside this checkout")
	}
	files := ruleFiles(t, filepath.Join(dir, "unsupported"))
	if len(files) != 8 {
		t.Fatalf("%d unsupported rules, want 8", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rule, err := Parse(data)
		if !errors.Is(err, ErrAggregation) || rule == nil {
			t.Errorf("%s: parse: %v", filepath.Base(f), err)
			continue
		}
		a, err := rule.Aggregate()
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if a.Window <= 0 || (a.Kind == AggregateCount && a.Threshold < 2) || (a.Kind == AggregateAll && len(a.Selections) < 2) {
			t.Errorf("%s: aggregate %+v", filepath.Base(f), a)
		}
	}
}

func FuzzAggregate(f *testing.F) {
	for _, s := range [][2]string{
		{"count() > 5", "10m"}, {"count() by sourceIPAddress >= 3", "1d"}, {"near other", ""}, {"", "5m"},
		{"count(x) > 1", "1h"}, {"count() > 99999999999999999999", "1m"}, {"near", "1m"}, {"count() by > 1", "0s"},
	} {
		f.Add(s[0], s[1], true)
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, agg, timeframe string, piped bool) {
		cond := "sel and other"
		if piped {
			cond = "sel | " + agg
		}
		r := &Rule{Title: "t", Condition: cond, Aggregation: agg, Timeframe: timeframe,
			selections: map[string]matcher{"sel": orMatcher{}, "other": orMatcher{}}}
		a, err := r.Aggregate()
		if err != nil {
			return
		}
		if a.Window <= 0 {
			t.Fatalf("window %v", a.Window)
		}
		switch a.Kind {
		case AggregateCount:
			if a.Threshold < 1 {
				t.Fatalf("threshold %d", a.Threshold)
			}
		case AggregateAll:
			for _, s := range a.Selections {
				if _, ok := r.selections[s]; !ok {
					t.Fatalf("unknown selection %q", s)
				}
			}
		default:
			t.Fatalf("kind %q", a.Kind)
		}
	})
}
