package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/watchkeeper/watchkeeper/shared/awstest"
	"github.com/watchkeeper/watchkeeper/shared/silence"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// silenceEnv starts moto with a state table and a stack whose outputs name
// it, and points the SDK's environment at it.
func silenceEnv(t *testing.T) (*silence.Table, string) {
	t.Helper()
	m := awstest.Start(t)
	ctx := t.Context()
	cfg := m.Config(ctx)
	const table = "Watchkeeper-StateTable"
	db := dynamodb.NewFromConfig(cfg)
	if err := state.CreateTable(ctx, db, table); err != nil {
		t.Fatal(err)
	}
	tmpl, _ := json.Marshal(map[string]any{
		"Resources": map[string]any{"Q": map[string]any{"Type": "AWS::SQS::Queue"}},
		"Outputs":   map[string]any{"StateTableName": map[string]any{"Value": table}},
	})
	if _, err := cloudformation.NewFromConfig(cfg).CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String("Watchkeeper"), TemplateBody: aws.String(string(tmpl))}); err != nil {
		t.Fatal(err)
	}
	for _, kv := range m.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	return silence.NewTable(db, table, nil), table
}

func wkRun(t *testing.T, env []string, args ...string) runResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, env, &stdout, &stderr, false)
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

var addedRE = regexp.MustCompile(`^silence ([0-9a-f]{12}) added: `)

// TestSilenceCommands adds, lists and expires silences through `wk silence`
// against the stack and table in moto.
func TestSilenceCommands(t *testing.T) {
	tab, table := silenceEnv(t)
	env := []string{"USER=ana"}

	r := wkRun(t, env, "silence", "add", "-matcher", `alarm=~web-.*`, "--matcher", "env=prod", "-duration", "2h", "-comment", "web redeploy")
	if r.code != exitOK {
		t.Fatalf("add: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mm := addedRE.FindStringSubmatch(r.stdout)
	if mm == nil {
		t.Fatalf("add printed %q", r.stdout)
	}
	id := mm[1]
	cur, err := tab.Current(t.Context())
	if err != nil || len(cur) != 1 {
		t.Fatalf("table after add: %+v, %v", cur, err)
	}
	s := cur[0]
	if s.ID != id || s.Author != "ana" || s.Comment != "web redeploy" || strings.Join(s.MatcherStrings(), " ") != `alarm=~"web-.*" env="prod"` {
		t.Errorf("stored %+v", s)
	}
	if d := s.EndsAt.Sub(s.StartsAt); d != 2*time.Hour {
		t.Errorf("duration stored = %s", d)
	}

	// -until, an explicit author, and -table instead of the stack.
	until := time.Now().Add(3 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	r = wkRun(t, env, "silence", "add", "-table", table, "-matcher", "team=data", "-until", until, "-author", "bo", "-comment", "migration")
	if r.code != exitOK || !strings.Contains(r.stdout, "until "+until) {
		t.Fatalf("add -until: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	id2 := addedRE.FindStringSubmatch(r.stdout)[1]

	r = wkRun(t, env, "silence", "list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if r.code != exitOK || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[0], "MATCHERS") {
		t.Fatalf("list: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.HasPrefix(lines[1], id) || !strings.Contains(lines[1], `alarm=~"web-.*", env="prod"`) || !strings.Contains(lines[1], "ana") || !strings.Contains(lines[1], "web redeploy") {
		t.Errorf("first row = %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], id2) || !strings.Contains(lines[2], "bo") || !strings.Contains(lines[2], until) {
		t.Errorf("second row = %q", lines[2])
	}

	// Expire (flags after the id work too); it leaves list but stays in list -all.
	r = wkRun(t, env, "silence", "expire", id, "-stack", "Watchkeeper")
	if r.code != exitOK || !strings.Contains(r.stdout, "silence "+id+" expired at ") {
		t.Fatalf("expire: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = wkRun(t, env, "silence", "list")
	if strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, id2) {
		t.Errorf("list after expire:\n%s", r.stdout)
	}
	r = wkRun(t, env, "silence", "list", "-all")
	if !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "(ended)") {
		t.Errorf("list -all after expire:\n%s", r.stdout)
	}
	r = wkRun(t, env, "silence", "expire", id)
	if r.code != exitFunctionError || !strings.Contains(r.stderr, "already ended") {
		t.Errorf("expire twice: exit %d, %s", r.code, r.stderr)
	}
	r = wkRun(t, env, "silence", "expire", "000000000000")
	if r.code != exitFunctionError || !strings.Contains(r.stderr, "no such silence") {
		t.Errorf("expire unknown: exit %d, %s", r.code, r.stderr)
	}

	// A stack without the output is a clear error.
	r = wkRun(t, env, "silence", "list", "-stack", "Other")
	if r.code != exitFunctionError || !strings.Contains(r.stderr, "describe stack Other") {
		t.Errorf("unknown stack: exit %d, %s", r.code, r.stderr)
	}

	// -force allows a long silence.
	r = wkRun(t, env, "silence", "add", "-matcher", "env=lab", "-duration", "45d", "-comment", "lab decommissioned", "-force")
	if r.code != exitOK {
		t.Errorf("add -force: exit %d, %s", r.code, r.stderr)
	}
}

// TestSilenceArgumentErrors never reaches AWS: every mistake is caught first.
func TestSilenceArgumentErrors(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1") // nothing listens: reaching it would fail differently
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no subcommand", nil, []string{"silence"}, "usage:"},
		{"unknown subcommand", nil, []string{"silence", "mute"}, `unknown subcommand "mute"`},
		{"no matcher", []string{"USER=ana"}, []string{"silence", "add", "-duration", "1h", "-comment", "x"}, "at least one -matcher is required"},
		{"bad matcher", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "alarm", "-duration", "1h", "-comment", "x"}, "no operator"},
		{"bad regex", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "alarm=~(", "-duration", "1h", "-comment", "x"}, "missing closing )"},
		{"no end", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-comment", "x"}, "-duration or -until is required"},
		{"both ends", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "1h", "-until", "2030-01-01T00:00:00Z", "-comment", "x"}, "not both"},
		{"bad duration", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "soon", "-comment", "x"}, `"soon" is not a positive duration`},
		{"negative duration", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "-1h", "-comment", "x"}, "is not a positive duration"},
		{"bad days", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "0d", "-comment", "x"}, `"0d" is not a duration`},
		{"too long", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "31d", "-comment", "x"}, "longer than 30 days; add -force"},
		{"until too far", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-until", "2099-01-01T00:00:00Z", "-comment", "x"}, "add -force"},
		{"bad until", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-until", "tomorrow", "-comment", "x"}, "not an RFC 3339 time"},
		{"until in the past", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-until", past, "-comment", "x"}, "not in the future"},
		{"bad start", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-start", "now", "-duration", "1h", "-comment", "x"}, "-start \"now\""},
		{"no author", nil, []string{"silence", "add", "-matcher", "a=b", "-duration", "1h", "-comment", "x"}, "an author is required"},
		{"no comment", []string{"USER=ana"}, []string{"silence", "add", "-matcher", "a=b", "-duration", "1h"}, "a comment is required"},
		{"stray argument", []string{"USER=ana"}, []string{"silence", "add", "a=b", "-duration", "1h", "-comment", "x"}, "unexpected arguments"},
		{"unknown flag", nil, []string{"silence", "list", "-everything"}, "flag provided but not defined"},
		{"expire without id", nil, []string{"silence", "expire"}, "exactly one silence id"},
		{"expire two ids", nil, []string{"silence", "expire", "a", "b"}, "exactly one silence id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wkRun(t, tt.env, tt.args...)
			if r.code != exitHarness || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitHarness, tt.want)
			}
		})
	}
}

func TestCellFlattensControlCharacters(t *testing.T) {
	if got := cell("a\tb\nc\x1b[31md"); got != "a b c [31md" {
		t.Errorf("cell = %q", got)
	}
}
