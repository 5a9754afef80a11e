package sigma

import (
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(ruleYAML("  sel:\n    eventName|contains|all:\n      - 'a*b'\n      - 'c\\?d'\n  filter_a:\n    - x: null\n    - y|re: '^z'\n  condition: sel and not 1 of filter_*\n")))
	f.Add([]byte(ruleYAML("  a:\n    ip|cidr: 10.0.0.0/8\n  b:\n    u|fieldref|endswith: v\n  c:\n    w|exists: true\n  condition: (a or not b) and all of them\n")))
	f.Add([]byte(ruleYAML("  sel:\n    k|expand: '%p%'\n  timeframe: 5m\n  condition: sel | count() by k > 3\n")))
	f.Add([]byte("title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {s: {a: [1, true, null]}, condition: [s, not s]}\n"))
	if dir := corpusDir(f); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.yml"))
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	rec := map[string]any{
		"eventName": "CreateUser", "x": nil, "ip": "10.1.1.1", "u": "ab", "v": "b",
		"requestParameters": map[string]any{"a": []any{"1", true, map[string]any{"z": "zz"}}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseWithPlaceholders(data, map[string][]string{"p": {"q*", "r"}})
		if err == nil && r == nil {
			t.Fatal("nil rule without error")
		}
		if r != nil {
			_ = r.Match(rec)
			_ = r.Attribution()
		}
		_, _ = ParseMetadata(data)
	})
}
