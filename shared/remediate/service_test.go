package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// sampleGroupID is the security group the sample events name.
const sampleGroupID = "sg-0123456789abcdef0"

// busRecorder is a Publisher that keeps what it was given, after checking
// that it makes a valid PutEvents entry the suite's own parser reads back.
type busRecorder struct {
	t      testing.TB
	mu     sync.Mutex
	events []alert.Alert
	fail   error
}

func (b *busRecorder) Publish(_ context.Context, source, detailType string, d alert.Detail) error {
	if b.fail != nil {
		return b.fail
	}
	e, err := alert.NewPutEventsEntry(alert.BusName, source, detailType, d)
	if err != nil {
		b.t.Errorf("publish: %v", err)
		return err
	}
	env, err := json.Marshal(map[string]any{
		"version": "0", "id": "test-" + d.Rule, "detail-type": e.DetailType, "source": e.Source,
		"account": "123456789012", "time": "2026-11-25T10:00:00Z", "region": testRegion,
		"resources": e.Resources, "detail": json.RawMessage(e.Detail),
	})
	if err != nil {
		return err
	}
	trig, err := alert.Parse(env)
	if err != nil {
		b.t.Errorf("published event does not parse back: %v\n%s", err, env)
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, trig.Alerts...)
	return nil
}

func (b *busRecorder) outcomes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, a := range b.events {
		out = append(out, a.Label(alert.LabelRule)+":"+a.Label(alert.LabelOutcome))
	}
	return out
}

// remediationConfig is a config with the given rules and global mode.
func remediationConfig(mode string, rules ...config.RemediationRule) *config.Config {
	return &config.Config{Remediation: config.Remediation{
		Mode:                mode,
		KillSwitchParameter: config.DefaultKillSwitchParameter,
		Rules:               rules,
		Guardrails:          config.Guardrails{OptOutTag: config.DefaultOptOutTag},
	}}
}

var (
	scaleOnCPU = config.RemediationRule{Name: "scale-web", Matchers: []string{"alarm=web-cpu-high"},
		Action: "asg-adjust-capacity", Params: map[string]any{"by": float64(2)}}
	closeSSH = config.RemediationRule{Name: "close-ssh", Matchers: []string{"event_name=AuthorizeSecurityGroupIngress"},
		Action: "revoke-open-ingress"}
)

// harness is a service over moto with an audit table and a bus recorder.
type harness struct {
	env     motoEnv
	store   *state.Store
	bus     *busRecorder
	svc     *Service
	clk     *clock
	counter *TableCounter
}

// harnessTable is the state table of a harness.
const harnessTable = "watchkeeper-state"

func newHarness(t *testing.T, cfg *config.Config, mutate ...func(*Clients, *Deps)) *harness {
	t.Helper()
	env := startMoto(t)
	_, db := env.seedTable(t, harnessTable)
	clk := newClock()
	// The store shares the service's clock, so cooldowns and marks expire
	// when the test advances it.
	h := &harness{env: env, store: state.NewStore(db, harnessTable, clk.now), counter: NewTableCounter(db, harnessTable),
		bus: &busRecorder{t: t}, clk: clk}
	h.svc = h.build(t, cfg, mutate...)
	return h
}

func (h *harness) build(t *testing.T, cfg *config.Config, mutate ...func(*Clients, *Deps)) *Service {
	t.Helper()
	clients := h.env.clients()
	deps := Deps{Audit: h.store, Counter: h.counter, Publisher: h.bus, Now: h.clk.now,
		KillSwitch: NewSSMKillSwitch(ssm.NewFromConfig(h.env.cfg), cfg.Remediation.KillSwitchParameter, h.clk.now)}
	for _, m := range mutate {
		m(&clients, &deps)
	}
	svc, err := New(cfg, Default(), clients, deps)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (h *harness) audit(t *testing.T) []state.AuditRecord {
	t.Helper()
	recs, err := h.store.AuditBetween(context.Background(), h.clk.t.Add(-time.Hour), h.clk.t.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func handle(t *testing.T, svc *Service, payload []byte) outcome.Response {
	t.Helper()
	resp, err := svc.Handle(context.Background(), payload)
	if err != nil {
		t.Fatalf("handle: %v", err)
	}
	return resp
}

func TestServiceAlarmScalesASG(t *testing.T) {
	payload := sampleEvent(t, "sns-alarm-cpu.json")
	cases := []struct {
		mode        string
		outcome     string
		wantDesired int32
		wantUndo    string
	}{
		{config.ModeDryRun, alert.OutcomePlanned, 2, ""},
		{config.ModeEnforce, alert.OutcomeApplied, 4,
			"aws autoscaling set-desired-capacity --auto-scaling-group-name web-asg --desired-capacity 2 --region eu-west-1"},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHarness(t, remediationConfig(tc.mode, scaleOnCPU))
			h.env.seedASG(t, "web-asg", 1, 2, 6, nil)
			resp := handle(t, h.svc, payload)
			want := []outcome.Remediation{{Rule: "scale-web", Action: "asg-adjust-capacity", Resource: "web-asg", Mode: tc.mode,
				Outcome: tc.outcome, Detail: "desired 2 → 4 (max 6)"}}
			if !slices.Equal(resp.Remediations, want) {
				t.Fatalf("remediations\n got %+v\nwant %+v", resp.Remediations, want)
			}
			if resp.Function != "remediator" || resp.Trigger != "sns" || len(resp.Alerts) != 1 {
				t.Errorf("response = %+v", resp)
			}
			if got := h.env.desired(t, "web-asg"); got != tc.wantDesired {
				t.Fatalf("desired = %d, want %d", got, tc.wantDesired)
			}
			recs := h.audit(t)
			if len(recs) != 1 {
				t.Fatalf("%d audit records, want 1: %+v", len(recs), recs)
			}
			f := recs[0].Fields
			if recs[0].Kind != AuditKind || f["rule"] != "scale-web" || f["action"] != "asg-adjust-capacity" || f["resource"] != "web-asg" ||
				f["mode"] != tc.mode || f["outcome"] != tc.outcome || f["detail"] != "desired 2 → 4 (max 6)" || f["undo"] != tc.wantUndo ||
				f["target_from"] != "dimension AutoScalingGroupName" || f["severity"] != "high" || f["account"] != "123456789012" {
				t.Errorf("audit record = %+v", recs[0])
			}
			if got := h.bus.outcomes(); !slices.Equal(got, []string{"scale-web:" + tc.outcome}) {
				t.Errorf("published %v", got)
			}
			// SNS redelivers the same message: nothing happens twice.
			again := handle(t, h.svc, payload)
			if again.Duplicates != 1 || len(again.Remediations) != 0 {
				t.Errorf("redelivery: %+v, want one duplicate", again)
			}
			if got := h.env.desired(t, "web-asg"); got != tc.wantDesired {
				t.Fatalf("desired after redelivery = %d, want %d", got, tc.wantDesired)
			}
			if n := len(h.audit(t)); n != 1 {
				t.Errorf("%d audit records after redelivery, want 1", n)
			}
		})
	}
}

// sgEvent is the sample AuthorizeSecurityGroupIngress event naming group id.
func sgEvent(t *testing.T, id string) []byte {
	t.Helper()
	return bytes.ReplaceAll(sampleEvent(t, "eventbridge-authorize-sg-ingress.json"), []byte(sampleGroupID), []byte(id))
}

func TestServiceRevokesOpenSSH(t *testing.T) {
	h := newHarness(t, remediationConfig(config.ModeDryRun, withMode(closeSSH, config.ModeEnforce), scaleOnCPU))
	id := h.env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0"), perm("tcp", 443, 443, "0.0.0.0/0")}, nil)
	resp := handle(t, h.svc, sgEvent(t, id))
	want := []outcome.Remediation{{Rule: "close-ssh", Action: "revoke-open-ingress", Resource: id, Mode: config.ModeEnforce,
		Outcome: alert.OutcomeApplied, Detail: "on " + id + " revoke tcp 22 from 0.0.0.0/0"}}
	if !slices.Equal(resp.Remediations, want) {
		t.Fatalf("remediations\n got %+v\nwant %+v", resp.Remediations, want)
	}
	if got, want := flatten(h.env.ingress(t, id)), []string{"tcp 443-443 0.0.0.0/0"}; !slices.Equal(got, want) {
		t.Fatalf("ingress = %q, want %q", got, want)
	}
	recs := h.audit(t)
	if len(recs) != 1 || !strings.Contains(recs[0].Fields["undo"], "authorize-security-group-ingress --group-id "+id) {
		t.Fatalf("audit = %+v", recs)
	}
	h.bus.mu.Lock()
	ev := h.bus.events[0]
	h.bus.mu.Unlock()
	if ev.State != alert.StateRemediated || ev.Label(alert.LabelAction) != "revoke-open-ingress" ||
		len(ev.Resources) != 1 || ev.Resources[0].ID != id || ev.Label(alert.LabelEventName) != "AuthorizeSecurityGroupIngress" {
		t.Errorf("published alert = %+v", ev)
	}
}

func withMode(r config.RemediationRule, mode string) config.RemediationRule {
	r.Mode = mode
	return r
}

func TestServiceGuardrails(t *testing.T) {
	t.Run("kill switch off", func(t *testing.T) {
		h := newHarness(t, remediationConfig(config.ModeEnforce, scaleOnCPU))
		h.env.seedASG(t, "web-asg", 1, 2, 6, nil)
		putParam(t, ssm.NewFromConfig(h.env.cfg), config.DefaultKillSwitchParameter, "off")
		resp := handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json"))
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomeSkipped ||
			!strings.Contains(resp.Remediations[0].Detail, "kill switch is off") {
			t.Fatalf("remediations = %+v", resp.Remediations)
		}
		if got := h.env.desired(t, "web-asg"); got != 2 {
			t.Fatalf("desired = %d, want 2", got)
		}
		if recs := h.audit(t); len(recs) != 1 || recs[0].Fields["guardrail"] != GuardrailKillSwitch {
			t.Errorf("audit = %+v", recs)
		}
	})
	t.Run("opt-out tag", func(t *testing.T) {
		h := newHarness(t, remediationConfig(config.ModeEnforce, scaleOnCPU))
		h.env.seedASG(t, "web-asg", 1, 2, 6, map[string]string{"watchkeeper:remediate": "off"})
		resp := handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json"))
		want := []outcome.Remediation{{Rule: "scale-web", Action: "asg-adjust-capacity", Resource: "web-asg", Mode: config.ModeEnforce,
			Outcome: alert.OutcomeSkipped, Detail: "web-asg is tagged watchkeeper:remediate=off"}}
		if !slices.Equal(resp.Remediations, want) {
			t.Fatalf("remediations\n got %+v\nwant %+v", resp.Remediations, want)
		}
		if got := h.env.desired(t, "web-asg"); got != 2 {
			t.Fatalf("desired = %d, want 2", got)
		}
	})
	t.Run("opt-out tag on a security group", func(t *testing.T) {
		h := newHarness(t, remediationConfig(config.ModeEnforce, closeSSH))
		id := h.env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0")}, map[string]string{"watchkeeper:remediate": "OFF"})
		resp := handle(t, h.svc, sgEvent(t, id))
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomeSkipped {
			t.Fatalf("remediations = %+v", resp.Remediations)
		}
		if got := flatten(h.env.ingress(t, id)); !slices.Equal(got, []string{"tcp 22-22 0.0.0.0/0"}) {
			t.Fatalf("ingress = %q, want untouched", got)
		}
	})
	t.Run("resource in another region", func(t *testing.T) {
		h := newHarness(t, remediationConfig(config.ModeEnforce, scaleOnCPU), func(c *Clients, _ *Deps) { c.Region = "us-east-1" })
		resp := handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json"))
		if len(resp.Remediations) != 1 || resp.Remediations[0].Detail != "web-asg is in eu-west-1; this remediator acts in us-east-1" {
			t.Fatalf("remediations = %+v", resp.Remediations)
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		h := newHarness(t, remediationConfig(config.ModeEnforce, closeSSH))
		id := h.env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "10.0.0.0/8")}, nil)
		resp := handle(t, h.svc, sgEvent(t, id))
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomeSkipped ||
			resp.Remediations[0].Detail != "nothing to do: "+id+" has no ingress open to the internet on ports 22, 3389" {
			t.Fatalf("remediations = %+v", resp.Remediations)
		}
	})
	t.Run("no target", func(t *testing.T) {
		rule := config.RemediationRule{Name: "any-alarm", Matchers: []string{"source=cloudwatch.alarm"}, Action: "revoke-open-ingress"}
		h := newHarness(t, remediationConfig(config.ModeEnforce, rule))
		resp := handle(t, h.svc, sampleEvent(t, "sns-alarm-cpu.json"))
		if len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomeSkipped ||
			!strings.Contains(resp.Remediations[0].Detail, "cannot find the security group in this trigger") {
			t.Fatalf("remediations = %+v", resp.Remediations)
		}
	})
}

// TestServiceFailedActionIsRetried: one rule fails on the first delivery
// (EC2 unavailable), another succeeds. The error comes back after both are
// recorded; the retry repeats only the failed one.
func TestServiceFailedActionIsRetried(t *testing.T) {
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	trailRule := config.RemediationRule{Name: "restart-trail", Matchers: []string{"event_name=~StopLogging|AuthorizeSecurityGroupIngress"},
		Action: "cloudtrail-start-logging", Mode: config.ModeEnforce}
	cfg := remediationConfig(config.ModeEnforce, closeSSH, trailRule)
	h := newHarness(t, cfg, func(c *Clients, _ *Deps) {
		c.EC2 = ec2.New(ec2.Options{Region: testRegion, BaseEndpoint: aws.String(down.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	})
	id := h.env.seedGroup(t, []ec2types.IpPermission{perm("tcp", 22, 22, "0.0.0.0/0")}, nil)
	payload := sgEvent(t, id)

	resp, err := h.svc.Handle(context.Background(), payload)
	if err == nil || !strings.Contains(err.Error(), "rule close-ssh") || !strings.Contains(err.Error(), "describe security group "+id) {
		t.Fatalf("err = %v, want the close-ssh failure", err)
	}
	got := []string{}
	for _, r := range resp.Remediations {
		got = append(got, r.Rule+":"+r.Outcome)
	}
	if want := []string{"close-ssh:failed", "restart-trail:skipped"}; !slices.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if n := len(h.audit(t)); n != 2 {
		t.Fatalf("%d audit records, want 2", n)
	}
	if got := flatten(h.env.ingress(t, id)); len(got) != 1 {
		t.Fatalf("ingress = %q, want untouched", got)
	}

	// The retry reaches EC2; the skipped rule is not decided again.
	h.clk.advance(time.Minute)
	retry := handle(t, h.build(t, cfg), payload)
	if retry.Duplicates != 1 || len(retry.Remediations) != 1 || retry.Remediations[0].Outcome != alert.OutcomeApplied {
		t.Fatalf("retry = %+v", retry)
	}
	if got := flatten(h.env.ingress(t, id)); len(got) != 0 {
		t.Fatalf("ingress after retry = %q, want none", got)
	}
	if got, want := h.bus.outcomes(), []string{"close-ssh:failed", "restart-trail:skipped", "close-ssh:applied"}; !slices.Equal(got, want) {
		t.Errorf("published %v, want %v", got, want)
	}
}

func TestServiceRecordFailureIsAnError(t *testing.T) {
	h := newHarness(t, remediationConfig(config.ModeDryRun, scaleOnCPU))
	h.env.seedASG(t, "web-asg", 1, 2, 6, nil)
	h.bus.fail = errors.New("bus down")
	payload := sampleEvent(t, "sns-alarm-cpu.json")
	if _, err := h.svc.Handle(context.Background(), payload); err == nil || !strings.Contains(err.Error(), "publish: bus down") {
		t.Fatalf("err = %v, want the publish failure", err)
	}
	// Not marked: the retry decides again and publishes.
	h.bus.fail = nil
	resp := handle(t, h.svc, payload)
	if resp.Duplicates != 0 || len(resp.Remediations) != 1 || resp.Remediations[0].Outcome != alert.OutcomePlanned {
		t.Fatalf("retry = %+v", resp)
	}
}

func TestServiceInputsWithoutDecisions(t *testing.T) {
	svc, err := New(remediationConfig(config.ModeEnforce, scaleOnCPU, closeSSH), Default(), Clients{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := svc.Handle(ctx, json.RawMessage(`{"Records": [`)); !errors.Is(err, alert.ErrInvalidJSON) {
		t.Errorf("truncated JSON: err = %v, want ErrInvalidJSON", err)
	}
	if _, err := svc.Handle(ctx, json.RawMessage(`{"hello":"world"}`)); !errors.Is(err, alert.ErrUnrecognized) {
		t.Errorf("unknown shape: err = %v, want ErrUnrecognized", err)
	}
	resp, err := svc.Handle(ctx, json.RawMessage(`{"job":"posture"}`))
	if err != nil || resp.Skipped != "a schedule trigger carries no alert for the remediator" {
		t.Errorf("job: %+v, %v", resp, err)
	}
	ok := bytes.Replace(sampleEvent(t, "sns-alarm-cpu.json"), []byte(`\"NewStateValue\":\"ALARM\"`), []byte(`\"NewStateValue\":\"OK\"`), 1)
	resp, err = svc.Handle(ctx, ok)
	if err != nil || len(resp.Remediations) != 0 || resp.Skipped != "no remediation rule matches; ignored: resolved (OK)" {
		t.Errorf("resolved alarm: %+v, %v", resp, err)
	}
}

func TestServiceIgnoresItsOwnEvents(t *testing.T) {
	rule := config.RemediationRule{Name: "everything", Matchers: []string{"severity=~.+"}, Action: "revoke-open-ingress"}
	svc, err := New(remediationConfig(config.ModeEnforce, rule), Default(), Clients{}, Deps{})
	if err != nil {
		t.Fatal(err)
	}
	payload := eventFile(t, "notifier/watchkeeper-remediation.json")
	resp, err := svc.Handle(context.Background(), payload)
	if err != nil || len(resp.Remediations) != 0 || !strings.Contains(resp.Skipped, "the remediator's own event") {
		t.Fatalf("%+v, %v", resp, err)
	}
}

func TestNewReportsEveryConfigProblem(t *testing.T) {
	cfg := remediationConfig(config.ModeDryRun,
		config.RemediationRule{Name: "a", Matchers: []string{"alarm=~("}, Action: "asg-adjust-capacity", Params: map[string]any{"by": 1}},
		config.RemediationRule{Name: "b", Matchers: []string{"alarm=x"}, Action: "scale-up"},
		config.RemediationRule{Name: "c", Matchers: []string{"alarm=x"}, Action: "asg-adjust-capacity", Params: map[string]any{"by": 1, "to": 2}},
		config.RemediationRule{Name: "d", Matchers: []string{"alarm=x"}, Action: "cloudtrail-start-logging", Mode: "yolo"},
	)
	_, err := New(cfg, Default(), Clients{}, Deps{})
	if err == nil {
		t.Fatal("New accepted a broken config")
	}
	for _, want := range []string{
		"remediation.rules[0] (a): matcher",
		`remediation.rules[1] (b): unknown remediation action "scale-up" (valid: asg-adjust-capacity, asg-start-instance-refresh, `,
		"remediation.rules[2] (c): action asg-adjust-capacity: invalid parameters: set exactly one of by and to",
		`remediation.rules[3] (d): mode "yolo" is not dry-run or enforce`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestOptOutTag(t *testing.T) {
	cases := []struct {
		tag  string
		tags map[string]string
		want bool
	}{
		{"watchkeeper:remediate=off", map[string]string{"watchkeeper:remediate": "off"}, true},
		{"watchkeeper:remediate=off", map[string]string{"watchkeeper:remediate": " Off "}, true},
		{"watchkeeper:remediate=off", map[string]string{"watchkeeper:remediate": "on"}, false},
		{"watchkeeper:remediate=off", map[string]string{}, false},
		{"", map[string]string{"watchkeeper:remediate": "off"}, true},
		{"do-not-touch", map[string]string{"do-not-touch": ""}, true},
		{"do-not-touch", map[string]string{"other": "x"}, false},
	}
	for _, tc := range cases {
		if got := parseOptOut(tc.tag).in(tc.tags); got != tc.want {
			t.Errorf("opt-out %q on %v = %t, want %t", tc.tag, tc.tags, got, tc.want)
		}
	}
}
