package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestLoadConfigErrors(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("testdata", "options.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		yaml string
		// line of the error and a fragment of its message.
		line int
		want string
	}{
		{"unknown key", "version: 1\ndeployment:\n  stack_name: W\n  colour: blue\n", 4, "colour"},
		{"bad type", "version: 1\ndeployment:\n  tracing: sometimes\n", 3, "tracing"},
		{"not deployable", "version: 1\nnotifications:\n  channels:\n    - name: s\n      type: slack\n      webhook_url: https://hooks.example.com/x\n  receivers: [{name: r, channels: [s]}]\n  route: {receiver: r}\n", 6, "webhook_url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadConfig(path)
			if err == nil {
				t.Fatalf("loadConfig accepted %q: %+v", tc.yaml, cfg)
			}
			loc := regexp.MustCompile(regexp.QuoteMeta(path) + `:` + strconv.Itoa(tc.line) + `(:\d+)?: .*` + regexp.QuoteMeta(tc.want))
			if !loc.MatchString(err.Error()) {
				t.Errorf("error does not name %s:%d and %q:\n%v", path, tc.line, tc.want, err)
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ok.yaml")
		if err := os.WriteFile(path, valid, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadConfig(path); err != nil {
			t.Errorf("loadConfig(options.yaml): %v", err)
		}
	})
}

// TestCLISynthFailsOnBadConfig runs the real CLI once: a config error must
// fail `cdk synth` and reach the user with its file:line.
func TestCLISynthFailsOnBadConfig(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	cdk := filepath.Join(root, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Skipf("CDK CLI not installed (%v); run npm ci", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("version: 1\ndeployment:\n  stack_nmae: Typo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cdk, "synth", "--quiet", "--no-notices", "--no-version-reporting",
		"-c", contextConfig+"="+bad, "--output", t.TempDir())
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"CDK_DISABLE_VERSION_CHECK=1",
		"CDK_DISABLE_CLI_TELEMETRY=true",
		"JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION=1",
		"JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1",
		"JSII_SILENCE_WARNING_KNOWN_BROKEN_NODE_VERSION=1",
	)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("cdk synth succeeded with a bad config:\n%s", out)
	}
	if !strings.Contains(string(out), bad+":3:") || !strings.Contains(string(out), "stack_nmae") {
		t.Errorf("cdk synth output does not name %s:3 and the key:\n%s", bad, out)
	}
}
