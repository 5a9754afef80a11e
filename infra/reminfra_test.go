package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// miniApp synthesizes stacks built by build in an app of their own (no
// functions to bundle) with the cdk-nag checks, and returns each stack's
// template by stack name; it fails the test on any AwsSolutions error and,
// when cfn-lint is installed, on any cfn-lint error.
func miniApp(t *testing.T, build func(app awscdk.App) []awscdk.Stack) map[string]obj {
	t.Helper()
	out := map[string]obj{}
	outdir := t.TempDir()
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synth: %v", r)
			}
		}()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
		stacks := build(app)
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
		app.Synth(nil)
		for _, s := range stacks {
			ann := assertions.Annotations_FromStack(s)
			for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_AnyValue()) {
				t.Errorf("%s: error at %s: %v", *s.StackName(), *e.Id, e.Entry.Data)
			}
			data, err := os.ReadFile(filepath.Join(outdir, *s.TemplateFile()))
			if err != nil {
				t.Fatal(err)
			}
			var tmpl obj
			if err := json.Unmarshal(data, &tmpl); err != nil {
				t.Fatal(err)
			}
			out[*s.StackName()] = tmpl
		}
	}()
	if lint, err := exec.LookPath("cfn-lint"); err == nil {
		files, _ := filepath.Glob(filepath.Join(outdir, "*.template.json"))
		res, _ := exec.Command(lint, append([]string{"--format", "json", "--"}, files...)...).Output()
		var matches []struct {
			Level, Filename, Message string
			Rule                     struct{ Id string }
		}
		if err := json.Unmarshal(res, &matches); err != nil {
			t.Fatalf("cfn-lint output %q: %v", res, err)
		}
		for _, m := range matches {
			if m.Level == "Error" {
				t.Errorf("cfn-lint %s: %s %s", filepath.Base(m.Filename), m.Rule.Id, m.Message)
			}
		}
	}
	return out
}

// ofType returns the resources of typ in a template.
func ofType(tmpl obj, typ string) []obj {
	var out []obj
	for _, id := range sortedKeys(tmpl["Resources"].(obj)) {
		if r := tmpl["Resources"].(obj)[id].(obj); r["Type"] == typ {
			out = append(out, r)
		}
	}
	return out
}

// flat renders a value (tokens included) as compact JSON for substring checks.
func flat(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNeedsGlobalEvents(t *testing.T) {
	iamRule := config.EventRule{Name: "iam", Pattern: map[string]any{"source": []any{"aws.iam"}}, Targets: []string{"notifier"}}
	cases := []struct {
		name   string
		region string
		events []config.EventRule
		rules  []config.RemediationRule
		want   bool
	}{
		{"us-east-1 sees them itself", "us-east-1", []config.EventRule{iamRule}, nil, false},
		{"region unknown", "", []config.EventRule{iamRule}, nil, false},
		{"IAM event rule", "eu-west-1", []config.EventRule{iamRule}, nil, true},
		{"sign-in detail type", "eu-west-1", []config.EventRule{{Name: "s", Pattern: map[string]any{"detail-type": []any{"AWS Console Sign In via CloudTrail"}}, Targets: []string{"notifier"}}}, nil, true},
		{"every API call", "eu-west-1", []config.EventRule{{Name: "all", Pattern: map[string]any{"detail-type": []any{"AWS API Call via CloudTrail"}}, Targets: []string{"remediator"}}}, nil, true},
		{"EC2 only", "eu-west-1", []config.EventRule{{Name: "ec2", Pattern: map[string]any{"source": []any{"aws.ec2"}, "detail-type": []any{"AWS API Call via CloudTrail"}}, Targets: []string{"remediator"}}}, nil, false},
		{"remediation on IAM events", "eu-west-1", nil, []config.RemediationRule{{Name: "keys", Matchers: []string{`event_source="iam.amazonaws.com"`}, Action: "iam-deactivate-access-key"}}, true},
		{"remediation on STS regex", "eu-west-1", nil, []config.RemediationRule{{Name: "sts", Matchers: []string{`event_source=~"sts.*"`}, Action: "iam-attach-deny-all"}}, true},
		{"remediation on EC2", "eu-west-1", nil, []config.RemediationRule{{Name: "ssh", Matchers: []string{`event_source="ec2.amazonaws.com"`}, Action: "revoke-open-ingress"}}, false},
		{"remediation on not-IAM", "eu-west-1", nil, []config.RemediationRule{{Name: "x", Matchers: []string{`event_source!="iam.amazonaws.com"`}, Action: "revoke-open-ingress"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &config.Config{Deployment: config.Deployment{Region: tc.region}, Events: tc.events, Remediation: config.Remediation{Rules: tc.rules}}
			got, why := needsGlobalEvents(cfg)
			if got != tc.want || got == (why == "") {
				t.Errorf("needsGlobalEvents = %v %q, want %v", got, why, tc.want)
			}
		})
	}
	long := strings.Repeat("S", 100)
	if n := globalEventsRoleName(long, "ap-southeast-2"); len(n) != maxRoleNameLength || !strings.HasSuffix(n, "-GlobalEvents-ap-southeast-2") {
		t.Errorf("role name %q (%d)", n, len(n))
	}
}

// The forwarder stack in us-east-1 and the home stack's bus policy: a rule
// on the global sources whose one target is the home default bus, through a
// role that may only put events there, which the home bus lets in.
func TestGlobalEventsStacks(t *testing.T) {
	cfg := &config.Config{Deployment: config.Deployment{StackName: "WK", Region: "eu-west-1", Account: "111122223333", BootstrapQualifier: "hnb659fds"},
		Events: []config.EventRule{{Name: "iam", Pattern: map[string]any{"source": []any{"aws.iam"}}, Targets: []string{"notifier"}}}}
	role := globalEventsRoleName("WK", "eu-west-1")
	tmpls := miniApp(t, func(app awscdk.App) []awscdk.Stack {
		fwd := newGlobalEvents(app, cfg, "WK")
		home := awscdk.NewStack(app, jsii.String("WK"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("eu-west-1")}})
		allowGlobalEvents(home, role)
		if *fwd.Region() != GlobalEventsRegion || *fwd.Account() != "111122223333" {
			t.Errorf("forwarder stack in %s/%s", *fwd.Account(), *fwd.Region())
		}
		return []awscdk.Stack{fwd, home}
	})
	fwd, home := tmpls[globalEventsStackName("WK")], tmpls["WK"]
	if fwd == nil || home == nil {
		t.Fatalf("stacks: %v", sortedKeys(tmpls))
	}
	rules := ofType(fwd, "AWS::Events::Rule")
	if len(rules) != 1 {
		t.Fatalf("%d rules in the forwarder", len(rules))
	}
	rp := props(rules[0])
	pattern := rp["EventPattern"].(obj)
	if !slices.Equal(asStrings(pattern["source"]), globalEventSources) || !slices.Equal(asStrings(pattern["detail-type"]), globalEventDetailTypes) {
		t.Errorf("pattern = %v", pattern)
	}
	targets := asSlice(rp["Targets"])
	if len(targets) != 1 {
		t.Fatalf("targets = %v", targets)
	}
	busARN := "arn:aws:events:eu-west-1:111122223333:event-bus/default"
	if got := flat(dig(targets[0], "Arn")); !strings.Contains(got, ":events:eu-west-1:") || !strings.Contains(got, "event-bus/default") {
		t.Errorf("target = %s, want the eu-west-1 default bus", got)
	}
	if dig(targets[0], "DeadLetterConfig", "Arn") == nil || dig(targets[0], "RoleArn") == nil {
		t.Errorf("target without DLQ or role: %v", targets[0])
	}
	roles := ofType(fwd, "AWS::IAM::Role")
	if len(roles) != 1 || props(roles[0])["RoleName"] != role || !strings.Contains(flat(props(roles[0])["AssumeRolePolicyDocument"]), eventsPrincipal) {
		t.Fatalf("roles = %v", roles)
	}
	var allowed []string
	for _, p := range ofType(fwd, "AWS::IAM::Policy") {
		for _, st := range asSlice(dig(props(p), "PolicyDocument", "Statement")) {
			allowed = append(allowed, flat(dig(st, "Action"))+" on "+flat(dig(st, "Resource")))
		}
	}
	if len(allowed) != 1 || !strings.HasPrefix(allowed[0], `"events:PutEvents" on `) || !strings.Contains(allowed[0], "event-bus/default") || !strings.Contains(allowed[0], "eu-west-1") {
		t.Errorf("forwarder role may %v; want only events:PutEvents on %s", allowed, busARN)
	}
	pols := ofType(home, "AWS::Events::EventBusPolicy")
	if len(pols) != 1 {
		t.Fatalf("%d bus policies in the home stack", len(pols))
	}
	pp := props(pols[0])
	st := flat(pp["Statement"])
	if pp["EventBusName"] != "default" || !strings.Contains(st, `"events:PutEvents"`) || !strings.Contains(st, "aws:PrincipalArn") || !strings.Contains(st, ":role/"+role) {
		t.Errorf("home bus policy = %s", flat(pp))
	}
}

func asStrings(v any) []string {
	var out []string
	for _, e := range asSlice(v) {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// The created trail's hardening: a rotating CMK with CloudTrail's key
// policy, the bucket lifecycle from config and the data event selectors.
func TestTrailHardening(t *testing.T) {
	cases := []struct {
		name            string
		glacier, expire int
		data            config.TrailDataEvents
	}{
		{"lifecycle and data events", 30, 400, config.TrailDataEvents{S3Buckets: []string{"payroll-exports", "customer-data"}, Lambda: true}},
		{"keep forever, no data events", 0, 0, config.TrailDataEvents{}},
		{"expiry only", 0, 3650, config.TrailDataEvents{Lambda: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmpls := miniApp(t, func(app awscdk.App) []awscdk.Stack {
				stack := awscdk.NewStack(app, jsii.String("TrailTest"), &awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111122223333"), Region: jsii.String("eu-west-1")}})
				detector := awslambda.Function_FromFunctionAttributes(stack, jsii.String("Detector"), &awslambda.FunctionAttributes{
					FunctionArn: jsii.String("arn:aws:lambda:eu-west-1:111122223333:function:detector"), SameEnvironment: jsii.Bool(true)})
				NewTrail(stack, "Trail", &TrailProps{Create: true, LogRetention: awslogs.RetentionDays_THREE_MONTHS,
					RemovalPolicy: awscdk.RemovalPolicy_RETAIN, Detector: detector,
					GlacierAfterDays: tc.glacier, ExpireAfterDays: tc.expire, DataEvents: tc.data})
				return []awscdk.Stack{stack}
			})
			tmpl := tmpls["TrailTest"]
			trails := ofType(tmpl, "AWS::CloudTrail::Trail")
			if len(trails) != 1 {
				t.Fatalf("%d trails", len(trails))
			}
			tp := props(trails[0])
			keyID, ok := refID(tp["KMSKeyId"])
			if !ok {
				t.Fatalf("trail KMSKeyId = %v, want a key of the stack", tp["KMSKeyId"])
			}
			key := tmpl["Resources"].(obj)[keyID].(obj)
			if props(key)["EnableKeyRotation"] != true {
				t.Error("trail key rotation is off")
			}
			var encrypt, describe bool
			for _, st := range asSlice(dig(props(key), "KeyPolicy", "Statement")) {
				f := flat(st)
				if !strings.Contains(f, cloudTrailPrincipal) {
					continue
				}
				if !strings.Contains(f, "aws:SourceAccount") {
					t.Errorf("CloudTrail key statement without aws:SourceAccount: %s", f)
				}
				encrypt = encrypt || strings.Contains(f, "kms:GenerateDataKey*") && strings.Contains(f, "kms:EncryptionContext:aws:cloudtrail:arn")
				describe = describe || strings.Contains(f, "kms:DescribeKey")
			}
			if !encrypt || !describe {
				t.Errorf("key policy lets CloudTrail encrypt %v, describe %v; want both", encrypt, describe)
			}

			var rules []any
			for _, b := range ofType(tmpl, "AWS::S3::Bucket") {
				if dig(props(b), "LoggingConfiguration") != nil {
					rules = asSlice(dig(props(b), "LifecycleConfiguration", "Rules"))
				}
			}
			switch {
			case tc.glacier == 0 && tc.expire == 0:
				if len(rules) != 0 {
					t.Errorf("lifecycle rules %v, want none", rules)
				}
			case len(rules) != 1:
				t.Errorf("lifecycle rules %v, want one", rules)
			default:
				r := rules[0].(obj)
				tr := flat(r["Transitions"])
				if tc.glacier > 0 && (!strings.Contains(tr, `"StorageClass":"GLACIER"`) || !strings.Contains(tr, fmt.Sprintf(`"TransitionInDays":%d`, tc.glacier))) {
					t.Errorf("transitions %s, want GLACIER after %d days", tr, tc.glacier)
				}
				if tc.glacier == 0 && r["Transitions"] != nil {
					t.Errorf("transitions %s, want none", tr)
				}
				if got := r["ExpirationInDays"]; got != float64(tc.expire) {
					t.Errorf("ExpirationInDays = %v, want %d", got, tc.expire)
				}
			}

			sel := flat(tp["EventSelectors"])
			for _, b := range tc.data.S3Buckets {
				if !strings.Contains(sel, "arn:aws:s3:::"+b+"/") && !strings.Contains(sel, ":s3:::"+b+"/") {
					t.Errorf("event selectors %s lack bucket %s", sel, b)
				}
			}
			if tc.data.Lambda != strings.Contains(sel, "AWS::Lambda::Function") {
				t.Errorf("event selectors %s: Lambda data events %v", sel, tc.data.Lambda)
			}
			if !strings.Contains(sel, `"IncludeManagementEvents":true`) {
				t.Errorf("event selectors %s lost the management events", sel)
			}
		})
	}
}

func TestMemberRoleGrant(t *testing.T) {
	env := arnEnv{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	if g := memberRoleGrant(&config.Config{}, env); g != nil {
		t.Errorf("no member accounts: grant %+v", g)
	}
	cfg := &config.Config{Remediation: config.Remediation{CrossAccount: config.CrossAccount{RoleName: "WKRemediate", Accounts: []string{"222222222222", "111111111111"}}}}
	g := memberRoleGrant(cfg, env)
	want := []string{"arn:aws:iam::111111111111:role/WKRemediate", "arn:aws:iam::222222222222:role/WKRemediate"}
	if g == nil || !slices.Equal(g.Actions, []string{"sts:AssumeRole"}) || !slices.Equal(g.Resources, want) || len(g.Wildcards) != 0 {
		t.Fatalf("grant = %+v, want sts:AssumeRole on %v only", g, want)
	}
	grants, err := remediatorGrants(cfg, env, nil)
	if err != nil || grantFor(grants, "AssumeMemberRoles") == nil {
		t.Errorf("remediatorGrants = %+v, %v; want the member role grant", grants, err)
	}
}

// In the full synths: the remediator's subscription to the alarm topic has
// the filter its rules allow (the example's rules name web-cpu-high; the
// options' rules match no alarm, so there is no subscription), and the
// created trail uses its CMK and the default lifecycle.
func TestRemediatorSubscriptionAndTrailKey(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		f := remediatorAlarmFilter(s.cfg.Remediation.Rules)
		remediator := s.functionIDs(t)[config.FunctionRemediator]
		var sub obj
		for _, r := range s.resources("AWS::SNS::Subscription") {
			if id, _ := refID(props(r)["Endpoint"]); id == remediator {
				sub = props(r)
			}
		}
		switch {
		case !f.Subscribe && sub != nil:
			t.Errorf("remediator subscribed although no rule matches an alarm: %v", sub)
		case f.Subscribe && sub == nil:
			t.Error("remediator not subscribed to the alarm topic")
		case f.Filtered():
			if sub["FilterPolicyScope"] != "MessageBody" {
				t.Errorf("FilterPolicyScope = %v", sub["FilterPolicyScope"])
			}
			got := asSlice(dig(sub, "FilterPolicy", alarmNameKey))
			for _, n := range f.Names {
				if !slices.Contains(got, any(n)) {
					t.Errorf("filter %v lacks alarm %s", got, n)
				}
			}
		}
		if s.name == exampleSynth && !slices.Contains(f.Names, "web-cpu-high") {
			t.Errorf("example filter = %+v, want web-cpu-high", f)
		}
		if !*s.cfg.Trail.Create {
			return
		}
		for _, tr := range s.resources("AWS::CloudTrail::Trail") {
			keyID, ok := refID(props(tr)["KMSKeyId"])
			if !ok || props(s.resource(keyID))["EnableKeyRotation"] != true {
				t.Errorf("trail key %v is not a rotating key of the stack", props(tr)["KMSKeyId"])
			}
		}
		var lifecycle string
		for _, b := range s.resources("AWS::S3::Bucket") {
			if props(b)["LoggingConfiguration"] != nil {
				lifecycle = flat(props(b)["LifecycleConfiguration"])
			}
		}
		if !strings.Contains(lifecycle, fmt.Sprintf(`"TransitionInDays":%d`, s.cfg.Trail.GlacierAfterDays)) ||
			!strings.Contains(lifecycle, fmt.Sprintf(`"ExpirationInDays":%d`, s.cfg.Trail.ExpireAfterDays)) {
			t.Errorf("trail bucket lifecycle %s, want Glacier after %d and expiry after %d days", lifecycle, s.cfg.Trail.GlacierAfterDays, s.cfg.Trail.ExpireAfterDays)
		}
	})
}
