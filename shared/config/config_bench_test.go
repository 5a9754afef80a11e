package config

import (
	"os"
	"testing"
)

func readExample(b *testing.B) []byte {
	b.Helper()
	data, err := os.ReadFile(exampleFiles(b)[0])
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParseYAML is synth-time loading of the documented example.
func BenchmarkParseYAML(b *testing.B) {
	data := readExample(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("watchkeeper.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseNormalizedJSON is what each function does at cold start.
func BenchmarkParseNormalizedJSON(b *testing.B) {
	cfg, err := Parse("watchkeeper.yaml", readExample(b))
	if err != nil {
		b.Fatal(err)
	}
	js, err := cfg.JSON()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(js)))
	for b.Loop() {
		if _, err := Parse("watchkeeper.json", js); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	cfg, err := Parse("watchkeeper.yaml", readExample(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatcherMatches(b *testing.B) {
	eq, err := ParseMatcher(`event_name="AuthorizeSecurityGroupIngress"`)
	if err != nil {
		b.Fatal(err)
	}
	re, err := ParseMatcher(`severity=~"critical|high"`)
	if err != nil {
		b.Fatal(err)
	}
	labels := map[string]string{"event_name": "AuthorizeSecurityGroupIngress", "severity": "high", "alarm": "web-cpu-high"}
	b.Run("equal", func(b *testing.B) {
		for b.Loop() {
			if !eq.Matches(labels) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("regexp", func(b *testing.B) {
		for b.Loop() {
			if !re.Matches(labels) {
				b.Fatal("no match")
			}
		}
	})
}
