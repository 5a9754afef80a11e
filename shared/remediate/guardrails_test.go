package remediate

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// sampleEventID is the EventBridge id of the sample security group event.
const sampleEventID = "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"

// sgTrigger is the sample AuthorizeSecurityGroupIngress event naming group
// id, delivered as a distinct event (its own idempotency key).
func sgTrigger(t *testing.T, id, eventID string) []byte {
	t.Helper()
	return bytes.ReplaceAll(sgEvent(t, id), []byte(sampleEventID), []byte(eventID))
}

// withGuardrails is remediationConfig with guardrails changed by set.
func withGuardrails(cfg *config.Config, set func(*config.Guardrails)) *config.Config {
	set(&cfg.Remediation.Guardrails)
	return cfg
}

// openSSH is the permission the close-ssh rule revokes.
var openSSH = []ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0")}

// reopen authorizes SSH from anywhere on the group again.
func (e motoEnv) reopen(t *testing.T, id string) {
	t.Helper()
	if _, err := ec2.NewFromConfig(e.cfg).AuthorizeSecurityGroupIngress(context.Background(),
		&ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String(id), IpPermissions: openSSH}); err != nil {
		t.Fatalf("authorize ingress: %v", err)
	}
}

// one returns the single remediation of resp.
func one(t *testing.T, resp outcome.Response) outcome.Remediation {
	t.Helper()
	if len(resp.Remediations) != 1 {
		t.Fatalf("%d remediations, want 1: %+v", len(resp.Remediations), resp)
	}
	return resp.Remediations[0]
}

// lastAudit is the latest of recs about resource.
func lastAudit(t *testing.T, recs []state.AuditRecord, resource string) state.AuditRecord {
	t.Helper()
	var last state.AuditRecord
	for _, r := range recs {
		if r.Fields["resource"] == resource && !r.Time.Before(last.Time) {
			last = r
		}
	}
	if last.ID == "" {
		t.Fatalf("no audit record for %s in %+v", resource, recs)
	}
	return last
}

func TestCooldown(t *testing.T) {
	h := newHarness(t, withGuardrails(remediationConfig(config.ModeEnforce, closeSSH), func(g *config.Guardrails) { g.Cooldown = "15m" }))
	id := h.env.seedGroup(t, openSSH, nil)

	if r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-1"))); r.Outcome != alert.OutcomeApplied {
		t.Fatalf("first trigger: %+v, want applied", r)
	}
	if got := flatten(h.env.ingress(t, id)); len(got) != 0 {
		t.Fatalf("ingress after apply = %q, want none", got)
	}

	// Someone opens SSH again within the window: the remediator leaves it.
	h.env.reopen(t, id)
	h.clk.advance(14 * time.Minute)
	r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-2")))
	if r.Outcome != alert.OutcomeSkipped || r.Detail != "revoke-open-ingress changed "+id+" less than 15m0s ago (cooldown)" {
		t.Fatalf("within the cooldown: %+v", r)
	}
	if got := flatten(h.env.ingress(t, id)); !slices.Equal(got, []string{"tcp 22-22 0.0.0.0/0"}) {
		t.Fatalf("ingress within the cooldown = %q, want untouched", got)
	}
	if rec := lastAudit(t, h.audit(t), id); rec.Fields["guardrail"] != GuardrailCooldown || rec.Fields["outcome"] != alert.OutcomeSkipped {
		t.Errorf("audit = %+v", rec)
	}
	h.bus.mu.Lock()
	last := h.bus.events[len(h.bus.events)-1]
	h.bus.mu.Unlock()
	if last.Label(alert.LabelGuardrail) != GuardrailCooldown {
		t.Errorf("published %+v, want the cooldown guardrail", last.Labels)
	}

	// After the window it acts again.
	h.clk.advance(time.Minute + time.Second)
	if r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-3"))); r.Outcome != alert.OutcomeApplied {
		t.Fatalf("after the cooldown: %+v, want applied", r)
	}
	if got := flatten(h.env.ingress(t, id)); len(got) != 0 {
		t.Fatalf("ingress after the cooldown = %q, want none", got)
	}
}

func TestCooldownIsPerResourceAndStartsOnlyWhenApplied(t *testing.T) {
	h := newHarness(t, remediationConfig(config.ModeEnforce, closeSSH))
	a := h.env.seedGroup(t, openSSH, nil)
	b := h.env.seedGroup(t, openSSH, nil)
	if r := one(t, handle(t, h.svc, sgTrigger(t, a, "ev-a"))); r.Outcome != alert.OutcomeApplied {
		t.Fatalf("group a: %+v", r)
	}
	// The default cooldown (15m) is per resource: another group is acted on.
	if r := one(t, handle(t, h.svc, sgTrigger(t, b, "ev-b"))); r.Outcome != alert.OutcomeApplied {
		t.Fatalf("group b: %+v", r)
	}
	// A dry-run plan or a skipped decision starts no cooldown.
	c := h.env.seedGroup(t, openSSH, map[string]string{"watchkeeper:remediate": "off"})
	if r := one(t, handle(t, h.svc, sgTrigger(t, c, "ev-c1"))); r.Outcome != alert.OutcomeSkipped {
		t.Fatalf("opted-out group: %+v", r)
	}
	cooling, err := h.store.Seen(context.Background(), state.Dedup, cooldownID("revoke-open-ingress", "arn:aws:ec2:eu-west-1:123456789012:security-group/"+c))
	if err != nil || cooling {
		t.Fatalf("cooldown mark on a skipped group: %t, %v", cooling, err)
	}
	cooling, err = h.store.Seen(context.Background(), state.Dedup, cooldownID("revoke-open-ingress", "arn:aws:ec2:eu-west-1:123456789012:security-group/"+a))
	if err != nil || !cooling {
		t.Fatalf("cooldown mark on an applied group: %t, %v", cooling, err)
	}
}

// circuitEvents are the published circuit-opened events.
func (b *busRecorder) circuitEvents() []alert.Alert {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []alert.Alert
	for _, a := range b.events {
		if a.Label(LabelCircuit) == CircuitOpened {
			out = append(out, a)
		}
	}
	return out
}

func TestCircuitBreaker(t *testing.T) {
	h := newHarness(t, withGuardrails(remediationConfig(config.ModeEnforce, closeSSH), func(g *config.Guardrails) { g.MaxActionsPerHour = 2 }))
	ids := []string{h.env.seedGroup(t, openSSH, nil), h.env.seedGroup(t, openSSH, nil), h.env.seedGroup(t, openSSH, nil)}
	var got []string
	for i, id := range ids {
		h.clk.advance(time.Minute)
		r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-"+id)))
		got = append(got, r.Outcome)
		if i == 2 && !strings.HasPrefix(r.Detail, "circuit open: rule close-ssh made its max_actions_per_hour (2) changes in the hour from 2026-11-25T10:00 UTC") {
			t.Errorf("circuit-open detail = %q", r.Detail)
		}
	}
	if want := []string{alert.OutcomeApplied, alert.OutcomeApplied, alert.OutcomeSkipped}; !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if got := flatten(h.env.ingress(t, ids[2])); !slices.Equal(got, []string{"tcp 22-22 0.0.0.0/0"}) {
		t.Fatalf("third group's ingress = %q, want untouched", got)
	}
	if rec := lastAudit(t, h.audit(t), ids[2]); rec.Fields["guardrail"] != GuardrailCircuitOpen {
		t.Errorf("audit = %+v", rec)
	}
	ctx := context.Background()
	window := windowOf(h.clk.now())
	if n, err := h.counter.Count(ctx, counterID("close-ssh", window)); err != nil || n != 2 {
		t.Errorf("counter = %d, %v; want 2", n, err)
	}

	// A further trigger in the same hour is refused without a second announcement.
	fourth := h.env.seedGroup(t, openSSH, nil)
	h.clk.advance(time.Minute)
	if r := one(t, handle(t, h.svc, sgTrigger(t, fourth, "ev-4"))); r.Outcome != alert.OutcomeSkipped {
		t.Fatalf("fourth trigger: %+v", r)
	}
	evs := h.bus.circuitEvents()
	if len(evs) != 1 {
		t.Fatalf("%d circuit-opened events, want 1", len(evs))
	}
	if e := evs[0]; e.Label(alert.LabelRule) != "close-ssh" || e.Label(alert.LabelGuardrail) != GuardrailCircuitOpen ||
		e.Severity != alert.SeverityHigh || !strings.Contains(e.Title, "circuit opened") {
		t.Errorf("circuit-opened event = %+v", e)
	}
	var circuitAudits int
	for _, r := range h.audit(t) {
		if r.Fields[LabelCircuit] == CircuitOpened {
			circuitAudits++
		}
	}
	if circuitAudits != 1 {
		t.Errorf("%d circuit-opened audit records, want 1", circuitAudits)
	}

	// The next hour's bucket starts empty.
	h.clk.t = h.clk.t.Truncate(time.Hour).Add(time.Hour)
	if r := one(t, handle(t, h.svc, sgTrigger(t, fourth, "ev-5"))); r.Outcome != alert.OutcomeApplied {
		t.Fatalf("next hour: %+v, want applied", r)
	}
	if got := flatten(h.env.ingress(t, fourth)); len(got) != 0 {
		t.Fatalf("ingress in the next hour = %q, want none", got)
	}
	if n, err := h.counter.Count(ctx, counterID("close-ssh", windowOf(h.clk.now()))); err != nil || n != 1 {
		t.Errorf("next hour's counter = %d, %v; want 1", n, err)
	}
}

func TestDryRunNeverCounts(t *testing.T) {
	h := newHarness(t, withGuardrails(remediationConfig(config.ModeDryRun, closeSSH), func(g *config.Guardrails) { g.MaxActionsPerHour = 1 }))
	for i := range 3 {
		id := h.env.seedGroup(t, openSSH, nil)
		if r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-dry-"+id))); r.Outcome != alert.OutcomePlanned {
			t.Fatalf("trigger %d: %+v, want planned", i, r)
		}
	}
	out, err := dynamodb.NewFromConfig(h.env.cfg).GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(harnessTable),
		Key: map[string]types.AttributeValue{
			state.AttrPK: &types.AttributeValueMemberS{Value: state.PK(state.Counter, counterID("close-ssh", windowOf(h.clk.now())))},
			state.AttrSK: &types.AttributeValueMemberS{Value: metaSortKey},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item != nil {
		t.Fatalf("dry-run wrote a counter: %v", out.Item)
	}
	if evs := h.bus.circuitEvents(); len(evs) != 0 {
		t.Fatalf("dry-run opened the circuit: %+v", evs)
	}
}

func TestDryRunReportsAnOpenCircuit(t *testing.T) {
	cfg := withGuardrails(remediationConfig(config.ModeDryRun, closeSSH), func(g *config.Guardrails) { g.MaxActionsPerHour = 1 })
	h := newHarness(t, cfg)
	// An enforcing run of the rule earlier this hour used the budget.
	if ok, err := h.counter.Take(context.Background(), counterID("close-ssh", windowOf(h.clk.now())), 1, h.clk.now().Add(time.Hour)); err != nil || !ok {
		t.Fatalf("take = %t, %v", ok, err)
	}
	id := h.env.seedGroup(t, openSSH, nil)
	r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-x")))
	if r.Outcome != alert.OutcomeSkipped || !strings.HasPrefix(r.Detail, "circuit open:") {
		t.Fatalf("dry-run with an open circuit: %+v", r)
	}
	if n, _ := h.counter.Count(context.Background(), counterID("close-ssh", windowOf(h.clk.now()))); n != 1 {
		t.Errorf("counter = %d after dry-run, want 1", n)
	}
}

func TestScopeAndProtectedGuardrails(t *testing.T) {
	// The sample event is in account 123456789012, region eu-west-1.
	cases := []struct {
		name      string
		set       func(*config.Guardrails)
		guardrail string
		detail    string
	}{
		{"protected glob", func(g *config.Guardrails) {
			g.ProtectedARNs = []string{"arn:aws:s3:::*", "arn:aws:ec2:*:*:security-group/sg-*"}
		}, GuardrailProtected, `matches protected_arns pattern "arn:aws:ec2:*:*:security-group/sg-*"`},
		{"protected with ?", func(g *config.Guardrails) {
			g.ProtectedARNs = []string{"arn:aws:ec2:eu-west-?:123456789012:*"}
		}, GuardrailProtected, "(arn:aws:ec2:eu-west-1:123456789012:security-group/"},
		{"deny account", func(g *config.Guardrails) { g.DenyAccounts = []string{"123456789012"} },
			GuardrailAccount, "is in account 123456789012, which deny_accounts lists"},
		{"account not allowed", func(g *config.Guardrails) { g.AllowAccounts = []string{"210987654321"} },
			GuardrailAccount, "is in account 123456789012, which allow_accounts does not list"},
		{"deny region", func(g *config.Guardrails) { g.DenyRegions = []string{"us-east-1", "eu-west-1"} },
			GuardrailRegion, "is in eu-west-1, which deny_regions lists"},
		{"region not allowed", func(g *config.Guardrails) { g.AllowRegions = []string{"us-east-1"} },
			GuardrailRegion, "is in eu-west-1, which allow_regions does not list"},
		{"allowed and unprotected", func(g *config.Guardrails) {
			g.AllowAccounts, g.AllowRegions = []string{"123456789012"}, []string{"eu-west-1"}
			g.DenyAccounts, g.DenyRegions = []string{"210987654321"}, []string{"us-east-1"}
			g.ProtectedARNs = []string{"arn:aws:ec2:*:*:security-group/sg-prod*", "arn:aws:ec2:us-east-1:*"}
		}, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, withGuardrails(remediationConfig(config.ModeEnforce, closeSSH), tc.set))
			id := h.env.seedGroup(t, openSSH, nil)
			r := one(t, handle(t, h.svc, sgTrigger(t, id, "ev-"+id)))
			ingress := flatten(h.env.ingress(t, id))
			rec := lastAudit(t, h.audit(t), id)
			if tc.guardrail == "" {
				if r.Outcome != alert.OutcomeApplied || len(ingress) != 0 {
					t.Fatalf("in scope: %+v, ingress %q; want applied", r, ingress)
				}
				return
			}
			if r.Outcome != alert.OutcomeSkipped || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("remediation = %+v, want skipped with %q", r, tc.detail)
			}
			if !slices.Equal(ingress, []string{"tcp 22-22 0.0.0.0/0"}) {
				t.Fatalf("ingress = %q, want untouched", ingress)
			}
			if rec.Fields["guardrail"] != tc.guardrail || rec.Fields["outcome"] != alert.OutcomeSkipped {
				t.Errorf("audit = %+v, want guardrail %s", rec.Fields, tc.guardrail)
			}
			if got := h.bus.outcomes(); !slices.Equal(got, []string{"close-ssh:skipped"}) {
				t.Errorf("published %v", got)
			}
		})
	}
}

// TestProtectedBuiltARN: an alarm names the group only by name; the
// protected pattern matches the ARN built from it.
func TestProtectedBuiltARN(t *testing.T) {
	cfg := withGuardrails(remediationConfig(config.ModeEnforce, scaleOnCPU), func(g *config.Guardrails) {
		g.ProtectedARNs = []string{"arn:aws:autoscaling:eu-west-1:*:autoScalingGroup:*:autoScalingGroupName/web-*"}
	})
	h := newHarness(t, cfg)
	h.env.seedASG(t, "web-asg", 1, 2, 6, nil)
	r := one(t, handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json")))
	if r.Outcome != alert.OutcomeSkipped || !strings.Contains(r.Detail, "matches protected_arns pattern") {
		t.Fatalf("remediation = %+v", r)
	}
	if got := h.env.desired(t, "web-asg"); got != 2 {
		t.Fatalf("desired = %d, want 2 (untouched)", got)
	}
}

func TestScope(t *testing.T) {
	g := guardrails{allowAccts: []string{"111111111111"}, denyRegs: []string{"eu-west-1"}}
	cases := []struct {
		name                     string
		target                   Target
		account, region, acting  string
		wantGuardrail, wantWords string
	}{
		{"other region than the clients", Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}, "111111111111", "us-east-1", "eu-central-1",
			GuardrailRegion, "sg-1 is in us-east-1; this remediator acts in eu-central-1"},
		{"unknown account with an allow list", Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}, "", "us-east-1", "us-east-1",
			GuardrailAccount, "the account of sg-1 is unknown and allow_accounts is set"},
		{"region taken from the clients", Target{Type: "AWS::S3::Bucket", ID: "b"}, "111111111111", "", "eu-west-1",
			GuardrailRegion, "b is in eu-west-1, which deny_regions lists"},
		{"global resource ignores region lists", Target{Type: "AWS::IAM::AccessKey", ID: "AKIA", Parent: "bob"}, "111111111111", "", "eu-west-1",
			"", ""},
		{"in scope", Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}, "111111111111", "us-east-1", "",
			"", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gr, why := g.scope(tc.target, tc.account, tc.region, tc.acting)
			if gr != tc.wantGuardrail || why != tc.wantWords {
				t.Errorf("scope = %q, %q; want %q, %q", gr, why, tc.wantGuardrail, tc.wantWords)
			}
		})
	}
}

func TestTargetARN(t *testing.T) {
	cases := []struct {
		t               Target
		account, region string
		want            string
	}{
		{Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-1"}, "123456789012", "eu-west-1", "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-1"},
		{Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-1", ARN: "arn:aws:ec2:us-east-1:1:security-group/sg-1"}, "2", "eu-west-1", "arn:aws:ec2:us-east-1:1:security-group/sg-1"},
		{Target{Type: "AWS::S3::Bucket", ID: "logs"}, "123456789012", "cn-north-1", "arn:aws-cn:s3:::logs"},
		{Target{Type: "AWS::CloudTrail::Trail", ID: "main"}, "123456789012", "us-gov-west-1", "arn:aws-us-gov:cloudtrail:us-gov-west-1:123456789012:trail/main"},
		{Target{Type: "AWS::CloudTrail::Trail", ID: "arn:aws:cloudtrail:eu-west-1:1:trail/x"}, "123456789012", "eu-west-1", "arn:aws:cloudtrail:eu-west-1:1:trail/x"},
		{Target{Type: "AWS::IAM::AccessKey", ID: "AKIA1", Parent: "bob"}, "123456789012", "", "arn:aws:iam::123456789012:user/bob"},
		{Target{Type: "AWS::AutoScaling::AutoScalingGroup", ID: "web"}, "1", "eu-west-1", "arn:aws:autoscaling:eu-west-1:1:autoScalingGroup:*:autoScalingGroupName/web"},
		{Target{Type: "AWS::Lambda::Function", ID: "f"}, "1", "eu-west-1", ""},
	}
	for _, tc := range cases {
		if got := targetARN(tc.t, tc.account, tc.region); got != tc.want {
			t.Errorf("targetARN(%+v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"arn:aws:ec2:*:*:security-group/sg-prod*", "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-prod-web", true},
		{"arn:aws:ec2:*:*:security-group/sg-prod*", "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-dev", false},
		{"arn:aws:s3:::logs-?", "arn:aws:s3:::logs-1", true},
		{"arn:aws:s3:::logs-?", "arn:aws:s3:::logs-12", false},
		{"arn:aws:s3:::a.b", "arn:aws:s3:::aXb", false},
		{"arn:aws:s3:::a+b", "arn:aws:s3:::a+b", true},
		{"*", "anything/at:all", true},
		{"arn:aws:iam::*:user/ops/*", "arn:aws:iam::1:user/ops/alice", true},
	}
	for _, tc := range cases {
		g, err := compileGlob(tc.pattern)
		if err != nil {
			t.Fatalf("compile %q: %v", tc.pattern, err)
		}
		if got := g.match(tc.s); got != tc.want {
			t.Errorf("%q matches %q = %t, want %t", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func FuzzGlob(f *testing.F) {
	for _, s := range []string{"arn:aws:ec2:*:*:security-group/sg-prod*", "arn:aws:s3:::logs-?", "*", "", "[a]", `a\b`, "a{b,c}", "é*?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		g, err := compileGlob(p)
		if err != nil {
			if strings.TrimSpace(p) != "" && !strings.ContainsAny(p, `[]{}\`) {
				t.Fatalf("rejected %q: %v", p, err)
			}
			return
		}
		// Replacing each wildcard with a concrete run yields a match.
		var b strings.Builder
		for _, r := range p {
			switch r {
			case '*':
				b.WriteString("x:/y")
			case '?':
				b.WriteString("z")
			default:
				b.WriteRune(r)
			}
		}
		if !g.match(b.String()) {
			t.Fatalf("%q does not match its own instance %q", p, b.String())
		}
		if !strings.ContainsAny(p, "*?") && g.match(p+"x") {
			t.Fatalf("literal %q matches a longer string", p)
		}
	})
}

func TestNewRejectsBadGuardrails(t *testing.T) {
	cfg := withGuardrails(remediationConfig(config.ModeDryRun, scaleOnCPU), func(g *config.Guardrails) {
		g.Cooldown = "fifteen minutes"
		g.MaxActionsPerHour = -1
		g.ProtectedARNs = []string{"arn:aws:s3:::ok-*", "arn:aws:ec2:*:*:security-group/[sg", " "}
	})
	_, err := New(cfg, Default(), Clients{}, Deps{})
	if err == nil {
		t.Fatal("New accepted bad guardrails")
	}
	for _, want := range []string{
		`remediation.guardrails.cooldown: "fifteen minutes" is not a Go duration such as 15m or 1h`,
		"remediation.guardrails.max_actions_per_hour: -1 is negative",
		`remediation.guardrails.protected_arns[1]: "arn:aws:ec2:*:*:security-group/[sg": '[' at offset 31 is not supported (only * and ? are wildcards)`,
		"remediation.guardrails.protected_arns[2]: empty pattern",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "protected_arns[0]") {
		t.Errorf("a valid pattern was rejected:\n%v", err)
	}
	neg := withGuardrails(remediationConfig(config.ModeDryRun, scaleOnCPU), func(g *config.Guardrails) { g.Cooldown = "-5m" })
	if _, err := New(neg, Default(), Clients{}, Deps{}); err == nil || !strings.Contains(err.Error(), `remediation.guardrails.cooldown: "-5m" is negative`) {
		t.Errorf("negative cooldown: err = %v", err)
	}
}

func TestCompileGuardrailsDefaults(t *testing.T) {
	g, errs := compileGuardrails(config.Guardrails{})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if g.cooldown != 15*time.Minute || g.maxPerHour != config.DefaultMaxActionsPerHour {
		t.Errorf("defaults = %s, %d", g.cooldown, g.maxPerHour)
	}
}

func TestTableCounter(t *testing.T) {
	env := startMoto(t)
	_, db := env.seedTable(t, "counter-test")
	c := NewTableCounter(db, "counter-test")
	ctx := context.Background()
	exp := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	var took []bool
	for range 4 {
		ok, err := c.Take(ctx, "r#w", 3, exp)
		if err != nil {
			t.Fatal(err)
		}
		took = append(took, ok)
	}
	if want := []bool{true, true, true, false}; !slices.Equal(took, want) {
		t.Fatalf("took %v, want %v", took, want)
	}
	if n, err := c.Count(ctx, "r#w"); err != nil || n != 3 {
		t.Fatalf("count = %d, %v; want 3", n, err)
	}
	if err := c.Give(ctx, "r#w"); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(ctx, "r#w"); n != 2 {
		t.Fatalf("count after give = %d, want 2", n)
	}
	// Giving back an absent counter is not an error and creates nothing.
	if err := c.Give(ctx, "absent"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Count(ctx, "absent"); err != nil || n != 0 {
		t.Fatalf("absent count = %d, %v", n, err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("counter-test"), Key: map[string]types.AttributeValue{
		state.AttrPK: &types.AttributeValueMemberS{Value: "COUNTER#r#w"}, state.AttrSK: &types.AttributeValueMemberS{Value: "META"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if ttl, ok := out.Item[state.AttrTTL].(*types.AttributeValueMemberN); !ok || ttl.Value != strconv.FormatInt(exp.Unix(), 10) {
		t.Errorf("ttl = %v, want %d", out.Item[state.AttrTTL], exp.Unix())
	}
}
