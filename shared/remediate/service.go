package remediate

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/outcome"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// FunctionName is the function this service runs in (outcome.Response.Function).
const FunctionName = "remediator"

// AuditKind is state.AuditRecord.Kind of every remediation decision.
const AuditKind = "remediation"

// MarkTTL is how long a handled trigger+rule is remembered. EventBridge
// retries a failed delivery for up to 24 hours, and an async Lambda event is
// kept at most 6 hours, so a day covers every redelivery.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html
const MarkTTL = 24 * time.Hour

// Guardrails that can skip an action (alert.Remediation.Guardrail).
const (
	GuardrailKillSwitch = "kill-switch"
	GuardrailOptOut     = "opt-out"
	GuardrailRegion     = "region"
)

// Auditor keeps decisions and remembers handled triggers. *state.Store
// implements it.
type Auditor interface {
	PutAudit(ctx context.Context, r state.AuditRecord) error
	Seen(ctx context.Context, t state.RecordType, id string) (bool, error)
	MarkOnce(ctx context.Context, t state.RecordType, id string, ttl time.Duration) (bool, error)
}

var _ Auditor = (*state.Store)(nil)

// Publisher puts one of the suite's own events on its bus.
type Publisher interface {
	Publish(ctx context.Context, source, detailType string, d alert.Detail) error
}

// Deps are the service's optional collaborators.
type Deps struct {
	// Audit records decisions and makes redelivered triggers act once; nil
	// keeps no record (a bare local run).
	Audit Auditor
	// Publisher announces each decision; nil publishes nothing.
	Publisher Publisher
	// KillSwitch stops every action when off; nil means always enabled.
	KillSwitch KillSwitch
	// Counter keeps the blast-radius counters (NewTableCounter over the
	// state table); nil disables the max_actions_per_hour circuit.
	Counter Counter
	// Identity is who the remediator runs as (WhoAmI): its role is never
	// quarantined, and with Account set a target in another account is acted
	// on only through Accounts. Zero: the account is not checked.
	Identity Identity
	// Accounts gives the clients of member accounts (NewCrossAccount); nil
	// skips every target outside Identity.Account.
	Accounts AccountClients
	// Now defaults to time.Now.
	Now func() time.Time
	// Logger defaults to discarding.
	Logger *slog.Logger
}

// Service runs the configured remediation rules against each trigger.
type Service struct {
	rules   []rule
	optOut  optOutTag
	optIn   optInTag
	guards  guardrails
	self    selfGuard
	clients Clients
	deps    Deps
	now     func() time.Time
	logger  *slog.Logger
}

// rule is a config rule compiled against the registry.
type rule struct {
	name     string
	matchers []config.Matcher
	action   Action
	params   Params
	mode     string
	// optInExempt: in opt-in mode, act on resources whose tags the action
	// does not read.
	optInExempt bool
}

// optOutTag is guardrails.opt_out_tag parsed: key=value, or a bare key that
// opts out whatever its value.
type optOutTag struct {
	key, value string
	anyValue   bool
}

func parseOptOut(s string) optOutTag {
	if s == "" {
		s = config.DefaultOptOutTag
	}
	k, v, ok := strings.Cut(s, "=")
	return optOutTag{key: strings.TrimSpace(k), value: strings.TrimSpace(v), anyValue: !ok}
}

func (o optOutTag) in(tags map[string]string) bool {
	v, ok := tags[o.key]
	if !ok || o.key == "" {
		return false
	}
	return o.anyValue || strings.EqualFold(strings.TrimSpace(v), o.value)
}

func (o optOutTag) String() string {
	if o.anyValue {
		return o.key
	}
	return o.key + "=" + o.value
}

// New compiles the rules of cfg against reg: every matcher must parse, every
// action exist and every rule's params fit the action's schema. All problems
// are reported together.
func New(cfg *config.Config, reg *Registry, clients Clients, deps Deps) (*Service, error) {
	if cfg == nil || reg == nil {
		return nil, errors.New("remediate.New: config and registry are required")
	}
	r := cfg.Remediation
	global := r.Mode
	if global == "" {
		global = config.DefaultRemediationMode
	}
	var errs []error
	if !validMode(global) {
		errs = append(errs, fmt.Errorf("remediation.mode: %q is not %s or %s", global, config.ModeDryRun, config.ModeEnforce))
	}
	s := &Service{optOut: parseOptOut(r.Guardrails.OptOutTag), optIn: parseOptIn(r.Guardrails.OptInTag), clients: clients, deps: deps, now: deps.Now, logger: deps.Logger}
	guards, gerrs := compileGuardrails(r.Guardrails)
	s.guards = guards
	errs = append(errs, gerrs...)
	self, serrs := compileSelfGuard(cfg, deps.Identity)
	s.self = self
	errs = append(errs, serrs...)
	for i, rc := range r.Rules {
		where := fmt.Sprintf("remediation.rules[%d] (%s)", i, rc.Name)
		c := rule{name: rc.Name, mode: rc.Mode, optInExempt: rc.OptInExempt}
		if c.mode == "" {
			c.mode = global
		}
		if !validMode(c.mode) {
			errs = append(errs, fmt.Errorf("%s: mode %q is not %s or %s", where, c.mode, config.ModeDryRun, config.ModeEnforce))
		}
		ms, err := config.ParseMatchers(rc.Matchers)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		c.matchers = ms
		a, err := reg.Lookup(rc.Action)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		} else {
			c.action = a
			if c.params, err = a.Schema().Validate(rc.Params); err != nil {
				errs = append(errs, fmt.Errorf("%s: action %s: %w", where, a.Name(), err))
			}
		}
		s.rules = append(s.rules, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if deps.Audit != nil && deps.Counter == nil {
		s.logger.Warn("no blast-radius counter: max_actions_per_hour is not enforced")
	}
	return s, nil
}

func validMode(m string) bool { return m == config.ModeDryRun || m == config.ModeEnforce }

// Handle runs the rules against one invocation payload. Each alert is
// matched against every rule; each match is one decision, recorded in the
// audit trail and announced on the bus. An unparseable payload is an error.
// A failed decision is returned as an error after every other decision was
// recorded, so the invocation is retried; decisions that did not fail are
// marked handled and are not repeated by the retry.
func (s *Service) Handle(ctx context.Context, payload json.RawMessage) (outcome.Response, error) {
	resp := outcome.Response{Function: FunctionName}
	trig, err := alert.Parse(payload)
	if err != nil {
		return resp, &alert.InputError{Function: "remediator", Err: err}
	}
	resp.Trigger = string(trig.Kind)
	if len(trig.Alerts) == 0 {
		resp.Skipped = fmt.Sprintf("a %s trigger carries no alert for the remediator", trig.Kind)
		return resp, nil
	}
	ks := &killState{sw: s.deps.KillSwitch}
	var (
		errs    []error
		matched int
		reasons []string
	)
	for i := range trig.Alerts {
		a := &trig.Alerts[i]
		resp.Alerts = append(resp.Alerts, outcome.Alert{ID: a.ID, Source: a.Source, State: string(a.State), Severity: a.Severity, Title: a.Title})
		if reason := ignored(a); reason != "" {
			s.logger.Debug("alert ignored", "alert", a.ID, "reason", reason)
			if !slices.Contains(reasons, reason) {
				reasons = append(reasons, reason)
			}
			continue
		}
		for j := range s.rules {
			r := &s.rules[j]
			if !matchesAll(r.matchers, a.Labels) {
				continue
			}
			matched++
			d, dup, err := s.decide(ctx, a, r, ks)
			if dup {
				resp.Duplicates++
				continue
			}
			resp.Remediations = append(resp.Remediations, d)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s on alert %s: %w", r.name, a.ID, err))
			}
		}
	}
	switch {
	case matched > 0:
	case len(reasons) > 0:
		resp.Skipped = "no remediation rule matches; ignored: " + strings.Join(reasons, ", ")
	default:
		resp.Skipped = "no remediation rule matches"
	}
	return resp, errors.Join(errs...)
}

// ignored says why an alert never triggers an action: it is over, its data
// is missing, or it is the remediator's own announcement (acting on it
// would loop).
func ignored(a *alert.Alert) string {
	switch {
	case a.Source == alert.SourceRemediator:
		return "the remediator's own event"
	case a.State.Resolved():
		return "resolved (" + string(a.State) + ")"
	case a.State == alert.StateInsufficientData:
		return "insufficient data"
	}
	return ""
}

func matchesAll(ms []config.Matcher, labels map[string]string) bool {
	for _, m := range ms {
		if !m.Matches(labels) {
			return false
		}
	}
	return true
}

// killState reads the kill switch once per invocation, on first need.
type killState struct {
	sw      KillSwitch
	read    bool
	enabled bool
	err     error
}

func (k *killState) get(ctx context.Context) (bool, error) {
	if k.sw == nil {
		return true, nil
	}
	if !k.read {
		k.enabled, k.err = k.sw.Enabled(ctx)
		k.read = true
	}
	return k.enabled, k.err
}

// decision is one rule's verdict on one alert, before it is recorded.
type decision struct {
	rule, action, mode string
	target             Target
	outcome, detail    string
	guardrail, undo    string
	err                error
}

// decisionID identifies a trigger+rule in the audit trail; prefixed with
// AuditKind it is the idempotency mark, which shares its key space with the
// notifier's marks.
func decisionID(a *alert.Alert, rule string) string {
	key := a.Key
	if key == "" {
		key = a.ID + "@" + a.Time.UTC().Format(time.RFC3339Nano)
	}
	return key + "#" + rule
}

// decide runs one rule on one alert and records the decision. dup is true
// for a trigger+rule already handled. The trigger+rule is marked handled only
// when the decision did not fail and was recorded, so a retry repeats
// exactly the failed and unrecorded decisions. The kill switch is read
// before the idempotency mark: it is read once per invocation, the mark once
// per decision.
func (s *Service) decide(ctx context.Context, a *alert.Alert, r *rule, ks *killState) (rem outcome.Remediation, dup bool, err error) {
	id := decisionID(a, r.name)
	mark := AuditKind + "#" + id
	log := s.logger.With("rule", r.name, "action", r.action.Name(), "alert", a.ID, "key", a.Key)
	d := decision{rule: r.name, action: r.action.Name(), mode: r.mode}
	on, kerr := ks.get(ctx)
	switch {
	case kerr != nil:
		d = d.fail("kill switch", kerr)
	case !on:
		d = d.skip(GuardrailKillSwitch, "kill switch is off: remediation is stopped")
	case s.deps.Audit != nil:
		seen, err := s.deps.Audit.Seen(ctx, state.Dedup, mark)
		switch {
		case err != nil:
			d = d.fail("idempotency check", err)
		case seen:
			log.Info("trigger already handled")
			return outcome.Remediation{}, true, nil
		}
	}
	if d.outcome == "" {
		d = s.evaluate(ctx, log, a, r)
	}
	rem, recErr := s.record(ctx, log, a, id, d)
	if err := errors.Join(d.err, recErr); err != nil {
		return rem, false, err
	}
	if s.deps.Audit != nil {
		if _, err := s.deps.Audit.MarkOnce(ctx, state.Dedup, mark, MarkTTL); err != nil {
			return rem, false, fmt.Errorf("mark handled: %w", err)
		}
	}
	return rem, false, nil
}

func (d decision) skip(guardrail, why string) decision {
	d.outcome, d.guardrail, d.detail = alert.OutcomeSkipped, guardrail, why
	return d
}

func (d decision) fail(stage string, err error) decision {
	d.outcome, d.err = alert.OutcomeFailed, fmt.Errorf("%s: %w", stage, err)
	d.detail = d.err.Error()
	return d
}

// evaluate walks the guardrails after the kill switch and idempotency mark,
// in the order the package doc gives, and runs the action.
func (s *Service) evaluate(ctx context.Context, log *slog.Logger, a *alert.Alert, r *rule) decision {
	d := decision{rule: r.name, action: r.action.Name(), mode: r.mode}
	t, err := r.action.Target(*a, r.params)
	if err != nil {
		if errors.Is(err, ErrNoTarget) {
			return d.skip("", err.Error())
		}
		return d.fail("find target", err)
	}
	d.target = t
	account := t.Account
	if account == "" {
		account = a.Label(alert.LabelAccount)
	}
	if g, why := s.guards.scope(t, account, t.Region, s.clients.Region); g != "" {
		return d.skip(g, why)
	}
	region := t.Region
	if region == "" && !global(t.Type) {
		region = s.clients.Region
	}
	if g, why := s.self.check(t, account, partition(s.clients.Region)); g != "" {
		return d.skip(g, why)
	}
	arn := targetARN(t, account, region)
	if p := s.guards.protectedBy(arn); p != "" {
		return d.skip(GuardrailProtected, fmt.Sprintf("%s (%s) matches protected_arns pattern %q", t.Name(), arn, p))
	}
	clients, g, why, err := s.clientsFor(ctx, t, account)
	switch {
	case err != nil:
		return d.fail("assume member role", err)
	case g != "":
		return d.skip(g, why)
	}
	plan, err := r.action.Plan(ctx, clients, t, r.params)
	if err != nil {
		return d.fail("plan", err)
	}
	if plan.TagsRead && s.optOut.in(plan.Tags) {
		return d.skip(GuardrailOptOut, fmt.Sprintf("%s is tagged %s", t.Name(), s.optOut))
	}
	if g, why := s.optIn.check(plan, r.optInExempt); g != "" {
		return d.skip(g, why)
	}
	resource := arn
	if resource == "" {
		resource = t.Type + "/" + t.Name()
	}
	cool := cooldownID(r.action.Name(), resource)
	if s.deps.Audit != nil && s.guards.cooldown > 0 {
		cooling, err := s.deps.Audit.Seen(ctx, state.Dedup, cool)
		if err != nil {
			return d.fail("cooldown check", err)
		}
		if cooling {
			return d.skip(GuardrailCooldown, fmt.Sprintf("%s changed %s less than %s ago (cooldown)", r.action.Name(), t.Name(), s.guards.cooldown))
		}
	}
	if plan.Empty() {
		return d.skip("", "nothing to do: "+plan.Summary)
	}
	now := s.now()
	window := windowOf(now)
	counter := counterID(r.name, window)
	circuitOpen := fmt.Sprintf("circuit open: rule %s made its max_actions_per_hour (%d) changes in the hour from %s:00 UTC; would %s",
		r.name, s.guards.maxPerHour, window, plan.Detail())
	d.detail = plan.Detail()
	if r.mode != config.ModeEnforce {
		// Dry-run never counts, but says when enforcing would be refused.
		if s.deps.Counter != nil {
			n, err := s.deps.Counter.Count(ctx, counter)
			if err != nil {
				return d.fail("blast-radius counter", err)
			}
			if n >= s.guards.maxPerHour {
				return d.skip(GuardrailCircuitOpen, circuitOpen)
			}
		}
		d.outcome = alert.OutcomePlanned
		return d
	}
	if s.deps.Counter != nil {
		expires := now.UTC().Truncate(CircuitWindow).Add(counterTTL)
		ok, err := s.deps.Counter.Take(ctx, counter, s.guards.maxPerHour, expires)
		if err != nil {
			return d.fail("blast-radius counter", err)
		}
		if !ok {
			if err := s.announceCircuit(ctx, a, r, window); err != nil {
				// The decision stands; only its announcement is lost.
				log.Error("circuit-opened event not recorded", "error", err)
			}
			return d.skip(GuardrailCircuitOpen, circuitOpen)
		}
	}
	if err := r.action.Apply(ctx, clients, plan); err != nil {
		if s.deps.Counter != nil {
			if gerr := s.deps.Counter.Give(ctx, counter); gerr != nil {
				log.Error("blast-radius counter not given back", "error", gerr)
			}
		}
		return d.fail("apply", err)
	}
	// From here the change is made: keep the undo even if verification fails.
	d.undo = r.action.Undo(plan)
	if s.deps.Audit != nil && s.guards.cooldown > 0 {
		if _, err := s.deps.Audit.MarkOnce(ctx, state.Dedup, cool, s.guards.cooldown); err != nil {
			log.Error("cooldown not started", "error", err)
		}
	}
	if err := r.action.Verify(ctx, clients, plan); err != nil {
		return d.fail("verify", err)
	}
	d.outcome = alert.OutcomeApplied
	return d
}

// clientsFor picks the clients that act on a target in account: the
// remediator's own for its own account (or when either account is unknown),
// a member account's through Deps.Accounts, and none (GuardrailAccount) for
// an account that is not a member: acting there with the home account's
// clients would hit a same-named resource of the wrong account.
func (s *Service) clientsFor(ctx context.Context, t Target, account string) (Clients, string, string, error) {
	home := s.deps.Identity.Account
	if home == "" || account == "" || account == home {
		return s.clients, "", "", nil
	}
	if s.deps.Accounts == nil || !s.deps.Accounts.Member(account) {
		return Clients{}, GuardrailAccount, fmt.Sprintf("%s is in account %s; this remediator acts in %s and in the accounts remediation.cross_account.accounts lists",
			t.Name(), account, home), nil
	}
	c, err := s.deps.Accounts.ClientsFor(ctx, account)
	if err != nil {
		return Clients{}, "", "", err
	}
	if c.Region == "" {
		c.Region = s.clients.Region
	}
	return c, "", "", nil
}

// record logs the decision, writes its audit record and publishes its
// event; the error says what could not be recorded.
func (s *Service) record(ctx context.Context, log *slog.Logger, a *alert.Alert, id string, d decision) (outcome.Remediation, error) {
	rem := outcome.Remediation{Rule: d.rule, Action: d.action, Resource: d.target.Name(), Mode: d.mode, Outcome: d.outcome, Detail: d.detail}
	log = log.With("resource", rem.Resource, "mode", d.mode, "outcome", d.outcome)
	if d.err != nil {
		log.Error("remediation failed", "detail", d.detail)
	} else {
		log.Info("remediation decided", "detail", d.detail, "guardrail", d.guardrail)
	}
	var errs []error
	if s.deps.Audit != nil {
		fields := map[string]string{
			"rule": d.rule, "action": d.action, "resource": rem.Resource, "mode": d.mode,
			"outcome": d.outcome, "detail": d.detail, "undo": d.undo, "guardrail": d.guardrail,
			"alert_id": a.ID, "trigger_key": a.Key, "target_from": d.target.From, "resource_arn": d.target.ARN,
			// The weekly digest counts remediations by account and severity.
			"severity": a.Severity, "account": cmp.Or(d.target.Account, a.Labels[alert.LabelAccount]),
		}
		for k, v := range fields {
			if v == "" {
				delete(fields, k)
			}
		}
		if err := s.deps.Audit.PutAudit(ctx, state.AuditRecord{Kind: AuditKind, ID: id, Time: s.now(), Fields: fields}); err != nil {
			errs = append(errs, fmt.Errorf("audit: %w", err))
		}
	}
	if s.deps.Publisher != nil {
		if err := s.deps.Publisher.Publish(ctx, alert.SourceRemediator, alert.DetailTypeRemediation, s.detail(a, d)); err != nil {
			errs = append(errs, fmt.Errorf("publish: %w", err))
		}
	}
	err := errors.Join(errs...)
	if err != nil {
		log.Error("remediation not recorded", "error", err)
	}
	return rem, err
}

// detail is the Watchkeeper Remediation event for a decision.
func (s *Service) detail(a *alert.Alert, d decision) alert.Detail {
	res := d.target.Name()
	if res == "" {
		res = "no resource"
	}
	det := alert.Detail{
		AlertID:     a.ID,
		Rule:        d.rule,
		Severity:    a.Severity,
		Title:       fmt.Sprintf("%s %s: %s on %s", d.action, d.outcome, a.Title, res),
		Description: d.detail,
		Labels:      a.Labels,
		Record:      alert.TrailRecordFrom(a.Record),
		Links:       a.Links,
		Time:        s.now().UTC(),
		Remediation: &alert.Remediation{
			Action: d.action, Mode: d.mode, Outcome: d.outcome,
			Guardrail: d.guardrail, Message: d.detail, Undo: d.undo,
		},
	}
	if alert.NormalizeSeverity(det.Severity) == "" {
		det.Severity = alert.SeverityInfo
	}
	if t := d.target; t.ID != "" {
		det.Resources = []alert.Resource{{ARN: t.ARN, Type: t.Type, ID: t.Name(), Region: t.Region, Account: t.Account}}
	}
	return det
}
