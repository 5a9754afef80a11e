package remediate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Limits of Systems Manager document names and command comments.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_SendCommand.html
const (
	minDocumentName = 3
	maxDocumentName = 128
	maxCommandNote  = 100
)

// ssmMarker starts every comment Watchkeeper puts on a command, so Plan
// finds its own commands and not someone else's.
const ssmMarker = "watchkeeper"

// validDocumentName reports whether s is an SSM document name, or the ARN
// of a document shared from another account.
func validDocumentName(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		return len(s) <= maxIDLen && strings.Contains(s, ":document/") && !strings.ContainsAny(s, " \t\n")
	}
	if len(s) < minDocumentName || len(s) > maxDocumentName {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("_-.", c) {
			return false
		}
	}
	return true
}

// documentParams turns "name=value" entries into the SSM parameter map; a
// name given twice gets both values, in order.
func documentParams(entries []string) (map[string][]string, error) {
	out := make(map[string][]string, len(entries))
	for _, e := range entries {
		k, v, ok := strings.Cut(e, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("parameter entry %q is not name=value", truncate(e, 40))
		}
		out[k] = append(out[k], v)
	}
	return out, nil
}

// checkDocumentParams is the shared part of the SSM actions' schema checks.
func checkDocumentParams(p Params) []error {
	var errs []error
	if !validDocumentName(p.String("document")) {
		errs = append(errs, fmt.Errorf("document %q is not an SSM document name or ARN", truncate(p.String("document"), 60)))
	}
	if _, err := documentParams(p.Strings("parameters")); err != nil {
		errs = append(errs, err)
	}
	if err := checkMinInterval(p); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// ssmRunCommand runs a Systems Manager command document on instances
// (collect forensics, restart an agent, rotate a local credential). Only
// documents the rule lists in allowed_documents may run, so a config
// typo cannot run AWS-RunShellScript where a read-only document was meant.
// An instance that ran the document for Watchkeeper within
// min_interval_minutes (and did not fail) is not sent it again.
type ssmRunCommand struct{}

// commandPlan is ssm-run-command's Plan.Data.
type commandPlan struct {
	Instances []string
	Document  string
	Params    map[string][]string
	Comment   string
	Since     time.Time
	// CommandID is the command Apply sent, for Verify and the undo.
	CommandID string
}

// Command statuses that count as not having run.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_Command.html
var failedCommand = []ssmtypes.CommandStatus{
	ssmtypes.CommandStatusFailed, ssmtypes.CommandStatusCancelled, ssmtypes.CommandStatusCancelling, ssmtypes.CommandStatusTimedOut,
}

func (ssmRunCommand) Name() string { return "ssm-run-command" }

func (ssmRunCommand) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "document", Type: TypeString, Required: true, Description: "command document to run (AWS-RunShellScript, your own, or a shared ARN)"},
		{Name: "allowed_documents", Type: TypeStringList, Required: true,
			Description: "documents this rule may run; document must be one of them"},
		{Name: "parameters", Type: TypeStringList, Description: "document parameters as name=value; repeat a name for a list"},
		{Name: "min_interval_minutes", Type: TypeInt, Default: 60,
			Description: "an instance that ran the document for Watchkeeper less than this many minutes ago is not sent it again"},
	}, Check: func(p Params) error {
		errs := checkDocumentParams(p)
		if !slices.Contains(p.Strings("allowed_documents"), p.String("document")) {
			errs = append(errs, fmt.Errorf("document %q is not in allowed_documents (%s)", truncate(p.String("document"), 60),
				strings.Join(p.Strings("allowed_documents"), ", ")))
		}
		return errors.Join(errs...)
	}}
}

func (ssmRunCommand) Permissions() []string {
	return []string{"ec2:DescribeInstances", "ssm:ListCommands", "ssm:SendCommand"}
}

func (ssmRunCommand) Example() string {
	return `remediation:
  rules:
    - name: collect-forensics
      matchers: ['finding_type=~Backdoor:EC2/.*']
      action: ssm-run-command
      mode: enforce
      params:
        document: AWS-RunShellScript
        allowed_documents: [AWS-RunShellScript]
        parameters: ['commands=/opt/ir/collect.sh']
`
}

// Target takes the instances from instance resources of a finding, the
// InstanceId alarm dimension, or requestParameters.instancesSet, and
// remembers the alert's ID for the command's comment.
func (ssmRunCommand) Target(a alert.Alert, _ Params) (Target, error) {
	t, err := instanceTarget(a)
	if err != nil {
		return Target{}, err
	}
	t.Trigger = a.ID
	return t, nil
}

// commandComment is the comment of Watchkeeper's commands: the marker and
// the trigger, within SSM's limit.
func commandComment(trigger string) string {
	c := ssmMarker
	if trigger != "" {
		c += ": " + trigger
	}
	if len(c) > maxCommandNote {
		c = truncate(c, maxCommandNote-len("…"))
	}
	return c
}

// ranRecently returns the instances among ids that ran document for
// Watchkeeper at or after since, without failing.
func ranRecently(ctx context.Context, c SSMAPI, ids []string, document string, since time.Time) (map[string]bool, error) {
	out := make(map[string]bool)
	for _, id := range ids {
		p := ssm.NewListCommandsPaginator(c, &ssm.ListCommandsInput{InstanceId: aws.String(id)})
		for p.HasMorePages() && !out[id] {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list commands of %s: %w", id, err)
			}
			for _, cmd := range page.Commands {
				if aws.ToString(cmd.DocumentName) == document && strings.HasPrefix(aws.ToString(cmd.Comment), ssmMarker) &&
					!aws.ToTime(cmd.RequestedDateTime).Before(since) && !slices.Contains(failedCommand, cmd.Status) {
					out[id] = true
				}
			}
		}
	}
	return out, nil
}

func (s ssmRunCommand) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.EC2 == nil {
		return Plan{}, missing("EC2")
	}
	if c.SSM == nil {
		return Plan{}, missing("SSM")
	}
	ins, err := describeInstances(ctx, c.EC2, instanceIDs(t))
	if err != nil {
		return Plan{}, err
	}
	params, err := documentParams(p.Strings("parameters"))
	if err != nil {
		return Plan{}, err
	}
	doc := p.String("document")
	since := time.Now().UTC().Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d := &commandPlan{Document: doc, Params: params, Comment: commandComment(t.Trigger), Since: since}
	plan := Plan{Action: s.Name(), Target: t, Data: d, TagsRead: true, Tags: instanceTags(ins)}
	var running []string
	for _, in := range ins {
		if stateOf(in) == ec2types.InstanceStateNameRunning {
			running = append(running, aws.ToString(in.InstanceId))
		}
	}
	done, err := ranRecently(ctx, c.SSM, running, doc, since)
	if err != nil {
		return Plan{}, err
	}
	for _, id := range running {
		if done[id] {
			continue
		}
		d.Instances = append(d.Instances, id)
		plan.Changes = append(plan.Changes, fmt.Sprintf("run %s on %s", doc, id))
	}
	summarize(&plan, fmt.Sprintf("%s not running or ran %s in the last %d minutes", strings.Join(instanceIDs(t), ", "), doc,
		p.Int("min_interval_minutes")), fmt.Sprintf("run %s on %d instances", doc, len(d.Instances)))
	return plan, nil
}

func (ssmRunCommand) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*commandPlan](p)
	if err != nil {
		return err
	}
	if c.SSM == nil {
		return missing("SSM")
	}
	done, err := ranRecently(ctx, c.SSM, d.Instances, d.Document, d.Since)
	if err != nil {
		return err
	}
	var todo []string
	for _, id := range d.Instances {
		if !done[id] {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	out, err := c.SSM.SendCommand(ctx, &ssm.SendCommandInput{DocumentName: aws.String(d.Document), InstanceIds: todo,
		Parameters: d.Params, Comment: aws.String(d.Comment)})
	if err != nil {
		return fmt.Errorf("send %s to %s: %w", d.Document, strings.Join(todo, ", "), err)
	}
	if out.Command != nil {
		d.CommandID = aws.ToString(out.Command.CommandId)
	}
	return nil
}

func (ssmRunCommand) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*commandPlan](p)
	if err != nil {
		return err
	}
	if c.SSM == nil {
		return missing("SSM")
	}
	if len(d.Instances) == 0 {
		return nil
	}
	done, err := ranRecently(ctx, c.SSM, d.Instances, d.Document, d.Since)
	if err != nil {
		return err
	}
	for _, id := range d.Instances {
		if !done[id] {
			return fmt.Errorf("%w: no command running %s on %s", ErrVerify, d.Document, id)
		}
	}
	return nil
}

// Undo cancels the command where it has not finished; what already ran stays run.
func (ssmRunCommand) Undo(p Plan) string {
	d, err := planData[*commandPlan](p)
	if err != nil || d.CommandID == "" {
		return ""
	}
	return cli(withRegion([]string{"ssm", "cancel-command", "--command-id", d.CommandID}, p.Target.Region)...)
}

// ssmStartAutomation starts a Systems Manager Automation runbook (any
// AWS-* runbook or your own) on the trigger's resource: the open end for
// every remediation the registry has no action for. The target goes into
// the runbook parameter target_parameter names. An execution of the runbook
// on the same target started within min_interval_minutes (and not failed)
// makes the plan empty; executions carry a tag keyed by a digest of the
// target so Plan can find them.
type ssmStartAutomation struct{}

// automationPlan is ssm-start-automation's Plan.Data.
type automationPlan struct {
	Document string
	Params   map[string][]string
	// TagKey marks executions on this target.
	TagKey string
	Since  time.Time
	// ExecutionID is the execution Apply started, for Verify and the undo.
	ExecutionID string
}

// automationTagPrefix starts the tag key that marks an execution's target.
const automationTagPrefix = "watchkeeper:target:"

// Automation statuses that count as not having run.
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_AutomationExecution.html
var failedAutomation = []ssmtypes.AutomationExecutionStatus{
	ssmtypes.AutomationExecutionStatusFailed, ssmtypes.AutomationExecutionStatusCancelled,
	ssmtypes.AutomationExecutionStatusCancelling, ssmtypes.AutomationExecutionStatusTimedout,
	ssmtypes.AutomationExecutionStatusRejected, ssmtypes.AutomationExecutionStatusCompletedWithFailure,
}

func (ssmStartAutomation) Name() string { return "ssm-start-automation" }

func (ssmStartAutomation) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "document", Type: TypeString, Required: true,
			Description: "Automation runbook to start (AWS-… runbooks, your own, or a shared ARN)"},
		{Name: "parameters", Type: TypeStringList,
			Description: "runbook parameters as name=value (AutomationAssumeRole=arn:… among them); repeat a name for a list"},
		{Name: "target_parameter", Type: TypeString,
			Description: "runbook parameter that receives the target's id(s), e.g. InstanceId; unset passes none"},
		{Name: "target_dimension", Type: TypeString,
			Description: "alarm dimension whose value is the target (checked before instances and finding resources)"},
		{Name: "min_interval_minutes", Type: TypeInt, Default: 60,
			Description: "a target the runbook ran on for Watchkeeper less than this many minutes ago is not run on again"},
	}, Check: func(p Params) error {
		errs := checkDocumentParams(p)
		ps, err := documentParams(p.Strings("parameters"))
		if tp := p.String("target_parameter"); tp != "" && err == nil && ps[tp] != nil {
			errs = append(errs, fmt.Errorf("target_parameter %q is also set in parameters", truncate(tp, 40)))
		}
		if err == nil {
			if err := checkAutomationRole(ps[automationRoleParam]); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}}
}

// automationRoleParam is the runbook parameter naming the role Automation
// runs the runbook as.
// https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-iam.html
const automationRoleParam = "AutomationAssumeRole"

// checkAutomationRole requires exactly one literal AutomationAssumeRole:
// without one the runbook would run as the remediator's own narrow role,
// and the remediator may pass only roles its rules name.
func checkAutomationRole(values []string) error {
	switch len(values) {
	case 0:
		return fmt.Errorf("parameters needs %s=<IAM role ARN>: the runbook runs as that role, and the remediator may pass only roles its rules name",
			automationRoleParam)
	case 1:
		return checkRoleARN("parameter "+automationRoleParam, values[0], "to Systems Manager Automation")
	}
	return fmt.Errorf("parameters sets %s %d times, want once", automationRoleParam, len(values))
}

// Permissions are the Automation calls; iam:PassRole of the runbook's
// AutomationAssumeRole is scoped to that role (ScopedPermissions).
func (ssmStartAutomation) Permissions() []string {
	return []string{"ssm:DescribeAutomationExecutions", "ssm:StartAutomationExecution", "ssm:AddTagsToResource",
		"ssm:GetAutomationExecution"}
}

// ScopedPermissions pass the rule's AutomationAssumeRole to Systems
// Manager and nowhere else.
func (ssmStartAutomation) ScopedPermissions(p Params) []ScopedPermission {
	ps, err := documentParams(p.Strings("parameters"))
	if err != nil || len(ps[automationRoleParam]) != 1 {
		return nil
	}
	return []ScopedPermission{passRole(ps[automationRoleParam][0], PassedToSSM)}
}

func (ssmStartAutomation) Example() string {
	return `remediation:
  rules:
    - name: restart-unhealthy-instance
      matchers: ['alarm=~.*-instance-unhealthy']
      action: ssm-start-automation
      params:
        document: AWS-RestartEC2Instance
        target_parameter: InstanceId
        parameters: ['AutomationAssumeRole=arn:aws:iam::123456789012:role/watchkeeper-automation']
`
}

// Target takes, in order: the alarm dimension target_dimension names,
// EC2 instances (InstanceId dimension, requestParameters.instancesSet,
// instance resources), or the first resource of the trigger with an id.
// It remembers the alert's ID.
func (ssmStartAutomation) Target(a alert.Alert, p Params) (Target, error) {
	t := Target{Region: regionOf(a), Account: accountOf(a), Trigger: a.ID}
	if dim := p.String("target_dimension"); dim != "" {
		if v := dimension(a, dim); v != "" && len(v) <= maxIDLen {
			t.Type, t.ID, t.From = "AWS::CloudWatch::Dimension", v, fromDim+dim
			return t, nil
		}
	}
	if it, err := instanceTarget(a); err == nil {
		it.Trigger = a.ID
		return it, nil
	}
	for _, r := range a.Resources {
		if r.Name() == "" || len(r.Name()) > maxIDLen || r.Type == "" {
			continue
		}
		t.Type, t.ID, t.ARN, t.From = r.Type, r.Name(), r.ARN, fromResource+r.Type
		if r.Region != "" {
			t.Region = r.Region
		}
		return t, nil
	}
	where := []string{"alarm dimension InstanceId", "requestParameters.instancesSet", "resources of the trigger"}
	if dim := p.String("target_dimension"); dim != "" {
		where = append([]string{"alarm dimension " + dim}, where...)
	}
	return Target{}, noTarget("resource for the runbook", where...)
}

// automationTagKey marks executions on one target: a digest, as tag keys
// cannot hold every character a resource id can.
func automationTagKey(document, target string) string {
	sum := sha256.Sum256([]byte(document + "\x00" + target))
	return automationTagPrefix + hex.EncodeToString(sum[:8])
}

// recentExecution returns the id of an execution of document tagged with
// tagKey, started at or after since and not failed, or "".
func recentExecution(ctx context.Context, c SSMAPI, document, tagKey string, since time.Time) (string, error) {
	prefix := document
	if _, name, ok := strings.Cut(document, ":document/"); ok {
		prefix = name
	}
	p := ssm.NewDescribeAutomationExecutionsPaginator(c, &ssm.DescribeAutomationExecutionsInput{Filters: []ssmtypes.AutomationExecutionFilter{
		{Key: ssmtypes.AutomationExecutionFilterKeyDocumentNamePrefix, Values: []string{prefix}},
		{Key: ssmtypes.AutomationExecutionFilterKeyTagKey, Values: []string{tagKey}},
	}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("describe executions of %s: %w", document, err)
		}
		for _, e := range page.AutomationExecutionMetadataList {
			if !aws.ToTime(e.ExecutionStartTime).Before(since) && !slices.Contains(failedAutomation, e.AutomationExecutionStatus) {
				return aws.ToString(e.AutomationExecutionId), nil
			}
		}
	}
	return "", nil
}

func (s ssmStartAutomation) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.SSM == nil {
		return Plan{}, missing("SSM")
	}
	params, err := documentParams(p.Strings("parameters"))
	if err != nil {
		return Plan{}, err
	}
	if tp := p.String("target_parameter"); tp != "" {
		params[tp] = strings.Split(t.ID, instanceSep)
		if t.Type != instanceType {
			params[tp] = []string{t.ID}
		}
	}
	doc := p.String("document")
	since := time.Now().UTC().Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d := &automationPlan{Document: doc, Params: params, TagKey: automationTagKey(doc, t.ID), Since: since}
	plan := Plan{Action: s.Name(), Target: t, Data: d}
	running, err := recentExecution(ctx, c.SSM, doc, d.TagKey, since)
	if err != nil {
		return Plan{}, err
	}
	if running != "" {
		plan.Summary = fmt.Sprintf("runbook %s already ran on %s in the last %d minutes (execution %s)", doc, t.Name(),
			p.Int("min_interval_minutes"), running)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("start runbook %s on %s", doc, t.Name())
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (ssmStartAutomation) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*automationPlan](p)
	if err != nil {
		return err
	}
	if c.SSM == nil {
		return missing("SSM")
	}
	running, err := recentExecution(ctx, c.SSM, d.Document, d.TagKey, d.Since)
	if err != nil {
		return err
	}
	if running != "" {
		if d.ExecutionID == "" {
			d.ExecutionID = running
		}
		return nil
	}
	out, err := c.SSM.StartAutomationExecution(ctx, &ssm.StartAutomationExecutionInput{
		DocumentName: aws.String(d.Document), Parameters: d.Params,
		Tags: []ssmtypes.Tag{{Key: aws.String(d.TagKey), Value: aws.String(ssmMarker)}},
	})
	if err != nil {
		return fmt.Errorf("start runbook %s: %w", d.Document, err)
	}
	d.ExecutionID = aws.ToString(out.AutomationExecutionId)
	return nil
}

func (ssmStartAutomation) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*automationPlan](p)
	if err != nil {
		return err
	}
	if c.SSM == nil {
		return missing("SSM")
	}
	if d.ExecutionID == "" {
		return fmt.Errorf("%w: no execution of %s was started", ErrVerify, d.Document)
	}
	out, err := c.SSM.GetAutomationExecution(ctx, &ssm.GetAutomationExecutionInput{AutomationExecutionId: aws.String(d.ExecutionID)})
	if err != nil {
		return fmt.Errorf("get execution %s of %s: %w", d.ExecutionID, d.Document, err)
	}
	if out.AutomationExecution == nil {
		return fmt.Errorf("%w: execution %s of %s not found", ErrVerify, d.ExecutionID, d.Document)
	}
	if st := out.AutomationExecution.AutomationExecutionStatus; slices.Contains(failedAutomation, st) {
		return fmt.Errorf("%w: execution %s of %s is %s", ErrVerify, d.ExecutionID, d.Document, st)
	}
	return nil
}

// Undo stops the execution; steps already run stay run.
func (ssmStartAutomation) Undo(p Plan) string {
	d, err := planData[*automationPlan](p)
	if err != nil || d.ExecutionID == "" {
		return ""
	}
	return cli(withRegion([]string{"ssm", "stop-automation-execution", "--automation-execution-id", d.ExecutionID,
		"--type", "Cancel"}, p.Target.Region)...)
}
