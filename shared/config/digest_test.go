package config

import (
	"os"
	"strings"
	"testing"
)

// The example's weekly digest names receiver ops; each mistake in a digest
// schedule's receivers input fails at synth, pointing at the input.
func TestValidateDigestReceivers(t *testing.T) {
	data, err := os.ReadFile(exampleFiles(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	example := string(data)
	const good = "      receivers: [ops]\n"
	if !strings.Contains(example, good) {
		t.Fatal("the example's weekly digest no longer names receivers: [ops]; update this test")
	}
	if _, err := Parse("watchkeeper.yaml", []byte(example)); err != nil {
		t.Fatalf("example: %v", err)
	}
	for _, tc := range []struct{ name, input, want string }{
		{"unknown", "      receivers: [ops, nobody]\n", `input.receivers: unknown receiver "nobody" (valid: ops, oncall)`},
		{"not a list", "      receivers: ops\n", "input.receivers: must be a list of receiver names"},
		{"not names", "      receivers: [1]\n", "input.receivers: must be a list of receiver names"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("watchkeeper.yaml", []byte(strings.Replace(example, good, tc.input, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "schedules[") {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}
