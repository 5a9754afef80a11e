package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The CDK bindings are slow (a Node process behind every call), so each
// config is synthesized at most once per test binary, on first use, and
// shared by every test; TestMain closes the jsii runtime at the end.
var (
	synthOnce = map[string]*sync.Once{exampleSynth: {}, optionsSynth: {}}
	synths    = map[string]*synthesis{}
	synthErrs = map[string]error{}
	outdirs   []string
)

// Names of the two synthesized apps.
const (
	// exampleSynth is the repo's watchkeeper.yaml, as `cdk synth` sees it.
	exampleSynth = "example"
	// optionsSynth is testdata/options.yaml: boundary, tracing, existing trail, qualifier, destroy.
	optionsSynth = "options"
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	jsii.Close()
	for _, d := range outdirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}

// synthesis is one synthesized app and everything the tests read from it.
type synthesis struct {
	name    string
	root    string
	cfgPath string
	cfg     *config.Config
	stack   awscdk.Stack
	outdir  string
	// assembly is the cloud assembly app.Synth returned.
	assembly cxapi.CloudAssembly
	// template is the stack template as the CLI would upload it.
	template map[string]any
	// assert wraps the same stack for the assertions package.
	assert assertions.Template

	annotationsOnce sync.Once
	annotations     assertions.Annotations
}

// synth returns the named synthesis, synthesizing it on first use.
func synth(t *testing.T, name string) *synthesis {
	t.Helper()
	synthOnce[name].Do(func() {
		synths[name], synthErrs[name] = synthesize(name)
	})
	if err := synthErrs[name]; err != nil {
		t.Fatalf("synth %s: %v", name, err)
	}
	return synths[name]
}

// bothSynths runs f as a subtest for each synthesized app.
func bothSynths(t *testing.T, f func(t *testing.T, s *synthesis)) {
	t.Helper()
	for _, name := range []string{exampleSynth, optionsSynth} {
		t.Run(name, func(t *testing.T) { f(t, synth(t, name)) })
	}
}

// configPathFor is the config file each synthesis loads.
func configPathFor(root, name string) string {
	if name == exampleSynth {
		return filepath.Join(root, "watchkeeper.yaml")
	}
	return filepath.Join(root, "infra", "testdata", "options.yaml")
}

// synthesize builds an app the way `cdk synth` does (cdk.json context plus
// asset metadata, which the CLI adds for SAM) and synthesizes it.
func synthesize(name string) (s *synthesis, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("jsii: %v", r)
		}
	}()
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	ctx, err := cdkJSONContext(root)
	if err != nil {
		return nil, err
	}
	cfgPath := configPathFor(root, name)
	ctx[contextConfig] = cfgPath
	ctx["aws:cdk:enable-asset-metadata"] = true
	outdir, err := os.MkdirTemp("", "watchkeeper-infra-"+name+"-")
	if err != nil {
		return nil, err
	}
	outdirs = append(outdirs, outdir)

	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	stack, cfg, err := defineApp(app, root)
	if err != nil {
		return nil, err
	}
	asm := app.Synth(nil)
	data, err := os.ReadFile(filepath.Join(outdir, *stack.TemplateFile()))
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(data, &tmpl); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return &synthesis{
		name: name, root: root, cfgPath: cfgPath, cfg: cfg, stack: stack, outdir: outdir,
		assembly: asm, template: tmpl, assert: assertions.Template_FromStack(stack, nil),
	}, nil
}

// cdkJSONContext is the "context" of the repo's cdk.json (feature flags included).
func cdkJSONContext(root string) (map[string]any, error) {
	data, err := os.ReadFile(filepath.Join(root, "cdk.json"))
	if err != nil {
		return nil, fmt.Errorf("read cdk.json: %w", err)
	}
	var doc struct {
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parse cdk.json: %w", err)
	}
	if doc.Context == nil {
		doc.Context = map[string]any{}
	}
	return doc.Context, nil
}

// Annotations returns the stack's synthesis messages (nag findings included).
func (s *synthesis) Annotations() assertions.Annotations {
	s.annotationsOnce.Do(func() { s.annotations = assertions.Annotations_FromStack(s.stack) })
	return s.annotations
}

// check runs one CDK assertion; the assertions package reports a mismatch
// by panicking through jsii, which would end the whole test binary.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// obj and arr shorten matcher literals.
type obj = map[string]any

func arr(v ...any) *[]any { return &v }

// like is Match_ObjectLike over a literal.
func like(m obj) assertions.Matcher { return assertions.Match_ObjectLike(&m) }

// resources returns the template's resources of type typ by logical id.
func (s *synthesis) resources(typ string) map[string]obj {
	out := map[string]obj{}
	for id, r := range s.template["Resources"].(obj) {
		res := r.(obj)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// resource returns one resource by logical id.
func (s *synthesis) resource(id string) obj {
	r, _ := s.template["Resources"].(obj)[id].(obj)
	return r
}

// props returns a resource's Properties.
func props(r obj) obj {
	p, _ := r["Properties"].(obj)
	return p
}

// functionIDs maps logical function name (notifier, …) to the logical id of its AWS::Lambda::Function.
func (s *synthesis) functionIDs(t *testing.T) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for id, r := range s.resources("AWS::Lambda::Function") {
		vars, _ := dig(props(r), "Environment", "Variables").(obj)
		name, _ := vars["WATCHKEEPER_FUNCTION"].(string)
		if name == "" {
			t.Errorf("function %s has no WATCHKEEPER_FUNCTION", id)
			continue
		}
		ids[name] = id
	}
	for _, name := range config.FunctionNames() {
		if ids[name] == "" {
			t.Fatalf("no function %s in the template", name)
		}
	}
	return ids
}

// roleID is the logical id of the execution role of function fnID.
func (s *synthesis) roleID(t *testing.T, fnID string) string {
	t.Helper()
	id, ok := refID(dig(props(s.resource(fnID)), "Role"))
	if !ok {
		t.Fatalf("function %s: role is not a GetAtt of a role in the stack", fnID)
	}
	return id
}

// dig walks nested objects by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(obj)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// refID returns the logical id a {"Ref": id} or {"Fn::GetAtt": [id, attr]} points to.
func refID(v any) (string, bool) {
	m, ok := v.(obj)
	if !ok {
		return "", false
	}
	if id, ok := m["Ref"].(string); ok {
		return id, true
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
		id, ok := ga[0].(string)
		return id, ok
	}
	return "", false
}

// statements returns every statement of every IAM policy attached to role roleID.
func (s *synthesis) statements(roleID string) []obj {
	var out []obj
	for _, id := range sortedKeys(s.resources("AWS::IAM::Policy")) {
		p := props(s.resource(id))
		attached := false
		for _, r := range asSlice(p["Roles"]) {
			if rid, ok := refID(r); ok && rid == roleID {
				attached = true
			}
		}
		if !attached {
			continue
		}
		for _, st := range asSlice(dig(p, "PolicyDocument", "Statement")) {
			out = append(out, st.(obj))
		}
	}
	for _, pol := range asSlice(props(s.resource(roleID))["Policies"]) {
		for _, st := range asSlice(dig(pol, "PolicyDocument", "Statement")) {
			out = append(out, st.(obj))
		}
	}
	return out
}

// actions lists every action a set of statements allows.
func actions(sts []obj) []string {
	var out []string
	for _, st := range sts {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, a := range asSlice(st["Action"]) {
			out = append(out, a.(string))
		}
	}
	sort.Strings(out)
	return out
}

// resourcesFor lists the resources of the statements that allow action.
func resourcesFor(sts []obj, action string) []any {
	var out []any
	for _, st := range sts {
		if st["Effect"] != "Allow" {
			continue
		}
		for _, a := range asSlice(st["Action"]) {
			if a == action {
				out = append(out, asSlice(st["Resource"])...)
			}
		}
	}
	return out
}

// asSlice treats a scalar as a one-element list, as IAM and CloudFormation do.
func asSlice(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// logicalIDHash is the 8-hex-digit suffix the CDK appends to logical ids.
var logicalIDHash = regexp.MustCompile(`^([A-Za-z0-9]+?)[0-9A-F]{8}$`)

// normalize makes a template fragment stable for golden files: logical ids
// lose their hash suffix and asset hashes become a placeholder.
func normalize(v any) any {
	switch x := v.(type) {
	case obj:
		out := obj{}
		for k, val := range x {
			out[k] = normalize(val)
		}
		if id, ok := x["Ref"].(string); ok && len(x) == 1 {
			out["Ref"] = stripHash(id)
		}
		if ga, ok := x["Fn::GetAtt"].([]any); ok && len(ga) == 2 {
			if id, ok := ga[0].(string); ok {
				out["Fn::GetAtt"] = []any{stripHash(id), ga[1]}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = normalize(val)
		}
		return out
	case string:
		return assetHash.ReplaceAllString(x, "<asset-hash>")
	default:
		return v
	}
}

// assetHash matches a 64-hex-digit asset hash.
var assetHash = regexp.MustCompile(`[0-9a-f]{64}`)

// stripHash removes the CDK's hash suffix from a logical id.
func stripHash(id string) string {
	if m := logicalIDHash.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	return id
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./infra -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the synthesized policy (go test ./infra -update refreshes it after review):\n%s",
			path, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the lines only in want (-) or only in got (+), in order.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	inW, inG := map[string]int{}, map[string]int{}
	for _, l := range w {
		inW[l]++
	}
	for _, l := range g {
		inG[l]++
	}
	var b strings.Builder
	for _, l := range w {
		if inG[l] == 0 {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if inW[l] == 0 {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
