package config

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func exampleFiles(t testing.TB) []string {
	root := repoRoot(t)
	return []string{filepath.Join(root, "watchkeeper.yaml"), filepath.Join(root, "watchkeeper.local.yaml")}
}

func TestExamplesLoad(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("Validate again: %v", err)
			}
		})
	}
}

func TestExampleContents(t *testing.T) {
	cfg, err := Load(exampleFiles(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.DeployCheck(); err != nil {
		t.Errorf("watchkeeper.yaml must be deployable: %v", err)
	}
	cpu := cfg.Alarms.Metric[0]
	if cpu.Name != "web-cpu-high" || cpu.Comparison != "GreaterThanThreshold" || cpu.Threshold != 80 ||
		cpu.DatapointsToAlarm != 2 || cpu.EvaluationPeriods != 3 || cpu.Dimensions["AutoScalingGroupName"] != "web-asg" {
		t.Errorf("web-cpu-high = %+v", cpu)
	}
	if got := cfg.Notifications.Channels[0].WebhookURL; got.Kind() != SecretsManager || !strings.Contains(got.ARN(), ":123456789012:") {
		t.Errorf("slack webhook ref = %q", got)
	}
	if got := cfg.Notifications.Channels[1].RoutingKey.ParameterName(); got != "/watchkeeper/pagerduty/routing-key" {
		t.Errorf("pagerduty parameter = %q", got)
	}
	rule := cfg.Remediation.Rules[0]
	m, err := ParseMatcher(rule.Matchers[0])
	if err != nil || !m.Matches(map[string]string{"event_name": "AuthorizeSecurityGroupIngress"}) {
		t.Errorf("ingress rule matcher %q: %v", rule.Matchers[0], err)
	}
	if ports, ok := rule.Params["ports"].([]any); !ok || len(ports) != 2 || ports[0] != 22.0 || ports[1] != 3389.0 {
		t.Errorf("ingress rule params = %#v", rule.Params)
	}
}

// The local profile loads cleanly, but synth must refuse it, naming each
// file channel and each env/literal secret with its position.
func TestLocalProfileRejectedBySynth(t *testing.T) {
	f := exampleFiles(t)[1]
	cfg, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Remediation.Mode != ModeDryRun || cfg.Remediation.Rules[0].Mode != ModeEnforce {
		t.Errorf("local profile should be dry-run globally with the ingress rule enforcing")
	}
	err = cfg.DeployCheck()
	list := errorList(t, err)
	fileMsg := "file channels are for the local profile only; use slack, teams, email, pagerduty, webhook or sns"
	types := linesStarting(t, f, "type: file")
	hook := linesStarting(t, f, "webhook_url:")
	sign := linesStarting(t, f, "signing_secret:")
	if len(types) != 4 || len(hook) != 1 || len(sign) != 1 {
		t.Fatalf("local profile changed shape: type: file on lines %v, webhook_url %v, signing_secret %v", types, hook, sign)
	}
	want := []string{
		fmt.Sprintf(`%s:%d:7: notifications.channels[0].type: channel "slack-file": %s`, f, types[0], fileMsg),
		fmt.Sprintf(`%s:%d:7: notifications.channels[1].type: channel "teams-file": %s`, f, types[1], fileMsg),
		fmt.Sprintf(`%s:%d:7: notifications.channels[2].type: channel "email-file": %s`, f, types[2], fileMsg),
		fmt.Sprintf(`%s:%d:7: notifications.channels[3].type: channel "text-file": %s`, f, types[3], fileMsg),
		fmt.Sprintf(`%s:%d:7: notifications.channels[4].webhook_url: channel "local-webhook": webhook_url is a literal secret; store it in Secrets Manager or SSM and reference it (arn:aws:secretsmanager:… or ssm:/…)`, f, hook[0]),
		fmt.Sprintf(`%s:%d:7: notifications.channels[4].signing_secret: channel "local-webhook": env:WATCHKEEPER_WEBHOOK_SECRET is an env: reference; deployed secrets must be a Secrets Manager ARN or ssm:/parameter`, f, sign[0]),
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i := range want {
		if got := list[i].Error(); got != want[i] {
			t.Errorf("error %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	// The literal URL itself must not appear in the message.
	if strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("DeployCheck leaks a literal secret: %v", err)
	}
}

func TestGoldenJSON(t *testing.T) {
	cfg, err := Load(exampleFiles(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := cfg.JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "watchkeeper.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test ./shared/config -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("normalized JSON differs from %s (run go test ./shared/config -update and review the diff)", golden)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, f := range exampleFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			js, err := cfg.JSON()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse("watchkeeper.json", js)
			if err != nil {
				t.Fatalf("normalized JSON does not load: %v", err)
			}
			if !cfg.Equal(back) {
				t.Errorf("round trip changed the config:\n%s", js)
			}
			js2, err := back.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(js, js2) {
				t.Errorf("JSON is not stable across a round trip")
			}
		})
	}
}

func TestEqual(t *testing.T) {
	a, err := Parse("a.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse("b.json", []byte(`{"version": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Equal(b) {
		t.Error("same settings from different sources should be Equal")
	}
	b.Deployment.Tracing = true
	if a.Equal(b) {
		t.Error("different settings reported Equal")
	}
	var nilCfg *Config
	if nilCfg.Equal(a) || !nilCfg.Equal(nil) {
		t.Error("nil handling")
	}
}

// linesStarting returns the 1-based numbers of the lines of file whose text,
// indentation aside, starts with prefix, so that position checks follow the
// file when lines are added above.
func linesStarting(t *testing.T, file, prefix string) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix) {
			out = append(out, i+1)
		}
	}
	return out
}
