package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCfnLint lints both synthesized templates when cfn-lint is installed:
// no errors allowed; warnings are logged.
func TestCfnLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not on PATH")
	}
	var templates []string
	for _, name := range []string{exampleSynth, optionsSynth} {
		s := synth(t, name)
		templates = append(templates, filepath.Join(s.outdir, *s.stack.TemplateFile()))
	}
	out, err := exec.Command(lint, append([]string{"--format", "json", "--"}, templates...)...).Output()
	var matches []struct {
		Level    string
		Filename string
		Message  string
		Rule     struct{ Id string }
	}
	if jerr := json.Unmarshal(out, &matches); jerr != nil {
		t.Fatalf("cfn-lint: %v; output %q (parse: %v)", err, out, jerr)
	}
	for _, m := range matches {
		if m.Level == "Error" {
			t.Errorf("%s: %s %s", filepath.Base(m.Filename), m.Rule.Id, m.Message)
		} else {
			t.Logf("%s %s: %s %s", m.Level, filepath.Base(m.Filename), m.Rule.Id, m.Message)
		}
	}
}
