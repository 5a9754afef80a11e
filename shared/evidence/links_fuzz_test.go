package evidence

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzLogsInsightsLink: any filter pattern and log group give a query and a
// console URL that decode back to exactly that query and group.
func FuzzLogsInsightsLink(f *testing.F) {
	for _, seed := range [][2]string{
		{"ERROR", "/app/web"},
		{`?ERROR ?WARN -DEBUG "disk full"`, "/aws/lambda/my-fn"},
		{`{ $.level = "ERROR" && $.user = "a~b" }`, "grp$(x)'y"},
		{`%5\d\d%`, "ü/😀"},
		{`"unterminated \`, "a b"},
	} {
		f.Add(seed[0], seed[1])
	}
	from := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, pattern, group string) {
		if !utf8.ValidString(pattern) || !utf8.ValidString(group) || group == "" {
			t.Skip("log groups and patterns are UTF-8 text")
		}
		q := InsightsQuery(pattern)
		if !strings.HasPrefix(q, "fields @timestamp") || !strings.HasSuffix(q, "| limit 100") {
			t.Fatalf("query %q", q)
		}
		raw := LogsInsightsURL("eu-west-1", []string{group}, q, from, from.Add(5*time.Minute))
		_, d := decodeInsightsURL(t, raw)
		if d["editorString"] != q {
			t.Fatalf("query does not round-trip:\n got %q\nwant %q", d["editorString"], q)
		}
		if src, _ := d["source"].([]any); len(src) != 1 || src[0] != group {
			t.Fatalf("group does not round-trip: %#v", d["source"])
		}
	})
}
