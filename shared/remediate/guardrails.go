package remediate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/state"
)

// Guardrails added to the kill switch, opt-out tag and region
// (alert.Remediation.Guardrail).
const (
	GuardrailAccount     = "account"
	GuardrailProtected   = "protected"
	GuardrailCooldown    = "cooldown"
	GuardrailCircuitOpen = "circuit-open"
)

// CircuitWindow is the blast-radius window: max_actions_per_hour counts the
// applied actions of a rule in one UTC clock hour.
const CircuitWindow = time.Hour

// LabelCircuit marks the one event per rule and window that says the rule's
// circuit opened (value CircuitOpened), so consumers can tell it from the
// skipped decisions that follow it.
const LabelCircuit = "circuit"

// CircuitOpened is the LabelCircuit value of a circuit-opened event.
const CircuitOpened = "opened"

// counterTTL keeps a window's counter a window past its end, so a late
// reader still finds it; DynamoDB TTL deletes it afterwards.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
const counterTTL = 2 * CircuitWindow

// guardrails is remediation.guardrails compiled.
type guardrails struct {
	cooldown   time.Duration
	maxPerHour int
	protected  []glob
	allowAccts []string
	denyAccts  []string
	allowRegs  []string
	denyRegs   []string
}

// compileGuardrails parses g, applying the config defaults to unset fields
// (a config built in code skips config.Load's defaults). Every problem is
// returned.
func compileGuardrails(g config.Guardrails) (guardrails, []error) {
	out := guardrails{
		maxPerHour: g.MaxActionsPerHour,
		allowAccts: g.AllowAccounts, denyAccts: g.DenyAccounts,
		allowRegs: g.AllowRegions, denyRegs: g.DenyRegions,
	}
	var errs []error
	cd := g.Cooldown
	if cd == "" {
		cd = config.DefaultCooldown
	}
	d, err := time.ParseDuration(cd)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("remediation.guardrails.cooldown: %q is not a Go duration such as 15m or 1h", g.Cooldown))
	case d < 0:
		errs = append(errs, fmt.Errorf("remediation.guardrails.cooldown: %q is negative", g.Cooldown))
	}
	out.cooldown = d
	switch {
	case out.maxPerHour == 0:
		out.maxPerHour = config.DefaultMaxActionsPerHour
	case out.maxPerHour < 0:
		errs = append(errs, fmt.Errorf("remediation.guardrails.max_actions_per_hour: %d is negative", out.maxPerHour))
	}
	for i, p := range g.ProtectedARNs {
		gl, err := compileGlob(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediation.guardrails.protected_arns[%d]: %w", i, err))
			continue
		}
		out.protected = append(out.protected, gl)
	}
	return out, errs
}

// glob is a protected_arns pattern: '*' is any run of characters (':' and
// '/' included, unlike path.Match), '?' is one character.
type glob struct {
	pattern string
	re      *regexp.Regexp
}

// compileGlob rejects empty patterns and the metacharacters of richer glob
// syntaxes ('[', ']', '{', '}', '\'), which ARNs never contain and which
// would otherwise be matched literally against the author's intent.
func compileGlob(p string) (glob, error) {
	if strings.TrimSpace(p) == "" {
		return glob{}, errors.New("empty pattern")
	}
	if i := strings.IndexAny(p, `[]{}\`); i >= 0 {
		return glob{}, fmt.Errorf("%q: %q at offset %d is not supported (only * and ? are wildcards)", p, p[i], i)
	}
	var b strings.Builder
	b.WriteString("^")
	for _, r := range p {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return glob{}, fmt.Errorf("%q: %w", p, err)
	}
	return glob{pattern: p, re: re}, nil
}

func (g glob) match(s string) bool { return g.re.MatchString(s) }

// arnSep joins the ARNs of a target that names several resources (EC2
// instances); ARNs never contain a space.
const arnSep = " "

// protectedBy returns the first protected pattern arn (or, for a target of
// several resources, any of its ARNs) matches, or "".
func (g *guardrails) protectedBy(arn string) string {
	for _, one := range strings.Split(arn, arnSep) {
		for _, p := range g.protected {
			if p.match(one) {
				return p.pattern
			}
		}
	}
	return ""
}

// scope is the account/region guardrail: the name of the guardrail that
// skips the target and why, or "" when the target is in scope. acting is the
// region the remediator's clients call.
func (g *guardrails) scope(t Target, account, region, acting string) (guardrail, why string) {
	if region != "" && acting != "" && region != acting {
		return GuardrailRegion, fmt.Sprintf("%s is in %s; this remediator acts in %s", t.Name(), region, acting)
	}
	if region == "" {
		region = acting
	}
	if global(t.Type) {
		// A global resource (IAM) is in no region, so region lists never skip it.
		region = ""
	}
	switch {
	case account != "" && slices.Contains(g.denyAccts, account):
		return GuardrailAccount, fmt.Sprintf("%s is in account %s, which deny_accounts lists", t.Name(), account)
	case len(g.allowAccts) > 0 && account == "":
		return GuardrailAccount, fmt.Sprintf("the account of %s is unknown and allow_accounts is set", t.Name())
	case len(g.allowAccts) > 0 && !slices.Contains(g.allowAccts, account):
		return GuardrailAccount, fmt.Sprintf("%s is in account %s, which allow_accounts does not list", t.Name(), account)
	case region != "" && slices.Contains(g.denyRegs, region):
		return GuardrailRegion, fmt.Sprintf("%s is in %s, which deny_regions lists", t.Name(), region)
	case region != "" && len(g.allowRegs) > 0 && !slices.Contains(g.allowRegs, region):
		return GuardrailRegion, fmt.Sprintf("%s is in %s, which allow_regions does not list", t.Name(), region)
	}
	return "", ""
}

// global reports whether resources of CloudFormation type typ live in no
// region.
func global(typ string) bool { return strings.HasPrefix(typ, "AWS::IAM::") }

// partition is the ARN partition of region.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// targetARN is the target's ARN, built from its type, id, region and account
// when the trigger gave none. An access key has no ARN of its own; its
// user's ARN stands for it, so protecting a user protects its keys. An
// unknown type yields "".
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
func targetARN(t Target, account, region string) string {
	if t.ARN != "" {
		return t.ARN
	}
	if strings.HasPrefix(t.ID, "arn:") {
		return t.ID
	}
	p := partition(region)
	switch t.Type {
	case "AWS::EC2::SecurityGroup":
		return fmt.Sprintf("arn:%s:ec2:%s:%s:security-group/%s", p, region, account, t.ID)
	case "AWS::AutoScaling::AutoScalingGroup":
		// The real ARN carries a group UUID the trigger does not know.
		return fmt.Sprintf("arn:%s:autoscaling:%s:%s:autoScalingGroup:*:autoScalingGroupName/%s", p, region, account, t.ID)
	case "AWS::CloudTrail::Trail":
		return fmt.Sprintf("arn:%s:cloudtrail:%s:%s:trail/%s", p, region, account, t.ID)
	case "AWS::S3::Bucket":
		return fmt.Sprintf("arn:%s:s3:::%s", p, t.ID)
	case "AWS::IAM::AccessKey":
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, account, t.Parent)
	case instanceType:
		// Several instances give several ARNs; protectedBy checks each.
		arns := make([]string, 0, 1)
		for _, id := range instanceIDs(t) {
			arns = append(arns, fmt.Sprintf("arn:%s:ec2:%s:%s:instance/%s", p, region, account, id))
		}
		return strings.Join(arns, arnSep)
	case "AWS::EC2::Snapshot":
		return fmt.Sprintf("arn:%s:ec2:%s::snapshot/%s", p, region, t.ID)
	case "AWS::KMS::Key":
		return fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, region, account, t.ID)
	case iamUserType:
		return fmt.Sprintf("arn:%s:iam::%s:user/%s", p, account, t.ID)
	case iamRoleType:
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, account, t.ID)
	case "AWS::GuardDuty::Detector":
		return fmt.Sprintf("arn:%s:guardduty:%s:%s:detector/%s", p, region, account, t.ID)
	case "AWS::Config::ConfigurationRecorder":
		// The real ARN ends in a recorder id the trigger does not know.
		return fmt.Sprintf("arn:%s:config:%s:%s:configuration-recorder/%s/*", p, region, account, t.ID)
	}
	return ""
}

// cooldownID is the mark that keeps action off resource for the cooldown.
func cooldownID(action, resource string) string {
	return "cooldown#" + action + "#" + resource
}

// windowOf is the UTC hour bucket of now, e.g. 2026-11-25T10.
func windowOf(now time.Time) string { return now.UTC().Truncate(CircuitWindow).Format("2006-01-02T15") }

// counterID is the blast-radius counter of rule in window.
func counterID(rule, window string) string { return AuditKind + "#" + rule + "#" + window }

// circuitID is the mark that the rule's circuit-opened event was sent for
// window.
func circuitID(rule, window string) string { return "circuit#" + rule + "#" + window }

// Counter keeps the blast-radius counters: one per rule and window, shared
// by every concurrent remediator. TableCounter implements it over the state
// table.
type Counter interface {
	// Take adds one to counter id unless it has reached limit, reporting
	// whether it did; the counter expires at expires.
	Take(ctx context.Context, id string, limit int, expires time.Time) (bool, error)
	// Give takes back one unit Take added, for an action that changed nothing.
	Give(ctx context.Context, id string) error
	// Count is the counter's value, 0 when it does not exist.
	Count(ctx context.Context, id string) (int, error)
}

// counterAPI is the part of the DynamoDB client TableCounter uses.
type counterAPI interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var _ counterAPI = (*dynamodb.Client)(nil)

var _ Counter = (*TableCounter)(nil)

// TableCounter is a Counter of COUNTER records in the state table
// (pk COUNTER#<id>, sk META), updated with atomic conditional ADDs so that
// concurrent remediators never count past the limit.
type TableCounter struct {
	db    counterAPI
	table string
}

// NewTableCounter returns a TableCounter over table.
func NewTableCounter(db counterAPI, table string) *TableCounter {
	return &TableCounter{db: db, table: table}
}

// metaSortKey is the state table's sort key of single-item records.
const metaSortKey = "META"

// attrCount holds a counter's value.
const attrCount = "count"

func (c *TableCounter) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		state.AttrPK: &types.AttributeValueMemberS{Value: state.PK(state.Counter, id)},
		state.AttrSK: &types.AttributeValueMemberS{Value: metaSortKey},
	}
}

// Take implements Counter.
func (c *TableCounter) Take(ctx context.Context, id string, limit int, expires time.Time) (bool, error) {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(c.table),
		Key:                      c.key(id),
		UpdateExpression:         aws.String("ADD #n :one SET #ttl = :exp"),
		ConditionExpression:      aws.String("attribute_not_exists(#n) OR #n < :max"),
		ExpressionAttributeNames: map[string]string{"#n": attrCount, "#ttl": state.AttrTTL},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":max": &types.AttributeValueMemberN{Value: strconv.Itoa(limit)},
			":exp": &types.AttributeValueMemberN{Value: strconv.FormatInt(expires.Unix(), 10)},
		},
	})
	if err == nil {
		return true, nil
	}
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	return false, fmt.Errorf("count %s in table %s: %w", state.PK(state.Counter, id), c.table, err)
}

// Give implements Counter.
func (c *TableCounter) Give(ctx context.Context, id string) error {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(c.table),
		Key:                       c.key(id),
		UpdateExpression:          aws.String("ADD #n :minus"),
		ConditionExpression:       aws.String("#n > :zero"),
		ExpressionAttributeNames:  map[string]string{"#n": attrCount},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": &types.AttributeValueMemberN{Value: "-1"}, ":zero": &types.AttributeValueMemberN{Value: "0"}},
	})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("uncount %s in table %s: %w", state.PK(state.Counter, id), c.table, err)
	}
	return nil
}

// Count implements Counter.
func (c *TableCounter) Count(ctx context.Context, id string) (int, error) {
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: c.key(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("read %s from table %s: %w", state.PK(state.Counter, id), c.table, err)
	}
	n, ok := out.Item[attrCount].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		return 0, fmt.Errorf("counter %s holds %q: %w", state.PK(state.Counter, id), n.Value, err)
	}
	return v, nil
}

// circuitDetail is the event announcing that rule r's circuit opened.
func (s *Service) circuitDetail(a *alert.Alert, r *rule, window string) alert.Detail {
	msg := fmt.Sprintf("rule %s reached max_actions_per_hour (%d) in the hour from %s:00 UTC; it changes nothing more until the hour ends",
		r.name, s.guards.maxPerHour, window)
	return alert.Detail{
		AlertID:     circuitID(r.name, window),
		Rule:        r.name,
		Severity:    alert.SeverityHigh,
		Title:       fmt.Sprintf("circuit opened: remediation rule %s stopped for the hour", r.name),
		Description: msg,
		Labels:      map[string]string{LabelCircuit: CircuitOpened},
		Time:        s.now().UTC(),
		Remediation: &alert.Remediation{
			Action: r.action.Name(), Mode: r.mode, Outcome: alert.OutcomeSkipped,
			Guardrail: GuardrailCircuitOpen, Message: msg,
		},
		Links: a.Links,
	}
}

// announceCircuit publishes and audits the circuit-opened event once per
// rule and window; the MarkOnce is taken first so concurrent remediators
// agree on who announces.
func (s *Service) announceCircuit(ctx context.Context, a *alert.Alert, r *rule, window string) error {
	if s.deps.Audit == nil {
		return nil
	}
	id := circuitID(r.name, window)
	first, err := s.deps.Audit.MarkOnce(ctx, state.Dedup, id, counterTTL)
	if err != nil || !first {
		if err != nil {
			return fmt.Errorf("mark circuit opened: %w", err)
		}
		return nil
	}
	det := s.circuitDetail(a, r, window)
	s.logger.Warn("circuit opened", "rule", r.name, "window", window, "max_actions_per_hour", s.guards.maxPerHour)
	var errs []error
	if err := s.deps.Audit.PutAudit(ctx, state.AuditRecord{Kind: AuditKind, ID: id, Time: s.now(), Fields: map[string]string{
		"rule": r.name, "action": r.action.Name(), "mode": r.mode, "outcome": alert.OutcomeSkipped,
		"guardrail": GuardrailCircuitOpen, "detail": det.Description, LabelCircuit: CircuitOpened,
	}}); err != nil {
		errs = append(errs, fmt.Errorf("audit circuit opened: %w", err))
	}
	if s.deps.Publisher != nil {
		if err := s.deps.Publisher.Publish(ctx, alert.SourceRemediator, alert.DetailTypeRemediation, det); err != nil {
			errs = append(errs, fmt.Errorf("publish circuit opened: %w", err))
		}
	}
	return errors.Join(errs...)
}
